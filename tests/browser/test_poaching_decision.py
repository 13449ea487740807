"""In a real browser, the anti-poaching decision on its own tab: what the customer said, written
there, is the call back (logged as the customer contact); Confirmed is checked by the server
first and only then asked about on the page, never by a browser dialog before the check."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.models import ComplaintKind, ComplaintStatus, Role
from tests.browser.conftest import screenshot
from tests.browser.journeys import CSRF_ON, axe_violations, sign_in
from tests.browser.test_qc_journey import open_tab
from tests.qc import complaint_fixtures

open_complaint = complaint_fixtures.open_complaint

pytestmark = pytest.mark.browser


@CSRF_ON
def test_the_decision_tab_checks_then_asks_then_confirms(
    page, live_server, db, make_user, open_complaint, app_config
):
    case = open_complaint(kind=ComplaintKind.POACHING)
    technician = case.technician
    qc = make_user(Role.QC, name="Quinn QC", timezone="Europe/Moscow")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, live_server, qc, "Complaints")
    page.goto(f"{live_server}/qc/complaints/{case.id}")
    header = page.locator("#complaint-header")
    timeline = page.locator("#timeline")

    # No contact logged and nothing written: refused under the box, nothing asked.
    panel = open_tab(page, "Decide the case")
    expect(panel).to_contain_text("logged as the customer contact")
    panel.get_by_role("button", name="Confirmed: refund and block").click()
    expect(panel.locator(".error")).to_contain_text("Call the customer back first")
    expect(page.locator("#decide-confirm")).to_have_count(0)
    assert dialogs == []

    # Written on this tab: the server checks it, then the page asks; Cancel changes nothing.
    panel = page.locator("#panel-decide")
    panel.get_by_label("What the customer said").fill("He left his card and offered 30% off.")
    panel.get_by_role("button", name="Confirmed: refund and block").click()
    question = page.locator("#decide-confirm")
    expect(question).to_contain_text(f"from {technician.name}'s pay and block them?")
    expect(page.get_by_role("button", name="Yes: refund and block")).to_be_focused()
    screenshot(page, "qc-poaching-decision-asks")
    question.get_by_role("link", name="Cancel").click()
    expect(question).to_have_count(0)
    expect(panel.get_by_label("What the customer said")).to_have_value(
        "He left his card and offered 30% off."
    )
    db.session.rollback()
    assert not db.session.get(type(technician), technician.id, populate_existing=True).is_blocked

    # Asked again, and yes: the text is the contact, then the refund and the block.
    panel.get_by_role("button", name="Confirmed: refund and block").click()
    page.get_by_role("button", name="Yes: refund and block").click()
    expect(header.locator(".cp-status")).to_have_text("resolved")
    expect(timeline).to_contain_text("Customer contacted")
    expect(timeline).to_contain_text("He left his card and offered 30% off.")
    expect(header.locator(".tech-blocked")).to_have_text("blocked")
    assert dialogs == []
    db.session.rollback()
    case = db.session.get(type(case), case.id, populate_existing=True)
    assert case.status == ComplaintStatus.RESOLVED and case.first_answered_at is not None
    assert [e.kind for e in case.events].count("contact") == 1


@CSRF_ON
def test_the_question_in_russian_on_a_phone(
    page, live_server, db, make_user, open_complaint, app_config
):
    case = open_complaint(kind=ComplaintKind.POACHING)
    qc = make_user(Role.QC, name="Квинн", timezone="Europe/Moscow", locale="ru")
    page.set_viewport_size({"width": 390, "height": 844})
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, live_server, qc, "Жалобы")
    page.goto(f"{live_server}/qc/complaints/{case.id}")
    panel = open_tab(page, "Решение по делу")
    panel.get_by_label("Что сказал клиент").fill("Оставил визитку с личным номером.")
    panel.get_by_role("button", name="Подтверждено: возврат и блокировка").click()
    yes = page.get_by_role("button", name="Да: вернуть деньги и заблокировать")
    expect(yes).to_be_focused()
    expect(page.locator("#decide-confirm")).to_contain_text("12\u00a0500,00")
    box = yes.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert axe_violations(page) == []
    screenshot(page, "qc-poaching-decision-asks-ru-phone")
    yes.click()
    expect(page.locator("#timeline")).to_contain_text("Оставил визитку с личным номером.")
    assert dialogs == []
