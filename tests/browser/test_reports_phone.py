"""In a real browser on a phone (390 × 844): Reports → Overview keeps its charts readable (they
scroll sideways in their frames instead of shrinking to half size), the page itself does not
scroll sideways, every scrolling frame can be reached from the keyboard (axe finds nothing);
in Russian the period reads "С … По …"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect

from console.models import Role
from console.services.reports import totals
from tests.browser.journeys import assert_accessible, sign_in
from tests.reports import overview_fixtures as data
from tests.reports.overview_fixtures import WEEK1, WEEK2

pytestmark = pytest.mark.browser

version, operator, call, complain = data.version, data.operator, data.call, data.complain
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def app_config():
    return {"SMTP_HOST": "", "NOTIFY_WEBHOOK_URL": ""}


@pytest.fixture
def two_weeks_of_calls(call, complain):
    for n, score in enumerate(("90", "40", "75")):
        response = call(WEEK1 + timedelta(hours=n), score=score, answers={"recommend": "9"})
        if int(score) < 50:
            complain(WEEK1, "quality", response=response)
    call(WEEK2, score="95", answers={"satisfied": "5"})
    totals.refresh()


def test_on_a_phone_the_charts_stay_readable_and_scroll_in_their_frames(
    page, live_server, make_user, two_weeks_of_calls
):
    supervisor = make_user(Role.SUPERVISOR, name="Sofia Supervisor")
    page.set_viewport_size(PHONE)
    sign_in(page, live_server, supervisor, heading="Live board")
    page.goto(live_server + "/reports/?from=2025-03-03&to=2025-03-16")
    expect(page.get_by_role("heading", level=1, name="Reports overview")).to_be_visible()

    widths = page.eval_on_selector_all(
        "svg.chart", "charts => charts.map(c => c.getBoundingClientRect().width)"
    )
    assert len(widths) == 7 and min(widths) >= 520  # at 390 px they were 310 px, text 5 px
    frames = page.eval_on_selector_all(
        ".chart-scroll", "frames => frames.map(f => f.getBoundingClientRect().right)"
    )
    assert max(frames) <= PHONE["width"]
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # A week's date stays on one line in the tables.
    row_header = page.locator('table[data-table="satisfaction"] tbody th').first
    assert row_header.evaluate("th => th.getClientRects().length") == 1
    assert row_header.bounding_box()["height"] < 40
    # The frames scroll with the keyboard too: axe's "scrollable region" rule passes.
    assert_accessible(page)
    assert page.console_errors == []


def test_the_period_reads_from_and_to_in_russian(page, live_server, make_user):
    supervisor = make_user(Role.SUPERVISOR, name="Sofia Supervisor", locale="ru")
    sign_in(page, live_server, supervisor, heading="Онлайн-панель")
    for address in ("/reports/", "/reports/technicians"):
        page.goto(live_server + address)
        form = page.locator("form.card").first
        expect(form.get_by_text("По", exact=True)).to_be_visible()
        expect(form).not_to_contain_text("Кому")
