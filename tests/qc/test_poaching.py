"""The anti-poaching process (DOMAIN.md, 003): call back, then confirmed (full refund charged to
the technician, technician blocked, case resolved) or not confirmed (case closed, "under review"
cleared); unblocking is an admin's, with a reason. Every step: timeline and audit log."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from console.models import (
    ActionKind,
    AuditEntry,
    ComplaintKind,
    ComplaintStatus,
    Role,
    TechnicianStatus,
    Validity,
    utcnow,
)
from console.services.complaints import poaching
from console.services.complaints import workflow as wf
from console.services.complaints.workflow import NotAllowed, WorkflowError
from tests.helpers import on_both_databases
from tests.qc import complaint_fixtures

open_complaint, qc_user = complaint_fixtures.open_complaint, complaint_fixtures.qc_user
in_a_request = complaint_fixtures.in_a_request

HX = {"HX-Request": "true"}


@pytest.fixture
def case(open_complaint):
    return open_complaint(kind=ComplaintKind.POACHING)


@pytest.fixture
def admin(make_user):
    return make_user(Role.ADMIN, name="Ada Admin")


def audit_actions(db, entity_type: str, entity_id) -> list[str]:
    return list(
        db.session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_id == str(entity_id))
            .order_by(AuditEntry.id)
        )
    )


def called_back(db, case, qc_user, said="Yes, he gave me his card"):
    wf.log_contact(case, summary=said, by=qc_user, now=utcnow())
    db.session.commit()


@pytest.mark.usefixtures("in_a_request")
def test_nothing_is_decided_before_the_customer_is_called_back(db, case, qc_user):
    for step, field in (
        (lambda: poaching.confirm(case, by=qc_user, now=utcnow()), "note"),
        (lambda: poaching.confirm(case, by=qc_user, now=utcnow(), note="  "), "note"),
        (lambda: poaching.check_confirm(case, note=""), "note"),
        (lambda: poaching.not_confirmed(case, by=qc_user, now=utcnow(), reason=" "), "reason"),
    ):
        with pytest.raises(WorkflowError) as caught:
            step()
        assert "Call the customer back first" in str(caught.value.message)
        assert caught.value.field == field  # shown under the decision's own text box
    assert case.status == ComplaintStatus.NEW
    assert case.technician.under_review_since is not None
    assert not case.technician.is_blocked
    assert case.first_answered_at is None


@on_both_databases
def test_what_the_customer_said_with_the_decision_is_the_call_back(db, case, qc_user):
    """The Decision tab's text, when no contact was logged, is logged as that contact (the
    Contact tab's step: timeline, audit, first answer), then the case is decided."""
    now = utcnow()
    poaching.check_confirm(case, note="He left his card")  # would be taken; changes nothing
    assert case.first_answered_at is None
    assert all(e.kind != "contact" for e in case.events)
    poaching.confirm(case, by=qc_user, now=now, note="He left his card")
    db.session.commit()
    assert case.first_answered_at == now
    contact = next(e for e in case.events if e.kind == "contact")
    assert (contact.body, contact.data["channel"], contact.data["first"]) == (
        "He left his card",
        "phone",
        True,
    )
    kinds = [e.kind for e in case.events]
    assert kinds.index("contact") < kinds.index("poaching_confirmed")
    assert "complaint.contact" in audit_actions(db, "Complaint", case.id)
    assert case.technician.is_blocked and case.status == ComplaintStatus.RESOLVED


def test_not_confirmed_with_what_the_customer_said_logs_the_call_back(db, case, qc_user):
    poaching.not_confirmed(case, by=qc_user, now=utcnow(), reason="Nobody left contacts")
    db.session.commit()
    assert [e.kind for e in case.events][-2:] == ["contact", "poaching_not_confirmed"]
    assert case.first_answered_at is not None
    assert case.status == ComplaintStatus.CLOSED


def test_a_logged_call_back_is_not_logged_twice(db, case, qc_user):
    called_back(db, case, qc_user)
    poaching.confirm(case, by=qc_user, now=utcnow(), note="Confirmed on the call back")
    db.session.commit()
    assert [e.kind for e in case.events].count("contact") == 1


@on_both_databases
def test_confirmed_refunds_the_full_order_from_the_technician_and_blocks_them(db, case, qc_user):
    technician = case.technician
    called_back(db, case, qc_user)
    now = utcnow()
    refund = poaching.confirm(case, by=qc_user, now=now, note="Card with a private number")
    db.session.commit()

    assert (refund.kind, refund.amount, refund.charged_technician_id) == (
        ActionKind.REFUND,
        Decimal("12500.00"),
        technician.id,
    )
    assert technician.status == TechnicianStatus.BLOCKED
    assert (technician.blocked_at, technician.blocked_by_id) == (now, qc_user.id)
    assert technician.blocked_reason == "Card with a private number"
    assert technician.under_review_since is None
    assert (case.status, case.resolved_at, case.validity) == (
        ComplaintStatus.RESOLVED,
        now,
        Validity.VALID,
    )
    steps = [(e.kind, (e.data or {}).get("kind")) for e in case.events]
    assert steps[-4:] == [
        ("poaching_confirmed", None),
        ("action", "refund"),
        ("action", "block"),
        ("resolved", None),
    ]
    assert all(e.actor_id == qc_user.id and e.at == now for e in case.events[-4:])
    assert audit_actions(db, "Complaint", case.id)[-4:] == [
        "complaint.poaching_confirmed",
        "complaint.action",
        "complaint.action",
        "complaint.resolved",
    ]
    assert audit_actions(db, "Technician", technician.id) == ["technician.blocked"]


def test_confirming_again_after_a_reopen_adds_no_second_refund(db, case, qc_user):
    called_back(db, case, qc_user)
    poaching.confirm(case, by=qc_user, now=utcnow())
    wf.reopen(case, reason="Checking the amount", by=qc_user, now=utcnow())
    poaching.confirm(case, by=qc_user, now=utcnow())
    db.session.commit()
    assert [a.kind for a in case.actions] == [ActionKind.REFUND, ActionKind.BLOCK]
    assert case.status == ComplaintStatus.RESOLVED


@pytest.mark.usefixtures("in_a_request")
def test_not_confirmed_closes_the_case_and_clears_the_review(db, case, qc_user):
    technician = case.technician
    called_back(db, case, qc_user, said="No, nobody left contacts")
    with pytest.raises(WorkflowError) as caught:
        poaching.not_confirmed(case, by=qc_user, now=utcnow(), reason=" ")
    assert caught.value.field == "reason"
    poaching.not_confirmed(case, by=qc_user, now=utcnow(), reason="Customer misunderstood")
    db.session.commit()
    assert (case.status, case.validity) == (ComplaintStatus.CLOSED, Validity.INVALID)
    assert technician.under_review_since is None
    assert technician.status == TechnicianStatus.ACTIVE
    assert case.actions == []
    assert case.events[-1].data["review_cleared"] is True
    assert "complaint.poaching_not_confirmed" in audit_actions(db, "Complaint", case.id)


def test_another_open_case_keeps_the_technician_under_review(db, open_complaint, qc_user):
    first = open_complaint(kind=ComplaintKind.POACHING)
    second = open_complaint(
        kind=ComplaintKind.POACHING, technician=first.technician, client=first.client
    )
    called_back(db, first, qc_user, said="No")
    poaching.not_confirmed(first, by=qc_user, now=utcnow(), reason="Not confirmed")
    db.session.commit()
    assert second.status == ComplaintStatus.NEW
    assert first.technician.under_review_since is not None


@pytest.mark.usefixtures("in_a_request")
def test_a_poaching_case_takes_no_ordinary_complaint_steps(db, case, qc_user):
    called_back(db, case, qc_user)
    for step in (
        lambda: wf.classify(case, validity=Validity.VALID, reason="x", by=qc_user, now=utcnow()),
        lambda: wf.add_action(
            case, kind=ActionKind.GOODWILL, amount=Decimal("10"), by=qc_user, now=utcnow()
        ),
        lambda: wf.resolve(case, by=qc_user, now=utcnow()),
    ):
        with pytest.raises(WorkflowError) as caught:
            step()
        assert "own steps" in str(caught.value.message)


# --- unblocking: admins only -------------------------------------------------------------------


@pytest.mark.usefixtures("in_a_request")
def test_only_an_admin_unblocks_and_only_with_a_reason(db, case, qc_user, admin):
    technician = case.technician
    called_back(db, case, qc_user)
    poaching.confirm(case, by=qc_user, now=utcnow())
    db.session.commit()
    with pytest.raises(NotAllowed):
        poaching.unblock_technician(technician, by=qc_user, now=utcnow(), reason="Sorry")
    with pytest.raises(WorkflowError) as caught:
        poaching.unblock_technician(technician, by=admin, now=utcnow(), reason="")
    assert caught.value.field == "reason"
    assert technician.is_blocked

    now = utcnow()
    poaching.unblock_technician(technician, by=admin, now=now, reason="Settled with the client")
    db.session.commit()
    assert technician.status == TechnicianStatus.ACTIVE
    assert technician.blocked_at is None and technician.blocked_by_id is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "technician.unblocked"))
    assert (entry.actor_id, entry.details["reason"]) == (admin.id, "Settled with the client")
    assert entry.details["before"]["blocked_by"] == qc_user.id
    last = case.events[-1]
    assert (last.kind, last.actor_id, last.body) == (
        "technician_unblocked",
        admin.id,
        "Settled with the client",
    )
    with pytest.raises(WorkflowError):  # not blocked any more
        poaching.unblock_technician(technician, by=admin, now=now, reason="again")


# --- through the pages -------------------------------------------------------------------------


def test_qc_confirms_a_case_on_its_page(db, client, login_as, case, qc_user):
    login_as(qc_user)
    url = f"/qc/complaints/{case.id}"
    page = client.get(url).get_data(as_text=True)
    assert "anti-poaching case" in page
    assert "under review" in page  # the technician's mark
    assert "Call the customer back and log what they said" in page

    # Nothing said, no contact logged: refused under the text box, nothing asked.
    response = client.post(f"{url}/confirm", data={"decide-text": " "}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Call the customer back first" in html
    assert "Yes: refund and block" not in html

    # What the customer said, on the Decision tab: checked, then asked (nothing changed yet).
    response = client.post(f"{url}/confirm", data={"decide-text": "Card left"}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Yes: refund and block" in html
    assert f"from {case.technician.name}'s pay and block them?" in html
    assert 'name="decide-sure"' in html and "Card left" in html
    db.session.rollback()
    assert not case.technician.is_blocked
    assert case.first_answered_at is None
    assert [e.kind for e in case.events] == ["created"]

    # Yes: the text is logged as the contact, then refund and block.
    response = client.post(
        f"{url}/confirm", data={"decide-text": "Card left", "decide-sure": "y"}, headers=HX
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html
    assert "Customer contacted" in html
    assert "Refund of" in html and "deducted from" in html
    assert "blocked: no new orders" in html
    db.session.rollback()
    assert case.technician.is_blocked
    page = client.get(url).get_data(as_text=True)
    assert "tech-blocked" in page  # shown as blocked on the page


def test_admin_sees_blocked_technicians_and_unblocks_with_a_reason(
    db, client, login_as, case, qc_user, admin
):
    called_back(db, case, qc_user)
    poaching.confirm(case, by=qc_user, now=utcnow(), note="Private card")
    db.session.commit()
    technician = case.technician
    login_as(admin)
    page = client.get("/admin/technicians?show=blocked").get_data(as_text=True)
    assert technician.name in page and "Private card" in page
    assert f"#{case.id}" in page

    url = f"/admin/technicians/{technician.id}/unblock"
    response = client.post(url, data={f"t{technician.id}-reason": ""})
    assert response.status_code == 422
    assert "Say why the block is lifted." in response.get_data(as_text=True)

    response = client.post(url, data={f"t{technician.id}-reason": "Client vouched for him"})
    assert response.status_code == 303
    db.session.rollback()
    assert not technician.is_blocked
    page = client.get("/admin/technicians").get_data(as_text=True)
    assert "is unblocked and can get orders again" in page


def test_qc_cannot_unblock(db, client, login_as, case, qc_user):
    called_back(db, case, qc_user)
    poaching.confirm(case, by=qc_user, now=utcnow())
    db.session.commit()
    login_as(qc_user)
    technician = case.technician
    response = client.post(
        f"/admin/technicians/{technician.id}/unblock", data={f"t{technician.id}-reason": "x"}
    )
    assert response.status_code == 403
    db.session.rollback()
    assert technician.is_blocked


def test_orders_still_arriving_for_the_blocked_technician_show_on_the_case(
    db, client, login_as, case, qc_user, make_order
):
    called_back(db, case, qc_user)
    poaching.confirm(case, by=qc_user, now=utcnow())
    db.session.commit()
    # The order intake flags an order that arrives for a blocked technician.
    late = make_order(
        technician=case.technician,
        client=case.client,
        external_id="A-20001",
        blocked_technician_flag=True,
    )
    login_as(qc_user)
    html = client.get(f"/qc/complaints/{case.id}").get_data(as_text=True)
    flagged = html[html.index('id="complaint-flagged-orders"') :]
    assert "1 order arrived while blocked" in flagged and late.external_id in flagged[:400]


def test_qc_follows_up_a_flagged_order_and_it_leaves_the_to_do_list(
    db, client, login_as, case, qc_user, make_order
):
    late = make_order(
        technician=case.technician,
        client=case.client,
        external_id="A-20002",
        blocked_technician_flag=True,
    )
    login_as(qc_user)
    assert "A-20002" in client.get("/qc/orders/flagged").get_data(as_text=True)

    # Saying nothing about what was done is refused, and the order stays on the list.
    refused = client.post(f"/qc/orders/flagged/{late.id}/handled", data={"note": "  "})
    assert refused.status_code == 303
    page = client.get("/qc/orders/flagged").get_data(as_text=True)
    assert "Say what was done about it." in page and "A-20002" in page

    client.post(
        f"/qc/orders/flagged/{late.id}/handled",
        data={"note": "Client told; the job moved to another technician."},
    )
    to_do = client.get("/qc/orders/flagged").get_data(as_text=True)
    assert "is handled" in to_do  # the flash message
    assert "<td>A-20002<br>" not in to_do  # and no longer a row to follow up
    handled = client.get("/qc/orders/flagged?show=handled").get_data(as_text=True)
    assert "<td>A-20002<br>" in handled and "moved to another technician" in handled
    db.session.rollback()
    assert late.blocked_flag_handled_by_id == qc_user.id
    assert "order.blocked_flag_handled" in audit_actions(db, "Order", late.id)


def test_without_javascript_confirmed_is_asked_on_the_page_then_taken(
    db, client, login_as, case, qc_user
):
    login_as(qc_user)
    url = f"/qc/complaints/{case.id}"
    response = client.post(f"{url}/confirm", data={"decide-text": "He left a card"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200  # the whole page, the question in the Decision panel
    assert 'id="decide-confirm"' in html and "Yes: refund and block" in html
    assert "He left a card</textarea>" in html  # kept as typed
    db.session.rollback()
    assert not case.technician.is_blocked

    response = client.post(
        f"{url}/confirm", data={"decide-text": "He left a card", "decide-sure": "y"}
    )
    assert response.status_code == 303
    db.session.rollback()
    assert case.technician.is_blocked
    assert case.status == ComplaintStatus.RESOLVED
