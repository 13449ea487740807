"""In a real browser, an admin sets up a client without the demo seeder: calling hours per
weekday (a field error first), a holiday, then a sampled work type. axe-core checks each page
for accessibility violations."""

from __future__ import annotations

from datetime import date

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.models import Client, Role, WorkType
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.browser.journeys import CSRF_ON, assert_accessible, sign_in

pytestmark = pytest.mark.browser


@CSRF_ON
def test_admin_adds_a_client_with_calling_hours_a_holiday_and_a_work_type(
    page, live_server, db, make_user, app_config
):
    admin = make_user(Role.ADMIN, name="Alex Admin", timezone="Europe/London")
    sign_in(page, live_server, admin, "Overview")
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_role("link", name="Clients").click()
    expect(page.get_by_role("heading", level=1, name="Clients")).to_be_visible()
    expect(page.get_by_text("No clients yet.")).to_be_visible()
    assert_accessible(page)

    # The new client: a key that is not a slug first.
    page.get_by_role("link", name="Add a client").click()
    expect(page.get_by_role("heading", level=1, name="New client")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Brightwell Motors")
    page.get_by_label("Key").fill("Brightwell Motors")
    page.get_by_label("Country").select_option("GB")
    page.get_by_label("Currency").select_option("GBP")
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Follow-up delay (days)").fill("7")
    # Saturday 10:00–16:00, Friday until 01:00 the next morning, Sunday closed.
    page.get_by_label("Saturday: calls from", exact=True).fill("10:00")
    page.get_by_label("Saturday: calls until", exact=True).fill("16:00")
    page.get_by_label("Friday: calls until", exact=True).fill("01:00")
    page.get_by_label("Sunday: calls", exact=True).select_option("closed")
    expect(page.get_by_label("Sunday: calls from", exact=True)).to_be_disabled()
    page.get_by_label("Count complaint deadlines in working time only").check()
    page.get_by_label("QC contact: name").fill("Jane Quality")
    page.get_by_label("QC contact: email").fill("jane@brightwell.example")
    page.get_by_label("QC contact: phone").fill("020 7946 0018")
    page.get_by_role("button", name="Add client").click()

    key = page.get_by_label("Key")
    expect(key).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#key-error")).to_contain_text("Lower-case letters, digits")
    expect(page.get_by_label("Saturday: calls from", exact=True)).to_have_value("10:00")
    assert_accessible(page)
    key.fill("brightwell")
    page.get_by_role("button", name="Add client").click()

    expect(page.get_by_role("heading", level=1, name="Brightwell Motors")).to_be_visible()
    expect(page.get_by_text("Client Brightwell Motors added.")).to_be_visible()
    expect(page.locator('#calling-hours tr[data-weekday="4"]')).to_contain_text("the next day")

    # A holiday.
    holidays = page.locator("#holidays")
    holidays.get_by_label("Date").fill("2026-12-28")
    holidays.get_by_label("Name (optional)").fill("Bank holiday")
    holidays.get_by_role("button", name="Add holiday").click()
    expect(page.get_by_text("Holiday 2026-12-28 added.")).to_be_visible()
    expect(page.locator("#holidays").get_by_role("cell", name="Bank holiday")).to_be_visible()
    assert_accessible(page)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "admin-client-edit-viewport.png"))
    screenshot(page, "admin-client-edit")

    page.get_by_role("link", name="All clients").click()
    row = page.locator('tr[data-client="brightwell"]')
    expect(row).to_contain_text("Mon–Thu")
    expect(row).to_contain_text("Fri 09:00–01:00 next day")
    expect(row).to_contain_text("Sat 10:00–16:00")
    expect(row).to_contain_text("Sun closed")
    expect(row).to_contain_text("1 holiday")
    assert_accessible(page)
    screenshot(page, "admin-clients-list")

    # A sampled work type.
    nav.get_by_role("link", name="Work types").click()
    expect(page.get_by_role("heading", level=1, name="Work types")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Car wash")
    page.get_by_label("Key").fill("car-wash")
    page.get_by_label("Follow-up delay (days)").fill("1")
    page.get_by_label("Share of orders called (%)").fill("120")
    page.get_by_role("button", name="Add work type").click()
    expect(page.locator("#sample_percent-error")).to_have_text("A percentage from 0 to 100.")
    assert_accessible(page)
    page.get_by_label("Share of orders called (%)").fill("20")
    page.get_by_role("button", name="Add work type").click()
    expect(page.get_by_text("Work type Car wash added.")).to_be_visible()
    expect(page.locator('tr[data-work-type="car-wash"]')).to_contain_text("20% sampled")
    assert_accessible(page)
    screenshot(page, "admin-work-types")
    # The two refused forms answered 422, which the browser logs; nothing else went wrong.
    unexpected = [e for e in page.console_errors if "status of 422" not in e]
    assert unexpected == [], unexpected

    db.session.rollback()  # a fresh look at what the server committed
    client = db.session.scalar(select(Client).where(Client.key == "brightwell"))
    assert client.calling_hours["4"] == ["09:00", "01:00"]
    assert client.calling_hours["5"] == ["10:00", "16:00"]
    assert client.calling_hours["6"] is None
    assert client.sla_working_time_only and client.call_delay_days == 7
    assert client.qc_contact_phone == "+442079460018"
    assert [h.day for h in client.holidays] == [date(2026, 12, 28)]
    wash = db.session.scalar(select(WorkType).where(WorkType.key == "car-wash"))
    assert (wash.sample_percent, wash.call_delay_days) == (20, 1)
