"""In a real browser: the QC inbox refreshes its rows every 15 s while the bell in the top bar
polls every 20 s on its own timer; the bell's answers used to reset the inbox's timer, so the
rows came every 45-60 s. Time is Playwright's clock, run a second at a time."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.models import Role
from tests.browser.journeys import sign_in
from tests.qc import complaint_fixtures

open_complaint = complaint_fixtures.open_complaint

pytestmark = pytest.mark.browser


def test_the_inbox_refreshes_every_15_s_while_the_bell_polls(
    page, live_server, make_user, open_complaint
):
    open_complaint()
    qc = make_user(Role.QC, name="Quinn QC")
    page.clock.install()
    sign_in(page, live_server, qc, "Complaints")
    expect(page.locator("#inbox-rows .inbox-row")).to_have_count(1)
    expect(page.locator("#notice-bell summary")).to_be_attached()  # the bell has loaded

    second = 0
    refreshes: list[int] = []  # the second (of the page's clock) each request went out
    polls: list[int] = []

    def seen(request):
        headers = request.headers
        if headers.get("hx-target") == "inbox-rows":
            refreshes.append(second)
        elif headers.get("x-console-poll"):
            polls.append(second)

    page.on("request", seen)
    page.clock.pause_at(page.evaluate("Date.now()") + 100)
    for second in range(1, 62):  # noqa: B007 (read by ``seen``)
        page.clock.run_for(1000)
        page.wait_for_timeout(40)  # real time for the answer to arrive and settle

    assert len(polls) >= 2, polls  # the bell kept polling meanwhile...
    assert len(refreshes) >= 4, (refreshes, polls)  # ...and the rows came every 15 s
    gaps = [b - a for a, b in zip(refreshes, refreshes[1:], strict=False)]
    assert all(14 <= gap <= 16 for gap in gaps), (refreshes, polls)
