"""Order intake: ``record_order`` (customer by phone, normalising, the blocked-technician flag)
and ``flask orders import`` (bad rows reported by line and field, good rows in, idempotent)."""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from console.models import Customer, Order, RepeatRepairState, Role, utcnow
from console.services.orders import intake as order_intake
from console.services.orders import repeat_repairs
from console.services.orders.intake import OrderRejected
from tests.helpers import on_both_databases
from tests.qc import intake_fixtures
from tests.qc.intake_fixtures import NOW

garage, record = intake_fixtures.garage, intake_fixtures.record

HEADER = (
    "client,external_id,customer_name,phone,work_type,technician,amount,completed_at,"
    "vehicle_plate,description"
)


def day(days_ago: int) -> str:
    """A local (Moscow) completion time a few days back, as a client's export writes it."""
    return (utcnow() - timedelta(days=days_ago)).strftime("%Y-%m-%d 10:30")


def count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def csv_file(tmp_path):
    def write(*lines: str, name="orders.csv") -> str:
        path = tmp_path / name
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return str(path)

    return write


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


# --- flask orders import -------------------------------------------------------------------------


@on_both_databases
def test_bad_rows_are_reported_by_line_and_field_while_good_rows_go_in(
    db, garage, runner, csv_file
):
    path = csv_file(
        HEADER,
        # The description spans two lines: the next row is on line 4.
        f"garage,A-1,Ivan Petrov,+79123456789,oil,GS-T01,12500,{day(3)},A123BC77,"
        '"Oil change,\nfilter"',
        f"garage,A-2,Olga Li,12345,oil,GS-T01,900,{day(3)},,",
        f"garage,A-3,Boris,+79120000003,painting,GS-T99,12 500;00,{day(2)},,",
        f"nowhere,A-4,Boris,+79120000003,oil,,100,{day(2)},,",
        "garage,A-5,Anna,+79120000005,oil,,100,19/11,,",
        f'garage,A-6,Anna,+79120000005,oil,,"4 350,50",{day(1)},,',
    )
    result = runner.invoke(args=["orders", "import", path])
    assert result.exit_code == 1
    errors = result.stderr.splitlines()
    assert "line 4, phone: 12345 is not a valid phone number" in errors
    assert "line 5, work_type: no work type with the key painting" in errors
    assert "line 5, technician: no technician GS-T99 for this client" in errors
    assert "line 5, amount: 12 500;00 is not an amount" in errors
    assert "line 6, client: no client with the key nowhere" in errors
    assert any(e.startswith("line 7, completed_at: 19/11 is not a date and time") for e in errors)
    assert len(errors) == 6
    assert "2 imported, 0 already there, 4 rejected" in result.stdout
    db.session.expire_all()
    stored = {o.external_id: o for o in db.session.scalars(select(Order))}
    assert sorted(stored) == ["A-1", "A-6"]
    assert stored["A-1"].description == "Oil change,\nfilter"
    assert stored["A-6"].amount == Decimal("4350.50")
    # A naive time is the client's local time (Moscow, UTC+3).
    assert stored["A-6"].completed_at.hour == 7 and stored["A-6"].completed_at.minute == 30

    again = runner.invoke(args=["orders", "import", path])
    assert "0 imported, 2 already there, 4 rejected" in again.stdout
    assert count(db, Order) == 2


def test_the_import_flags_blocked_technicians_and_repeat_repairs(db, garage, runner, csv_file):
    path = csv_file(
        HEADER.replace(",", ";"),
        f"garage;B-1;Ivan;+79123456789;oil;GS-T02;100;{day(5)};A123BC77;",
        f"garage;B-2;Ivan;+79123456789;oil;GS-T01;100;{day(1)};A123BC77;",
    )
    result = runner.invoke(args=["orders", "import", path])
    assert result.exit_code == 0, result.output
    assert "1 possible repeat repair(s), 1 for blocked technicians" in result.stdout
    db.session.expire_all()
    b1, b2 = db.session.scalars(select(Order).order_by(Order.external_id))
    assert b1.blocked_technician_flag and not b2.blocked_technician_flag
    assert b2.repeat_repair_state == RepeatRepairState.POSSIBLE and b2.repeat_of == b1


def test_missing_or_misspelt_columns_stop_the_file_at_line_one(db, garage, runner, csv_file):
    path = csv_file(
        "client,external_id,phone,work_type,completed_at,amount,vehcle_plate",
        f"garage,C-1,+79123456789,oil,{day(1)},100,A123BC77",
    )
    result = runner.invoke(args=["orders", "import", path])
    assert result.exit_code == 1
    assert "line 1: unknown columns: vehcle_plate" in result.stderr
    assert count(db, Order) == 0


def test_dry_run_reports_and_stores_nothing(db, garage, runner, csv_file):
    path = csv_file(HEADER, f"garage,D-1,Ivan,+79123456789,oil,,100,{day(1)},,")
    result = runner.invoke(args=["orders", "import", "--dry-run", path])
    assert "1 would be imported" in result.stdout
    db.session.expire_all()
    assert count(db, Order) == 0


def test_good_rows_are_handed_over_in_batches(db, garage):
    rows = [HEADER] + [
        f"garage,E-{n},Cust {n},+7912000{n:04d},oil,,100,{day(1)},," for n in range(5)
    ]
    batches = []
    report = order_intake.import_orders_csv(
        io.StringIO("\n".join(rows)),
        batch_size=2,
        on_batch=lambda: batches.append(count(db, Order)),
    )
    assert report.created == 5 and report.ok
    assert batches == [2, 4]


def test_a_file_that_is_not_utf8_is_refused_whole(db, garage, runner, tmp_path):
    path = tmp_path / "cp1251.csv"
    path.write_bytes(
        (HEADER + "\ngarage,F-1,Иван,+79123456789,oil,,100,2026-11-01 10:00,,\n").encode("cp1251")
    )
    result = runner.invoke(args=["orders", "import", str(path)])
    assert result.exit_code == 1
    assert "not UTF-8" in result.output
    assert count(db, Order) == 0


def test_qc_sees_orders_that_arrived_for_blocked_technicians(client, login_as, record):
    record(technician="GS-T01", external_id="OK-1")
    record(technician="GS-T02", external_id="BLK-1", phone="+79120000009")
    login_as(Role.QC)
    html = client.get("/qc/orders/flagged").get_data(as_text=True)
    assert "BLK-1" in html and "Pavel Blocked" in html
    assert "OK-1" not in html
