"""The steps of a complaint's review (services.complaints.workflow): what each one changes, what
it refuses and why, and that each lands in the timeline and the audit log."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from console.models import (
    ActionKind,
    AuditEntry,
    ComplaintEvent,
    ComplaintKind,
    ComplaintStatus,
    Role,
    Technician,
    TechnicianStatus,
    Validity,
    utcnow,
)
from console.services.complaints import workflow as wf
from console.services.complaints.workflow import WorkflowError
from tests.helpers import on_both_databases
from tests.qc import complaint_fixtures

open_complaint, qc_user = complaint_fixtures.open_complaint, complaint_fixtures.qc_user
in_a_request = complaint_fixtures.in_a_request  # messages are translated for the reader


def audited(db, complaint) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == "Complaint", AuditEntry.entity_id == str(complaint.id))
            .order_by(AuditEntry.id)
        )
    )


def kinds(complaint) -> list[str]:
    return [e.kind for e in sorted(complaint.events, key=lambda e: e.id)]


pytestmark = pytest.mark.usefixtures("in_a_request")


def refused(call, field=None) -> WorkflowError:
    with pytest.raises(WorkflowError) as caught:
        call()
    assert caught.value.field == field, caught.value.message
    return caught.value


@pytest.fixture
def complaint(open_complaint):
    return open_complaint()


@pytest.fixture
def now():
    return utcnow()


def decided_valid(db, complaint, qc_user, now):
    wf.log_contact(complaint, summary="Apologised", by=qc_user, now=now)
    wf.classify(complaint, validity=Validity.VALID, reason="Light is back on", by=qc_user, now=now)
    db.session.commit()


# --- contacts: the first one is the customer's answer ------------------------------------------


def test_the_first_contact_is_the_first_answer_and_a_later_one_does_not_move_it(
    db, complaint, qc_user, now
):
    called_at = now - timedelta(minutes=20)
    wf.log_contact(
        complaint, summary="Apologised, booked a visit", at=called_at, by=qc_user, now=now
    )
    wf.log_contact(complaint, summary="Confirmed the visit", channel="sms", by=qc_user, now=now)
    db.session.commit()

    assert complaint.first_answered_at == called_at
    assert complaint.status == ComplaintStatus.IN_PROGRESS
    contacts = [e for e in complaint.events if e.kind == "contact"]
    assert [(e.body, e.data["channel"], e.data["first"]) for e in contacts] == [
        ("Apologised, booked a visit", "phone", True),
        ("Confirmed the visit", "sms", False),
    ]
    assert audited(db, complaint).count("complaint.contact") == 2


def test_a_contact_needs_what_was_said_and_a_time_that_makes_sense(complaint, qc_user, now):
    refused(lambda: wf.log_contact(complaint, summary="  ", by=qc_user, now=now), "summary")
    refused(
        lambda: wf.log_contact(
            complaint, summary="x", at=now + timedelta(hours=1), by=qc_user, now=now
        ),
        "at",
    )
    refused(
        lambda: wf.log_contact(
            complaint, summary="x", at=complaint.created_at - timedelta(days=1), by=qc_user, now=now
        ),
        "at",
    )
    assert complaint.first_answered_at is None


# --- classify, cause ---------------------------------------------------------------------------


def test_classify_needs_a_reason_and_records_the_change(db, complaint, qc_user, now):
    refused(
        lambda: wf.classify(complaint, validity=Validity.VALID, reason="", by=qc_user, now=now),
        "reason",
    )
    wf.classify(complaint, validity=Validity.INVALID, reason="Was fine", by=qc_user, now=now)
    wf.classify(complaint, validity=Validity.VALID, reason="Light is back", by=qc_user, now=now)
    db.session.commit()
    assert (complaint.validity, complaint.validity_reason) == (Validity.VALID, "Light is back")
    last = [e for e in complaint.events if e.kind == "classified"][-1]
    assert last.data == {"validity": "valid", "before": "invalid"}


def test_a_fined_complaint_cannot_turn_invalid(db, complaint, qc_user, now):
    decided_valid(db, complaint, qc_user, now)
    wf.add_action(complaint, kind=ActionKind.FINE, amount=Decimal("500"), by=qc_user, now=now)
    refused(
        lambda: wf.classify(
            complaint, validity=Validity.INVALID, reason="Oops", by=qc_user, now=now
        ),
        "validity",
    )


def test_the_cause_names_one_responsible_person_of_a_valid_complaint(
    db, complaint, qc_user, make_user, now
):
    technician = complaint.technician
    refused(
        lambda: wf.set_cause(
            complaint, cause="workmanship", technician=technician, by=qc_user, now=now
        )
    )  # not classified yet
    decided_valid(db, complaint, qc_user, now)
    refused(
        lambda: wf.set_cause(
            complaint, cause="bad luck", technician=technician, by=qc_user, now=now
        ),
        "cause",
    )
    refused(lambda: wf.set_cause(complaint, cause="parts", by=qc_user, now=now), "responsible")
    advisor = make_user(Role.SUPERVISOR, name="Service Advisor")
    refused(
        lambda: wf.set_cause(
            complaint, cause="parts", technician=technician, user=advisor, by=qc_user, now=now
        ),
        "responsible",
    )

    wf.set_cause(complaint, cause="communication", user=advisor, by=qc_user, now=now)
    db.session.commit()
    assert (complaint.cause_category, complaint.responsible_user_id) == (
        "communication",
        advisor.id,
    )
    assert complaint.responsible_technician_id is None
    assert complaint.events[-1].data["responsible_name"] == "Service Advisor"


# --- actions -----------------------------------------------------------------------------------


def test_a_fine_is_charged_to_the_responsible_technician(db, complaint, qc_user, make_order, now):
    other = Technician(name="K. Dorn", client=complaint.client)
    db.session.add(other)
    decided_valid(db, complaint, qc_user, now)
    wf.set_cause(complaint, cause="workmanship", technician=other, by=qc_user, now=now)
    fine = wf.add_action(
        complaint,
        kind=ActionKind.FINE,
        amount=Decimal("1500.00"),
        note="Loose connector",
        by=qc_user,
        now=now,
    )
    db.session.commit()
    assert (fine.amount, fine.charged_technician_id) == (Decimal("1500.00"), other.id)
    event = complaint.events[-1]
    assert (event.kind, event.data["kind"], event.data["technician_name"]) == (
        "action",
        "fine",
        "K. Dorn",
    )
    assert event.data["amount"] == "1500.00"
    assert "complaint.action" in audited(db, complaint)


def test_without_a_named_person_the_fine_goes_to_the_orders_technician(db, complaint, qc_user, now):
    decided_valid(db, complaint, qc_user, now)
    fine = wf.add_action(
        complaint, kind=ActionKind.FINE, amount=Decimal("300"), by=qc_user, now=now
    )
    assert fine.charged_technician_id == complaint.technician_id


def test_actions_that_answer_a_valid_complaint_wait_for_the_classification(
    db, complaint, qc_user, now
):
    for kind in (ActionKind.FINE, ActionKind.REFUND, ActionKind.REDO, ActionKind.BLOCK):
        refused(
            lambda kind=kind: wf.add_action(
                complaint, kind=kind, amount=Decimal("10"), by=qc_user, now=now
            ),
            "kind",
        )
    # A goodwill gesture may answer even an unclassified (or invalid) complaint.
    gesture = wf.add_action(
        complaint, kind=ActionKind.GOODWILL, note="Free car wash", by=qc_user, now=now
    )
    assert gesture.amount is None and gesture.charged_technician_id is None


def test_amounts_are_checked_per_action(db, complaint, qc_user, now):
    decided_valid(db, complaint, qc_user, now)
    add = lambda kind, amount, **kw: wf.add_action(  # noqa: E731
        complaint, kind=kind, amount=amount, by=qc_user, now=now, **kw
    )
    assert "Enter the amount" in str(refused(lambda: add(ActionKind.FINE, None), "amount").message)
    refused(lambda: add(ActionKind.FINE, Decimal("0")), "amount")
    refused(lambda: add(ActionKind.FINE, Decimal("1.005")), "amount")
    refused(lambda: add(ActionKind.REFUND, Decimal("12500.01")), "amount")  # more than the order
    refused(lambda: add(ActionKind.REDO, Decimal("100")), "amount")
    refund = add(ActionKind.REFUND, Decimal("12500.00"))
    assert refund.charged_technician_id is None  # the company refunds; a fine charges the tech


def test_block_needs_a_reason_and_blocks_the_technician(db, complaint, qc_user, now):
    decided_valid(db, complaint, qc_user, now)
    refused(lambda: wf.add_action(complaint, kind=ActionKind.BLOCK, by=qc_user, now=now), "note")
    wf.add_action(
        complaint, kind=ActionKind.BLOCK, note="Third rude visit this month", by=qc_user, now=now
    )
    db.session.commit()
    technician = complaint.technician
    assert technician.status == TechnicianStatus.BLOCKED
    assert (technician.blocked_by_id, technician.blocked_reason) == (
        qc_user.id,
        "Third rude visit this month",
    )
    assert db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.action == "technician.blocked", AuditEntry.entity_id == str(technician.id)
        )
    )
    refused(
        lambda: wf.add_action(complaint, kind=ActionKind.BLOCK, note="again", by=qc_user, now=now),
        "kind",
    )


# --- resolve, close, reopen --------------------------------------------------------------------


def test_closing_needs_an_answer_a_decision_a_cause_and_an_action(db, complaint, qc_user, now):
    error = refused(lambda: wf.close(complaint, by=qc_user, now=now))
    assert "log the answer given to the customer" in str(error.message)
    assert "classify it valid or invalid" in str(error.message)
    decided_valid(db, complaint, qc_user, now)
    error = refused(lambda: wf.resolve(complaint, by=qc_user, now=now))
    assert "name the cause" in str(error.message) and "an action" in str(error.message)
    wf.set_cause(
        complaint, cause="workmanship", technician=complaint.technician, by=qc_user, now=now
    )
    wf.add_action(complaint, kind=ActionKind.REDO, note="Monday 10:00", by=qc_user, now=now)

    wf.resolve(complaint, note="Re-done", by=qc_user, now=now)
    assert (complaint.status, complaint.resolved_at) == (ComplaintStatus.RESOLVED, now)
    later = now + timedelta(hours=2)
    wf.close(complaint, by=qc_user, now=later)
    db.session.commit()
    assert (complaint.status, complaint.resolved_at, complaint.closed_at) == (
        ComplaintStatus.CLOSED,
        now,
        later,
    )
    assert kinds(complaint)[-2:] == ["resolved", "closed"]
    assert audited(db, complaint)[-2:] == ["complaint.resolved", "complaint.closed"]
    refused(lambda: wf.note(complaint, body="", by=qc_user, now=now), "body")
    refused(lambda: wf.classify(complaint, validity="valid", reason="x", by=qc_user, now=now))


def test_an_invalid_complaint_closes_without_cause_or_action(db, complaint, qc_user, now):
    wf.log_contact(complaint, summary="Explained the warranty terms", by=qc_user, now=now)
    wf.classify(complaint, validity=Validity.INVALID, reason="Not our work", by=qc_user, now=now)
    wf.close(complaint, by=qc_user, now=now)
    assert complaint.status == ComplaintStatus.CLOSED


def test_reopen_needs_a_reason_and_puts_it_back_to_work(db, complaint, qc_user, now):
    refused(lambda: wf.reopen(complaint, reason="x", by=qc_user, now=now))  # still open
    wf.log_contact(complaint, summary="Explained", by=qc_user, now=now)
    wf.classify(complaint, validity=Validity.INVALID, reason="Not our work", by=qc_user, now=now)
    wf.close(complaint, by=qc_user, now=now)
    refused(lambda: wf.reopen(complaint, reason=" ", by=qc_user, now=now), "reason")
    wf.reopen(complaint, reason="Customer sent photos", by=qc_user, now=now)
    db.session.commit()
    assert complaint.status == ComplaintStatus.NEW  # nobody holds it
    assert complaint.closed_at is None and complaint.resolved_at is None
    assert complaint.events[-1].data == {"before": "closed"}


# --- merge -------------------------------------------------------------------------------------


def test_a_duplicate_is_merged_keeping_the_link_both_ways(db, open_complaint, qc_user, now):
    first = open_complaint()
    again = open_complaint(order=first.order)
    wf.merge(again, first, note="Same engine light", by=qc_user, now=now)
    db.session.commit()
    assert (again.status, again.merged_into_id) == (ComplaintStatus.MERGED, first.id)
    assert again.events[-1].data == {"into": first.id}
    assert (first.events[-1].kind, first.events[-1].data) == ("merged_from", {"from": again.id})
    assert "complaint.merged" in audited(db, again)
    error = refused(lambda: wf.classify(again, validity="valid", reason="x", by=qc_user, now=now))
    assert f"merged into #{first.id}" in str(error.message)


def test_merge_refuses_itself_another_customer_and_a_merged_target(
    db, open_complaint, qc_user, now
):
    mine = open_complaint()
    theirs = open_complaint()  # another order, another customer
    refused(lambda: wf.merge(mine, mine, by=qc_user, now=now), "into")
    refused(lambda: wf.merge(mine, theirs, by=qc_user, now=now), "into")
    case = open_complaint(order=mine.order, kind=ComplaintKind.POACHING)
    refused(lambda: wf.merge(mine, case, by=qc_user, now=now), "into")
    third = open_complaint(order=mine.order)
    wf.merge(third, mine, by=qc_user, now=now)
    fourth = open_complaint(order=mine.order)
    error = refused(lambda: wf.merge(fourth, third, by=qc_user, now=now), "into")
    assert f"#{mine.id}" in str(error.message)


# --- waiting for the customer ------------------------------------------------------------------


@on_both_databases
def test_waiting_for_the_customer_stops_the_clocks(db, complaint, qc_user, now):
    answer_due = complaint.first_answer_due_at
    wf.wait_for_customer(complaint, note="Asked for photos", by=qc_user, now=now)
    db.session.commit()
    assert (complaint.status, complaint.sla_paused_at) == (ComplaintStatus.WAITING_CUSTOMER, now)
    refused(lambda: wf.wait_for_customer(complaint, by=qc_user, now=now))

    wf.resume(complaint, note="Photos arrived", by=qc_user, now=now + timedelta(hours=3))
    db.session.commit()
    assert complaint.status == ComplaintStatus.NEW
    assert complaint.sla_paused_at is None
    assert complaint.first_answer_due_at == answer_due + timedelta(hours=3)
    assert complaint.events[-1].data == {"paused_seconds": 3 * 3600}
    assert audited(db, complaint)[-2:] == ["complaint.waiting", "complaint.resumed"]
    refused(lambda: wf.resume(complaint, by=qc_user, now=now))


def test_every_step_is_in_the_timeline_with_who_and_when(db, complaint, qc_user, now):
    wf.hand_over(complaint, assignee=qc_user, department="service", by=qc_user, now=now)
    wf.note(complaint, body="Check the sensor", by=qc_user, now=now)
    decided_valid(db, complaint, qc_user, now)
    events = db.session.scalars(
        select(ComplaintEvent)
        .where(ComplaintEvent.complaint_id == complaint.id)
        .order_by(ComplaintEvent.id)
    ).all()
    assert [e.kind for e in events] == ["created", "assigned", "note", "contact", "classified"]
    assert all(e.actor_id == qc_user.id and e.at == now for e in events[1:])
    assert (complaint.assignee_id, complaint.department) == (qc_user.id, "service")
    refused(
        lambda: wf.hand_over(
            complaint, assignee=qc_user, department="service", by=qc_user, now=now
        ),
        "assignee",
    )
    refused(
        lambda: wf.hand_over(complaint, assignee=qc_user, department="moon", by=qc_user, now=now),
        "department",
    )
