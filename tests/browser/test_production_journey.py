"""In Chromium, against the console as it runs in production: gunicorn with 2 workers x 4
threads, ``CONSOLE_ENV=production`` (secure cookies, HSTS, Flask-WTF's strict Referer check over
HTTPS) and TLS with a certificate made for the test. An operator takes a call, ticks answers
that are autosaved, reloads, finds every tick, submits; QC works the complaint it opened.

Autosave once answered 400 to every save here (sent without a Referer), which the test client
never showed."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from tests.browser.conftest import screenshot
from tests.browser.journeys import question, sign_in
from tests.deployed import migrate, seed, serve

pytestmark = [pytest.mark.browser, pytest.mark.deployed]

SAVES = re.compile(r"/operator/call/\d+/(autosave|heartbeat)$")


@pytest.fixture
def production(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(database_url)
    people = seed(database_url, operators=1, qc=1, calls=2)
    with serve(tmp_path, database_url, tls=True, CONSOLE_ENV="production") as deployed:
        yield deployed, people


def test_production_over_https_saves_every_tick_and_qc_works_the_complaint(production, tab):
    deployed, people = production
    page = tab
    answers = []
    page.on(
        "response", lambda r: answers.append((r.url, r.status)) if SAVES.search(r.url) else None
    )

    sign_in(page, deployed.url, people.operators[0], "Calls")
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["secure"] and cookie["httpOnly"]
    page.get_by_role("button", name="Next call").click()
    expect(page.get_by_role("heading", level=1, name="Customer 0")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/operator/call/\d+$"))  # call.js gives it its address
    call_url = page.url

    question(page, "speed").get_by_role("radio", name="2").check()
    question(page, "service").get_by_text("Polite and helpful").click()
    question(page, "quality").get_by_text("Not satisfied").click()
    question(page, "what_wrong").get_by_text("The problem is not fixed").click()
    question(page, "repeat_visit").get_by_text("No, first time").click()
    question(page, "contacts").get_by_role("radio", name="No").check()
    expect(page.locator("#save-state")).to_contain_text("Saved")
    assert answers and all(status == 200 for _url, status in answers), answers

    # A reload (or a dropped tab) brings the call back with every tick, from the server.
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Customer 0")).to_be_visible()
    assert page.url == call_url
    expect(question(page, "quality").get_by_text("Not satisfied")).to_be_checked()
    expect(question(page, "what_wrong").get_by_text("The problem is not fixed")).to_be_checked()
    expect(question(page, "contacts").get_by_role("radio", name="No")).to_be_checked()

    page.get_by_role("button", name="Submit").click()
    expect(page.locator("#notices")).to_contain_text("Saved. Complaint #")
    expect(page.get_by_role("heading", level=1, name="Customer 1")).to_be_visible()
    number = re.search(r"Complaint #(\d+)", page.locator("#notices").inner_text()).group(1)
    screenshot(page, "production-next-call")
    page.get_by_role("button", name="Sign out").click()

    # QC over the same HTTPS: the inbox, the complaint, its main actions.
    sign_in(page, deployed.url, people.qc[0], "Complaints")
    page.get_by_role("link", name=f"#{number}").click()
    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("Opened from the call")
    page.get_by_role("tab", name="Assign / hand over").click()
    panel = page.locator(".cp-panel:visible")
    panel.get_by_label("Person").select_option(label="qc0")
    panel.get_by_role("button", name="Assign").click()
    expect(timeline.locator("li").first).to_contain_text("Assigned to qc0")
    page.get_by_role("tab", name="Customer contact").click()
    panel = page.locator(".cp-panel:visible")
    panel.get_by_label("What was said").fill("Apologised; the car comes back on Monday.")
    panel.get_by_role("button", name="Log the contact").click()
    expect(timeline.locator("li").first).to_contain_text("first answer")
    page.get_by_role("tab", name="Valid or invalid").click()
    panel = page.locator("#panel-classify")
    panel.get_by_label("Valid", exact=True).check()
    panel.get_by_label("Reason").fill("The fault came back the next day.")
    panel.get_by_role("button", name="Classify").click()
    expect(timeline.locator("li").first).to_contain_text("Classified valid")
    screenshot(page, "production-qc-complaint")
    assert page.console_errors == []

    engine = sa.create_engine(deployed.database_url)
    with engine.connect() as db:
        responses = db.scalar(sa.text("SELECT count(*) FROM responses"))
    engine.dispose()
    assert responses == 1
    assert "Traceback" not in deployed.log.read_text()
