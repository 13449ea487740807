"""Column types and helpers shared by all models."""

from __future__ import annotations

import enum
from datetime import UTC, datetime

from sqlalchemy import JSON, DateTime, Numeric, TypeDecorator
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from console.extensions import db


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """Timestamps are stored in UTC and always come back timezone-aware.

    SQLite has no time zones, so values are stored naive-UTC there and re-tagged on the way out;
    PostgreSQL gets ``timestamp with time zone``. A naive datetime handed in is a bug, not UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: pass an aware (UTC) datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# JSONB on PostgreSQL (indexable, compact), plain JSON text elsewhere.
JSONType = JSON().with_variant(JSONB(), "postgresql")

Money = Numeric(12, 2)


def enum_column(enum_cls: type[enum.Enum], **kw):
    """A string column holding an enum's value; portable and easy to migrate (no native ENUM)."""
    length = max(len(m.value) for m in enum_cls)
    return db.Enum(
        enum_cls,
        native_enum=False,
        length=max(length, 16),
        validate_strings=True,
        values_callable=lambda e: [m.value for m in e],
        **kw,
    )


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
