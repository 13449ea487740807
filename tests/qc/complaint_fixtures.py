"""Fixtures for the complaint page, workflow and anti-poaching tests (imported by those modules):
a complaint opened by a call, as the operator console opens it."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    ComplaintKind,
    ComplaintSource,
    Response,
    Role,
    ScriptVersion,
    TaskStatus,
    utcnow,
)
from console.services.complaints import opening as complaints

ANSWERS = [
    {
        "question": "quality",
        "text": "How satisfied are you?",
        "answers": ["Not satisfied"],
        "comment": None,
    },
    {
        "question": "what_wrong",
        "text": "What went wrong?",
        "answers": ["The problem is not fixed"],
        "comment": "Engine light is on again",
    },
]


@pytest.fixture
def in_a_request(app):
    """Service errors carry lazy messages: read them as a request would."""
    with app.test_request_context():
        yield


@pytest.fixture
def qc_user(make_user):
    return make_user(Role.QC, name="Quinn QC")


@pytest.fixture
def open_complaint(db, make_order, make_user):
    """``open_complaint(kind=..., order=..., recording_url=..., created_at=...)`` -> Complaint,
    opened by an operator's call with a frozen snapshot of the order and the answers;
    ``categories=[...]`` for one about several (the first the main one)."""
    operator = None

    def open_(
        *,
        kind: ComplaintKind = ComplaintKind.COMPLAINT,
        category: str | None = None,
        categories: list[str] | None = None,
        order=None,
        recording_url: str | None = None,
        created_at=None,
        **order_fields,
    ):
        nonlocal operator
        if operator is None:
            operator = make_user(Role.OPERATOR, name="Anna Operator")
        order = order or make_order(amount=Decimal("12500.00"), **order_fields)
        now = created_at or utcnow() - timedelta(hours=1)
        response = _response(db, order, operator, now, recording_url)
        complaint = complaints.open_complaint(
            order,
            categories=categories
            or [category or ("poaching" if kind == ComplaintKind.POACHING else "quality")],
            kind=kind,
            source=ComplaintSource.CALL,
            snapshot=complaints.order_snapshot(order, answers=ANSWERS),
            now=now,
            response=response,
            by=operator,
        )
        if kind == ComplaintKind.POACHING and order.technician is not None:
            order.technician.under_review_since = now
        db.session.commit()
        return complaint

    return open_


def _response(db, order, operator, now, recording_url):
    version = db.session.query(ScriptVersion).first()
    if version is None:
        from console.scripts.definition import normalise
        from console.services.scripts import library as script_service

        script_service.publish_definition(
            normalise(
                {
                    "key": "base",
                    "name": "Base",
                    "questions": [
                        {
                            "key": "quality",
                            "text": "Satisfied?",
                            "kind": "single",
                            "options": [
                                {"key": "good", "label": "Yes", "points": 5},
                                {"key": "bad", "label": "No", "points": 0, "complaint": "quality"},
                            ],
                        }
                    ],
                }
            )
        )
        db.session.flush()
        version = db.session.query(ScriptVersion).first()
    task = CallTask(
        order=order,
        client=order.client,
        customer=order.customer,
        due_at=now - timedelta(hours=1),
        attempts=1,
        status=TaskStatus.DONE,
        outcome=CallOutcome.COMPLETED,
        closed_at=now,
        purpose=f"follow_up_{order.id}_{now.timestamp()}",
    )
    attempt = CallAttempt(
        task=task,
        operator_id=operator.id,
        started_at=now - timedelta(minutes=4),
        ended_at=now,
        outcome=CallOutcome.COMPLETED,
        recording_url=recording_url,
    )
    response = Response(
        submit_key=f"key-{order.id}-{now.timestamp()}",
        task=task,
        attempt=attempt,
        order=order,
        script_version=version,
        operator_id=operator.id,
        submitted_at=now,
        score=Decimal("40.00"),
    )
    db.session.add_all([task, attempt, response])
    db.session.flush()
    return response
