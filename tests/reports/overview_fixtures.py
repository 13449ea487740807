"""Data for the overview's tests (imported by them): two whole weeks of March 2025, a script
with a recommend (0-10) and a satisfaction question, completed calls and complaints."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    ComplaintKind,
    ComplaintSource,
    Response,
    ResponseAnswer,
    Role,
    ScriptVersion,
    TaskStatus,
)
from console.scripts.definition import normalise
from console.services.complaints.opening import open_complaint, order_snapshot
from console.services.reports.periods import Period
from console.services.scripts import library

UTC_ZONE = ZoneInfo("UTC")
# Two whole weeks, Monday 3 March to Sunday 16 March 2025; the period before: 17 Feb - 2 Mar.
PERIOD = Period(date(2025, 3, 3), date(2025, 3, 16), UTC_ZONE)
WEEK1 = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
WEEK2 = datetime(2025, 3, 11, 10, 0, tzinfo=UTC)
BEFORE = datetime(2025, 2, 25, 10, 0, tzinfo=UTC)
ARGS = {"from": "2025-03-03", "to": "2025-03-16"}

SCRIPT = {
    "key": "base",
    "name": "Base",
    "questions": [
        {
            "key": "recommend",
            "text": "Would you recommend us, 0 to 10?",
            "kind": "single",
            "weight": 0,
            "role": "recommend",
            "options": [{"key": str(n), "label": str(n), "points": 0} for n in range(11)],
        },
        {
            "key": "satisfied",
            "text": "How satisfied are you?",
            "kind": "scale",
            "role": "satisfaction",
            "options": [{"key": str(n), "label": str(n), "points": n - 1} for n in range(1, 6)],
        },
    ],
}


@pytest.fixture
def version(db):
    library.publish_definition(normalise(SCRIPT))
    db.session.commit()
    return db.session.scalars(select(ScriptVersion)).one()


@pytest.fixture
def operator(make_user):
    return make_user(Role.OPERATOR, name="Olga Operator")


@pytest.fixture
def call(db, make_order, version, operator):
    """``call(at, score=..., answers={"recommend": "9"}, order=...)``: a completed call and its
    response (its own order unless given)."""
    counter = iter(range(10_000))

    def make(at, *, score=None, answers=None, order=None, by=None, outcome=CallOutcome.COMPLETED):
        order = order or make_order(completed_at=at - timedelta(days=3))
        by = by or operator
        task = CallTask(
            order=order,
            client=order.client,
            customer=order.customer,
            due_at=at - timedelta(hours=1),
            status=TaskStatus.DONE,
            outcome=outcome,
            closed_at=at,
            purpose=f"follow_up_{next(counter)}",
        )
        attempt = CallAttempt(
            task=task,
            operator_id=by.id,
            started_at=at - timedelta(minutes=5),
            ended_at=at,
            outcome=outcome,
        )
        db.session.add_all([task, attempt])
        if outcome != CallOutcome.COMPLETED:
            db.session.commit()
            return None
        response = Response(
            submit_key=f"key-{next(counter)}",
            task=task,
            attempt=attempt,
            order=order,
            script_version_id=version.id,
            operator_id=by.id,
            submitted_at=at,
            score=Decimal(score) if score is not None else None,
        )
        for key, value in (answers or {}).items():
            question = next(q for q in version.questions if q.key == key)
            option = next(o for o in question.options if o.key == value)
            response.answers.append(ResponseAnswer(question_id=question.id, option_id=option.id))
        db.session.add(response)
        db.session.commit()
        return response

    return make


@pytest.fixture
def complain(db, make_order):
    def make(at, category="quality", *, response=None, order=None, categories=None, **fields):
        """``categories=[...]``: a complaint about several (the first the main one)."""
        order = order or (response.order if response is not None else make_order())
        complaint = open_complaint(
            order,
            categories=categories or [category],
            kind=fields.pop("kind", ComplaintKind.COMPLAINT),
            source=ComplaintSource.CALL if response is not None else ComplaintSource.MANUAL,
            snapshot=order_snapshot(order),
            now=at,
            response=response,
        )
        for name, value in fields.items():
            setattr(complaint, name, value)
        db.session.commit()
        return complaint

    return make
