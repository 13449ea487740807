"""Files on a complaint: a customer's photo shows on the page and opens; what is not a photo or
a PDF by its content (whatever its name), a file over the limit, too many at once are refused
with a message and nothing is stored; only QC and supervisors reach them; removing hides one
and keeps it; the same through an S3-compatible store."""

from __future__ import annotations

import io
import re
import struct
import zlib
from pathlib import Path

import pytest

from console.models import AuditEntry, ComplaintAttachment, ComplaintEvent, Role
from console.services.complaints import attachments as service
from console.services.complaints import workflow as wf
from tests.conftest import PASSWORD
from tests.helpers import on_both_databases
from tests.qc import complaint_fixtures

open_complaint, qc_user = complaint_fixtures.open_complaint, complaint_fixtures.qc_user

HX = {"HX-Request": "true"}


def png(width: int = 32, height: int = 24, rgb=(200, 60, 40)) -> bytes:
    """A real PNG picture of one colour."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    row = b"\x00" + bytes(rgb) * width
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200


@pytest.fixture
def store(tmp_path) -> Path:
    return tmp_path / "attachments"


@pytest.fixture
def app_config(store):
    return {"ATTACHMENTS_DIR": str(store), "ATTACHMENT_MAX_MB": 1, "ATTACHMENTS_PER_UPLOAD": 3}


@pytest.fixture
def complaint(open_complaint):
    return open_complaint()


def stored_files(store: Path) -> list[Path]:
    return [p for p in store.rglob("*") if p.is_file()] if store.exists() else []


def upload(client, complaint, *files, htmx=False, headers=None):
    response = client.post(
        f"/qc/complaints/{complaint.id}/attachments",
        data={"attach-files": [(io.BytesIO(content), name) for name, content in files]},
        content_type="multipart/form-data",
        headers={**(HX if htmx else {}), **(headers or {})},
    )
    response.get_data()
    response.request.input_stream.close()  # the test client's copy of a large body: a file
    return response


def fetch(client, url, **kwargs):
    """GET a file and close the response (a file is sent from an open handle)."""
    response = client.get(url, **kwargs)
    response.get_data()
    response.close()
    return response


def page_of(client, complaint) -> str:
    response = client.get(f"/qc/complaints/{complaint.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


@on_both_databases
def test_a_photo_is_attached_shown_on_the_page_and_opens(
    db, client, login_as, complaint, qc_user, store
):
    login_as(qc_user)
    picture = png()
    response = upload(client, complaint, ("Customer photo.png", picture))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/qc/complaints/{complaint.id}#attachments")

    attachment = db.session.query(ComplaintAttachment).one()
    assert attachment.content_type == "image/png" and attachment.size_bytes == len(picture)
    assert attachment.file_name == "Customer photo.png" and attachment.uploaded_by_id == qc_user.id
    # Stored under a random key, nothing of the name in it.
    [file] = stored_files(store)
    assert file.read_bytes() == picture
    assert re.fullmatch(r"complaints/\d+/[0-9a-f]{32}", file.relative_to(store).as_posix())

    html = page_of(client, complaint)
    url = f"/qc/complaints/{complaint.id}/attachments/{attachment.id}"
    thumb = re.search(r'<img src="' + re.escape(url) + r'"[^>]*>', html)
    assert thumb and 'alt="Customer photo.png"' in thumb.group(0)
    assert 'width="160"' in thumb.group(0) and 'height="120"' in thumb.group(0)
    assert "1 file attached" in html.lower() or "File attached" in html  # the timeline

    served = fetch(client, url)
    assert served.status_code == 200 and served.data == picture
    assert served.mimetype == "image/png"
    assert served.headers["Content-Disposition"].startswith("inline")
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in served.headers["Content-Security-Policy"]
    assert served.headers["Cache-Control"].startswith("private")
    # Seen already: not sent again.
    again = fetch(client, url, headers={"If-None-Match": served.headers["ETag"]})
    assert again.status_code == 304 and again.data == b""

    audit = db.session.query(AuditEntry).filter_by(action="complaint.attachment_added").one()
    assert audit.details["sha256"] == attachment.sha256 and audit.actor_id == qc_user.id


def test_with_htmx_the_card_and_timeline_come_back_in_the_work_area(
    client, login_as, complaint, qc_user
):
    login_as(qc_user)
    response = upload(client, complaint, ("a.png", png()), ("scan.pdf", PDF), htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="complaint-work"' in html and 'id="attachments"' in html
    assert "2 files attached: a.png, scan.pdf" in html
    assert html.count("<img ") == 1  # the PDF is a download, not a picture
    assert re.search(r'download="scan.pdf"', html)


def test_a_pdf_is_served_as_a_download(db, client, login_as, complaint, qc_user):
    login_as(qc_user)
    upload(client, complaint, ("Invoice.pdf", PDF))
    attachment = db.session.query(ComplaintAttachment).one()
    served = fetch(client, f"/qc/complaints/{complaint.id}/attachments/{attachment.id}")
    assert served.mimetype == "application/pdf"
    assert served.headers["Content-Disposition"].startswith("attachment")
    assert "Invoice.pdf" in served.headers["Content-Disposition"]


def test_a_program_renamed_photo_jpg_is_refused_by_its_content(
    db, client, login_as, complaint, qc_user, store
):
    login_as(qc_user)
    response = upload(client, complaint, ("photo.jpg", EXE), htmx=True)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "“photo.jpg” cannot be attached" in html
    assert "JPEG, PNG, WebP, GIF, HEIC" in html and "PDF" in html
    assert 'aria-invalid="true"' in html
    assert db.session.query(ComplaintAttachment).count() == 0
    assert stored_files(store) == []


def test_an_oversize_file_is_refused_with_the_limit_and_nothing_of_the_upload_is_stored(
    db, client, login_as, complaint, qc_user, store
):
    login_as(qc_user)
    big = png() + b"\x00" * (1024 * 1024)  # a PNG by its first bytes, 1 MB and more
    response = upload(client, complaint, ("fine.png", png()), ("big.png", big))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "“big.png” is larger than 1 MB: a file can be at most 1 MB." in html
    # The good file of the same upload is not kept either: the upload is refused as a whole.
    assert db.session.query(ComplaintAttachment).count() == 0
    assert db.session.query(ComplaintEvent).filter_by(kind="attachments_added").count() == 0
    assert stored_files(store) == []


def test_a_request_over_the_whole_upload_limit_says_the_limits_next_to_the_field(
    db, client, login_as, complaint, qc_user, store
):
    """3 files of 1 MB at most: a body over that is refused before it is read, with the
    limits said on the page, not a bare "too large"."""
    login_as(qc_user)
    huge = png() + b"\x00" * (4 * 1024 * 1024)
    response = upload(client, complaint, ("huge.png", huge))
    assert response.status_code == 413
    html = response.get_data(as_text=True)
    assert "attach at most 3 files of up to 1 MB each at a time" in html
    assert 'id="attachments"' in html
    assert stored_files(store) == []


def test_too_many_files_at_once_and_no_file_are_refused(
    db, client, login_as, complaint, qc_user, store
):
    login_as(qc_user)
    four = [(f"p{i}.png", png()) for i in range(4)]
    response = upload(client, complaint, *four)
    assert response.status_code == 422
    assert "Attach at most 3 files at a time." in response.get_data(as_text=True)
    response = client.post(
        f"/qc/complaints/{complaint.id}/attachments", data={}, content_type="multipart/form-data"
    )
    assert response.status_code == 422
    assert "Choose a file to attach." in response.get_data(as_text=True)
    assert stored_files(store) == []


def test_a_file_name_is_shown_as_given_without_folders_or_tricks(
    db, client, login_as, complaint, qc_user, store
):
    login_as(qc_user)
    upload(client, complaint, ("../../etc/<b onclick=x>cat\u202egpj.png", png()))
    attachment = db.session.query(ComplaintAttachment).one()
    assert attachment.file_name == "<b onclick=x>catgpj.png"
    html = page_of(client, complaint)
    assert "<b onclick" not in html and "&lt;b onclick=x&gt;catgpj.png" in html
    [file] = stored_files(store)
    assert file.is_relative_to(store)
    assert service.display_name("C:\\Users\\me\\IMG 1.JPG") == "IMG 1.JPG"
    long = service.display_name("x" * 400 + ".jpeg")
    assert len(long) == 255 and long.endswith("….jpeg")


def test_an_operator_can_neither_see_nor_add_nor_remove_files(
    db, client, login_as, complaint, qc_user, make_user
):
    login_as(qc_user)
    upload(client, complaint, ("a.png", png()))
    attachment = db.session.query(ComplaintAttachment).one()
    client.post("/logout")
    login_as(Role.OPERATOR)
    base = f"/qc/complaints/{complaint.id}/attachments"
    assert client.get(f"{base}/{attachment.id}").status_code == 403
    assert upload(client, complaint, ("b.png", png())).status_code == 403
    assert client.post(f"{base}/{attachment.id}/remove").status_code == 403
    assert db.session.query(ComplaintAttachment).count() == 1


def test_a_supervisor_adds_and_sees_files(db, client, login_as, complaint):
    login_as(Role.SUPERVISOR)
    assert upload(client, complaint, ("a.png", png())).status_code == 303
    attachment = db.session.query(ComplaintAttachment).one()
    url = f"/qc/complaints/{complaint.id}/attachments/{attachment.id}"
    assert fetch(client, url).status_code == 200


def test_a_file_is_found_only_through_its_own_complaint(
    db, client, login_as, open_complaint, complaint, qc_user
):
    other = open_complaint()
    login_as(qc_user)
    upload(client, complaint, ("a.png", png()))
    attachment = db.session.query(ComplaintAttachment).one()
    assert client.get(f"/qc/complaints/{other.id}/attachments/{attachment.id}").status_code == 404
    assert client.get(f"/qc/complaints/{complaint.id}/attachments/999999").status_code == 404
    huge = f"/qc/complaints/{complaint.id}/attachments/99999999999999999999"
    assert client.get(huge).status_code == 404


@on_both_databases
def test_removing_hides_the_file_and_keeps_it_with_its_audit(
    db, client, login_as, complaint, qc_user, store
):
    login_as(qc_user)
    upload(client, complaint, ("a.png", png()))
    attachment = db.session.query(ComplaintAttachment).one()
    url = f"/qc/complaints/{complaint.id}/attachments/{attachment.id}"
    response = client.post(f"{url}/remove", headers=HX)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'src="{url}"' not in html and "File removed: a.png" in html
    assert client.get(url).status_code == 404
    db.session.refresh(attachment)
    assert attachment.removed_at is not None and attachment.removed_by_id == qc_user.id
    assert len(stored_files(store)) == 1  # nothing is lost
    assert db.session.query(AuditEntry).filter_by(action="complaint.attachment_removed").count()


def test_a_merged_complaint_takes_no_files(
    db, client, login_as, open_complaint, qc_user, make_order
):
    kept = open_complaint()
    duplicate = open_complaint(order=make_order(customer=kept.customer, client=kept.client))
    wf.merge(duplicate, kept, by=qc_user, now=duplicate.created_at.replace(microsecond=0))
    db.session.commit()
    login_as(qc_user)
    response = upload(client, duplicate, ("a.png", png()))
    assert response.status_code == 422
    assert f"merged into #{kept.id}" in response.get_data(as_text=True)


def csrf_token_from(html: str) -> str:
    return re.search(r'name="csrf-token" content="([^"]+)"', html).group(1)


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_an_upload_without_the_csrf_token_is_refused(
    db, client, complaint, qc_user, store, app_config
):
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    signed_in = client.post(
        "/login", data={"email": qc_user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert signed_in.status_code == 302
    response = upload(client, complaint, ("a.png", png()))
    assert response.status_code == 400
    assert "This page has expired" in response.get_data(as_text=True)
    assert db.session.query(ComplaintAttachment).count() == 0 and stored_files(store) == []
    # With the page's token (as the form sends it) the same upload goes through.
    token = csrf_token_from(page_of(client, complaint))
    response = upload(client, complaint, ("a.png", png()), headers={"X-CSRFToken": token})
    assert response.status_code == 303


def test_the_type_is_read_from_the_first_bytes():
    assert service.detect(b"\xff\xd8\xff\xe0\x00\x10JFIF") is service.JPEG
    assert service.detect(b"GIF89a\x01\x00") is service.GIF
    assert service.detect(b"RIFF\x10\x00\x00\x00WEBPVP8 ") is service.WEBP
    assert service.detect(b"\x00\x00\x00\x18ftypheic\x00\x00") is service.HEIC
    assert service.detect(PDF) is service.PDF
    assert service.detect(b"<svg xmlns=") is None
    assert service.detect(b"<html>") is None
    assert service.detect(EXE) is None
