"""``POST /api/v1/orders``: a batch goes through the order intake item by item; a bad item is
refused by field while the good ones are stored, and sending the batch again changes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.models import AuditEntry, Client, Order, Technician, TechnicianStatus, WorkType, utcnow
from tests.helpers import on_both_databases

pytestmark = on_both_databases

ORDERS = "/api/v1/orders"


@pytest.fixture
def catalog(db):
    client = Client(key="acme", name="Acme Auto", timezone="Europe/Moscow", country="RU")
    db.session.add_all(
        [
            client,
            WorkType(key="oil", name="Oil change"),
            Technician(name="Ivan", external_id="T-7", client=client),
            Technician(
                name="Blocked Bob",
                external_id="T-9",
                client=client,
                status=TechnicianStatus.BLOCKED,
            ),
        ]
    )
    db.session.commit()
    return client


def order(n: int, **fields) -> dict:
    return {
        "client": "acme",
        "external_id": f"API-{n}",
        "phone": f"+7912555{n:04d}",
        "work_type": "oil",
        "completed_at": (utcnow() - timedelta(days=1)).isoformat(),
        "amount": "12500.50",
        "customer_name": f"Customer {n}",
        **fields,
    }


def test_a_batch_with_one_bad_item_stores_the_good_ones_and_says_why(api, db, catalog):
    batch = [
        order(1, technician="T-7", vehicle_plate="a 123 bc 77", vehicle_mileage_km=42000),
        order(2, phone="not a phone", amount="-5"),
        order(3, amount=9900, completed_at="2026-11-19 14:05"),  # local time, JSON number
    ]
    response = api.post(ORDERS, json={"orders": batch})
    assert response.status_code == 200
    results = response.json["results"]
    assert [(r["index"], r["status"]) for r in results] == [
        (0, "created"),
        (1, "rejected"),
        (2, "created"),
    ]
    assert results[1]["id"] is None
    assert set(results[1]["errors"]) == {"phone", "amount"}
    assert "not a phone number" in results[1]["errors"]["phone"]  # English, from the intake
    assert results[0]["errors"] == {}

    stored = {o.external_id: o for o in db.session.scalars(select(Order))}
    assert set(stored) == {"API-1", "API-3"}
    first = stored["API-1"]
    assert results[0]["id"] == first.id
    assert first.phone == "+79125550001"
    assert first.technician.external_id == "T-7"
    assert first.vehicle_plate == "A 123 BC 77"
    assert str(first.amount) == "12500.50"
    # A local time is the client's (Moscow, UTC+3).
    assert stored["API-3"].completed_at.hour == 11 and str(stored["API-3"].amount) == "9900.00"
    audit = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "orders.received"))
    assert audit.details["created"] == 2 and audit.details["rejected"] == 1

    again = api.post(ORDERS, json={"orders": batch}).json["results"]
    assert [r["status"] for r in again] == ["existing", "rejected", "existing"]
    assert again[0]["id"] == first.id
    assert db.session.query(Order).count() == 2


def test_items_are_checked_field_by_field(api, db, catalog):
    batch = [
        order(1, client="nobody"),
        order(2, work_type="wash"),
        order(3, technician="T-404"),
        order(4, completed_at="yesterday"),
        order(5, colour="red"),
        "not an object",
        {"client": "acme"},
        order(8, amount=True, vehicle_mileage_km="lots"),
        order(9, external_id="", customer_name=None),
        order(10, amount=1e26),
        order(11, amount="12.345"),
        order(12, amount="NaN"),
    ]
    results = api.post(ORDERS, json={"orders": batch}).json["results"]
    assert all(r["status"] == "rejected" for r in results)
    errors = [r["errors"] for r in results]
    assert "no client" in errors[0]["client"]
    assert "no work type" in errors[1]["work_type"]
    assert "no technician" in errors[2]["technician"]
    assert "ISO 8601" in errors[3]["completed_at"]
    assert errors[4] == {"colour": "unknown field"}
    assert errors[5] == {"item": "must be an object"}
    assert set(errors[6]) == {"external_id", "phone", "work_type", "completed_at", "amount"}
    assert set(errors[7]) == {"amount", "vehicle_mileage_km"}
    assert errors[8] == {"external_id": "required"}
    assert errors[9] == {"amount": "at most 9999999999.99"}
    assert errors[10] == {"amount": "at most two decimals"}
    assert set(errors[11]) == {"amount"}
    assert db.session.query(Order).count() == 0


def test_an_order_for_a_blocked_technician_is_stored_and_flagged(api, db, catalog):
    results = api.post(ORDERS, json={"orders": [order(1, technician="T-9")]}).json["results"]
    assert results[0]["status"] == "created"
    assert db.session.get(Order, results[0]["id"]).blocked_technician_flag is True


def test_the_same_order_twice_in_one_batch_is_stored_once(api, db, catalog):
    results = api.post(ORDERS, json={"orders": [order(1), order(1)]}).json["results"]
    assert [r["status"] for r in results] == ["created", "existing"]
    assert results[0]["id"] == results[1]["id"]


def test_the_batch_itself_must_be_a_list_of_at_most_1000(api, catalog):
    for body in ({}, {"orders": "many"}, []):
        response = api.post(ORDERS, json=body)
        assert response.status_code == 422
        assert response.json["fields"] == {"orders": "a list of orders is required"}
    response = api.post(ORDERS, json={"orders": [{}] * 1001})
    assert response.status_code == 422
    assert "at most 1000" in response.json["fields"]["orders"]
