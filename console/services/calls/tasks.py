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

from flask import current_app
from sqlalchemy import Integer, Select, bindparam, func, or_, select, update
from sqlalchemy.orm import joinedload

from console.database import is_sqlite, retried_when_deadlocked, unit_of_work
from console.extensions import db
from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    Client,
    Customer,
    Order,
    ScriptVersion,
    TaskStatus,
    User,
    utcnow,
)
from console.models.base import UTCDateTime
from console.services import audit, calling_hours, customers
from console.services.scripts.library import select_for

TEMPORARY = (CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.VOICEMAIL)
FINAL = (CallOutcome.WRONG_NUMBER, CallOutcome.REFUSED, CallOutcome.DO_NOT_CALL)


class LeaseLost(Exception):
    """The task is no longer held by this operator under this token (expired and taken over,
    or already finished): their change is refused so it cannot overwrite the new holder's."""


class NotHeld(Exception):
    """The operator does not hold this task (never claimed it): 403."""


def lease_length() -> timedelta:
    return timedelta(seconds=current_app.config["CALL_LEASE_SECONDS"])


# --- calling hours -------------------------------------------------------------------------


# --- claiming ------------------------------------------------------------------------------


def _holds(user_id: int, now: datetime) -> tuple:
    """The task an operator holds under a live lease (at most one: the claim sees to it)."""
    return (
        CallTask.held_by_id == user_id,
        CallTask.status == TaskStatus.HELD,
        CallTask.lease_expires_at > now,
    )


def held_task(user: User, now: datetime | None = None) -> CallTask | None:
    """The task this operator holds under a live lease, if any."""
    return db.session.scalars(select(CallTask).where(*_holds(user.id, now or utcnow()))).first()


def due_now(now, open_ids) -> tuple:
    """What "due now" means, for the claim and for every count of calls due now (the start
    page, the live board): waiting, due, and its client within calling hours now
    (``calling_hours.open_client_ids``). A task of a client outside its hours is not due now:
    "Next call" could not hand it out."""
    return (
        CallTask.status == TaskStatus.PENDING,
        CallTask.due_at <= now,
        CallTask.client_id.in_(open_ids),
    )


def may_take(user_id) -> object:
    """Whose waiting tasks an operator may take: anyone's, and callbacks only they may make."""
    return or_(CallTask.callback_user_id.is_(None), CallTask.callback_user_id == user_id)


def _queues(user_id, now, open_ids) -> list[tuple]:
    """Where the next task comes from, in priority order: my "only me" callbacks, then
    callbacks for anyone, then tasks whose lease ran out, then the oldest due task (DOMAIN
    rules, issue 4). Each is an index range read in due order (``ix_call_tasks_callback_claim``,
    ``ix_call_tasks_claim``)."""
    open_now = CallTask.client_id.in_(open_ids)
    due = due_now(now, open_ids)
    anyones = CallTask.callback_user_id.is_(None)
    return [
        (*due, CallTask.is_callback.is_(True), CallTask.callback_user_id == user_id),
        (*due, CallTask.is_callback.is_(True), anyones),
        (
            CallTask.status == TaskStatus.HELD,
            CallTask.lease_expires_at <= now,
            open_now,
            or_(anyones, CallTask.callback_user_id == user_id),
        ),
        (*due, anyones),
    ]


@cache
def _next_in_line() -> Select:
    """The id of the task to take: the first of each queue, in due order, and of those the one
    of the highest priority (COALESCE: the database reads a queue only when the ones before it
    are empty). PostgreSQL locks the row it picks and skips rows that other claims have locked,
    so two operators never wait on, or take, the same task; SQLite leaves FOR UPDATE out and
    needs none (one writer at a time).

    Built once, with parameters, instead of per claim: building it cost 0.8 ms of CPU, as much
    as running all the claim's reads (measured with the claim + render bench on SQLite: the
    claim 5.9 -> 4.9 ms, the whole "Next call" request 15.1 -> 14.0 ms)."""
    firsts = [
        select(CallTask.id)
        .where(*criteria)
        .order_by(CallTask.due_at, CallTask.id)
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
        for criteria in _queues(
            bindparam("user_id", type_=Integer()),
            bindparam("now", type_=UTCDateTime()),
            bindparam("open_ids", expanding=True),
        )
    ]
    return select(func.coalesce(*firsts))


@retried_when_deadlocked
def claim_next_call(user: User, now: datetime | None = None) -> CallTask | None:
    """Hand this operator their next call, or None when nothing is due. Commits.

    An operator who already holds a task gets that task back (reload, second tab).
    """
    now = now or utcnow()
    # Everything the claim decides on is read by query under the locks, and its writes go
    # through the session: what stays loaded after the commit is what was committed, ready for
    # the screen.
    with unit_of_work(keep_loaded=True):
        if not is_sqlite():
            # Lock order: the operator's row, then the task's. One claim per operator at a
            # time: a second tab's or a double click's claim waits here, then finds the task
            # the first one took (the next statement sees what committed meanwhile). SQLite's
            # write lock, taken at BEGIN IMMEDIATE, already queues every claim.
            db.session.execute(select(User.id).where(User.id == user.id).with_for_update())
        # Ids only: the task is then loaded once, with everything the call screen shows.
        held = db.session.scalar(select(CallTask.id).where(*_holds(user.id, now)))
        if held is not None:
            return load_for_screen(held)
        open_ids = calling_hours.open_client_ids(now)
        if not open_ids:
            return None
        found = db.session.scalar(
            _next_in_line(), {"user_id": user.id, "now": now, "open_ids": open_ids}
        )
        if found is not None:
            return _take(load_for_screen(found, fresh=True), user, now)
    return None


def _take(task: CallTask, user: User, now: datetime) -> CallTask:
    """Put the task under this operator's lease: a new token and submit key, the script it is
    called with fixed at the first claim, a previous holder's unfinished attempt ended, and
    this operator's attempt started. The changes reach the database in one flush, at commit."""
    if task.status == TaskStatus.HELD:
        # A lease that ran out: the previous holder's attempt, never finished, ends now.
        for attempt in db.session.scalars(
            select(CallAttempt).where(
                CallAttempt.task_id == task.id, CallAttempt.ended_at.is_(None)
            )
        ):
            attempt.ended_at = now
    if task.script_version_id is None:
        # The script of this call from now on: edits published during the call affect only
        # later calls.
        script = select_for(task.order)
        if script is not None:
            task.script_version = script.current_version
    task.status = TaskStatus.HELD
    task.held_by_id = user.id
    task.lease_token = secrets.token_urlsafe(24)
    task.lease_expires_at = now + lease_length()
    task.claimed_at = now
    task.submit_key = secrets.token_urlsafe(24)
    db.session.add(CallAttempt(task_id=task.id, operator_id=user.id, started_at=now))
    return task


# --- holding -------------------------------------------------------------------------------


# What the call screen shows of a task: its order with the work type and technician, the client,
# the customer and phones, the script version and its script. (Loader options hold no values:
# one set serves every query.)
_SCREEN = (
    joinedload(CallTask.order).joinedload(Order.work_type),
    joinedload(CallTask.order).joinedload(Order.technician),
    joinedload(CallTask.client),
    joinedload(CallTask.customer).joinedload(Customer.phones),
    joinedload(CallTask.script_version).joinedload(ScriptVersion.script),
)


def load_for_screen(task_id: int, *, fresh: bool = False) -> CallTask | None:
    """The task with everything the call screen shows of it, in one statement. ``fresh``:
    overwrite what the session already holds of these rows with what the database has."""
    query = select(CallTask).where(CallTask.id == task_id).options(*_SCREEN)
    if fresh:
        query = query.execution_options(populate_existing=True)
    return db.session.scalars(query).unique().first()


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


def next_due_at(user: User, now: datetime | None = None) -> datetime | None:
    """When this operator can next get a call: the next task falling due, or the next opening
    of calling hours for a client whose calls are waiting ("No calls due now; next at 09:00")."""
    now = now or utcnow()
    mine = may_take(user.id)
    # Per client, the earliest pending task: an index seek each (ix_call_tasks_client_status_due).
    earliest = (
        select(func.min(CallTask.due_at))
        .where(CallTask.client_id == Client.id, CallTask.status == TaskStatus.PENDING, mine)
        .scalar_subquery()
    )
    rows = db.session.execute(select(Client, earliest).where(Client.active.is_(True))).all()
    times = [
        calling_hours.next_opening(client, max(due, now)) for client, due in rows if due is not None
    ]
    return min((t for t in times if t is not None), default=None)


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
