"""Attachments in an S3-compatible bucket (ATTACHMENTS_S3_BUCKET): stored there, served from
there, nothing under the instance folder; a refused upload puts nothing in the bucket. The
bucket is a real S3 server on 127.0.0.1 (moto's), spoken to with boto3 over HTTP."""

from __future__ import annotations

import socket
import uuid

import pytest

from console.models import ComplaintAttachment
from tests.qc import complaint_fixtures
from tests.qc.test_attachments import EXE, fetch, png, stored_files, upload

open_complaint, qc_user = complaint_fixtures.open_complaint, complaint_fixtures.qc_user


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint():
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=_free_port())
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_endpoint, monkeypatch, tmp_path):
    """A new bucket; the credentials come from the environment, as deployed."""
    import boto3

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "console-test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "console-test-secret")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    name = f"complaints-{uuid.uuid4().hex[:12]}"
    s3 = boto3.client("s3", endpoint_url=s3_endpoint, region_name="eu-central-1")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"})
    return s3, name


@pytest.fixture
def store(tmp_path):
    return tmp_path / "attachments"


@pytest.fixture
def app_config(store, bucket, s3_endpoint):
    return {
        "ATTACHMENTS_DIR": str(store),
        "ATTACHMENTS_S3_BUCKET": bucket[1],
        "ATTACHMENTS_S3_ENDPOINT_URL": s3_endpoint,
        "ATTACHMENTS_S3_REGION": "eu-central-1",
        "ATTACHMENTS_S3_PREFIX": "qc/",
    }


def objects(bucket) -> dict:
    s3, name = bucket
    found = s3.list_objects_v2(Bucket=name).get("Contents", [])
    return {item["Key"]: item["Size"] for item in found}


def test_a_photo_goes_to_the_bucket_and_is_served_from_it(
    db, client, login_as, open_complaint, qc_user, bucket, store
):
    complaint = open_complaint()
    login_as(qc_user)
    picture = png(64, 48)
    assert upload(client, complaint, ("IMG_0042.png", picture)).status_code == 303

    attachment = db.session.query(ComplaintAttachment).one()
    assert attachment.storage == "s3"
    key = f"qc/{attachment.storage_key}"
    assert objects(bucket) == {key: len(picture)}
    s3, name = bucket
    head = s3.head_object(Bucket=name, Key=key)
    assert head["ContentType"] == "image/png"
    assert stored_files(store) == []  # nothing under the instance folder

    served = fetch(client, f"/qc/complaints/{complaint.id}/attachments/{attachment.id}")
    assert served.status_code == 200 and served.data == picture
    assert served.mimetype == "image/png" and served.headers["Content-Length"] == str(len(picture))
    assert "sandbox" in served.headers["Content-Security-Policy"]

    # Removed from the page, kept in the bucket.
    url = f"/qc/complaints/{complaint.id}/attachments/{attachment.id}"
    assert client.post(f"{url}/remove").status_code == 303
    assert fetch(client, url).status_code == 404
    assert objects(bucket) == {key: len(picture)}


def test_a_refused_upload_puts_nothing_in_the_bucket(
    db, client, login_as, open_complaint, qc_user, bucket
):
    complaint = open_complaint()
    login_as(qc_user)
    response = upload(client, complaint, ("ok.png", png()), ("photo.jpg", EXE))
    assert response.status_code == 422
    assert objects(bucket) == {}
    assert db.session.query(ComplaintAttachment).count() == 0


def test_a_file_gone_from_the_bucket_is_a_404_not_an_error(
    db, client, login_as, open_complaint, qc_user, bucket
):
    complaint = open_complaint()
    login_as(qc_user)
    upload(client, complaint, ("a.png", png()))
    attachment = db.session.query(ComplaintAttachment).one()
    s3, name = bucket
    s3.delete_object(Bucket=name, Key=f"qc/{attachment.storage_key}")
    url = f"/qc/complaints/{complaint.id}/attachments/{attachment.id}"
    assert fetch(client, url).status_code == 404
