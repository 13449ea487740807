"""Claiming the next call: priority, calling hours, leases, one task per operator."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select

from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    Client,
    ClientHoliday,
    Role,
    TaskStatus,
)
from console.services.calls import tasks as calls
from tests.helpers import on_both_databases
from tests.operator.conftest import NOON_MOSCOW


@on_both_databases
def test_the_oldest_due_task_comes_first(db, make_task, operator):
    newer = make_task(due_at=NOON_MOSCOW - timedelta(hours=1))
    older = make_task(due_at=NOON_MOSCOW - timedelta(days=1))
    make_task(due_at=NOON_MOSCOW + timedelta(hours=1))  # not due yet
    task = calls.claim_next_call(operator, now=NOON_MOSCOW)
    assert task.id == older.id
    assert task.status == TaskStatus.HELD and task.held_by_id == operator.id
    assert task.lease_expires_at == NOON_MOSCOW + timedelta(minutes=5)
    assert task.lease_token and task.submit_key
    assert newer.id != task.id


@on_both_databases
def test_callbacks_come_first_and_only_me_callbacks_only_for_me(db, make_task, make_user):
    anna, boris = make_user(Role.OPERATOR), make_user(Role.OPERATOR)
    make_task(due_at=NOON_MOSCOW - timedelta(days=2))
    for_anyone = make_task(due_at=NOON_MOSCOW - timedelta(minutes=5))
    for_anyone.is_callback = True
    for_boris = make_task(due_at=NOON_MOSCOW - timedelta(minutes=1))
    for_boris.is_callback, for_boris.callback_user_id = True, boris.id
    db.session.commit()
    assert calls.claim_next_call(anna, now=NOON_MOSCOW).id == for_anyone.id
    assert calls.claim_next_call(boris, now=NOON_MOSCOW).id == for_boris.id


@on_both_databases
def test_an_only_me_callback_is_never_given_to_someone_else(db, make_task, make_user):
    anna, boris = make_user(Role.OPERATOR), make_user(Role.OPERATOR)
    task = make_task()
    task.is_callback, task.callback_user_id = True, boris.id
    db.session.commit()
    assert calls.claim_next_call(anna, now=NOON_MOSCOW) is None


@on_both_databases
def test_an_operator_holds_one_task_at_a_time(db, make_task, operator):
    make_task(), make_task()
    first = calls.claim_next_call(operator, now=NOON_MOSCOW)
    again = calls.claim_next_call(operator, now=NOON_MOSCOW + timedelta(minutes=1))
    assert again.id == first.id
    assert db.session.query(CallTask).filter_by(status=TaskStatus.HELD).count() == 1


def test_calling_hours_are_the_clients_local_time(db, make_task, operator, make_order):
    vladivostok = Client(key="vl", name="Vladivostok", timezone="Asia/Vladivostok")
    db.session.add(vladivostok)
    db.session.commit()
    far_east = make_task(client=vladivostok)  # 09:00 UTC is 19:00 in Vladivostok: open
    assert calls.claim_next_call(operator, now=NOON_MOSCOW).id == far_east.id
    calls.record_outcome(
        far_east, operator, far_east.lease_token, CallOutcome.BUSY, now=NOON_MOSCOW
    )
    db.session.commit()
    # 11:30 UTC: 21:30 in Vladivostok (closed), 14:30 in Moscow (open)
    later = datetime(2026, 11, 20, 11, 30, tzinfo=UTC)
    moscow = make_task()
    assert calls.claim_next_call(operator, now=later).id == moscow.id


def test_nothing_is_handed_out_at_night(db, make_task, operator, client_hours):
    task = make_task()
    client_hours(task.client, time(9), time(20))
    night = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # 22:00 in Moscow
    assert calls.claim_next_call(operator, now=night) is None
    morning = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
    assert calls.claim_next_call(operator, now=morning).id == task.id


@on_both_databases
def test_an_expired_lease_returns_the_task_and_keeps_the_draft(db, make_task, make_user):
    anna, boris = make_user(Role.OPERATOR), make_user(Role.OPERATOR)
    task = make_task()
    claimed = calls.claim_next_call(anna, now=NOON_MOSCOW)
    anna_token = claimed.lease_token
    answers = {"quality": {"options": ["bad"]}}
    calls.save_draft(claimed, anna, anna_token, answers, seq=1, now=NOON_MOSCOW)
    db.session.commit()

    later = NOON_MOSCOW + timedelta(minutes=6)  # Anna's connection dropped; lease ran out
    taken = calls.claim_next_call(boris, now=later)
    assert taken.id == task.id and taken.held_by_id == boris.id
    assert taken.draft["answers"] == answers  # nothing Anna ticked is lost
    assert taken.lease_token != anna_token
    # Anna comes back: her save is refused, so she cannot overwrite Boris's work.
    import pytest

    with pytest.raises(calls.LeaseLost):
        calls.save_draft(
            taken, anna, anna_token, {"quality": {"options": ["good"]}}, seq=2, now=later
        )
    attempts = db.session.scalars(select(CallAttempt).order_by(CallAttempt.id)).all()
    assert [(a.operator_id, a.ended_at) for a in attempts] == [(anna.id, later), (boris.id, None)]


def test_a_slow_connection_keeps_its_call_when_nobody_took_it(db, make_task, operator):
    make_task()
    task = calls.claim_next_call(operator, now=NOON_MOSCOW)
    late = NOON_MOSCOW + timedelta(minutes=9)
    assert calls.save_draft(task, operator, task.lease_token, {}, seq=1, now=late)
    assert task.lease_expires_at == late + timedelta(minutes=5)


def test_autosave_ignores_an_older_request_arriving_late(db, make_task, operator):
    make_task()
    task = calls.claim_next_call(operator, now=NOON_MOSCOW)
    newer = {"quality": {"options": ["good"]}}
    assert calls.save_draft(task, operator, task.lease_token, newer, seq=5, now=NOON_MOSCOW)
    assert not calls.save_draft(task, operator, task.lease_token, {}, seq=4, now=NOON_MOSCOW)
    assert task.draft["answers"] == newer


@on_both_databases
def test_concurrent_operators_never_get_the_same_task(app, db, make_task, make_user):
    for _ in range(12):
        make_task()
    operators = [make_user(Role.OPERATOR) for _ in range(8)]
    claimed: list[int] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(operators))

    def work(user_id):
        with app.app_context():
            from console.extensions import db as _db
            from console.models import User

            user = _db.session.get(User, user_id)
            barrier.wait()
            try:
                task = calls.claim_next_call(user, now=NOON_MOSCOW)
                if task is not None:
                    claimed.append(task.id)
            except BaseException as exc:  # surfaced below
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=work, args=(u.id,)) for u in operators]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert len(claimed) == len(operators)
    assert len(set(claimed)) == len(claimed)


def test_when_nothing_is_due_the_operator_learns_when_the_next_call_is(db, make_task, operator):
    night = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # 22:00 in Moscow: hours closed
    make_task(due_at=night - timedelta(hours=2))  # due, but waits for the morning
    make_task(due_at=NOON_MOSCOW + timedelta(days=3))  # falls due inside calling hours
    assert calls.claim_next_call(operator, now=night) is None
    assert calls.next_due_at(operator, now=night) == datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    noon = NOON_MOSCOW
    db.session.query(CallTask).filter(CallTask.due_at < night).delete()
    db.session.commit()
    assert calls.next_due_at(operator, now=noon) == NOON_MOSCOW + timedelta(days=3)


def test_no_call_is_handed_out_on_a_clients_holiday_or_closed_day(db, make_task, operator):
    task = make_task(due_at=NOON_MOSCOW - timedelta(hours=2))
    client = task.client
    client.holidays.append(ClientHoliday(day=date(2026, 11, 20), name="Shop closed"))
    db.session.commit()
    assert calls.claim_next_call(operator, now=NOON_MOSCOW) is None  # Friday 20 Nov: a holiday
    # The next morning it is a Saturday; with Saturdays closed the call waits for Monday.
    client.calling_hours = {str(d): ["09:00", "20:00"] for d in range(5)}
    db.session.commit()
    saturday_noon = NOON_MOSCOW + timedelta(days=1)
    assert calls.claim_next_call(operator, now=saturday_noon) is None
    assert calls.next_due_at(operator, now=saturday_noon) == datetime(
        2026, 11, 23, 6, 0, tzinfo=UTC
    )
    assert calls.claim_next_call(operator, now=NOON_MOSCOW + timedelta(days=3)).id == task.id
