"""Fixtures for the order intake and repeat-repair tests (imported by those modules)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from console.models import Client, Technician, TechnicianStatus, WorkType
from console.services.orders import intake as order_intake

# Noon in Moscow, 20 November 2026: "now" in these tests.
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def garage(db):
    client = Client(key="garage", name="Garage-Service", timezone="Europe/Moscow", country="RU")
    db.session.add_all(
        [
            client,
            WorkType(key="oil", name="Oil change"),
            WorkType(key="brakes", name="Brakes"),
            Technician(client=client, external_id="GS-T01", name="Sergey Orlov"),
            Technician(
                client=client,
                external_id="GS-T02",
                name="Pavel Blocked",
                status=TechnicianStatus.BLOCKED,
                blocked_at=datetime(2026, 11, 1, tzinfo=UTC),
            ),
        ]
    )
    db.session.commit()
    return client


@pytest.fixture
def record(db, garage):
    """``record_order`` with sensible defaults for the garage: Ivan, his Kia, the oil change."""
    counter = iter(range(1, 10_000))

    def record(**fields):
        work_type = db.session.query(WorkType).filter_by(key=fields.pop("work", "oil")).one()
        technician = fields.pop("technician", "GS-T01")
        if isinstance(technician, str):
            technician = db.session.query(Technician).filter_by(external_id=technician).one()
        values = {
            "external_id": f"A-{next(counter):05d}",
            "phone": "+7 912 345-67-89",
            "customer_name": "Ivan Petrov",
            "work_type": work_type,
            "technician": technician,
            "amount": Decimal("12500.00"),
            "completed_at": NOW,
            "vehicle_make_model": "Kia Rio",
            "vehicle_plate": "A123BC77",
            "now": NOW,
        }
        values.update(fields)
        intake = order_intake.record_order(garage, **values)
        db.session.commit()
        return intake

    return record
