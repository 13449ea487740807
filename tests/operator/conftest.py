from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest

from console.models import CallTask, Client, Role, utcnow
from console.models.catalog import calling_hours_every_day
from console.scripts.definition import normalise
from console.services.scripts import library as script_service

BASE = {
    "key": "base",
    "name": "Base",
    "intro": "Hello {customer.name}",
    "questions": [
        {
            "key": "quality",
            "text": "Satisfied?",
            "kind": "single",
            "weight": 3,
            "required": True,
            "options": [
                {"key": "good", "label": "Yes", "points": 5},
                {"key": "bad", "label": "No", "points": 0, "complaint": "quality"},
            ],
        },
        {
            "key": "what_wrong",
            "text": "What went wrong?",
            "kind": "multi",
            "weight": 0,
            "show_if": {"question": "quality", "any_of": ["bad"]},
            "options": [
                {"key": "late", "label": "Late", "points": 0, "complaint": "punctuality"},
                {"key": "again", "label": "Same defect", "points": 0, "repeat_repair": True},
            ],
        },
        {
            "key": "price",
            "text": "Price fair?",
            "kind": "yesno",
            "weight": 1,
            "options": [
                {"key": "yes", "label": "Yes", "points": 5},
                {"key": "no", "label": "No", "points": 0, "complaint": "price"},
            ],
        },
    ],
}

# Noon in Moscow: inside the default calling hours (09:00–20:00).
NOON_MOSCOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def base_script(db):
    script_service.publish_definition(normalise(BASE))
    db.session.commit()


@pytest.fixture
def make_task(db, make_order, base_script):
    def make(due_at=None, **order_fields):
        order = make_order(**order_fields)
        task = CallTask(
            order=order,
            client=order.client,
            customer=order.customer,
            due_at=due_at or NOON_MOSCOW - timedelta(hours=1),
        )
        db.session.add(task)
        db.session.commit()
        return task

    return make


@pytest.fixture
def operator(make_user):
    return make_user(Role.OPERATOR)


@pytest.fixture
def client_hours(db):
    def set_hours(client: Client, start: time, end: time):
        client.calling_hours = calling_hours_every_day(start, end)
        db.session.commit()

    return set_hours


__all__ = ["NOON_MOSCOW", "utcnow"]
