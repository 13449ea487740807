"""Files attached to a complaint (a customer's photo, a PDF): what may be attached, adding them
and removing them, each a line in the complaint's timeline and in the audit log, in the
caller's transaction (the caller commits, and calls ``discard`` on the stored files if it
cannot).

A file's type is what its first bytes are, not its name or what the browser said: JPEG, PNG,
WebP and GIF images (shown on the page), HEIC photos and PDF documents (downloaded). Anything
else, an empty file or one over ``ATTACHMENT_MAX_MB`` is refused, and then so is the whole
upload: nothing of it is stored.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from typing import BinaryIO

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext
from sqlalchemy import func, select

from console.extensions import db
from console.models import Complaint, ComplaintAttachment, ComplaintStatus, User
from console.services import audit, storage
from console.services.complaints.workflow import add_event

log = logging.getLogger(__name__)

NAME_LENGTH = 255  # ComplaintAttachment.file_name
CHUNK = 1024 * 1024


@dataclass(frozen=True, slots=True)
class FileType:
    content_type: str
    extension: str
    shown: bool  # previewed on the page (an image every browser draws), else a download


JPEG = FileType("image/jpeg", "jpg", True)
PNG = FileType("image/png", "png", True)
WEBP = FileType("image/webp", "webp", True)
GIF = FileType("image/gif", "gif", True)
HEIC = FileType("image/heic", "heic", False)  # iPhone photos: most browsers cannot draw them
PDF = FileType("application/pdf", "pdf", False)
TYPES = (JPEG, PNG, WEBP, GIF, HEIC, PDF)
BY_CONTENT_TYPE = {t.content_type: t for t in TYPES}
# What the file chooser offers (its ``accept``): types and the usual extensions.
ACCEPT = ",".join(
    [t.content_type for t in TYPES] + [".jpg", ".jpeg", ".png", ".webp", ".gif", ".heic", ".pdf"]
)
ALLOWED_TYPES = _l("photos (JPEG, PNG, WebP, GIF, HEIC) and PDF documents")
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}


def detect(head: bytes) -> FileType | None:
    """The type of a file from its first bytes (16 are enough), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp" and head[8:12] in _HEIC_BRANDS:
        return HEIC
    if head.startswith(b"%PDF-"):
        return PDF
    return None


# Characters that would make a name read otherwise than it is ("photo\u202egpj.exe").
_DIRECTION = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


def display_name(raw: str | None) -> str:
    """The uploader's file name made safe to show and to offer as a download's name: without
    folders (some browsers send the whole path), control or direction-changing characters, at
    most 255 characters (the extension kept). Never used to find the file."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        c for c in name if c not in _DIRECTION and unicodedata.category(c) not in ("Cc", "Cf")
    )
    name = " ".join(name.split()).strip(". ")
    if len(name) > NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: NAME_LENGTH - len(extension) - 2] + "…." + extension
        else:
            name = name[: NAME_LENGTH - 1] + "…"
    return name or "file"


@dataclass(frozen=True, slots=True)
class Incoming:
    """A file as it arrived: the name it was given and its content (seekable)."""

    name: str | None
    stream: BinaryIO


class AttachmentsRefused(ValueError):
    """The upload is refused, as a whole; ``messages`` say why, one per file or for all."""

    def __init__(self, messages: list):
        super().__init__(messages)
        self.messages = messages


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int
    per_upload: int
    per_complaint: int

    @property
    def max_mb(self) -> int:
        return self.max_bytes // (1024 * 1024)

    @property
    def body_bytes(self) -> int:
        """The largest request an upload may be: its files at their largest, and the form."""
        return self.per_upload * self.max_bytes + 1024 * 1024


def limits() -> Limits:
    config = current_app.config
    return Limits(
        max_bytes=int(config["ATTACHMENT_MAX_MB"]) * 1024 * 1024,
        per_upload=int(config["ATTACHMENTS_PER_UPLOAD"]),
        per_complaint=int(config["ATTACHMENTS_PER_COMPLAINT"]),
    )


def too_large_message(limit: Limits):
    return lazy_ngettext(
        "Too much at once: attach at most %(num)s file of up to %(mb)s MB at a time.",
        "Too much at once: attach at most %(num)s files of up to %(mb)s MB each at a time.",
        limit.per_upload,
        mb=limit.max_mb,
    )


@dataclass(frozen=True, slots=True)
class _Checked:
    incoming: Incoming
    name: str
    size: int
    sha256: str
    type: FileType


def _inspect(incoming: Incoming, max_bytes: int) -> tuple[int, str, FileType | None]:
    """Size (read no further than one byte over the limit), SHA-256 and type of a file."""
    stream = incoming.stream
    stream.seek(0)
    head = stream.read(16)
    digest = hashlib.sha256(head)
    size = len(head)
    while size <= max_bytes:
        chunk = stream.read(CHUNK)
        if not chunk:
            break
        digest.update(chunk)
        size += len(chunk)
    stream.seek(0)
    return size, digest.hexdigest(), detect(head)


def visible(complaint_id: int) -> list[ComplaintAttachment]:
    """The complaint's attachments that were not removed, oldest first."""
    return list(
        db.session.scalars(
            select(ComplaintAttachment)
            .where(
                ComplaintAttachment.complaint_id == complaint_id,
                ComplaintAttachment.removed_at.is_(None),
            )
            .order_by(ComplaintAttachment.uploaded_at, ComplaintAttachment.id)
        )
    )


def find(complaint_id: int, attachment_id: int) -> ComplaintAttachment | None:
    """One of the complaint's shown attachments; None for another complaint's or a removed one."""
    found = db.session.get(ComplaintAttachment, attachment_id)
    if found is None or found.complaint_id != complaint_id or found.removed_at is not None:
        return None
    return found


def _count(complaint_id: int) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(ComplaintAttachment)
        .where(
            ComplaintAttachment.complaint_id == complaint_id,
            ComplaintAttachment.removed_at.is_(None),
        )
    )


def add(
    complaint: Complaint, files: list[Incoming], *, by: User, now: datetime
) -> list[ComplaintAttachment]:
    """Check every file, then store them all and record them; ``AttachmentsRefused`` (and
    nothing stored) when any one is refused."""
    limit = limits()
    if complaint.status == ComplaintStatus.MERGED:
        raise AttachmentsRefused(
            [
                _l(
                    "This complaint was merged into #%(id)s: attach the files there.",
                    id=complaint.merged_into_id,
                )
            ]
        )
    if not files:
        raise AttachmentsRefused([_l("Choose a file to attach.")])
    if len(files) > limit.per_upload:
        raise AttachmentsRefused(
            [
                lazy_ngettext(
                    "Attach at most %(num)s file at a time.",
                    "Attach at most %(num)s files at a time.",
                    limit.per_upload,
                )
            ]
        )
    already = _count(complaint.id)
    if already + len(files) > limit.per_complaint:
        raise AttachmentsRefused(
            [
                lazy_ngettext(
                    "A complaint holds at most %(num)s file; this one has %(count)s.",
                    "A complaint holds at most %(num)s files; this one has %(count)s.",
                    limit.per_complaint,
                    count=already,
                )
            ]
        )
    problems: list = []
    checked: list[_Checked] = []
    for incoming in files:
        name = display_name(incoming.name)
        size, sha256, kind = _inspect(incoming, limit.max_bytes)
        if size == 0:
            problems.append(_l("“%(name)s” is empty.", name=name))
        elif size > limit.max_bytes:
            problems.append(
                _l(
                    "“%(name)s” is larger than %(mb)s MB: a file can be at most %(mb)s MB.",
                    name=name,
                    mb=limit.max_mb,
                )
            )
        elif kind is None:
            problems.append(
                _l(
                    "“%(name)s” cannot be attached: only %(types)s can be.",
                    name=name,
                    types=ALLOWED_TYPES,
                )
            )
        else:
            checked.append(_Checked(incoming, name, size, sha256, kind))
    if problems:
        raise AttachmentsRefused(problems)

    store = storage.current()
    added: list[ComplaintAttachment] = []
    try:
        for item in checked:
            key = storage.new_key(complaint.id)
            item.incoming.stream.seek(0)
            store.put(key, item.incoming.stream, item.type.content_type)
            attachment = ComplaintAttachment(
                complaint_id=complaint.id,
                file_name=item.name,
                content_type=item.type.content_type,
                size_bytes=item.size,
                sha256=item.sha256,
                storage=store.name,
                storage_key=key,
                uploaded_by_id=by.id,
                uploaded_at=now,
            )
            db.session.add(attachment)
            added.append(attachment)
        db.session.flush()
    except BaseException:
        discard(added)
        raise
    files_data = [
        {"id": a.id, "name": a.file_name, "type": a.content_type, "size": a.size_bytes}
        for a in added
    ]
    add_event(complaint, "attachments_added", by=by, now=now, data={"files": files_data})
    for attachment in added:
        audit.record(
            "complaint.attachment_added",
            actor=by,
            entity=attachment,
            details={
                "complaint": complaint.id,
                "name": attachment.file_name,
                "type": attachment.content_type,
                "size": attachment.size_bytes,
                "sha256": attachment.sha256,
                "storage": attachment.storage,
                "key": attachment.storage_key,
            },
        )
    return added


def discard(added: list[ComplaintAttachment]) -> None:
    """Delete the stored files of attachments whose rows were not saved after all."""
    for attachment in added:
        try:
            storage.named(attachment.storage).delete(attachment.storage_key)
        except Exception:  # the upload failed already; say so in the log and go on
            log.exception("could not delete the unsaved attachment %s", attachment.storage_key)


def remove(
    complaint: Complaint, attachment: ComplaintAttachment, *, by: User, now: datetime
) -> None:
    """Hide an attachment from the complaint: its row, its file and the audit stay."""
    attachment.removed_at = now
    attachment.removed_by_id = by.id
    add_event(
        complaint,
        "attachment_removed",
        by=by,
        now=now,
        data={"id": attachment.id, "name": attachment.file_name},
    )
    audit.record(
        "complaint.attachment_removed",
        actor=by,
        entity=attachment,
        details={"complaint": complaint.id, "name": attachment.file_name},
    )
