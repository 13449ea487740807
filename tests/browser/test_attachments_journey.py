"""In Chromium: QC attaches a customer's photo to a complaint and sees it on the page (a
thumbnail that really loads, and opens whole in a new tab); a program renamed photo.jpg is
refused next to the field; a file over the limit is said at once, before anything is sent.
In English at 1366 px and in Russian on a 390 px phone, with axe-core on the page. Last, the
same upload against the console as deployed: gunicorn, CONSOLE_ENV=production, over HTTPS
(Flask-WTF's strict Referer check)."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from console.models import Role
from tests.browser.conftest import screenshot
from tests.browser.journeys import axe_violations, sign_in
from tests.deployed import SECRET, migrate, seed, serve
from tests.qc import complaint_fixtures
from tests.qc.test_attachments import EXE, png

open_complaint = complaint_fixtures.open_complaint

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(tmp_path):
    """CSRF on, as in production; files in the test's own folder; 1 MB a file."""
    return {
        "WTF_CSRF_ENABLED": True,
        "ATTACHMENTS_DIR": str(tmp_path / "attachments"),
        "ATTACHMENT_MAX_MB": 1,
    }


def card(page):
    return page.locator("#attachments")


def attach(page, *files: tuple[str, str, bytes]) -> None:
    page.locator("#attachments input[type=file]").set_input_files(
        [{"name": name, "mimeType": mime, "buffer": content} for name, mime, content in files]
    )
    card(page).get_by_role("button", name=re.compile("^(Attach|Прикрепить)$")).click()


def loaded(image) -> bool:
    return image.evaluate("img => img.complete && img.naturalWidth > 0")


def test_qc_attaches_a_photo_and_sees_it(page, live_server, db, make_user, open_complaint):
    complaint = open_complaint()
    qc = make_user(Role.QC, name="Quinn QC", timezone="Europe/Moscow")
    sign_in(page, live_server, qc, "Complaints")
    page.goto(f"{live_server}/qc/complaints/{complaint.id}")
    expect(card(page)).to_contain_text("No files yet")

    attach(page, ("bumper scratch.png", "image/png", png(640, 480)))
    thumb = card(page).get_by_role("img", name="bumper scratch.png")
    expect(thumb).to_be_visible()
    page.wait_for_function(
        "() => { const i = document.querySelector('#attachments img');"
        " return i && i.complete && i.naturalWidth === 640; }"
    )
    box = thumb.bounding_box()
    assert box is not None and round(box["width"]) == 160 and round(box["height"]) == 120
    expect(page.locator("#timeline li").first).to_contain_text("File attached: bumper scratch.png")
    expect(page.locator("#notices")).not_to_contain_text("expired")

    # A program named like a photo: refused by its content, said next to the field.
    attach(page, ("photo.jpg", "image/jpeg", EXE))
    error = card(page).locator(".error")
    expect(error).to_contain_text("“photo.jpg” cannot be attached")
    expect(card(page).locator("input[type=file]")).to_have_attribute("aria-invalid", "true")
    expect(card(page).locator("img")).to_have_count(1)

    # Over the limit: said at once, nothing sent.
    posts: list[str] = []
    page.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    attach(page, ("huge.png", "image/png", png() + b"\x00" * (1024 * 1024 + 10)))
    expect(error).to_contain_text("“huge.png” is larger than 1 MB: a file can be at most 1 MB.")
    assert posts == []

    assert axe_violations(page) == []
    screenshot(page, "qc-attachments-en")

    # A click opens the whole picture in a tab of its own.
    with page.context.expect_page() as opened:
        card(page).locator("a.att-thumb").click()
    picture = opened.value
    picture.wait_for_load_state()
    shown = picture.locator("img")
    expect(shown).to_be_visible()
    assert loaded(shown)
    picture.close()
    # The refused upload answered 422, which the browser and htmx log; nothing else went wrong.
    unexpected = [e for e in page.console_errors if "422" not in e]
    assert unexpected == [], unexpected


def test_in_russian_on_a_phone(page, live_server, db, make_user, open_complaint):
    complaint = open_complaint()
    qc = make_user(Role.QC, name="Квинн", timezone="Europe/Moscow", locale="ru")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, qc, "Жалобы")
    page.goto(f"{live_server}/qc/complaints/{complaint.id}")
    attach(
        page,
        ("Фото клиента с очень длинным названием файла 2026-12-04.png", "image/png", png(800, 600)),
        ("Акт.pdf", "application/pdf", b"%PDF-1.4\n%%EOF\n"),
    )
    expect(card(page).get_by_role("img")).to_be_visible()
    expect(card(page)).to_contain_text("Акт.pdf")
    expect(page.locator("#timeline li").first).to_contain_text("Прикреплено 2 файла")
    page.wait_for_function("() => document.querySelector('#attachments img').naturalWidth > 0")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 390
    assert axe_violations(page) == []
    card(page).scroll_into_view_if_needed()
    screenshot(page, "qc-attachments-ru-phone")
    assert page.console_errors == []


def test_without_javascript_the_form_posts_and_the_page_comes_back(
    browser, live_server, db, make_user, open_complaint
):
    complaint = open_complaint()
    qc = make_user(Role.QC, name="Quinn QC")
    context = browser.new_context(
        viewport={"width": 1366, "height": 768}, java_script_enabled=False
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, live_server, qc, "Complaints")
        page.goto(f"{live_server}/qc/complaints/{complaint.id}")
        page.locator("#attachments input[type=file]").set_input_files(
            {"name": "wheel.png", "mimeType": "image/png", "buffer": png(200, 100)}
        )
        card(page).get_by_role("button", name="Attach").click()
        expect(page).to_have_url(re.compile(rf"/qc/complaints/{complaint.id}#attachments$"))
        expect(page.locator("#notices")).to_contain_text("1 file attached.")
        expect(card(page).get_by_role("img", name="wheel.png")).to_be_visible()
        card(page).get_by_role("button", name="Remove wheel.png").click()
        expect(page.locator("#notices")).to_contain_text("“wheel.png” removed from the complaint.")
        expect(card(page).locator("img")).to_have_count(0)
    finally:
        context.close()


# --- deployed ----------------------------------------------------------------------------------


def _a_complaint(database_url: str) -> int:
    """A complaint opened by hand in the deployed console's database."""
    from console import create_app
    from console.extensions import db
    from console.models import ComplaintSource, Order, utcnow
    from console.services.complaints import opening

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET})
    with app.app_context():
        order = db.session.scalars(sa.select(Order).order_by(Order.id)).first()
        complaint = opening.open_complaint(
            order,
            category="quality",
            source=ComplaintSource.MANUAL,
            snapshot=opening.order_snapshot(order, answers=[]),
            now=utcnow(),
        )
        db.session.commit()
        number = complaint.id
        db.engine.dispose()
    return number


@pytest.mark.deployed
def test_an_upload_over_https_in_production(tmp_path, tab):
    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(database_url)
    people = seed(database_url, operators=0, qc=1, calls=1)
    number = _a_complaint(database_url)
    files = tmp_path / "files"
    with serve(
        tmp_path, database_url, tls=True, CONSOLE_ENV="production", ATTACHMENTS_DIR=str(files)
    ) as deployed:
        page = tab
        sign_in(page, deployed.url, people.qc[0], "Complaints")
        page.goto(f"{deployed.url}/qc/complaints/{number}")
        attach(page, ("dent.png", "image/png", png(320, 240)))
        thumb = card(page).get_by_role("img", name="dent.png")
        expect(thumb).to_be_visible()
        page.wait_for_function(
            "() => document.querySelector('#attachments img').naturalWidth === 320"
        )
        expect(page.locator("#timeline li").first).to_contain_text("File attached: dent.png")
        assert page.console_errors == []
        assert "Traceback" not in deployed.log.read_text()
    assert len([p for p in files.rglob("*") if p.is_file()]) == 1
