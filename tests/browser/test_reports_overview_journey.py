"""In a real browser: a supervisor opens Reports → Overview, picks two weeks of March, reads the
charts with their tables (axe finds nothing to fault), and downloads one table as CSV."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from console.models import ComplaintStatus, Role
from console.services.reports import totals
from tests.browser.conftest import screenshot
from tests.browser.journeys import assert_accessible, sign_in
from tests.reports import overview_fixtures as data
from tests.reports.overview_fixtures import WEEK1, WEEK2

pytestmark = pytest.mark.browser

version, operator, call, complain = data.version, data.operator, data.call, data.complain


@pytest.fixture
def app_config():
    return {"SMTP_HOST": "", "NOTIFY_WEBHOOK_URL": ""}


def test_a_supervisor_reads_the_overview_and_downloads_a_table(
    page, live_server, make_user, call, complain
):
    for n, score in enumerate(("90", "40", "75", "20")):
        response = call(WEEK1 + timedelta(hours=n), score=score, answers={"recommend": "9"})
        if int(score) < 50:
            complain(WEEK1, ("quality", "price")[n % 2], response=response)
    resolved = call(WEEK2, score="30", answers={"satisfied": "2"})
    complain(WEEK2, "quality", response=resolved, status=ComplaintStatus.RESOLVED)
    call(WEEK2 + timedelta(hours=1), score="95", answers={"satisfied": "5"})
    supervisor = make_user(Role.SUPERVISOR, name="Sofia Supervisor")
    totals.refresh()  # the periodic job, within a minute of the calls

    sign_in(page, live_server, supervisor, heading="Live board")
    page.goto(live_server + "/reports/")
    expect(page.get_by_role("heading", level=1, name="Reports overview")).to_be_visible()
    page.get_by_role("textbox", name="From", exact=True).fill("2025-03-03")
    page.get_by_role("textbox", name="To", exact=True).fill("2025-03-16")
    page.get_by_role("button", name="Show").click()
    expect(page.locator('[data-stat="dissatisfied-share"]')).to_have_text("50.0%")

    chart = page.get_by_role("img", name="Dissatisfied customers and the average score, per week")
    expect(chart).to_be_visible()
    table = page.locator('table[data-table="satisfaction"]')
    expect(table.locator("caption")).to_have_text(
        "Dissatisfied customers and the average score, per week"
    )
    expect(table.locator("tbody tr")).to_have_count(2)
    expect(page.locator(".top-problems li").first).to_contain_text("price: 2")
    expect(page.locator("svg.chart")).to_have_count(7)
    assert_accessible(page)
    screenshot(page, "overview-page")

    with page.expect_download() as info:
        page.locator('table[data-table="funnel"]').locator("xpath=../..").get_by_role(
            "link", name="CSV"
        ).first.click()
    download = info.value
    assert download.suggested_filename == "overview-funnel-2025-03-03-2025-03-16.csv"
    body = Path(download.path()).read_bytes().decode("utf-8-sig")
    assert body.splitlines()[0] == "step,count,conversion"
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "overview-narrow")
    assert page.console_errors == []
