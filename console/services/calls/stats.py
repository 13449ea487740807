"""Counts over the call list for the operator's start page and the supervisor's board."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, case, func, select

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
    UserSession,
    utcnow,
)
from console.models.base import UTCDateTime
from console.services import calling_hours
from console.services.calls import tasks as calls

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
    """Today's attempts of this operator (their own local day), counted by the database in one
    indexed read: the call screen shows them on every call."""
    since = start_of_local_day(user.timezone, now)
    statement = _today_statement(db.session.get_bind().dialect.name)
    calls, reached, completed, average = db.session.execute(
        statement, {"user_id": user.id, "since": since}
    ).one()
    return OperatorToday(
        calls=calls,
        reached=reached,
        completed=completed,
        # Whole tenths: SQLite measures the time between two timestamps in fractions of a day.
        average_handle_seconds=round(float(average), 1) if average is not None else None,
    )


@cache
def _today_statement(dialect: str):
    """Counts, and the average length of the completed calls. Built once per database kind,
    with parameters: the call screen runs it on every call, and building it per call more
    than doubled its cost (0.26 ms -> 0.61 ms of CPU per screen, measured with the claim +
    render bench)."""
    attempts = CallAttempt.__table__.c
    if dialect == "sqlite":
        seconds = (func.julianday(attempts.ended_at) - func.julianday(attempts.started_at)) * 86400
    else:
        seconds = func.extract("epoch", attempts.ended_at - attempts.started_at)
    completed = attempts.outcome == CallOutcome.COMPLETED
    return select(
        func.count(),
        func.count().filter(attempts.outcome.in_(REACHED)),
        func.count().filter(completed),
        func.avg(seconds).filter(completed, attempts.ended_at.is_not(None)),
    ).where(
        attempts.operator_id == bindparam("user_id"),
        attempts.started_at >= bindparam("since", type_=UTCDateTime()),
    )


@dataclass
class QueueLine:
    client: Client
    due_now: int
    due_today: int
    callbacks_due: int


def queue_summary(user: User | None = None, now: datetime | None = None) -> dict:
    """Pending tasks due now, the rest of today, and due callbacks (the user's own first).

    "Due now" is the claim's rule (``tasks.due_now``): a client outside its calling hours has
    none due now, and an operator does not count callbacks only a colleague may make."""
    now = now or utcnow()
    tz = user.timezone if user is not None else "UTC"
    end_of_day = start_of_local_day(tz, now) + timedelta(days=1)
    open_ids = calling_hours.open_client_ids(now)
    due = calls.due_now(now, open_ids)
    takeable = (calls.may_take(user.id),) if user is not None else ()
    due_now = db.session.scalar(select(func.count()).where(*due, *takeable))
    pending = CallTask.status == TaskStatus.PENDING
    due_today = db.session.scalar(
        select(func.count()).where(pending, CallTask.due_at > now, CallTask.due_at < end_of_day)
    )
    # Callbacks for anyone and the user's own, counted apart: each an index range
    # (ix_call_tasks_callback_claim), where "anyone's or mine" would read every pending task.
    due_callbacks = and_(*due, CallTask.is_callback.is_(True))
    for_anyone = db.session.scalar(
        select(func.count()).where(due_callbacks, CallTask.callback_user_id.is_(None))
    )
    # An operator sees their own besides; a supervisor (no user) everybody's.
    owner = (
        CallTask.callback_user_id == user.id
        if user is not None
        else CallTask.callback_user_id.is_not(None)
    )
    owned = db.session.scalar(select(func.count()).where(due_callbacks, owner))
    return {
        "due_now": due_now,
        "due_today": due_today,
        "callbacks_due": for_anyone + owned,
        "my_callbacks_due": owned if user is not None else 0,
    }


def queue_by_client(now: datetime | None = None) -> list[QueueLine]:
    """Per active client: calls due now (the claim's rule, ``tasks.due_now``: none while the
    client is outside its calling hours), due within a day, and callbacks due now."""
    now = now or utcnow()
    end_of_day = now + timedelta(days=1)
    pending = CallTask.status == TaskStatus.PENDING
    due = and_(*calls.due_now(now, calling_hours.open_client_ids(now)))
    rows = db.session.execute(
        select(
            Client,
            func.sum(case((due, 1), else_=0)),
            func.sum(case((CallTask.due_at <= end_of_day, 1), else_=0)),
            func.sum(case((due & CallTask.is_callback, 1), else_=0)),
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
    state: str  # on_call | paused | idle | offline (signed out, or their session expired)
    since: datetime | None
    detail: object | None  # the pause reason
    now: datetime | None = None

    @property
    def minutes(self) -> int | None:
        """Time in this state, in whole minutes."""
        if self.since is None or self.now is None:
            return None
        return int((self.now - self.since).total_seconds() // 60)


def operator_states(
    now: datetime | None = None, *, session_lifetime: timedelta = timedelta(hours=12)
) -> list[OperatorState]:
    """Each active operator's state now: on a call (a live lease), offline (no session that
    is still signed in: signed out, or unused for ``session_lifetime``, the app's
    ``PERMANENT_SESSION_LIFETIME``), paused, or idle since their last call or pause."""
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
    # Signed in: a session neither revoked nor expired. Offline since the end of the last one.
    live = UserSession.revoked_at.is_(None) & (UserSession.last_seen_at > now - session_lifetime)
    sessions = {
        user_id: (bool(signed_in), last_end)
        for user_id, signed_in, last_end in db.session.execute(
            select(
                UserSession.user_id,
                func.max(case((live, 1), else_=0)),
                func.max(func.coalesce(UserSession.revoked_at, UserSession.last_seen_at)),
            ).group_by(UserSession.user_id)
        )
    }
    states = []
    for user in operators:
        signed_in, signed_out_at = sessions.get(user.id, (False, None))
        if user.id in held:
            states.append(OperatorState(user, "on_call", held[user.id].claimed_at, None, now))
        elif not signed_in:
            states.append(OperatorState(user, "offline", signed_out_at, None, now))
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
    # Theirs, then anyone's: each an index range in due order (ix_call_tasks_callback_claim).
    found: list[CallTask] = []
    for owner in (CallTask.callback_user_id == user.id, CallTask.callback_user_id.is_(None)):
        found += db.session.scalars(
            select(CallTask)
            .where(
                CallTask.status == TaskStatus.PENDING,
                CallTask.is_callback.is_(True),
                owner,
                CallTask.due_at < end_of_day,
            )
            .order_by(CallTask.due_at)
            .limit(limit - len(found))
        ).all()
        if len(found) >= limit:
            break
    return found


def upcoming_callbacks(user: User, limit: int = 20) -> list[CallTask]:
    """The callbacks this operator arranged that are still to be made, due or not, soonest first:
    the waiting callback tasks whose callback time was set by one of their attempts (for them
    only, or for anyone)."""
    arranged = (
        select(CallAttempt.id)
        .where(
            CallAttempt.task_id == CallTask.id,
            CallAttempt.operator_id == user.id,
            CallAttempt.outcome == CallOutcome.CALLBACK,
            CallAttempt.callback_at == CallTask.due_at,
        )
        .exists()
    )
    return db.session.scalars(
        select(CallTask)
        .where(
            CallTask.status == TaskStatus.PENDING,
            CallTask.is_callback.is_(True),
            (CallTask.callback_user_id == user.id) | arranged,
        )
        .order_by(CallTask.due_at, CallTask.id)
        .limit(limit)
    ).all()
