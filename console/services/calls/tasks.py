"""The call list at work: claiming the next call under a lease, autosaving answers, recording
outcomes, and submitting a completed call.

Claiming is the one place where two operators race for the same row. It runs in its own
transaction: on PostgreSQL the candidate row is locked with ``FOR UPDATE SKIP LOCKED`` (a second
operator skips it and takes the next); on SQLite the transaction starts with ``BEGIN IMMEDIATE``
(writers queue up instead of both reading the same free row). Each claim mints a lease token and
a submit key; saving and submitting check the token, and the submit key is unique on
``responses``, so a replayed or double-clicked submit saves exactly once.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import (
    Integer,
    Select,
    and_,
    bindparam,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm.attributes import set_committed_value

from console.database import is_sqlite, retried_when_deadlocked, unit_of_work
from console.extensions import db
from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    Client,
    TaskStatus,
    User,
    utcnow,
)
from console.models.base import UTCDateTime
from console.services import audit, customers

TEMPORARY = (CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.VOICEMAIL)
FINAL = (CallOutcome.WRONG_NUMBER, CallOutcome.REFUSED, CallOutcome.DO_NOT_CALL)


class LeaseLost(Exception):
    """The task is no longer held by this operator under this token (expired and taken over,
    or already finished): their change is refused so it cannot overwrite the new holder's."""


class NotHeld(Exception):
    """The operator does not hold this task (never claimed it): 403."""


def lease_length() -> timedelta:
    return timedelta(seconds=current_app.config["CALL_LEASE_SECONDS"])


def _core(statement, params: dict | None = None):
    """Run a statement of plain columns on the session's connection, in its transaction, past
    the ORM's per-statement work: no objects come back, and nothing pending needs flushing
    first (the claim changes loaded objects only through ``set_committed_value``)."""
    return db.session.connection().execute(statement, params or {})


# --- calling hours -------------------------------------------------------------------------


def within_calling_hours(client: Client, now: datetime) -> bool:
    """Inside the client's local calling hours; equal start and end mean round the clock, and
    an end before the start means the hours run past midnight."""
    start, end = client.calling_hours_start, client.calling_hours_end
    local = now.astimezone(ZoneInfo(client.timezone)).time()
    if start == end:
        return True
    if start < end:
        return start <= local < end
    return local >= start or local < end


def open_client_ids(now: datetime) -> list[int]:
    """Clients whose customers may be called now (their local calling hours). Reads only the
    columns that decide it: this runs on every claim."""
    rows = _core(_open_clients_statement()).all()
    return [row.id for row in rows if within_calling_hours(row, now)]


@cache
def _open_clients_statement():
    return select(
        Client.id, Client.timezone, Client.calling_hours_start, Client.calling_hours_end
    ).where(Client.active.is_(True))


# --- claiming ------------------------------------------------------------------------------


# The claim runs hundreds of times an hour per operator: its statements are built once per
# process with bound parameters (now, user_id, open_ids), so a claim only binds and executes.
_NOW = bindparam("now", type_=UTCDateTime())
_USER = bindparam("user_id", type_=Integer())
_OPEN = bindparam("open_ids", expanding=True)


def held_task(user: User, now: datetime | None = None) -> CallTask | None:
    """The task this operator holds under a live lease, if any (at most one)."""
    params = {"user_id": user.id, "now": now or utcnow()}
    return db.session.scalar(
        select(CallTask).where(CallTask.id == _held_statement().limit(1).scalar_subquery()),
        params,
    )


@cache
def _lock_operator_statement():
    return select(User.id).where(User.id == _USER).with_for_update()


@cache
def _held_statement():
    """The id of the task an operator holds under a live lease: the claim reads only this."""
    return select(CallTask.id).where(
        CallTask.held_by_id == _USER,
        CallTask.status == TaskStatus.HELD,
        CallTask.lease_expires_at > _NOW,
    )


@cache
def _candidates() -> tuple:
    """Queries for the next task, in priority order: my "only me" callbacks, then callbacks for
    anyone, then tasks whose lease ran out, then the oldest due task (DOMAIN rules, issue 4)."""
    due = and_(
        CallTask.status == TaskStatus.PENDING,
        CallTask.due_at <= _NOW,
        CallTask.client_id.in_(_OPEN),
    )
    order = (CallTask.due_at, CallTask.id)
    return (
        select(CallTask.id)
        .where(due, CallTask.is_callback.is_(True), CallTask.callback_user_id == _USER)
        .order_by(*order),
        select(CallTask.id)
        .where(due, CallTask.is_callback.is_(True), CallTask.callback_user_id.is_(None))
        .order_by(*order),
        select(CallTask.id)
        .where(
            CallTask.status == TaskStatus.HELD,
            CallTask.lease_expires_at <= _NOW,
            CallTask.client_id.in_(_OPEN),
            or_(CallTask.callback_user_id.is_(None), CallTask.callback_user_id == _USER),
        )
        .order_by(*order),
        select(CallTask.id).where(due, CallTask.callback_user_id.is_(None)).order_by(*order),
    )


EXPIRED_LEASES = 2  # the position of the "lease ran out" query in _candidates()


@cache
def _first_by_priority() -> Select:
    """(priority, task id) of the first candidate of the highest priority, in one statement."""
    parts = [
        select(literal(priority).label("priority"), sub.c.id)
        for priority, query in enumerate(_candidates())
        for sub in [query.limit(1).subquery()]
    ]
    return union_all(*parts).order_by(literal_column("priority")).limit(1)


@cache
def _take_statement():
    """On the table, not the mapped class: the ORM's bulk-update machinery would cost more
    than the update itself, and the task is read back whole right after."""
    tasks = CallTask.__table__.c
    return (
        update(CallTask.__table__)
        .where(
            tasks.id == bindparam("task_id"),
            or_(
                tasks.status == TaskStatus.PENDING,
                and_(tasks.status == TaskStatus.HELD, tasks.lease_expires_at <= _NOW),
            ),
        )
        .values(_take_values())
    )


def _take_values() -> dict:
    return {
        "status": TaskStatus.HELD,
        "held_by_id": _USER,
        "lease_token": bindparam("token"),
        "lease_expires_at": bindparam("expires", type_=UTCDateTime()),
        "claimed_at": _NOW,
        "submit_key": bindparam("submit_key"),
    }


@cache
def _script_statement():
    tasks = CallTask.__table__.c
    return (
        update(CallTask.__table__)
        .where(tasks.id == bindparam("task_id"))
        .values(script_version_id=bindparam("version_id"))
    )


@retried_when_deadlocked
def claim_next_call(user: User, now: datetime | None = None) -> CallTask | None:
    """Hand this operator their next call, or None when nothing is due. Commits.

    An operator who already holds a task gets that task back (reload, second tab).
    """
    now = now or utcnow()
    # Everything the claim decides on is read by query under the lock, and the task it takes is
    # read back after the update: what stays loaded is what was committed, ready for the screen.
    with unit_of_work(keep_loaded=True):
        if not is_sqlite():
            # One claim per operator at a time: a second tab's or a double click's claim waits
            # here, then finds the task the first one took (SQLite: the write lock does this).
            _core(_lock_operator_statement(), {"user_id": user.id})
        held = _core(_held_statement(), {"user_id": user.id, "now": now}).scalar()
        if held is not None:
            return load_for_screen(held)
        open_ids = open_client_ids(now)
        if not open_ids:
            return None
        params = {"now": now, "user_id": user.id, "open_ids": open_ids}
        if is_sqlite():
            # The write lock is already ours (BEGIN IMMEDIATE): one read finds the best candidate.
            found = _core(_first_by_priority(), params).first()
            if found is not None:
                return _take(found[1], user, now, was_held=found[0] == EXPIRED_LEASES)
            return None
        # PostgreSQL: one round trip picks the best candidate, locks it (skipping rows other
        # claims hold) and takes it.
        taken = _core(_pick_and_take_statement(), params | _lease_values(now)).first()
        if taken is not None:
            return _taken(taken.id, user, now, was_held=taken.status == TaskStatus.HELD)
    return None


def _lease_values(now: datetime) -> dict:
    return {
        "token": secrets.token_urlsafe(24),
        "expires": now + lease_length(),
        "submit_key": secrets.token_urlsafe(24),
    }


def _take(task_id: int, user: User, now: datetime, *, was_held: bool) -> CallTask | None:
    params = {"task_id": task_id, "now": now, "user_id": user.id} | _lease_values(now)
    if _core(_take_statement(), params).rowcount != 1:
        return None
    return _taken(task_id, user, now, was_held=was_held)


@cache
def _pick_and_take_statement():
    """PostgreSQL: ``UPDATE ... WHERE id = (SELECT ... FOR UPDATE SKIP LOCKED) RETURNING``, the
    candidate queries in priority order inside one COALESCE (PostgreSQL evaluates its arguments
    only until one is not null, so a lower queue is only searched when the ones above are
    empty). Returns the task's id and the status it had (held: a lease that ran out)."""
    tasks = CallTask.__table__
    first = [q.limit(1).with_for_update(skip_locked=True).scalar_subquery() for q in _candidates()]
    picked = select(tasks.c.id, tasks.c.status).where(tasks.c.id == func.coalesce(*first))
    picked = picked.cte("picked")
    return (
        update(tasks)
        .where(tasks.c.id == picked.c.id)
        .values(_take_values())
        .returning(tasks.c.id, picked.c.status)
    )


def _taken(task_id: int, user: User, now: datetime, *, was_held: bool) -> CallTask:
    """After the update that took the task: read it for the screen, end a previous holder's
    attempt, fix its script, start this operator's attempt."""
    # Loaded with everything the call screen shows: the claim's answer is usually that screen.
    task = load_for_screen(task_id, fresh=True)
    if was_held:
        # A previous holder's attempt that was never finished ends where their lease ended.
        for attempt in db.session.scalars(
            select(CallAttempt).where(
                CallAttempt.task_id == task_id, CallAttempt.ended_at.is_(None)
            )
        ):
            attempt.ended_at = now
    if task.script_version_id is None:
        from console.services.scripts.library import select_for

        script = select_for(task.order)
        if script is not None:
            # The script of this call from now on, written straight to the row and set on the
            # loaded task as it now is in the database (no unit-of-work flush on the hot path).
            version = script.current_version
            _core(_script_statement(), {"task_id": task_id, "version_id": version.id})
            set_committed_value(task, "script_version_id", version.id)
            set_committed_value(task, "script_version", version)
    _core(_attempt_statement(), {"task_id": task_id, "user_id": user.id, "now": now})
    return task


@cache
def _attempt_statement():
    return insert(CallAttempt.__table__).values(
        task_id=bindparam("task_id"), operator_id=_USER, started_at=_NOW
    )


# --- holding -------------------------------------------------------------------------------


@cache
def _screen_statement():
    """The task with everything the call screen shows of it, as entities of one row: far
    cheaper for the ORM than the same joins as eager-load options."""
    from console.models import CallScript, Customer, Order, ScriptVersion, Technician, WorkType

    return (
        select(CallTask, Order, WorkType, Technician, Client, Customer, ScriptVersion, CallScript)
        .join(Order, Order.id == CallTask.order_id)
        .join(WorkType, WorkType.id == Order.work_type_id)
        .outerjoin(Technician, Technician.id == Order.technician_id)
        .join(Client, Client.id == CallTask.client_id)
        .join(Customer, Customer.id == CallTask.customer_id)
        .outerjoin(ScriptVersion, ScriptVersion.id == CallTask.script_version_id)
        .outerjoin(CallScript, CallScript.id == ScriptVersion.script_id)
        .where(CallTask.id == bindparam("task_id"))
    )


@cache
def _phones_statement():
    from console.models import CustomerPhone

    return (
        select(CustomerPhone)
        .where(CustomerPhone.customer_id == bindparam("customer_id"))
        .order_by(CustomerPhone.is_primary.desc(), CustomerPhone.id)
    )


def load_for_screen(task_id: int, *, fresh: bool = False) -> CallTask | None:
    """The task with its order, work type, technician, client, customer, phones and script
    version loaded and linked (two statements). ``fresh``: overwrite what the session already
    holds of these rows (after an update that went around it)."""
    options = {"populate_existing": True} if fresh else {}
    row = db.session.execute(
        _screen_statement(), {"task_id": task_id}, execution_options=options
    ).first()
    if row is None:
        return None
    task, order, work_type, technician, client, customer, version, script = row
    set_committed_value(order, "work_type", work_type)
    set_committed_value(order, "technician", technician)
    set_committed_value(task, "order", order)
    set_committed_value(task, "client", client)
    set_committed_value(task, "customer", customer)
    set_committed_value(task, "script_version", version)
    if version is not None:
        set_committed_value(version, "script", script)
    phones = db.session.scalars(
        _phones_statement(), {"customer_id": customer.id}, execution_options=options
    ).all()
    set_committed_value(customer, "phones", phones)
    return task


def lock_task(task_id: int) -> CallTask | None:
    """The task as committed, its row locked until this transaction ends, so the changes to one
    call (a save, an outcome, a submit) happen one after another (PostgreSQL; on SQLite the
    request's write transaction already serializes them)."""
    return db.session.get(CallTask, task_id, with_for_update=True, populate_existing=True)


def task_for(user: User, task_id: int, *, for_screen: bool = False) -> CallTask:
    """The task, if this operator holds it (or held it and nobody took it over): else NotHeld.
    To change it (``for_screen`` false), its row is locked: see ``lock_task``."""
    task = load_for_screen(task_id) if for_screen else lock_task(task_id)
    if task is None or task.held_by_id != user.id:
        raise NotHeld()
    return task


def check_lease(task: CallTask, user: User, token: str, now: datetime) -> None:
    if task.status != TaskStatus.HELD or task.held_by_id != user.id or task.lease_token != token:
        raise LeaseLost()
    # An expired lease nobody took over is still this operator's: a slow connection is not a
    # reason to lose the call.


def renew_lease(task: CallTask, user: User, token: str, now: datetime | None = None) -> datetime:
    now = now or utcnow()
    check_lease(task, user, token, now)
    task.lease_expires_at = now + lease_length()
    return task.lease_expires_at


def save_draft(
    task: CallTask, user: User, token: str, answers: dict, seq: int, now: datetime | None = None
) -> bool:
    """Keep the answers ticked so far. ``seq`` grows with every change on the page, so a late,
    out-of-order request cannot overwrite a newer one. Returns whether it was stored."""
    now = now or utcnow()
    check_lease(task, user, token, now)
    task.lease_expires_at = now + lease_length()
    if task.draft and task.draft.get("seq", -1) >= seq:
        return False
    task.draft = {"seq": seq, "answers": answers}
    task.draft_saved_at = now
    return True


# --- outcomes ------------------------------------------------------------------------------


def _open_attempt(task: CallTask, user: User) -> CallAttempt | None:
    return db.session.scalar(
        select(CallAttempt).where(
            CallAttempt.task_id == task.id,
            CallAttempt.operator_id == user.id,
            CallAttempt.ended_at.is_(None),
        )
    )


def _release(task: CallTask) -> None:
    task.held_by_id = None
    task.lease_token = None
    task.lease_expires_at = None


def record_outcome(
    task: CallTask,
    user: User,
    token: str,
    outcome: CallOutcome,
    *,
    callback_at: datetime | None = None,
    only_me: bool = False,
    note: str | None = None,
    now: datetime | None = None,
) -> None:
    """A call that did not complete the survey. Temporary outcomes retry later, up to the
    maximum attempts; wrong number, refusal and do-not-call are final; a callback comes back at
    the time the customer asked, for this operator only or for anyone."""
    now = now or utcnow()
    check_lease(task, user, token, now)
    if outcome == CallOutcome.COMPLETED:
        raise ValueError("a completed call is submitted with its answers")
    attempt = _open_attempt(task, user) or CallAttempt(
        task=task, operator_id=user.id, started_at=now
    )
    attempt.ended_at = now
    attempt.outcome = outcome
    attempt.note = note
    db.session.add(attempt)
    task.attempts += 1
    _release(task)
    config = current_app.config
    if outcome in TEMPORARY:
        if task.attempts >= task.max_attempts:
            close_task(task, CallOutcome.UNREACHABLE, now)
        else:
            task.status = TaskStatus.PENDING
            task.is_callback = False
            task.callback_user_id = None
            task.due_at = now + timedelta(minutes=config["CALL_RETRY_MINUTES"][outcome.value])
    elif outcome == CallOutcome.CALLBACK:
        if callback_at is None or callback_at <= now:
            raise ValueError("a callback needs a time in the future")
        attempt.callback_at = callback_at
        task.status = TaskStatus.PENDING
        task.due_at = callback_at
        task.is_callback = True
        task.callback_user_id = user.id if only_me else None
    elif outcome in FINAL:
        close_task(task, outcome, now)
        if outcome == CallOutcome.DO_NOT_CALL:
            _mark_do_not_call(task, user, now)
    audit.record(
        "call.outcome",
        actor=user,
        entity=task,
        details={"outcome": outcome.value, "attempts": task.attempts},
    )


def close_task(task: CallTask, outcome: CallOutcome, now: datetime) -> None:
    task.status = TaskStatus.DONE
    task.outcome = outcome
    task.closed_at = now
    _release(task)


def _mark_do_not_call(task: CallTask, user: User, now: datetime) -> None:
    customer = task.customer
    customer.do_not_call = True
    customer.do_not_call_at = now
    db.session.execute(
        update(CallTask)
        .where(
            CallTask.customer_id == customer.id,
            CallTask.id != task.id,
            CallTask.status == TaskStatus.PENDING,
        )
        .values(status=TaskStatus.DONE, outcome=CallOutcome.CANCELLED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    audit.record("customer.do_not_call", actor=user, entity=customer)


def next_opening(client: Client, now: datetime) -> datetime:
    """When the client's calling hours next open (now, if they are open)."""
    if within_calling_hours(client, now):
        return now
    zone = ZoneInfo(client.timezone)
    local = now.astimezone(zone)
    opening = local.replace(
        hour=client.calling_hours_start.hour,
        minute=client.calling_hours_start.minute,
        second=0,
        microsecond=0,
    )
    if opening <= local:
        opening += timedelta(days=1)
    return opening.astimezone(now.tzinfo)


def next_due_at(user: User, now: datetime | None = None) -> datetime | None:
    """When this operator can next get a call: the next task falling due, or the next opening
    of calling hours for a client whose calls are waiting ("No calls due now; next at 09:00")."""
    now = now or utcnow()
    mine = or_(CallTask.callback_user_id.is_(None), CallTask.callback_user_id == user.id)
    # Per client, the earliest pending task: an index seek each (ix_call_tasks_client_status_due).
    earliest = (
        select(func.min(CallTask.due_at))
        .where(CallTask.client_id == Client.id, CallTask.status == TaskStatus.PENDING, mine)
        .scalar_subquery()
    )
    rows = db.session.execute(select(Client, earliest).where(Client.active.is_(True))).all()
    times = [next_opening(client, max(due, now)) for client, due in rows if due is not None]
    return min(times, default=None)


@dataclass(frozen=True)
class CallHistory:
    """What the call screen shows of the customer's past: counts, and the latest few."""

    calls: int
    complaints: int
    orders: int
    latest_calls: list = field(default_factory=list)  # attempts: started_at, outcome, note
    latest_complaints: list = field(default_factory=list)  # complaints: id, category, status...


def customer_history(task: CallTask, *, latest: int = 3) -> CallHistory:
    """Earlier calls (each phone call made) and complaints of this customer, for the left
    column of the call screen (``customers.customer_history``, brief)."""
    found = customers.customer_history(task.customer_id, limit=latest, brief=True)
    return CallHistory(
        found.attempt_count,
        found.complaint_count,
        found.order_count,
        found.attempts,
        found.complaints,
    )
