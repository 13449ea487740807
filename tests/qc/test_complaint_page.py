"""The complaint page: what QC sees (the frozen order, the answers, the call and its recording,
the customer's history, the timeline) and the actions through it, with htmx and as plain
forms; a refused step is said next to its field."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from console.models import ActionKind, ComplaintStatus, Role, Validity
from console.services.complaints import workflow as wf
from tests.qc import complaint_fixtures

open_complaint, qc_user = complaint_fixtures.open_complaint, complaint_fixtures.qc_user

HX = {"HX-Request": "true"}


def page_of(client, complaint) -> str:
    response = client.get(f"/qc/complaints/{complaint.id}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def post(client, complaint, action: str, data: dict, htmx: bool = True):
    return client.post(
        f"/qc/complaints/{complaint.id}/{action}", data=data, headers=HX if htmx else {}
    )


@pytest.fixture
def complaint(open_complaint):
    return open_complaint(recording_url="https://pbx.example/rec/311.mp3")


def test_the_page_shows_the_frozen_order_the_answers_the_call_and_the_timeline(
    db, client, login_as, complaint, qc_user
):
    order = complaint.order
    frozen_customer = order.customer.name
    order.customer.name = "Renamed Later"  # later edits don't rewrite the complaint
    db.session.commit()
    login_as(qc_user)
    html = page_of(client, complaint)
    assert f"#{complaint.id} · quality" in html
    assert frozen_customer in html and order.external_id in html
    assert "The problem is not fixed" in html and "Engine light is on again" in html
    assert "Anna Operator" in html  # who made the call
    assert 'href="https://pbx.example/rec/311.mp3"' in html
    assert "Opened from the call" in html
    assert 'data-deadline="answer"' in html  # the deadline badge says what is due next
    assert "log the answer given to the customer" in html


def test_a_recording_link_that_is_not_http_is_not_shown(client, login_as, open_complaint, qc_user):
    complaint = open_complaint(recording_url="javascript:alert(1)")
    login_as(qc_user)
    html = page_of(client, complaint)
    assert "javascript:alert" not in html
    assert "No recording is linked to this call." in html


def test_customer_history_counts_earlier_complaints_and_marks_frequent_complainers(
    db, client, login_as, open_complaint, qc_user, make_order
):
    first = open_complaint()
    customer = first.customer
    earlier = [
        open_complaint(order=make_order(customer=customer, client=first.client)) for _ in range(2)
    ]
    now = first.created_at + timedelta(minutes=5)
    wf.log_contact(earlier[0], summary="Explained", by=qc_user, now=now)
    wf.classify(earlier[0], validity=Validity.INVALID, reason="Not ours", by=qc_user, now=now)
    db.session.commit()
    login_as(qc_user)
    html = page_of(client, first)
    history = html[html.index('id="customer-history"') :]
    assert "complains often" in history  # 3 complaints within the window (FREQUENT_COMPLAINER_*)
    assert "3 orders" in history and "3 complaints" in history
    assert "100% found invalid" in history  # of the decided ones
    for other in earlier:
        assert f'href="/qc/complaints/{other.id}"' in history


def test_roles(client, login_as, complaint, make_user):
    login_as(make_user(Role.SUPERVISOR))
    assert client.get(f"/qc/complaints/{complaint.id}").status_code == 200
    assert post(client, complaint, "note", {"note-body": "Looked at it"}).status_code == 200
    client.post("/logout")
    login_as(make_user(Role.OPERATOR))
    assert client.get(f"/qc/complaints/{complaint.id}").status_code == 403
    assert post(client, complaint, "note", {"note-body": "x"}).status_code == 403
    assert client.get("/qc/complaints/99999").status_code in (403, 404)


def test_an_htmx_action_swaps_the_work_area_and_the_header(
    db, client, login_as, complaint, qc_user
):
    login_as(qc_user)
    response = post(
        client, complaint, "assign", {"assign-assignee": str(qc_user.id), "assign-department": ""}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "complaint-updated"
    assert html.lstrip().startswith('<div class="cp-work" id="complaint-work">')
    assert 'id="complaint-header" hx-swap-oob="true"' in html
    assert "Assigned to Quinn QC" in html
    assert "<html" not in html  # a fragment, not the page
    db.session.rollback()
    assert complaint.assignee_id == qc_user.id
    assert complaint.status == ComplaintStatus.IN_PROGRESS


def test_a_plain_form_redirects_back_to_the_page_with_a_message(
    client, login_as, complaint, qc_user
):
    login_as(qc_user)
    response = post(client, complaint, "note", {"note-body": "Parts ordered"}, htmx=False)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/qc/complaints/{complaint.id}#timeline")
    html = page_of(client, complaint)
    assert "Note added." in html and "Parts ordered" in html


def test_a_refused_step_is_said_next_to_its_field(db, client, login_as, complaint, qc_user):
    login_as(qc_user)
    response = post(client, complaint, "classify", {"classify-validity": "valid"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'data-open="classify"' in html  # the panel stays open, with what was typed
    assert re.search(r'id="classify-reason-error">Say why\.<', html)
    assert 'value="valid" checked' in html or "checked" in html

    # Without htmx: the whole page, 422, the same message next to the same field.
    response = post(
        client, complaint, "action", {"action-kind": "fine", "action-amount": "500"}, False
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "<html" in html and "Classify the complaint as valid first" in html
    db.session.rollback()
    assert complaint.validity is None and complaint.actions == []


def test_a_bad_amount_is_refused_by_the_form(client, login_as, complaint, qc_user):
    login_as(qc_user)
    response = post(
        client, complaint, "action", {"action-kind": "goodwill", "action-amount": "lots"}
    )
    assert response.status_code == 422
    assert 'id="action-amount-error"' in response.get_data(as_text=True)


def test_qc_works_a_complaint_through_its_page(db, client, login_as, complaint, qc_user):
    login_as(qc_user)
    technician = complaint.technician
    steps = [
        ("contact", {"contact-channel": "phone", "contact-summary": "Apologised"}),
        ("classify", {"classify-validity": "valid", "classify-reason": "Light back on"}),
        ("cause", {"cause-cause": "workmanship", "cause-responsible": f"t:{technician.id}"}),
        ("action", {"action-kind": "fine", "action-amount": "1500", "action-note": "Connector"}),
        ("resolve", {"finish-note": "Fixed on Monday"}),
        ("close", {"finish-note": ""}),
    ]
    for action, data in steps:
        response = post(client, complaint, action, data)
        assert response.status_code == 200, (action, response.get_data(as_text=True)[:2000])
    db.session.rollback()
    assert complaint.status == ComplaintStatus.CLOSED
    assert complaint.responsible_technician_id == technician.id
    [fine] = complaint.actions
    assert (fine.kind, fine.amount) == (ActionKind.FINE, Decimal("1500.00"))
    html = page_of(client, complaint)
    for text in ("Closed", "Resolved", "Fine of", "Cause: Workmanship", "Classified valid"):
        assert text in html
    # A closed complaint offers a note, a contact, an email to the customer and reopening.
    tabs = re.findall(r'data-panel="(\w+)">', html)
    assert sorted(set(tabs)) == ["contact", "email", "note", "reopen"]


def test_waiting_for_the_customer_and_back(db, client, login_as, complaint, qc_user):
    login_as(qc_user)
    assert post(client, complaint, "wait", {"wait-note": "Asked for photos"}).status_code == 200
    db.session.rollback()
    assert complaint.status == ComplaintStatus.WAITING_CUSTOMER
    html = page_of(client, complaint)
    assert 'data-deadline-state="paused"' in html
    assert "The customer is back: resume" in html
    assert post(client, complaint, "resume", {"wait-note": ""}).status_code == 200
    db.session.rollback()
    assert complaint.status == ComplaintStatus.NEW and complaint.sla_paused_at is None


def test_merge_a_duplicate_through_the_page(db, client, login_as, open_complaint, qc_user):
    first = open_complaint()
    again = open_complaint(order=first.order)
    login_as(qc_user)
    assert f'<option value="{first.id}">#{first.id}' in page_of(client, again)
    response = post(client, again, "merge", {"merge-into": str(first.id), "merge-note": "Same"})
    assert response.status_code == 200
    html = page_of(client, again)
    assert "This is a duplicate, merged into" in html
    assert f'href="/qc/complaints/{first.id}"' in html
    assert f"#{again.id}" in page_of(client, first)  # the kept one names its duplicate
    assert "was merged into this complaint" in page_of(client, first)


def test_an_amount_typed_the_russian_way_is_understood(db, client, login_as, complaint, qc_user):
    login_as(qc_user)
    response = post(
        client, complaint, "action", {"action-kind": "goodwill", "action-amount": "1 500,50"}
    )
    assert response.status_code == 200
    db.session.rollback()
    assert complaint.actions[0].amount == Decimal("1500.50")


def test_a_step_from_a_stale_page_says_why_it_was_refused(db, client, login_as, complaint, qc_user):
    login_as(qc_user)
    wf.log_contact(complaint, summary="Explained", by=qc_user, now=complaint.created_at)
    wf.classify(
        complaint, validity="invalid", reason="Not ours", by=qc_user, now=complaint.created_at
    )
    wf.close(complaint, by=qc_user, now=complaint.created_at)  # a colleague, meanwhile
    db.session.commit()
    response = post(
        client, complaint, "classify", {"classify-validity": "valid", "classify-reason": "x"}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This complaint is closed: reopen it first." in html
    assert 'id="complaint-header" hx-swap-oob="true"' in html  # the header catches up
