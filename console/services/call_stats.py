"""Counts over the call list for the operator's start page and the supervisor's board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, case, func, or_, select

from console.extensions import db
from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    Client,
    OperatorPause,
    Role,
    TaskStatus,
    User,
    utcnow,
)
from console.models.base import UTCDateTime

REACHED = (
    CallOutcome.COMPLETED,
    CallOutcome.REFUSED,
    CallOutcome.CALLBACK,
    CallOutcome.DO_NOT_CALL,
)


@dataclass
class OperatorToday:
    calls: int
    reached: int
    completed: int
    average_handle_seconds: float | None


def start_of_local_day(tz_name: str, now: datetime | None = None) -> datetime:
    now = now or utcnow()
    local = now.astimezone(ZoneInfo(tz_name))
    return local.replace(hour=0, minute=0, second=0, microsecond=0)


def operator_today(user: User, now: datetime | None = None) -> OperatorToday:
    """Today's attempts of this operator, counted in one pass over one indexed read."""
    since = start_of_local_day(user.timezone, now)
    rows = db.session.execute(_today_statement(), {"user_id": user.id, "since": since}).all()
    durations = [
        (end - start).total_seconds()
        for outcome, start, end in rows
        if outcome == CallOutcome.COMPLETED and end is not None
    ]
    return OperatorToday(
        calls=len(rows),
        reached=sum(1 for outcome, _, _ in rows if outcome in REACHED),
        completed=sum(1 for outcome, _, _ in rows if outcome == CallOutcome.COMPLETED),
        average_handle_seconds=sum(durations) / len(durations) if durations else None,
    )


@cache
def _today_statement():
    """Built once: it runs on every call screen."""
    return select(CallAttempt.outcome, CallAttempt.started_at, CallAttempt.ended_at).where(
        CallAttempt.operator_id == bindparam("user_id"),
        CallAttempt.started_at >= bindparam("since", type_=UTCDateTime()),
    )


@dataclass
class QueueLine:
    client: Client
    due_now: int
    due_today: int
    callbacks_due: int


def queue_summary(user: User | None = None, now: datetime | None = None) -> dict:
    """Pending tasks due now, the rest of today, and due callbacks (the user's own first)."""
    now = now or utcnow()
    tz = user.timezone if user is not None else "UTC"
    end_of_day = start_of_local_day(tz, now) + timedelta(days=1)
    pending = CallTask.status == TaskStatus.PENDING
    due_now = db.session.scalar(select(func.count()).where(pending, CallTask.due_at <= now))
    due_today = db.session.scalar(
        select(func.count()).where(pending, CallTask.due_at > now, CallTask.due_at < end_of_day)
    )
    callbacks = CallTask.is_callback.is_(True)
    visible = (
        or_(CallTask.callback_user_id.is_(None), CallTask.callback_user_id == user.id)
        if user is not None
        else True
    )
    callbacks_due = db.session.scalar(
        select(func.count()).where(pending, callbacks, CallTask.due_at <= now, visible)
    )
    mine = 0
    if user is not None:
        mine = db.session.scalar(
            select(func.count()).where(
                pending, callbacks, CallTask.due_at <= now, CallTask.callback_user_id == user.id
            )
        )
    return {
        "due_now": due_now,
        "due_today": due_today,
        "callbacks_due": callbacks_due,
        "my_callbacks_due": mine,
    }


def queue_by_client(now: datetime | None = None) -> list[QueueLine]:
    now = now or utcnow()
    end_of_day = now + timedelta(days=1)
    pending = CallTask.status == TaskStatus.PENDING
    rows = db.session.execute(
        select(
            Client,
            func.sum(case((CallTask.due_at <= now, 1), else_=0)),
            func.sum(case((CallTask.due_at <= end_of_day, 1), else_=0)),
            func.sum(case(((CallTask.due_at <= now) & CallTask.is_callback, 1), else_=0)),
        )
        .join(CallTask, (CallTask.client_id == Client.id) & pending, isouter=True)
        .where(Client.active.is_(True))
        .group_by(Client.id)
        .order_by(Client.name)
    ).all()
    return [QueueLine(c, a or 0, b or 0, d or 0) for c, a, b, d in rows]


@dataclass
class OperatorState:
    user: User
    state: str  # on_call | paused | idle
    since: datetime | None
    detail: object | None  # the pause reason
    now: datetime | None = None

    @property
    def minutes(self) -> int | None:
        """Time in this state, in whole minutes."""
        if self.since is None or self.now is None:
            return None
        return int((self.now - self.since).total_seconds() // 60)


def operator_states(now: datetime | None = None) -> list[OperatorState]:
    now = now or utcnow()
    operators = db.session.scalars(
        select(User).where(User.role == Role.OPERATOR, User.active.is_(True)).order_by(User.name)
    ).all()
    held = {
        t.held_by_id: t
        for t in db.session.scalars(
            select(CallTask).where(
                CallTask.status == TaskStatus.HELD, CallTask.lease_expires_at > now
            )
        )
    }
    pauses = {
        p.user_id: p
        for p in db.session.scalars(select(OperatorPause).where(OperatorPause.ended_at.is_(None)))
    }
    # Idle since the end of the last call or pause.
    last_call = dict(
        db.session.execute(
            select(CallAttempt.operator_id, func.max(CallAttempt.ended_at)).group_by(
                CallAttempt.operator_id
            )
        ).all()
    )
    last_pause = dict(
        db.session.execute(
            select(OperatorPause.user_id, func.max(OperatorPause.ended_at)).group_by(
                OperatorPause.user_id
            )
        ).all()
    )
    states = []
    for user in operators:
        if user.id in held:
            states.append(OperatorState(user, "on_call", held[user.id].claimed_at, None, now))
        elif user.id in pauses:
            p = pauses[user.id]
            states.append(OperatorState(user, "paused", p.started_at, p.reason, now))
        else:
            ends = [t for t in (last_call.get(user.id), last_pause.get(user.id)) if t]
            states.append(OperatorState(user, "idle", max(ends) if ends else None, None, now))
    return states


def callbacks_due(user: User, now: datetime | None = None, limit: int = 8) -> list[CallTask]:
    """Callbacks due by the end of the operator's day that they may take: theirs first."""
    now = now or utcnow()
    end_of_day = start_of_local_day(user.timezone, now) + timedelta(days=1)
    return db.session.scalars(
        select(CallTask)
        .where(
            CallTask.status == TaskStatus.PENDING,
            CallTask.is_callback.is_(True),
            CallTask.due_at < end_of_day,
            or_(CallTask.callback_user_id.is_(None), CallTask.callback_user_id == user.id),
        )
        .order_by(case((CallTask.callback_user_id == user.id, 0), else_=1), CallTask.due_at)
        .limit(limit)
    ).all()
