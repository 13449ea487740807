"""Files attached to a complaint: a customer's photo, a scan, a PDF (issue 13, QC).

The file itself is in the attachment store (``console.services.storage``: files under the
instance folder, or an S3-compatible bucket); the row says what it is (its type as its content
showed, its size and SHA-256), where it is (``storage`` and ``storage_key``, a random key that
owes nothing to the file's name), who added it and when. Removing one hides it from the
complaint page; the row, the file and the audit entries stay."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import UTCDateTime


class ComplaintAttachment(db.Model):
    __tablename__ = "complaint_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id"), nullable=False, index=True
    )
    # The name the file had on the uploader's computer, made safe to show (no folders, no
    # control or direction-changing characters) and kept as given up to 255 characters. It
    # is shown and offered as the download's name, never used to find the file.
    file_name: Mapped[str] = mapped_column(String(255), nullable=False)
    # What the content is (its first bytes), not what the name or the browser said.
    content_type: Mapped[str] = mapped_column(String(64), nullable=False)
    size_bytes: Mapped[int] = mapped_column(Integer, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    # "local" (under the instance folder) or "s3" (the configured bucket).
    storage: Mapped[str] = mapped_column(String(16), nullable=False)
    storage_key: Mapped[str] = mapped_column(String(255), nullable=False, unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    removed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    complaint = relationship("Complaint")
    uploaded_by = relationship("User", foreign_keys=[uploaded_by_id])
    removed_by = relationship("User", foreign_keys=[removed_by_id])

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")
