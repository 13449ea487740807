"""Order files imported in the browser: the run (file, columns, progress, counts), the rows it
rejected, and the column mapping each client chose (reused for their next file)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import JSONType, TimestampMixin, UTCDateTime, enum_column, utcnow


class ImportStatus(StrEnum):
    UPLOADED = "uploaded"  # waiting for its columns to be chosen
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"  # the file could not be read through (a row's problem never fails it)


class ImportRun(TimestampMixin, db.Model):
    __tablename__ = "import_runs"
    __table_args__ = (Index("ix_import_runs_status", "status", "heartbeat_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    filename: Mapped[str] = mapped_column(String(255), nullable=False)
    kind: Mapped[str] = mapped_column(String(8), nullable=False)  # "csv" | "xlsx"
    size_bytes: Mapped[int] = mapped_column(nullable=False)
    encoding: Mapped[str | None] = mapped_column(String(16))  # CSV: as detected on upload
    delimiter: Mapped[str | None] = mapped_column(String(4))
    header_line: Mapped[int] = mapped_column(default=1, nullable=False)
    headers: Mapped[list] = mapped_column(JSONType, nullable=False)
    # The first rows as text, for the column page: [[line, [values...]], ...].
    preview: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    # One entry per column: a field of the order, or None (not read). Set when queued.
    mapping: Mapped[list | None] = mapped_column(JSONType)
    # The client of every row that names none (files without a client column).
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus), default=ImportStatus.UPLOADED, nullable=False
    )
    rows_total: Mapped[int | None]  # an estimate until the run is done
    rows_done: Mapped[int] = mapped_column(default=0, nullable=False)
    # The last line whose row is committed: a run that was interrupted goes on after it.
    last_line: Mapped[int] = mapped_column(default=0, nullable=False)
    created_count: Mapped[int] = mapped_column(default=0, nullable=False)
    existing_count: Mapped[int] = mapped_column(default=0, nullable=False)
    rejected_count: Mapped[int] = mapped_column(default=0, nullable=False)
    repeat_repairs: Mapped[int] = mapped_column(default=0, nullable=False)
    blocked_technician: Mapped[int] = mapped_column(default=0, nullable=False)
    error: Mapped[str | None] = mapped_column(Text)
    # The language of the messages stored for rejected rows (the uploader's).
    locale: Mapped[str | None] = mapped_column(String(8))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set as each batch commits: a running import whose heartbeat stopped is taken up again.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client = relationship("Client")
    created_by = relationship("User")

    @property
    def finished(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)

    def __repr__(self) -> str:
        return f"<ImportRun {self.id} {self.filename}>"


class ImportFile(db.Model):
    """The uploaded file itself, in the database so that any web process or worker reads it
    (instance/ is each container's own); dropped once the run is done."""

    __tablename__ = "import_files"

    run_id: Mapped[int] = mapped_column(
        ForeignKey("import_runs.id", ondelete="CASCADE"), primary_key=True
    )
    content: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)


class ImportRejection(db.Model):
    """A row the import did not store: where, why, and the row as the file had it."""

    __tablename__ = "import_rejections"
    __table_args__ = (Index("ix_import_rejections_run_line", "run_id", "line"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(
        ForeignKey("import_runs.id", ondelete="CASCADE"), nullable=False
    )
    line: Mapped[int] = mapped_column(nullable=False)
    # [[column as the file names it (or the field), message], ...]
    errors: Mapped[list] = mapped_column(JSONType, nullable=False)
    values: Mapped[list] = mapped_column(JSONType, nullable=False)  # the row's cells as text


class ImportMapping(db.Model):
    """The columns a client chose for one layout of their file (see services.orders.columns);
    ``client_id`` None: files that name their clients in a column."""

    __tablename__ = "import_mappings"
    __table_args__ = (Index("ix_import_mappings_client_signature", "client_id", "signature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"))
    signature: Mapped[str] = mapped_column(String(64), nullable=False)
    headers: Mapped[list] = mapped_column(JSONType, nullable=False)
    mapping: Mapped[list] = mapped_column(JSONType, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
