"""Generating the call list: one follow-up per completed order, on the configured day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from console.models import CallOutcome, CallTask, TaskStatus, WorkType, utcnow
from console.services.calls.generate import generate_due_calls, in_sample


def tasks(db):
    return db.session.scalars(select(CallTask).order_by(CallTask.order_id)).all()


def test_each_completed_order_gets_one_call_due_three_days_later(db, make_order):
    done = utcnow() - timedelta(days=1)
    order = make_order(completed_at=done)
    result = generate_due_calls()
    assert result.created == 1
    [task] = tasks(db)
    assert task.order_id == order.id and task.status == TaskStatus.PENDING
    assert task.due_at == done + timedelta(days=3)
    assert task.max_attempts == 4


def test_running_twice_creates_nothing_new(db, make_order, runner):
    make_order(), make_order()
    assert generate_due_calls().created == 2
    result = runner.invoke(args=["calls", "generate"])
    assert result.exit_code == 0
    assert result.output.startswith("0 calls added")
    assert db.session.scalar(select(func.count()).select_from(CallTask)) == 2


def test_delay_follows_the_work_type_then_the_client(db, make_order):
    brakes = WorkType(key="brakes", name="Brakes", call_delay_days=7)
    done = utcnow() - timedelta(hours=1)
    a = make_order(work_type=brakes, completed_at=done)
    a.client.call_delay_days = 5
    b = make_order(completed_at=done)  # oil change: the client's 5 days
    db.session.commit()
    generate_due_calls()
    due = {t.order_id: t.due_at - done for t in tasks(db)}
    assert due == {a.id: timedelta(days=7), b.id: timedelta(days=5)}


def test_do_not_call_customers_are_skipped_and_old_orders_ignored(db, make_order):
    fresh = make_order()
    fresh.customer.do_not_call = True
    make_order(completed_at=utcnow() - timedelta(days=45))  # too old for a follow-up
    db.session.commit()
    result = generate_due_calls()
    assert (result.created, result.do_not_call) == (0, 1)
    [task] = tasks(db)
    assert (task.status, task.outcome) == (TaskStatus.DONE, CallOutcome.DO_NOT_CALL)


def test_car_wash_is_sampled_deterministically(db, make_order):
    wash = WorkType(key="wash", name="Car wash", sample_percent=20)
    orders = [make_order(work_type=wash) for _ in range(200)]
    result = generate_due_calls()
    called = {t.order_id for t in tasks(db) if t.status == TaskStatus.PENDING}
    expected = {o.id for o in orders if in_sample(f"{o.client_id}:{o.external_id}", 20)}
    assert called == expected
    assert 20 <= len(called) <= 60  # about a fifth
    assert result.not_sampled == 200 - len(called)
    # the same order is always in or out
    assert all(
        in_sample(f"1:{o.external_id}", 20) == in_sample(f"1:{o.external_id}", 20) for o in orders
    )
