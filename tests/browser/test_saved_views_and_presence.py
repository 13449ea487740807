"""In a real browser: a QC user saves the inbox's filter under a name and gets it back in one
click (marked as the open view, also after the filters change without a reload); two QC users
on the same complaint see each other's names within a poll, and the name goes when one leaves.
axe-core checks the pages with the saved views open and with the colleague's note shown."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from console.models import Role
from tests.browser.conftest import screenshot
from tests.browser.journeys import CSRF_ON, assert_accessible, sign_in
from tests.qc import complaint_fixtures

open_complaint = complaint_fixtures.open_complaint

pytestmark = pytest.mark.browser

POLL_WAIT = 25_000  # a poll every 15 s, on a loaded machine
TWO_POLLS = 40_000  # his poll says he types, then hers brings it


@CSRF_ON
def test_save_a_view_and_open_it_in_one_click(page, live_server, make_user, open_complaint):
    open_complaint()
    qc = make_user(Role.QC, name="Quinn QC")
    sign_in(page, live_server, qc, "Complaints")
    shelf = page.locator("#saved-views")
    expect(shelf).to_contain_text("None yet")

    # Choose a filter the htmx way (no reload), then save it.
    page.locator("#inbox-counts").get_by_role("link", name=re.compile("^Unassigned")).click()
    expect(page).to_have_url(re.compile(r"assignee=none"))
    shelf.get_by_text("Save this view…").click()
    page.get_by_label("Name of the view").fill("Nobody's yet")
    assert_accessible(page)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#notices")).to_contain_text("View “Nobody's yet” saved.")
    view = shelf.get_by_role("link", name="Nobody's yet")
    expect(view).to_have_attribute("aria-current", "true")

    # Another filter: the view is no longer the one shown; one click brings it back.
    page.locator("#inbox-counts").get_by_role("link", name=re.compile("^Unassigned")).click()
    expect(page).not_to_have_url(re.compile(r"assignee=none"))
    expect(view).not_to_have_attribute("aria-current", "true")
    # The same filter chosen by hand (no reload) is the view again.
    page.locator("#inbox-counts").get_by_role("link", name=re.compile("^Unassigned")).click()
    expect(page).to_have_url(re.compile(r"assignee=none"))
    expect(view).to_have_attribute("aria-current", "true")
    page.locator("#inbox-counts").get_by_role("link", name=re.compile("^Unassigned")).click()
    expect(view).not_to_have_attribute("aria-current", "true")
    view.focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"assignee=none"))
    expect(shelf.get_by_role("link", name="Nobody's yet")).to_have_attribute("aria-current", "true")
    chosen = page.locator("#inbox-counts a.inbox-facet.is-chosen", has_text="Unassigned")
    expect(chosen).to_be_visible()
    assert page.console_errors == []


@CSRF_ON
def test_two_people_on_one_complaint_see_each_other(
    app, browser, page, live_server, make_user, open_complaint
):
    app.config["PRESENCE_POLL_SECONDS"] = 2  # the same steps as every 15 s, without the wait
    complaint = open_complaint()
    anna = make_user(Role.QC, name="Anna Petrova")
    boris = make_user(Role.QC, name="Boris Ivanov")
    url = f"{live_server}/qc/complaints/{complaint.id}"

    sign_in(page, live_server, anna, "Complaints")
    page.goto(url)
    note = page.locator("#complaint-presence")
    expect(note).to_be_hidden()  # nobody else yet

    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    other = context.new_page()
    other.set_default_timeout(10_000)
    try:
        sign_in(other, live_server, boris, "Complaints")
        other.goto(url)
        # Boris's first poll, as the page loads: Anna is there.
        expect(other.locator("#complaint-presence")).to_contain_text(
            re.compile(r"Anna Petrova has this complaint open \(since \d{1,2}:\d\d\W[AP]M\)")
        )
        # Anna's next poll brings Boris.
        expect(note).to_contain_text("Boris Ivanov has this complaint open", timeout=POLL_WAIT)
        assert_accessible(page)
        # The same note at the next poll is left as it is (a screen reader reads a change).
        page.evaluate(
            """() => {
                window.presenceChanges = 0;
                new MutationObserver(() => window.presenceChanges++).observe(
                    document.getElementById("complaint-presence"),
                    {childList: true, subtree: true});
            }"""
        )
        with page.expect_response(lambda r: r.url.endswith("/presence"), timeout=POLL_WAIT):
            pass
        page.wait_for_function("() => !document.querySelector('#complaint-presence.htmx-request')")
        assert page.evaluate("window.presenceChanges") == 0

        # Boris types a note: Anna reads that he is typing.
        other.get_by_role("tab", name="Note").click()
        other.locator("#note-body").press_sequentially("Called the work", delay=20)
        expect(note).to_contain_text("Boris Ivanov", timeout=POLL_WAIT)
        expect(note).to_contain_text("and is typing", timeout=TWO_POLLS)

        # He adds it: Anna's page says the complaint changed since she loaded it; his doesn't.
        with other.expect_response(lambda r: r.url.endswith("/presence"), timeout=POLL_WAIT):
            other.get_by_role("button", name="Add the note").click()  # polls after acting
        expect(other.locator("#complaint-work")).to_contain_text("Called the work")
        expect(note).to_contain_text("Boris Ivanov changed this complaint", timeout=POLL_WAIT)
        expect(note.get_by_role("link", name="Reload to see the change")).to_be_visible()
        expect(other.locator("#complaint-presence")).not_to_contain_text("changed this complaint")

        # Boris leaves the page: his name goes from Anna's page at her next poll.
        other.goto(f"{live_server}/qc/")
        expect(note).not_to_contain_text("has this complaint open", timeout=POLL_WAIT)
        expect(note).to_contain_text("Boris Ivanov changed this complaint")  # until she reloads
        note.get_by_role("link", name="Reload to see the change").click()
        expect(page.locator("#complaint-work")).to_contain_text("Called the work")
        expect(note).to_be_hidden()
    finally:
        context.close()
    assert page.console_errors == []


@pytest.mark.parametrize("locale", ["en", "ru"])
def test_screens_at_desk_and_phone_width(
    browser, live_server, make_user, open_complaint, locale, db
):
    """Not an assertion of looks: screenshots of both features in each language and width for
    a person to look at, and axe on each."""
    from console.models import SavedInboxView

    complaint = open_complaint()
    anna = make_user(Role.QC, name="Anna Petrova", locale=locale, timezone="Europe/Moscow")
    boris = make_user(Role.SUPERVISOR, name="Boris Ivanov", locale=locale)
    db.session.add_all(
        [
            SavedInboxView(
                owner_id=anna.id, name="Overdue · Acme Auto", query={"deadline": "overdue"}
            ),
            SavedInboxView(
                owner_id=boris.id, name="Team: unassigned", query={"assignee": "none"}, shared=True
            ),
            SavedInboxView(
                owner_id=anna.id, name="Gone client", query={"client": "987654", "kind": "poaching"}
            ),
        ]
    )
    db.session.commit()
    heading = "Complaints" if locale == "en" else "Жалобы"
    url = f"{live_server}/qc/complaints/{complaint.id}"
    for width, height in ((1366, 768), (390, 844)):
        contexts = []
        try:
            pages = []
            for user in (anna, boris):
                context = browser.new_context(viewport={"width": width, "height": height})
                contexts.append(context)
                tab = context.new_page()
                tab.set_default_timeout(10_000)
                sign_in(tab, live_server, user, heading if user is anna else re.compile("."))
                pages.append(tab)
            tab = pages[0]
            tab.goto(f"{live_server}/qc/")
            tab.locator("#saved-views").get_by_role("link", name="Gone client").click()
            expect(tab.locator("#notices .notice-warning")).to_be_visible()
            expect(tab).to_have_url(re.compile(r"kind=poaching"))
            gone = tab.locator("#saved-views").get_by_role("link", name="Gone client")
            expect(gone).to_have_attribute("aria-current", "true")
            screenshot(tab, f"saved-views-dropped-{locale}-{width}")
            tab.goto(f"{live_server}/qc/?deadline=overdue")
            tab.locator("#saved-views summary").first.click()
            screenshot(tab, f"saved-views-{locale}-{width}")
            assert_accessible(tab)
            pages[1].goto(url)
            tab.goto(url)
            expect(tab.locator("#complaint-presence p")).to_have_count(1, timeout=POLL_WAIT)
            screenshot(tab, f"presence-{locale}-{width}")
            assert_accessible(tab)
            # A supervisor manages the views: their own and the shared ones.
            boss = pages[1]
            boss.goto(f"{live_server}/qc/")
            boss.locator("#saved-views details.sv-manage > summary").click()
            expect(boss.locator(".sv-manage-list li")).to_have_count(1)
            screenshot(boss, f"saved-views-manage-{locale}-{width}")
            assert_accessible(boss)
        finally:
            for context in contexts:
                context.close()


def test_a_hidden_tab_stops_saying_it_is_there(page, live_server, make_user, open_complaint):
    """Hidden, the page stops polling (after a minute it no longer counts as open); visible
    again, it polls at once (the clock is not run meanwhile). Time is Playwright's clock."""
    complaint = open_complaint()
    sign_in(page, live_server, make_user(Role.QC), "Complaints")
    page.clock.install()
    polls: list[str] = []
    page.on("request", lambda r: polls.append(r.url) if r.url.endswith("/presence") else None)
    with page.expect_response(lambda r: r.url.endswith("/presence")):
        page.goto(f"{live_server}/qc/complaints/{complaint.id}")  # the first poll, at once
    page.clock.run_for(16_000)
    page.wait_for_timeout(300)
    assert len(polls) == 2, polls  # and one 15 s later

    def visibility(state: str) -> None:
        page.evaluate(
            """state => {
                const hidden = {value: state, configurable: true};
                Object.defineProperty(document, "visibilityState", hidden);
                document.dispatchEvent(new Event("visibilitychange"));
            }""",
            state,
        )

    visibility("hidden")
    page.clock.run_for(60_000)
    page.wait_for_timeout(300)
    assert len(polls) == 2, polls  # nothing while hidden
    with page.expect_response(lambda r: r.url.endswith("/presence")):
        visibility("visible")  # back: at once, not 15 s after the last poll
    assert len(polls) == 3, polls
