"""What a telephony provider reported about its calls, kept as it came (one row per call and
event, so a provider's retries change nothing) and attached to the console's call attempt."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import UTCDateTime


class CallEvent(db.Model):
    __tablename__ = "call_events"
    __table_args__ = (
        # Idempotent per (provider call id, event): a repeated delivery is recognised.
        UniqueConstraint("provider_call_id", "event"),
        Index("ix_call_events_attempt", "attempt_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_call_id: Mapped[str] = mapped_column(String(128), nullable=False)
    event: Mapped[str] = mapped_column(String(16), nullable=False)  # started, answered, ended
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # What the provider passed back from the call screen (the attempt's id), if anything.
    call_ref: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    duration_seconds: Mapped[int | None]
    recording_url: Mapped[str | None] = mapped_column(String(500))
    # The attempt it was matched to; None while no attempt fits (kept, matched by a later event).
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("call_attempts.id"))

    attempt = relationship("CallAttempt")
