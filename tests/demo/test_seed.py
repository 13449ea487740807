"""The demo generator: the same seed gives the same data, reruns add only what is missing, and
the data holds together the way real orders do (``flask seed-demo``)."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import func, select

from console.demo import seed as demo
from console.models import (
    CannedReply,
    Client,
    Customer,
    CustomerPhone,
    Order,
    Technician,
    TechnicianStatus,
    User,
    WorkType,
)
from tests.helpers import on_both_databases

TODAY = date(2025, 3, 14)  # a fixed anchor, so a run across midnight cannot change the dates
RUSSIAN_PLATE = re.compile(r"[АВЕКМНОРСТУХ]\d{3}[АВЕКМНОРСТУХ]{2}\d{2,3}")
UK_PLATE = re.compile(r"[A-HJ-PR-Y]{2}\d{2} [A-HJ-PR-Z]{3}")
VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def seed(orders: int, seed: int = 3) -> str:
    return demo.seed_demo(orders=orders, seed=seed, today=TODAY)


def order_rows(db) -> list[tuple]:
    """What a person would compare between two demos: id, customer, phone, amount, day."""
    query = (
        select(Order.external_id, Customer.name, Order.phone, Order.amount, Order.completed_at)
        .join(Customer, Order.customer_id == Customer.id)
        .order_by(Order.external_id)
    )
    rows = db.session.execute(query)
    return [(ext, name, phone, amount, at.date()) for ext, name, phone, amount, at in rows]


def counts(db) -> dict[str, int]:
    models = (Client, WorkType, Technician, Customer, CustomerPhone, Order, User, CannedReply)
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model))
        for model in models
    }


def fresh_demo(db, orders: int, seed: int = 3) -> tuple[list[tuple], dict[str, int]]:
    """Seed an empty database, take what it made, and roll back to an empty database again."""
    assert demo.database_is_empty()
    demo.seed_demo(orders=orders, seed=seed, today=TODAY)
    made = order_rows(db), counts(db)
    db.session.rollback()
    assert demo.database_is_empty()
    return made


# --- deterministic -------------------------------------------------------------------------


def test_the_same_seed_gives_the_same_orders(db):
    first, first_counts = fresh_demo(db, orders=250, seed=7)
    second, second_counts = fresh_demo(db, orders=250, seed=7)

    assert len(first) == 250
    assert first == second
    assert first_counts == second_counts


def test_another_seed_gives_other_customers_phones_and_amounts(db):
    first, _ = fresh_demo(db, orders=250, seed=7)
    other, _ = fresh_demo(db, orders=250, seed=8)

    assert [row[1:4] for row in first] != [row[1:4] for row in other]
    assert {row[2] for row in first}.isdisjoint({row[2] for row in other})


# --- idempotent ----------------------------------------------------------------------------


@on_both_databases
def test_seeding_twice_creates_nothing_new(db):
    summary = seed(200)
    db.session.commit()
    before = counts(db)

    assert seed(200) == summary
    db.session.commit()

    assert counts(db) == before
    assert before["Order"] == 200
    assert before["User"] == len(demo.DEMO_USERS)
    assert before["CannedReply"] == 4  # two in each language, for the complaint page
    assert summary == (
        f"Demo data: 4 clients, 9 work types, {before['Technician']} technicians (3 blocked), "
        f"{before['Customer']} customers, 200 orders, 5 users"
    )


@on_both_databases
def test_more_orders_later_adds_only_the_missing_ones(db):
    expected_rows, expected_counts = fresh_demo(db, orders=300)
    seed(200)
    db.session.commit()
    first_rows = order_rows(db)

    seed(300)
    db.session.commit()

    rows = order_rows(db)
    assert set(first_rows) < set(rows)
    # The same as seeding 300 at once: no duplicate customers, the first 200 orders untouched.
    assert rows == expected_rows
    assert counts(db) == expected_counts


# --- realistic -----------------------------------------------------------------------------


def test_every_phone_is_valid_e164_of_its_clients_country(db):
    seed(300)
    customer_phones = db.session.execute(
        select(CustomerPhone.e164, Client.country)
        .join(Customer, CustomerPhone.customer_id == Customer.id)
        .join(Client, Customer.client_id == Client.id)
    ).all()
    other_phones = [
        *db.session.scalars(select(Order.phone)),
        *db.session.scalars(select(Technician.phone)),
    ]

    for phone in [e164 for e164, _ in customer_phones] + other_phones:
        number = phonenumbers.parse(phone, None)
        assert phonenumbers.is_valid_number(number), phone
        assert phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) == phone
    for e164, country in customer_phones:
        assert phonenumbers.region_code_for_number(phonenumbers.parse(e164)) == country
    assert len(customer_phones) > counts(db)["Customer"], "some customers give two numbers"


def test_an_order_is_called_on_one_of_its_customers_phones(db):
    seed(300)
    orders = db.session.scalars(select(Order)).all()

    for order in orders:
        assert order.phone in {p.e164 for p in order.customer.phones}


def test_blocked_technicians_get_no_orders_completed_after_the_block(db):
    seed(300)
    blocked = db.session.scalars(
        select(Technician).where(Technician.status == TechnicianStatus.BLOCKED)
    ).all()
    by_blocked = (
        select(func.count())
        .select_from(Order)
        .join(Technician, Order.technician_id == Technician.id)
    )
    by_blocked = by_blocked.where(Technician.status == TechnicianStatus.BLOCKED)

    assert blocked
    assert all(t.blocked_at is not None and t.blocked_reason for t in blocked)
    assert db.session.scalar(by_blocked.where(Order.completed_at >= Technician.blocked_at)) == 0
    # Not vacuous: blocked technicians did work before they were blocked.
    assert db.session.scalar(by_blocked.where(Order.completed_at < Technician.blocked_at)) > 0


def test_orders_go_to_the_clients_own_technicians_or_the_marketplace_masters(db):
    seed(300)
    orders = db.session.scalars(select(Order)).all()

    for order in orders:
        if order.client.key == "homefix":
            assert order.technician.client_id is None
        else:
            assert order.technician.client_id == order.client_id
    assert {o.client.key for o in orders} >= {"garage-service", "homefix"}


def test_car_orders_have_a_vehicle_and_home_orders_an_address(db):
    seed(300)
    orders = db.session.scalars(select(Order)).all()

    for order in orders:
        if order.client.key == "homefix":
            assert order.address.startswith("г. Новосибирск, ")
            assert order.vehicle_plate is None
            continue
        assert order.address is None
        assert VIN.fullmatch(order.vehicle_vin), order.vehicle_vin
        assert order.vehicle_make_model and order.vehicle_mileage_km > 0
        plate = UK_PLATE if order.client.country == "GB" else RUSSIAN_PLATE
        assert plate.fullmatch(order.vehicle_plate), order.vehicle_plate


def test_orders_are_completed_in_the_last_60_days_within_local_working_hours(db):
    seed(300)
    orders = db.session.scalars(select(Order)).all()
    start = datetime.combine(TODAY - timedelta(days=63), time(0), tzinfo=ZoneInfo("UTC"))
    end = datetime.combine(TODAY, time(0), tzinfo=ZoneInfo("UTC"))

    for order in orders:
        assert start <= order.completed_at < end
        local = order.completed_at.astimezone(ZoneInfo(order.client.timezone))
        hours = order.client.working_hours[str(local.weekday())]
        assert hours[0] <= local.strftime("%H:%M") <= hours[1]
        assert order.amount > 0


def test_qc_notes_speak_the_clients_language(db):
    seed(300)
    notes = db.session.execute(
        select(Client.country, Order.qc_breakin_advice, Order.qc_declined_repairs).join(Client)
    ).all()

    advice = [(country, text) for country, text, _ in notes if text]
    declined = [(country, text) for country, _, text in notes if text]
    assert advice and declined
    for country, text in advice + declined:
        assert bool(re.search("[а-я]", text)) == (country == "RU"), text
    assert any(text.startswith("Customer declined") for _, text in declined)


# --- the command ---------------------------------------------------------------------------


def test_the_command_seeds_and_prints_the_summary(runner, db):
    result = runner.invoke(args=["seed-demo", "--orders", "200", "--seed", "3"])

    assert result.exit_code == 0, result.output
    assert re.fullmatch(
        r"Demo data: 4 clients, 9 work types, 30 technicians \(3 blocked\), \d+ customers, "
        r"200 orders, 5 users\n",
        result.output,
    )
    db.session.rollback()  # what was committed stays
    assert counts(db)["Order"] == 200


def test_if_empty_does_nothing_on_a_database_with_data(runner, db):
    loaded = runner.invoke(args=["seed-demo", "--if-empty", "--orders", "200"])
    again = runner.invoke(args=["seed-demo", "--if-empty", "--orders", "300"])

    assert "200 orders" in loaded.output
    assert again.exit_code == 0
    assert again.output == "The database already has data; demo not loaded.\n"
    assert counts(db)["Order"] == 200


def test_the_command_is_refused_in_production(app, runner, db):
    app.config["PRODUCTION"] = True

    result = runner.invoke(args=["seed-demo", "--orders", "200"])

    assert result.exit_code != 0
    assert "refused" in result.output
    assert demo.database_is_empty()


def test_a_database_with_only_users_or_only_clients_is_not_empty(db, make_user):
    assert demo.database_is_empty()
    db.session.add(Client(key="acme", name="Acme Auto"))
    db.session.flush()
    assert not demo.database_is_empty()
    db.session.rollback()
    make_user()
    assert not demo.database_is_empty()
