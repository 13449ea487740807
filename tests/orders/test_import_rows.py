"""The row loop of an order import (services/orders/imports.py), through ``flask orders import``
and the service: bad rows reported by line and field while the good ones go in, on SQLite and
PostgreSQL alike; nothing added twice; Windows-1251, XLSX, decimal commas, day-first dates."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from console.models import Customer, Order, RepeatRepairState, utcnow
from console.services.orders import imports
from tests.helpers import on_both_databases
from tests.orders.conftest import count, day

HEADER = (
    "client,external_id,customer_name,phone,work_type,technician,amount,completed_at,"
    "vehicle_plate,description"
)


def stored(db) -> dict[str, Order]:
    db.session.expire_all()
    return {o.external_id: o for o in db.session.scalars(select(Order))}


# --- the command ----------------------------------------------------------------------------


@on_both_databases
def test_bad_rows_are_reported_by_line_and_field_while_good_rows_go_in(
    db, garage, runner, write_file
):
    path = write_file(
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
    orders = stored(db)
    assert sorted(orders) == ["A-1", "A-6"]
    assert orders["A-1"].description == "Oil change,\nfilter"
    assert orders["A-6"].amount == Decimal("4350.50")
    # A naive time is the client's local time (Moscow, UTC+3).
    assert orders["A-6"].completed_at.hour == 7 and orders["A-6"].completed_at.minute == 30

    again = runner.invoke(args=["orders", "import", path])
    assert "0 imported, 2 already there, 4 rejected" in again.stdout
    assert count(db, Order) == 2


def test_the_import_flags_blocked_technicians_and_repeat_repairs(db, garage, runner, write_file):
    path = write_file(
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


def test_a_repeat_visit_in_a_later_file_is_flagged_against_the_stored_one(
    db, garage, runner, write_file
):
    first = write_file(HEADER, f"garage,R-1,Ivan,+79123456789,oil,,100,{day(10)},A123BC77,")
    second = write_file(
        HEADER, f"garage,R-2,Ivan,8 912 345-67-89,oil,,100,{day(2)},a 123 bc 77,", name="b.csv"
    )
    assert runner.invoke(args=["orders", "import", first]).exit_code == 0
    result = runner.invoke(args=["orders", "import", second])
    assert "1 imported" in result.stdout and "1 possible repeat repair(s)" in result.stdout
    orders = stored(db)
    assert orders["R-2"].repeat_of == orders["R-1"]
    assert orders["R-2"].customer == orders["R-1"].customer


def test_missing_or_misspelt_columns_stop_the_file_at_line_one(db, garage, runner, write_file):
    path = write_file(
        "client,external_id,phone,work_type,completed_at,amount,vehcle_plate",
        f"garage,C-1,+79123456789,oil,{day(1)},100,A123BC77",
    )
    result = runner.invoke(args=["orders", "import", path])
    assert result.exit_code == 1
    assert "line 1: unknown columns: vehcle_plate" in result.stderr
    missing = write_file("client,external_id,phone", "garage,C-1,+79123456789", name="m.csv")
    result = runner.invoke(args=["orders", "import", missing])
    assert "line 1: missing columns: work_type, completed_at, amount" in result.stderr
    assert count(db, Order) == 0


def test_dry_run_reports_and_stores_nothing(db, garage, runner, write_file):
    path = write_file(HEADER, f"garage,D-1,Ivan,+79123456789,oil,,100,{day(1)},,")
    result = runner.invoke(args=["orders", "import", "--dry-run", path])
    assert "1 would be imported" in result.stdout
    assert count(db, Order) == 0 and count(db, Customer) == 0


def test_good_rows_are_committed_in_batches(db, garage, write_file):
    rows = [HEADER] + [
        f"garage,E-{n},Cust {n},+7912000{n:04d},oil,,100,{day(1)},," for n in range(5)
    ]
    batches = []
    report = imports.import_path(
        write_file(*rows),
        batch_size=2,
        on_batch=lambda batch: batches.append((batch.last_line, count(db, Order))),
    )
    assert report.created == 5 and not report.errors
    assert batches == [(3, 2), (5, 4), (6, 5)]


def test_a_windows_1251_file_with_its_own_russian_headers(db, garage, runner, write_file):
    path = write_file(
        "Номер заказа;Клиент;Телефон;Вид работ;Мастер;Дата закрытия;Сумма;Госномер;Пробег",
        "W-1;Иван Петров;8 (912) 345-67-89;oil;Sergey Orlov;19.11.2026 14:05;4 350,50;а123вс77;"
        "85 000",
        "W-2;Ольга;8 912 000 00 02;Oil change;GS-T01;20.11.2026 11:00;1.234,56;;",
        encoding="cp1251",
        newline="\r\n",
    )
    result = runner.invoke(args=["orders", "import", "--client", "garage", path])
    assert result.exit_code == 0, result.output
    orders = stored(db)
    w1, w2 = orders["W-1"], orders["W-2"]
    assert w1.customer.name == "Иван Петров" and w1.phone == "+79123456789"
    assert w1.technician.external_id == "GS-T01"  # found by name
    assert w1.completed_at == datetime.fromisoformat("2026-11-19T11:05:00+00:00")
    assert w1.amount == Decimal("4350.50") and w1.vehicle_mileage_km == 85_000
    assert w1.vehicle_plate == "А123ВС77"
    assert w2.work_type.key == "oil" and w2.amount == Decimal("1234.56")


def test_an_xlsx_file_with_dates_and_numbers_in_its_cells(db, garage, runner, write_xlsx):
    when = (utcnow() - timedelta(days=2)).replace(tzinfo=None, microsecond=0)
    path = write_xlsx(
        [
            ["Номер заказа", "ФИО", "Телефон", "Вид работ", "Дата закрытия", "Сумма", "Пробег"],
            [1001, "Иван", 79123456789, "oil", when, 4350.5, 85000],
            ["X-2", "Олег", "+79120000002", "oil", when, "сто", None],
        ]
    )
    result = runner.invoke(args=["orders", "import", "--client", "garage", path])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["line 3, Сумма: сто is not an amount"]
    order = stored(db)["1001"]
    assert order.phone == "+79123456789" and order.amount == Decimal("4350.50")
    assert order.vehicle_mileage_km == 85000
    assert order.completed_at.replace(tzinfo=None) == when - timedelta(hours=3)  # Moscow


def test_a_quote_never_closed_is_one_bad_line(db, garage, runner, write_file):
    path = write_file(
        HEADER,
        f'garage,Q-1,"Olga,+79120000001,oil,,100,{day(2)},,',
        f"garage,Q-2,Boris,+79120000002,oil,,100,{day(2)},,",
    )
    result = runner.invoke(args=["orders", "import", path])
    assert result.stderr.splitlines() == [
        'line 2: a quote (") is not closed, or a stray one is in a value'
    ]
    orders = stored(db)
    assert list(orders) == ["Q-2"] and orders["Q-2"].customer.name == "Boris"


# --- what the database would refuse: refused per row, on both databases -----------------------


@on_both_databases
def test_values_the_database_would_refuse_are_rejected_per_row(db, garage, write_file):
    path = write_file(
        HEADER + ",vehicle_mileage_km,address",
        f"garage,N-1,Ivan,+79120000001,oil,,100,{day(1)},,,,",
        f"garage,N-2,Iv\x00an,+79120000002,oil,,100,{day(1)},,,,",
        f"garage,N-3,{'Я' * 201},+79120000003,oil,,100,{day(1)},,,,",
        f"garage,N-4,Oleg,+79120000004,oil,,100000000000,{day(1)},,,,",
        f"garage,N-5,Oleg,+79120000005,oil,,100,{day(1)},,,99999999999999999999,",
        f"garage,N-6,Oleg,+79120000006,oil,,100,{day(1)},,,,{'д' * 301}",
        f"garage,{'N' * 65},Oleg,+79120000007,oil,,100,{day(1)},,,,",
        f"garage,N-8,Anna,+79120000008,oil,,100,{day(1)},,,,",
        f"garage,N-9,Anna,+79120000009,oil,,100,{day(1)},ABCDEFGHIJKLMNOPQRSTU,,,",
    )
    report = imports.import_path(path, batch_size=4)
    assert report.created == 2 and report.rejected_rows == 7
    assert report.errors == [
        "line 3, customer_name: contains a NUL byte (a character that cannot be stored)",
        "line 4, customer_name: at most 200 characters",
        "line 5, amount: at most 9999999999.99",
        "line 6, vehicle_mileage_km: 99999999999999999999 is not a whole number of kilometres",
        "line 7, address: at most 300 characters",
        "line 8, external_id: at most 64 characters",
        "line 10, vehicle_plate: at most 20 characters",
    ]
    assert sorted(stored(db)) == ["N-1", "N-8"]


@on_both_databases
def test_a_batch_the_database_refuses_is_imported_row_by_row(db, garage, write_file, monkeypatch):
    """An order stored between the check and the insert (another import at the same moment):
    the batch's insert fails, and each of its rows goes in on its own (the clash as existing)."""
    first = write_file(HEADER, f"garage,S-2,Olga,+79120000002,oil,,100,{day(1)},,", name="a.csv")
    imports.import_path(first)
    monkeypatch.setattr(imports.RowImporter, "_drop_existing", lambda self, rows, result: rows)
    path = write_file(
        HEADER,
        f"garage,S-1,Ivan,+79120000001,oil,,100,{day(1)},,",
        f"garage,S-2,Olga,+79120000002,oil,,100,{day(1)},,",
        f"garage,S-3,Anna,+79120000003,oil,,100,{day(1)},,",
    )
    report = imports.import_path(path)
    assert (report.created, report.existing, report.rejected_rows) == (2, 1, 0)
    assert sorted(stored(db)) == ["S-1", "S-2", "S-3"]
    assert count(db, Customer) == 3


def test_an_order_number_twice_in_a_file_is_stored_once(db, garage, write_file):
    path = write_file(
        HEADER,
        f"garage,T-1,Ivan,+79120000001,oil,,100,{day(1)},,",
        f"garage,T-1,Ivan,+79120000001,oil,,200,{day(1)},,",
    )
    report = imports.import_path(path)
    assert (report.created, report.existing) == (1, 1)
    assert stored(db)["T-1"].amount == Decimal("100.00")


def test_rows_with_the_wrong_number_of_values_are_rejected(db, garage, write_file):
    path = write_file(
        "client,external_id,customer_name,phone,work_type,amount,completed_at",
        f"garage,V-1,Ivan,+79120000001,oil,100,{day(1)},extra",
        "garage,V-2,Ivan,+79120000001,oil,100",
        f"garage,V-3,Ivan,+79120000001,oil,100,{day(1)},",  # an empty extra field: fine
    )
    report = imports.import_path(path)
    assert report.errors == [
        "line 2: more values than columns",
        "line 3: 6 values where the header has 7 columns",
    ]
    assert list(stored(db)) == ["V-3"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-19 14:05", "2026-11-19T11:05:00+00:00"),
        ("2026-11-19T14:05:00+03:00", "2026-11-19T11:05:00+00:00"),
        ("19.11.2026 14:05", "2026-11-19T11:05:00+00:00"),
        ("19.11.2026 14:05:30", "2026-11-19T11:05:30+00:00"),
        ("19/11/2026 14:05", "2026-11-19T11:05:00+00:00"),
    ],
)
def test_dates_day_first_or_iso(raw, expected):
    from console.services.orders.intake import parse_completed_at

    assert parse_completed_at(raw, "Europe/Moscow").isoformat() == expected


@pytest.mark.parametrize("raw", ["19.11.2026", "2026-11-19", "31.02.2026 10:00", "вчера"])
def test_a_date_without_a_time_or_that_is_no_date_is_refused(raw):
    from console.services.orders.intake import parse_completed_at

    with pytest.raises(ValueError):
        parse_completed_at(raw, "Europe/Moscow")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12500", "12500.00"),
        ("12 500,00", "12500.00"),
        ("4350,5", "4350.50"),
        ("1.234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("4 350 ₽", "4350.00"),
        (4350.5, "4350.50"),
    ],
)
def test_amounts_with_a_decimal_comma_or_point(raw, expected):
    from console.services.orders.intake import parse_amount

    assert parse_amount(raw) == Decimal(expected)


@on_both_databases
def test_visits_of_one_customer_in_one_batch_are_checked_in_the_files_order(db, garage, write_file):
    """The first visit goes in with the batch, the later ones one by one after it: each is a
    possible repeat of the visit just before it, as if the rows had come in one at a time."""
    path = write_file(
        HEADER + ",customer_external_id",
        f"garage,U-1,Ivan,+79120000001,oil,,100,{day(10)},A123BC77,,C-1",
        f"garage,U-2,Olga,+79120000002,oil,,100,{day(9)},,,",
        f"garage,U-3,Ivan,8 912 000-00-01,oil,,100,{day(5)},A 123 BC 77,,",
        f"garage,U-4,Ivan P.,+79129999999,oil,,100,{day(1)},a123bc77,,C-1",
    )
    report = imports.import_path(path)
    assert (report.created, report.repeat_repairs) == (4, 2)
    orders = stored(db)
    assert orders["U-1"].repeat_repair_state is None
    assert orders["U-3"].repeat_of == orders["U-1"]
    assert orders["U-4"].repeat_of == orders["U-3"]  # the customer found by number
    assert orders["U-4"].customer == orders["U-1"].customer
    assert sorted(p.e164 for p in orders["U-1"].customer.phones) == [
        "+79120000001",
        "+79129999999",
    ]
    assert orders["U-2"].customer != orders["U-1"].customer
