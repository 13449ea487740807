"""Customers who complain often (DOMAIN.md, 002): history, invalid share, the threshold."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    Complaint,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
    Role,
    Validity,
    utcnow,
)
from console.services import customers
from console.services.calls import tasks as calls
from console.services.complaints import opening
from console.services.complaints.opening import open_complaint, order_snapshot
from tests.helpers import on_both_databases
from tests.qc import complaint_fixtures

call_complaint = complaint_fixtures.open_complaint


@pytest.fixture
def app_config():
    return {"FREQUENT_COMPLAINER_COUNT": 3, "FREQUENT_COMPLAINER_DAYS": 30}


@pytest.fixture
def complain(db, make_order):
    """A complaint by the order's customer, created ``days_ago``, optionally decided."""

    def complain(order=None, *, days_ago=1, validity=None, kind=ComplaintKind.COMPLAINT, **kw):
        order = order or make_order()
        complaint = open_complaint(
            order,
            category="quality",
            kind=kind,
            source=ComplaintSource.MANUAL,
            snapshot=order_snapshot(order),
            now=utcnow() - timedelta(days=days_ago),
            **kw,
        )
        complaint.validity = validity
        db.session.commit()
        return complaint

    return complain


@on_both_databases
def test_frequent_complainer_needs_the_threshold_inside_the_window(make_order, complain):
    order = make_order()
    customer = order.customer
    complain(order, days_ago=40)  # outside the 30-day window
    complain(order, days_ago=10)
    complain(order, days_ago=2)
    stats = customers.complaint_stats(customer)
    assert (stats.total, stats.recent) == (3, 2)
    assert not stats.is_frequent_complainer
    assert customers.frequent_complainers() == []

    complain(order, days_ago=0)
    stats = customers.complaint_stats(customer)
    assert stats.recent == 3
    assert stats.is_frequent_complainer
    [listed] = customers.frequent_complainers()
    assert listed.customer == customer and listed.recent == 3


@on_both_databases
def test_a_call_counts_once_however_many_tickets_it_opened(db, call_complaint, complain):
    """Before one complaint per call, a call opened a ticket per category: those of one call
    are one contact of the customer's, not three."""
    first = call_complaint(category="quality")
    for category in ("price", "punctuality"):  # the same call's other tickets, as it was
        opening.open_complaint(
            first.order,
            category=category,
            source=ComplaintSource.CALL,
            snapshot=first.snapshot,
            now=first.created_at,
            response=first.response,
        )
    first.validity = Validity.INVALID
    db.session.commit()
    customer = first.customer
    stats = customers.complaint_stats(customer)
    assert (stats.total, stats.recent, stats.invalid) == (1, 1, 1)
    assert not stats.is_frequent_complainer
    assert customers.frequent_complainers() == []

    complain(first.order)  # the customer calls in twice: two contacts more
    complain(first.order)
    stats = customers.complaint_stats(customer)
    assert (stats.total, stats.recent) == (3, 3)
    assert stats.is_frequent_complainer
    [listed] = customers.frequent_complainers()
    assert (listed.customer, listed.recent, listed.invalid) == (customer, 3, 1)


def test_poaching_cases_and_merged_duplicates_do_not_count(db, make_order, complain):
    order = make_order()
    complain(order)
    complain(order)
    complain(order, kind=ComplaintKind.POACHING)
    merged = complain(order)
    merged.status = ComplaintStatus.MERGED
    db.session.commit()
    stats = customers.complaint_stats(order.customer)
    assert stats.total == 2
    assert not stats.is_frequent_complainer


def test_invalid_share_is_over_decided_complaints(make_order, complain):
    order = make_order()
    assert customers.complaint_stats(order.customer).invalid_share is None
    complain(order, validity=Validity.INVALID)
    complain(order, validity=Validity.INVALID)
    complain(order, validity=Validity.VALID)
    complain(order)  # undecided: not in the share
    stats = customers.complaint_stats(order.customer)
    assert (stats.total, stats.decided, stats.invalid) == (4, 3, 2)
    assert str(stats.invalid_share) == "0.67"
    assert stats.invalid_percent == 67


def test_history_lists_orders_calls_and_complaints_newest_first(db, make_order, complain):
    first = make_order(completed_at=utcnow() - timedelta(days=20))
    second = make_order(customer=first.customer, completed_at=utcnow() - timedelta(days=2))
    other = make_order()  # someone else's order
    complain(first)
    history = customers.customer_history(first.customer_id)
    assert history.orders == [second, first]
    assert other not in history.orders
    assert [c.order for c in history.complaints] == [first]
    assert history.complaint_count == 1 and history.order_count == 2
    assert db.session.query(Complaint).count() == 1


def test_the_call_screen_reads_the_same_history_briefly(db, make_order, make_user, complain):
    """Beside a call: the phone calls made so far (each attempt that ended) and the latest
    ones, the complaints and the orders; the customer page counts follow-up calls instead, one
    per order, each with its attempts."""
    now = utcnow()
    first = make_order(completed_at=now - timedelta(days=10))
    second = make_order(customer=first.customer, completed_at=now - timedelta(days=1))
    complaint = complain(first)
    operator = make_user(Role.OPERATOR)
    earlier = CallTask(
        order=first, client=first.client, customer=first.customer, due_at=now - timedelta(days=9)
    )
    today = CallTask(order=second, client=second.client, customer=second.customer, due_at=now)
    for hours, outcome in ((30, CallOutcome.NO_ANSWER), (28, CallOutcome.COMPLETED)):
        started = now - timedelta(hours=hours)
        earlier.attempts_log.append(
            CallAttempt(
                operator_id=operator.id,
                started_at=started,
                ended_at=started + timedelta(minutes=2),
                outcome=outcome,
            )
        )
    today.attempts_log.append(CallAttempt(operator_id=operator.id, started_at=now))  # on now
    db.session.add_all([earlier, today])
    db.session.commit()

    screen = calls.customer_history(today)
    assert (screen.calls, screen.complaints, screen.orders) == (2, 1, 2)
    made = [a.outcome for a in screen.latest_calls]
    assert made == [CallOutcome.COMPLETED, CallOutcome.NO_ANSWER]
    assert screen.latest_complaints == [complaint]
    page = customers.customer_history(first.customer_id)
    assert (page.call_count, page.calls) == (2, [today, earlier])


def test_the_customer_page_shows_the_history_and_the_mark(client, login_as, make_order, complain):
    order = make_order(external_id="A-777")
    for _ in range(3):
        complain(order, validity=Validity.INVALID)
    login_as(Role.QC)
    html = client.get(f"/qc/customers/{order.customer_id}").get_data(as_text=True)
    assert "A-777" in html
    assert "complains often" in html
    assert "100%" in html  # all three found invalid
    listed = client.get("/qc/customers/frequent").get_data(as_text=True)
    assert order.customer.name in listed


def test_a_customer_below_the_threshold_is_not_marked(client, login_as, make_order, complain):
    order = make_order()
    complain(order)
    login_as(Role.SUPERVISOR)
    html = client.get(f"/qc/customers/{order.customer_id}").get_data(as_text=True)
    assert "complains often" not in html
    assert order.customer.name not in client.get("/qc/customers/frequent").get_data(as_text=True)
