"""In a real browser, the anti-poaching process (DOMAIN.md, 003): the customer says the
technician left personal contacts; the call opens a case; QC calls the customer back and
confirms; the full order amount is refunded from the technician's pay and the technician is
blocked; an order that still arrives for that technician is flagged to QC."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.models import (
    ActionKind,
    AuditEntry,
    Complaint,
    ComplaintKind,
    Role,
    Technician,
    TechnicianStatus,
    utcnow,
)
from console.services.orders import intake as order_intake
from tests.browser.conftest import screenshot
from tests.browser.journeys import CSRF_ON, question, sign_in
from tests.browser.test_qc_journey import call_due, open_tab

pytestmark = pytest.mark.browser
__all__ = ["call_due"]  # the fixture, imported for pytest


@CSRF_ON
def test_contacts_yes_to_a_blocked_technician_and_a_flagged_order(
    page, live_server, db, make_user, call_due, app_config
):
    operator = make_user(Role.OPERATOR, name="Anna Operator", timezone="Europe/Moscow")
    qc = make_user(Role.QC, name="Quinn QC", timezone="Europe/Moscow")

    # The call: all fine, except that the technician left his own phone number.
    sign_in(page, live_server, operator, "Calls")
    page.get_by_role("button", name="Next call").click()
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
    question(page, "speed").get_by_role("radio", name="5").check()
    question(page, "service").get_by_text("Polite and helpful").click()
    question(page, "quality").get_by_text("Satisfied", exact=True).click()
    question(page, "repeat_visit").get_by_text("No, first time").click()
    question(page, "price").get_by_text("Fair").click()
    question(page, "contacts").get_by_role("radio", name="Yes").check()
    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#notices")).to_contain_text("#")
    db.session.rollback()
    case = db.session.scalar(select(Complaint).where(Complaint.kind == ComplaintKind.POACHING))
    assert case is not None
    orlov = db.session.scalar(select(Technician).where(Technician.name == "S. Orlov"))
    assert orlov.under_review_since is not None
    page.get_by_role("button", name="Sign out").click()

    # QC opens the case: nothing can be decided before the customer is called back.
    sign_in(page, live_server, qc, "Complaints")
    page.goto(f"{live_server}/qc/complaints/{case.id}")
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"#{case.id}")
    timeline = page.locator("#timeline")
    panel = open_tab(page, "Customer contact")
    panel.get_by_label("What was said").fill(
        "Ivan confirms: the mechanic gave his mobile and offered to do the next service at home."
    )
    panel.get_by_role("button", name="Log the contact").click()
    expect(timeline.locator("li").first).to_contain_text("Customer contacted")

    # Confirmed: the refund of the whole order is charged to the technician, who is blocked.
    panel = open_tab(page, "Decide the case")
    panel.get_by_label("What the customer said").fill("Confirmed on the call-back.")
    panel.get_by_role("button", name="Confirmed: refund and block").click()
    page.get_by_role("button", name="Yes: refund and block").click()
    expect(timeline).to_contain_text("S. Orlov")
    expect(page.locator("#complaint-header")).to_contain_text("blocked")
    screenshot(page, "qc-poaching-journey-confirmed")

    db.session.rollback()
    orlov = db.session.get(Technician, orlov.id, populate_existing=True)
    assert orlov.status == TechnicianStatus.BLOCKED
    case = db.session.get(Complaint, case.id, populate_existing=True)
    [refund] = [a for a in case.actions if a.kind == ActionKind.REFUND]
    assert refund.amount == Decimal("12500.00")  # the full amount of the order
    assert refund.charged_technician_id == orlov.id
    steps = set(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor_id == qc.id)))
    assert any("confirm" in step for step in steps), steps
    assert any("block" in step for step in steps), steps

    # A new order still arrives for the blocked technician: it is flagged to QC.
    intake = order_intake.record_order(
        case.client,
        external_id="A-20931",
        phone="+79123456780",
        customer_name="Maria Sokolova",
        work_type=case.order.work_type,
        technician=orlov,
        completed_at=utcnow() - timedelta(hours=2),
        amount=Decimal("8300.00"),
        vehicle_make_model="Skoda Octavia",
        vehicle_plate="B456KM77",
    )
    db.session.commit()
    assert intake.blocked_technician
    page.goto(f"{live_server}/qc/orders/flagged")
    row = page.locator("tr", has_text="A-20931")
    expect(row).to_be_visible()
    expect(row).to_contain_text("S. Orlov")
    expect(page.get_by_text(re.compile("Maria Sokolova"))).to_be_visible()
    screenshot(page, "qc-poaching-journey-flagged-order")
    assert page.console_errors == []
