"""Each outcome's rule (queXS / VICIdial conventions operators rely on)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.models import AuditEntry, CallOutcome, Role, TaskStatus
from console.services.calls import tasks as calls
from tests.operator.conftest import NOON_MOSCOW


def claim(make_task, user, now=NOON_MOSCOW):
    return calls.claim_next_call(user, now=now)


@pytest.mark.parametrize(
    ("outcome", "retry"),
    [
        (CallOutcome.NO_ANSWER, timedelta(hours=3)),
        (CallOutcome.BUSY, timedelta(minutes=30)),
        (CallOutcome.VOICEMAIL, timedelta(hours=3)),
    ],
)
def test_temporary_outcomes_retry_later(db, make_task, operator, outcome, retry):
    make_task()
    task = claim(make_task, operator)
    calls.record_outcome(task, operator, task.lease_token, outcome, now=NOON_MOSCOW)
    assert task.status == TaskStatus.PENDING
    assert task.due_at == NOON_MOSCOW + retry
    assert task.attempts == 1 and task.held_by_id is None
    assert calls.claim_next_call(operator, now=NOON_MOSCOW + retry - timedelta(minutes=1)) is None


def test_after_the_maximum_attempts_the_task_closes_as_unreachable(
    db, make_task, operator, client_hours
):
    from datetime import time

    client_hours(make_task().client, time(0, 0), time(0, 0))  # round the clock
    now = NOON_MOSCOW
    for attempt in range(1, 5):
        task = calls.claim_next_call(operator, now=now)
        assert task is not None, f"attempt {attempt}"
        calls.record_outcome(task, operator, task.lease_token, CallOutcome.NO_ANSWER, now=now)
        db.session.commit()
        now += timedelta(hours=3)
    assert (task.status, task.outcome, task.attempts) == (
        TaskStatus.DONE,
        CallOutcome.UNREACHABLE,
        4,
    )
    assert calls.claim_next_call(operator, now=now) is None


@pytest.mark.parametrize("outcome", [CallOutcome.WRONG_NUMBER, CallOutcome.REFUSED])
def test_wrong_number_and_refusal_are_final(db, make_task, operator, outcome):
    make_task()
    task = claim(make_task, operator)
    calls.record_outcome(task, operator, task.lease_token, outcome, now=NOON_MOSCOW)
    assert (task.status, task.outcome) == (TaskStatus.DONE, outcome)
    assert task.customer.do_not_call is False


def test_do_not_call_marks_the_customer_and_cancels_their_other_calls(db, make_task, operator):
    first = make_task()
    other = make_task(customer=first.customer)
    task = claim(make_task, operator)
    calls.record_outcome(task, operator, task.lease_token, CallOutcome.DO_NOT_CALL, now=NOON_MOSCOW)
    db.session.commit()
    db.session.refresh(other)
    assert task.customer.do_not_call and task.customer.do_not_call_at == NOON_MOSCOW
    assert (other.status, other.outcome) == (TaskStatus.DONE, CallOutcome.CANCELLED)
    assert db.session.query(AuditEntry).filter_by(action="customer.do_not_call").count() == 1


def test_callback_for_me_comes_back_to_me_first_at_the_time_asked(db, make_task, make_user):
    anna, boris = make_user(Role.OPERATOR), make_user(Role.OPERATOR)
    make_task(due_at=NOON_MOSCOW - timedelta(days=3))
    make_task(due_at=NOON_MOSCOW - timedelta(days=2))
    task = claim(make_task, anna)
    at = NOON_MOSCOW + timedelta(hours=2)
    calls.record_outcome(
        task,
        anna,
        task.lease_token,
        CallOutcome.CALLBACK,
        callback_at=at,
        only_me=True,
        now=NOON_MOSCOW,
    )
    db.session.commit()
    assert (task.status, task.is_callback, task.callback_user_id) == (
        TaskStatus.PENDING,
        True,
        anna.id,
    )
    # Before the time: Anna gets the other call; after it, Boris never gets Anna's callback.
    assert calls.claim_next_call(boris, now=at).id != task.id
    assert calls.claim_next_call(anna, now=at).id == task.id


def test_a_callback_needs_a_future_time(db, make_task, operator):
    make_task()
    task = claim(make_task, operator)
    with pytest.raises(ValueError, match="future"):
        calls.record_outcome(
            task,
            operator,
            task.lease_token,
            CallOutcome.CALLBACK,
            callback_at=NOON_MOSCOW - timedelta(minutes=1),
            now=NOON_MOSCOW,
        )


def test_an_outcome_from_a_lost_lease_is_refused(db, make_task, operator):
    make_task()
    task = claim(make_task, operator)
    with pytest.raises(calls.LeaseLost):
        calls.record_outcome(task, operator, "not-the-token", CallOutcome.BUSY, now=NOON_MOSCOW)
    assert task.status == TaskStatus.HELD
