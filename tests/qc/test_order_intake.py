"""Order intake: ``record_order`` (customer by phone, normalising, the blocked-technician flag).
Importing files of orders (``flask orders import``, Admin → Orders → Import): tests/orders/."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from console.models import Customer, Order, Role
from console.services.orders import intake as order_intake
from console.services.orders import repeat_repairs
from console.services.orders.intake import OrderRejected
from tests.qc import intake_fixtures
from tests.qc.intake_fixtures import NOW

garage, record = intake_fixtures.garage, intake_fixtures.record


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- record_order ------------------------------------------------------------------------------


def test_the_customer_is_found_by_phone_whatever_its_format(db, record):
    first = record(phone="8 (912) 345-67-89")
    second = record(phone="+7 912 345 67 89", customer_name="Иван Петров (new spelling)")
    assert first.customer_created and not second.customer_created
    assert second.order.customer == first.order.customer
    assert second.order.phone == "+79123456789"
    assert first.order.customer.name == "Ivan Petrov"  # an order does not rename the customer
    assert count(db, Customer) == 1


def test_the_same_phone_at_another_client_is_another_customer(db, record):
    from console.models import Client

    other = Client(key="other", name="Other", country="RU")
    db.session.add(other)
    db.session.commit()
    mine = record().order
    theirs = order_intake.record_order(
        other,
        external_id="X-1",
        phone="+79123456789",
        customer_name="Ivan",
        work_type=mine.work_type,
        completed_at=NOW,
        amount=Decimal("1.00"),
        now=NOW,
    ).order
    assert theirs.customer != mine.customer


def test_every_bad_field_is_reported_and_nothing_is_stored(db, record):
    with pytest.raises(OrderRejected) as rejected:
        record(
            phone="12345",
            vehicle_vin="NOT-A-VIN",
            completed_at=NOW + timedelta(days=1),
            amount=Decimal("-1"),
        )
    assert set(rejected.value.errors) == {"phone", "vehicle_vin", "completed_at", "amount"}
    db.session.rollback()
    assert count(db, Order) == 0 and count(db, Customer) == 0


def test_a_new_customer_needs_a_name(record):
    with pytest.raises(OrderRejected) as rejected:
        record(customer_name="  ")
    assert set(rejected.value.errors) == {"customer_name"}


def test_an_order_already_stored_is_returned_unchanged(db, record):
    first = record(external_id="A-1", amount=Decimal("100.00"))
    again = record(external_id="A-1", amount=Decimal("999.00"))
    assert not again.created and again.order == first.order
    assert again.order.amount == Decimal("100.00")
    assert count(db, Order) == 1


def test_an_order_for_a_blocked_technician_is_flagged_for_qc(db, record):
    normal = record(technician="GS-T01")
    blocked = record(technician="GS-T02", phone="+79120000009")
    assert not normal.order.blocked_technician_flag
    assert blocked.blocked_technician and blocked.order.blocked_technician_flag
    listed = repeat_repairs.blocked_technician_orders().items
    assert listed == [blocked.order]


def test_qc_sees_orders_that_arrived_for_blocked_technicians(client, login_as, record):
    record(technician="GS-T01", external_id="OK-1")
    record(technician="GS-T02", external_id="BLK-1", phone="+79120000009")
    login_as(Role.QC)
    html = client.get("/qc/orders/flagged").get_data(as_text=True)
    assert "BLK-1" in html and "Pavel Blocked" in html
    assert "OK-1" not in html
