"""An operator's pause state (break, training, technical problem), recorded with its times."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from console.extensions import db
from console.models import OperatorPause, PauseReason, User, utcnow
from console.services import audit


def current_pause(user: User) -> OperatorPause | None:
    return db.session.scalar(
        select(OperatorPause).where(
            OperatorPause.user_id == user.id, OperatorPause.ended_at.is_(None)
        )
    )


def is_paused(user: User) -> bool:
    """Whether the operator is on a pause (read by every "Next call": one indexed column)."""
    return (
        db.session.scalar(
            select(OperatorPause.id)
            .where(OperatorPause.user_id == user.id, OperatorPause.ended_at.is_(None))
            .limit(1)
        )
        is not None
    )


def pause(user: User, reason: PauseReason, now: datetime | None = None) -> OperatorPause:
    """Start a pause (ending any other one first: one reason at a time)."""
    now = now or utcnow()
    ongoing = current_pause(user)
    if ongoing is not None:
        if ongoing.reason == reason:
            return ongoing
        ongoing.ended_at = now
    record = OperatorPause(user_id=user.id, reason=reason, started_at=now)
    db.session.add(record)
    audit.record("operator.paused", actor=user, entity=user, details={"reason": reason.value})
    return record


def resume(user: User, now: datetime | None = None) -> OperatorPause | None:
    ongoing = current_pause(user)
    if ongoing is not None:
        ongoing.ended_at = now or utcnow()
        audit.record(
            "operator.resumed", actor=user, entity=user, details={"reason": ongoing.reason.value}
        )
    return ongoing
