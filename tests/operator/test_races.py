"""What one operator's simultaneous requests do to one call, on both databases: a double click or
a second tab never holds two calls, and a call ends once even when a submit and "No answer"
arrive together (the loser is told the call is no longer theirs)."""

from __future__ import annotations

import threading
from functools import partial

from sqlalchemy import func, select

from console.database import writing
from console.models import CallAttempt, CallOutcome, CallTask, Response, TaskStatus, User
from console.services.calls import submit as call_submit
from console.services.calls import tasks as calls
from tests.helpers import on_both_databases
from tests.operator.conftest import NOON_MOSCOW

ANSWERS = {"quality": {"options": ["good"]}, "contacts": {"options": ["no"]}}


def at_once(app, *work):
    """Run each function in its own thread and app context (as requests of their own), all
    released together; returns what each returned or raised."""
    barrier = threading.Barrier(len(work))
    results: list = [None] * len(work)

    def run(i, fn):
        from console.extensions import db

        with app.app_context(), writing():  # a POST's transactions take SQLite's lock
            barrier.wait()
            try:
                results[i] = fn()
                db.session.commit()
            except Exception as exc:
                db.session.rollback()
                results[i] = exc
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(work)]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    return results


@on_both_databases
def test_four_simultaneous_next_calls_of_one_operator_hold_one_call(app, db, make_task, operator):
    for _ in range(4):
        make_task()
    user_id = operator.id

    def next_call():
        from console.extensions import db as _db

        task = calls.claim_next_call(_db.session.get(User, user_id), now=NOON_MOSCOW)
        return task.id

    taken = at_once(app, *[next_call] * 4)
    assert all(isinstance(t, int) for t in taken), taken
    assert len(set(taken)) == 1
    db.session.rollback()
    held = db.session.scalar(
        select(func.count()).where(CallTask.held_by_id == user_id, CallTask.status == "held")
    )
    assert held == 1


def submit(user_id: int, task_id: int, token: str, key: str) -> str:
    from console.extensions import db

    user = db.session.get(User, user_id)
    call_submit.submit_call(task_id, user=user, lease_token=token, submit_key=key, answers=ANSWERS)
    return "submitted"


def no_answer(user_id: int, task_id: int, token: str) -> str:
    from console.extensions import db

    user = db.session.get(User, user_id)
    held = calls.task_for(user, task_id)  # as the outcome view does: the row locked
    calls.record_outcome(held, user, token, CallOutcome.NO_ANSWER, now=NOON_MOSCOW)
    return "no answer"


@on_both_databases
def test_a_submit_racing_no_answer_ends_the_call_once(app, db, make_task, operator):
    user_id = operator.id
    for _ in range(4):
        make_task()
        task = calls.claim_next_call(operator, now=NOON_MOSCOW)
        db.session.commit()
        task_id, token, key = task.id, task.lease_token, task.submit_key

        call = (user_id, task_id, token)
        results = at_once(app, partial(submit, *call, key), partial(no_answer, *call))
        won = [r for r in results if isinstance(r, str)]
        lost = [r for r in results if not isinstance(r, str)]
        assert len(won) == 1, results
        assert all(isinstance(r, (calls.LeaseLost, calls.NotHeld)) for r in lost), results

        db.session.rollback()
        task = db.session.get(CallTask, task_id, populate_existing=True)
        responses = db.session.scalar(select(func.count()).where(Response.task_id == task_id))
        attempts = db.session.scalars(
            select(CallAttempt.outcome).where(CallAttempt.task_id == task_id)
        ).all()
        if won == ["submitted"]:
            assert (task.status, task.outcome, responses) == (
                TaskStatus.DONE,
                CallOutcome.COMPLETED,
                1,
            )
            assert attempts == [CallOutcome.COMPLETED]
        else:
            assert (task.status, task.attempts, responses) == (TaskStatus.PENDING, 1, 0)
            assert attempts == [CallOutcome.NO_ANSWER]
