"""The attachment store: where complaint attachments' files are kept.

Files under ``ATTACHMENTS_DIR`` (the instance folder's ``attachments/``), or, when
``ATTACHMENTS_S3_BUCKET`` is set, objects in an S3-compatible bucket (AWS, MinIO, Ceph...):
``ATTACHMENTS_S3_ENDPOINT_URL`` and ``ATTACHMENTS_S3_REGION`` say where, the credentials come the
usual way (``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY``, or the machine's role).

A file's key is made here, from random bytes, never from the file's name: ``complaints/311/
<32 hex>``. A key that is not of that shape is refused before any path or request is made of
it, so nothing can reach outside the store.

The store new files go to is ``current()``; a stored row names its own (``named``), so files
kept before a switch from folder to bucket stay readable while the folder is there.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from flask import Response, current_app, send_file

log = logging.getLogger(__name__)

LOCAL = "local"
S3 = "s3"
_KEY = re.compile(r"complaints/[0-9]{1,10}/[0-9a-f]{32}")


class StorageError(RuntimeError):
    """The store could not do what was asked (unreachable bucket, full disk...)."""


class StoredFileMissing(StorageError):
    """No file under this key."""


def new_key(complaint_id: int) -> str:
    return f"complaints/{int(complaint_id)}/{secrets.token_hex(16)}"


def _checked(key: str) -> str:
    if not _KEY.fullmatch(key or ""):
        raise StorageError(f"not an attachment key: {key!r}")
    return key


class LocalStorage:
    """Files in a folder (created on the first upload, readable by the console's user only)."""

    name = LOCAL

    def __init__(self, root: str | Path):
        self.root = Path(root).resolve()

    def _path(self, key: str) -> Path:
        path = (self.root / _checked(key)).resolve()
        if not path.is_relative_to(self.root):  # the key's shape already rules this out
            raise StorageError(f"outside the store: {key!r}")
        return path

    def put(self, key: str, stream: BinaryIO, content_type: str) -> None:
        """Write the whole file under a temporary name, then move it into place: a key names
        a complete file or nothing."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as out:
                shutil.copyfileobj(stream, out, 1024 * 1024)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def read(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise StoredFileMissing(key)

    def send(self, key: str, **kwargs) -> Response:
        path = self._path(key)
        if not path.is_file():
            raise StoredFileMissing(key)
        return send_file(path, conditional=True, **kwargs)


class S3Storage:
    """Objects in a bucket, under ``prefix``. The console reads them back and serves them
    itself (no pre-signed links): only a signed-in QC person ever gets one."""

    name = S3

    def __init__(
        self,
        bucket: str,
        *,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
    ):
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        config = Config(
            connect_timeout=5,
            read_timeout=30,
            retries={"max_attempts": 3, "mode": "standard"},
            # S3-compatible servers (MinIO and the like) answer at one address for every bucket.
            s3={"addressing_style": "path"} if endpoint_url else {},
        )
        self.client = boto3.client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config
        )

    def _object(self, key: str) -> str:
        return self.prefix + _checked(key)

    def put(self, key: str, stream: BinaryIO, content_type: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.upload_fileobj(
                stream, self.bucket, self._object(key), ExtraArgs={"ContentType": content_type}
            )
        except (BotoCoreError, ClientError) as exc:
            raise StorageError(f"could not store {key}: {exc}") from exc

    def _get(self, key: str):
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._object(key))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise StoredFileMissing(key) from exc
            raise StorageError(f"could not read {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"could not read {key}: {exc}") from exc

    def exists(self, key: str) -> bool:
        try:
            self._get(key)["Body"].close()
        except StoredFileMissing:
            return False
        return True

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=self._object(key))

    def read(self, key: str) -> bytes:
        body = self._get(key)["Body"]
        try:
            return body.read()
        finally:
            body.close()

    def send(self, key: str, **kwargs) -> Response:
        found = self._get(key)
        response = send_file(found["Body"], conditional=True, **kwargs)
        response.content_length = found.get("ContentLength")
        return response


Storage = LocalStorage | S3Storage


def current() -> Storage:
    """The store new files go to: the bucket when one is configured, else the folder."""
    return named(S3 if current_app.config.get("ATTACHMENTS_S3_BUCKET") else LOCAL)


def named(name: str) -> Storage:
    """The store called ``name`` (a row's ``storage``), made once per app."""
    stores = current_app.extensions.setdefault("attachment_stores", {})
    if name not in stores:
        config = current_app.config
        if name == LOCAL:
            stores[name] = LocalStorage(config["ATTACHMENTS_DIR"])
        elif name == S3 and config.get("ATTACHMENTS_S3_BUCKET"):
            stores[name] = S3Storage(
                config["ATTACHMENTS_S3_BUCKET"],
                prefix=config.get("ATTACHMENTS_S3_PREFIX", ""),
                endpoint_url=config.get("ATTACHMENTS_S3_ENDPOINT_URL"),
                region=config.get("ATTACHMENTS_S3_REGION"),
            )
        else:
            raise StorageError(f"no attachment store {name!r} is configured")
    return stores[name]
