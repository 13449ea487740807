"""Call scripts: a script has versions; a published version never changes.

The draft an admin edits is the script's one unpublished version. Publishing stamps it; the next
edit starts a new draft copied from it. Responses point at the version (and its question and
option rows) they were answered on, so editing or archiving a script never touches them.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ForeignKey, Numeric, String, Text, UniqueConstraint, event, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from console.extensions import db
from console.models.base import JSONType, TimestampMixin, UTCDateTime, enum_column
from console.scripts.question_types import QUESTION_TYPES


class ScriptStatus(StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


# The kinds are the registry's: a new kind is declared there only. The column is a plain string
# (enum_column), 16 characters long: a longer kind name would need a migration.
QuestionKind = StrEnum("QuestionKind", {name.upper(): name for name in QUESTION_TYPES})


class CallScript(TimestampMixin, db.Model):
    __tablename__ = "call_scripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    # Selection for an order: client + work type, then client, then work type, then base.
    client_id: Mapped[int | None] = mapped_column(ForeignKey("clients.id"), index=True)
    work_type_id: Mapped[int | None] = mapped_column(ForeignKey("work_types.id"), index=True)
    status: Mapped[ScriptStatus] = mapped_column(
        enum_column(ScriptStatus), default=ScriptStatus.ACTIVE, nullable=False
    )
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("script_versions.id", use_alter=True)
    )

    client = relationship("Client")
    work_type = relationship("WorkType")
    versions: Mapped[list[ScriptVersion]] = relationship(
        back_populates="script",
        foreign_keys="ScriptVersion.script_id",
        order_by="ScriptVersion.number",
    )
    current_version: Mapped[ScriptVersion | None] = relationship(
        foreign_keys=[current_version_id], post_update=True
    )


class ScriptVersion(db.Model):
    __tablename__ = "script_versions"
    __table_args__ = (UniqueConstraint("script_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    script_id: Mapped[int] = mapped_column(ForeignKey("call_scripts.id"), nullable=False)
    number: Mapped[int] = mapped_column(nullable=False)
    # The language the texts are written in; dates in placeholders are formatted in it.
    language: Mapped[str] = mapped_column(String(8), default="en", nullable=False)
    intro: Mapped[str] = mapped_column(Text, default="", nullable=False)
    closing: Mapped[str] = mapped_column(Text, default="", nullable=False)
    # Hash of the canonical definition: loading an unchanged YAML file publishes nothing new.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)

    script: Mapped[CallScript] = relationship(back_populates="versions", foreign_keys=[script_id])
    questions: Mapped[list[Question]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Question.position"
    )

    @property
    def is_published(self) -> bool:
        return self.published_at is not None


class Question(db.Model):
    __tablename__ = "script_questions"
    __table_args__ = (UniqueConstraint("version_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("script_versions.id"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind), nullable=False)
    weight: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(1), nullable=False)
    required: Mapped[bool] = mapped_column(default=False, nullable=False)
    # {"question": "<earlier key>", "any_of": ["<option key>", ...]}
    show_if: Mapped[dict | None] = mapped_column(JSONType)
    # Text read aloud after the question (the warranty reminder of the contacts question).
    note: Mapped[str | None] = mapped_column(Text)
    # The locked "did the technician leave personal contacts?" question (DOMAIN.md, 003).
    is_contacts: Mapped[bool] = mapped_column(default=False, nullable=False)
    # Labels of the ends of a scale ("not at all" ... "completely").
    scale_low_label: Mapped[str | None] = mapped_column(String(120))
    scale_high_label: Mapped[str | None] = mapped_column(String(120))
    # What the reports read it as: "recommend" (a 0-10 question, NPS) or "satisfaction" (a
    # scale whose top two options are "satisfied", CSAT); None for the rest.
    role: Mapped[str | None] = mapped_column(String(16))

    version: Mapped[ScriptVersion] = relationship(back_populates="questions")
    options: Mapped[list[AnswerOption]] = relationship(
        back_populates="question", cascade="all, delete-orphan", order_by="AnswerOption.position"
    )


class AnswerOption(db.Model):
    __tablename__ = "script_options"
    __table_args__ = (UniqueConstraint("question_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("script_questions.id"), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False)
    key: Mapped[str] = mapped_column(String(64), nullable=False)
    label: Mapped[str] = mapped_column(Text, nullable=False)
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal(0), nullable=False)
    # Consequences of ticking it.
    complaint_category: Mapped[str | None] = mapped_column(String(64))
    poaching: Mapped[bool] = mapped_column(default=False, nullable=False)
    repeat_repair: Mapped[bool] = mapped_column(default=False, nullable=False)
    comment_required: Mapped[bool] = mapped_column(default=False, nullable=False)

    question: Mapped[Question] = relationship(back_populates="options")


class PublishedVersionChanged(RuntimeError):
    """Raised on any attempt to change or delete part of a published script version."""


def _version_of(target) -> ScriptVersion | None:
    if isinstance(target, ScriptVersion):
        return target
    if isinstance(target, Question):
        return target.version
    if isinstance(target, AnswerOption):
        return target.question.version if target.question is not None else None
    return None


def _published_in_database(session, version: ScriptVersion, cache: dict) -> bool:
    """Whether the stored row is published: the database, not the session, is the judge."""
    if version.id is None:
        return False
    if version.id not in cache:
        with session.no_autoflush:
            cache[version.id] = (
                session.execute(
                    select(ScriptVersion.published_at).where(ScriptVersion.id == version.id)
                ).scalar()
                is not None
            )
    return cache[version.id]


@event.listens_for(Session, "before_flush")
def _freeze_published_versions(session, _flush_context, _instances):
    """A published version is immutable: refuse any flush that adds to, changes or deletes it.
    Stamping ``published_at`` on a draft is the one change allowed (that is publishing)."""
    published: dict[int, bool] = {}
    for obj in (*session.new, *session.dirty, *session.deleted):
        version = _version_of(obj)
        if version is None or not _published_in_database(session, version, published):
            continue
        if obj in session.new or obj in session.deleted or session.is_modified(obj):
            raise PublishedVersionChanged(f"script version {version.id} is published")
