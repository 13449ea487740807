"""Submitting a completed call: the response, its score, complaints with the order snapshot,
the anti-poaching case, the repeat-repair flag; exactly once."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    Complaint,
    ComplaintKind,
    RepeatRepairState,
    Response,
    Role,
    TaskStatus,
)
from console.services import customers
from console.services.calls import submit as call_submit
from console.services.calls import tasks as calls
from tests.helpers import on_both_databases
from tests.operator.conftest import NOON_MOSCOW

CONTACTS_YES = {"contacts": {"options": ["yes"]}}


def claimed(make_task, operator, **order_fields):
    make_task(**order_fields)
    return calls.claim_next_call(operator, now=NOON_MOSCOW)


def submit(task, operator, answers, **kw):
    return call_submit.submit_call(
        task.id,
        user=operator,
        lease_token=kw.get("token", task.lease_token),
        submit_key=kw.get("key", task.submit_key),
        answers=answers,
        now=NOON_MOSCOW,
    )


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_a_happy_customer_gives_a_score_and_no_complaint(db, make_task, operator):
    task = claimed(make_task, operator)
    result = submit(
        task,
        operator,
        {
            "quality": {"options": ["good"]},
            "price": {"options": ["yes"]},
            "contacts": {"options": ["no"]},
        },
    )
    assert result.response.score == Decimal("100.00")
    assert result.complaints == []
    db.session.expire_all()
    task = db.session.get(CallTask, task.id)
    assert (task.status, task.outcome) == (TaskStatus.DONE, CallOutcome.COMPLETED)
    assert task.held_by_id is None and task.draft is None
    attempt = db.session.scalar(select(CallAttempt))
    assert attempt.outcome == CallOutcome.COMPLETED and attempt.ended_at == NOON_MOSCOW


def test_negative_answers_open_one_complaint_listing_every_category_with_a_frozen_order(
    db, make_task, operator
):
    task = claimed(
        make_task, operator, vehicle_plate="А123ВС77", qc_breakin_advice="Pads: 300 km gently"
    )
    order = task.order
    answers = {
        "quality": {"options": ["bad"]},
        "what_wrong": {"options": ["late", "again"]},
        "price": {"options": ["no"]},
        "contacts": {"options": ["no"]},
    }
    result = submit(task, operator, answers)
    # One complaint for the call, its categories in the script's order, each with the question
    # whose answer raised it; the first is the main one.
    [complaint] = result.complaints
    assert count(db, Complaint) == 1
    assert complaint.category == "quality"
    assert [(c.category, c.question_key) for c in complaint.categories] == [
        ("quality", "quality"),
        ("punctuality", "what_wrong"),
        ("price", "price"),
    ]
    created = complaint.events[0]
    assert created.data["categories"] == ["quality", "punctuality", "price"]
    snap = complaint.snapshot
    assert snap["order"]["external_id"] == order.external_id
    assert snap["order"]["amount"] == "12500.00"
    assert snap["customer"]["name"] == order.customer.name
    assert snap["customer"]["phones"] == [order.customer.phones[0].e164]
    assert snap["vehicle"]["plate"] == "А123ВС77"
    assert snap["technician"]["name"] == order.technician.name
    assert snap["work_type"]["name"] == order.work_type.name
    assert {"question": "quality", "text": "Satisfied?", "answers": ["No"], "comment": None} in (
        snap["answers"]
    )
    assert complaint.first_answer_due_at == NOON_MOSCOW.replace(hour=21)  # 12 hours
    assert created.kind == "created"
    # The order changes later; the complaint keeps what it was.
    order.amount = Decimal("1.00")
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(Complaint, complaint.id).snapshot["order"]["amount"] == "12500.00"
    # "again" flags a possible repeat repair on the order.
    assert order.repeat_repair_state == RepeatRepairState.POSSIBLE


def test_one_call_with_three_negative_answers_is_one_complaint_of_the_customers(
    db, make_task, operator
):
    """Three categories raised in one call are one contact: the customer does not "complain
    often" (three complaints in a year) because of one call."""
    task = claimed(make_task, operator)
    answers = {
        "quality": {"options": ["bad"]},
        "what_wrong": {"options": ["late"]},
        "price": {"options": ["no"]},
        "contacts": {"options": ["no"]},
    }
    [complaint] = submit(task, operator, answers).complaints
    assert len(complaint.categories) == 3
    stats = customers.complaint_stats(task.order.customer, now=NOON_MOSCOW)
    assert (stats.total, stats.recent) == (1, 1)
    assert not stats.is_frequent_complainer
    assert customers.frequent_complainers(now=NOON_MOSCOW) == []


def test_the_anti_poaching_case_stays_a_ticket_of_its_own_beside_the_complaint(
    db, make_task, operator
):
    task = claimed(make_task, operator)
    answers = {"quality": {"options": ["bad"]}, "price": {"options": ["no"]}} | CONTACTS_YES
    complaint, case = submit(task, operator, answers).complaints
    assert (complaint.kind, complaint.category_keys) == (
        ComplaintKind.COMPLAINT,
        ["quality", "price"],
    )
    assert (case.kind, case.category_keys) == (ComplaintKind.POACHING, ["poaching"])


def test_contacts_yes_opens_the_anti_poaching_case(db, make_task, operator):
    task = claimed(make_task, operator)
    technician = task.order.technician
    result = submit(task, operator, {"quality": {"options": ["good"]}} | CONTACTS_YES)
    [case] = result.complaints
    assert case.kind == ComplaintKind.POACHING
    assert case.technician_id == technician.id
    assert technician.under_review_since == NOON_MOSCOW


def test_a_double_click_saves_once(db, make_task, operator):
    task = claimed(make_task, operator)
    answers = {"quality": {"options": ["bad"]}, "contacts": {"options": ["no"]}}
    first = submit(task, operator, answers)
    second = submit(task, operator, answers)
    assert second.replayed and second.response.id == first.response.id
    assert [c.id for c in second.complaints] == [c.id for c in first.complaints]
    assert count(db, Response) == 1 and count(db, Complaint) == 1


@on_both_databases
def test_simultaneous_duplicate_submits_save_once(app, db, make_task, operator):
    task = claimed(make_task, operator)
    db.session.commit()
    ids = (task.id, task.lease_token, task.submit_key, operator.id)
    answers = {"quality": {"options": ["bad"]}, "contacts": {"options": ["yes"]}}
    results, errors = [], []
    barrier = threading.Barrier(4)

    def twin():
        with app.app_context():
            from console.extensions import db as _db
            from console.models import User

            user = _db.session.get(User, ids[3])
            barrier.wait()
            try:
                results.append(
                    call_submit.submit_call(
                        ids[0],
                        user=user,
                        lease_token=ids[1],
                        submit_key=ids[2],
                        answers=answers,
                        now=NOON_MOSCOW,
                    ).response.id
                )
            except BaseException as exc:
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=twin) for _ in range(4)]
    [t.start() for t in threads]
    [t.join(timeout=30) for t in threads]
    assert errors == []
    assert len(set(results)) == 1
    db.session.rollback()
    assert count(db, Response) == 1
    assert count(db, Complaint) == 2  # one quality complaint, one poaching case


def test_missing_required_answers_are_named_and_nothing_is_saved(db, make_task, operator):
    task = claimed(make_task, operator)
    with pytest.raises(call_submit.MissingAnswers) as missing:
        submit(task, operator, {"price": {"options": ["yes"]}})
    assert missing.value.missing == {"quality": "required", "contacts": "required"}
    assert count(db, Response) == 0
    assert db.session.get(CallTask, task.id).status == TaskStatus.HELD


def test_a_taken_over_call_cannot_be_submitted_by_its_first_holder(db, make_task, make_user):
    anna, boris = make_user(Role.OPERATOR), make_user(Role.OPERATOR)
    task = claimed(make_task, anna)
    token, key = task.lease_token, task.submit_key
    from datetime import timedelta

    calls.claim_next_call(boris, now=NOON_MOSCOW + timedelta(minutes=6))
    with pytest.raises(calls.LeaseLost):
        call_submit.submit_call(
            task.id,
            user=anna,
            lease_token=token,
            submit_key=key,
            answers={"quality": {"options": ["good"]}} | CONTACTS_YES,
        )
    assert count(db, Response) == 0 and count(db, Complaint) == 0


def test_the_response_keeps_its_script_version_and_breakdown(db, make_task, operator):
    task = claimed(make_task, operator)
    result = submit(
        task,
        operator,
        {
            "quality": {"options": ["bad"]},
            "price": {"options": ["yes"]},
            "contacts": {"options": ["no"]},
        },
    )
    # (3 × 0/5 + 1 × 5/5) ÷ 4 × 100 = 25
    assert result.response.score == Decimal("25.00")
    assert result.response.script_version_id == task.script_version_id
    lost = {row["key"]: row["lost"] for row in result.response.score_breakdown}
    assert lost == {"quality": "75.00", "price": "0.00"}
