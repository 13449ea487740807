"""In a real browser, what slowed operators down at the desk (issue 13): a red "needs an answer"
that stayed after the answer, outcomes without keys, Tab stopping in empty comment boxes."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.models import CallOutcome, CallTask, Role
from tests.browser import test_call_journey as journey
from tests.browser.conftest import screenshot
from tests.browser.journeys import CSRF_ON, assert_accessible, question, sign_in

pytestmark = pytest.mark.browser

calls_due = journey.calls_due  # the shipped base script and two calls due
fresh = journey.fresh


def _focused_question(page) -> str | None:
    return page.evaluate(
        "() => { const li = document.activeElement.closest('.question');"
        " return li ? li.dataset.question : null; }"
    )


@CSRF_ON
def test_a_missing_answer_note_goes_as_soon_as_the_question_is_answered(
    page,
    live_server,
    make_user,
    calls_due,
    app_config,
):
    sign_in(page, live_server, make_user(Role.OPERATOR, timezone="Europe/Moscow"))
    page.get_by_role("button", name="Next call").click()
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
    page.get_by_role("button", name="Submit").click()
    needs = "This question needs an answer."
    expect(question(page, "speed")).to_contain_text(needs)
    expect(question(page, "service")).to_contain_text(needs)

    question(page, "speed").get_by_role("radio", name="4").check()
    expect(question(page, "speed")).not_to_contain_text(needs)
    expect(question(page, "speed")).not_to_have_class("question has-error")
    expect(question(page, "service")).to_contain_text(needs)  # still unanswered
    expect(page.locator(".call-missing")).to_be_visible()
    assert_accessible(page)
    assert [e for e in page.console_errors if "422" not in e] == []


@CSRF_ON
def test_keyboard_alone_records_no_answer_and_tab_skips_an_unneeded_comment(
    page,
    live_server,
    db,
    make_user,
    calls_due,
    app_config,
):
    first, _ = calls_due
    sign_in(page, live_server, make_user(Role.OPERATOR, timezone="Europe/Moscow"))
    page.keyboard.press("Enter")  # "Next call" has the focus
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()

    # Tab from an answer goes to the next question, not to an empty optional comment box.
    question(page, "service").locator("legend").click()
    page.keyboard.press("1")  # Polite and helpful: no comment asked for
    page.keyboard.press("Tab")
    assert _focused_question(page) == "quality"
    # An answer that asks for a comment makes its box a Tab stop.
    question(page, "service").locator("legend").click()
    page.keyboard.press("3")  # Rude or unhelpful: comment required
    page.keyboard.press("Tab")
    expect(question(page, "service").locator("textarea")).to_be_focused()

    # Every outcome shows its key; N records "No answer".
    outcomes = page.locator(".call-outcomes")
    for name, key in [("No answer", "N"), ("Busy", "B"), ("Voicemail", "V"), ("Call back…", "C")]:
        control = outcomes.get_by_role("button", name=name, exact=True)
        if name == "Call back…":
            control = outcomes.locator("summary")
        expect(control).to_have_attribute("aria-keyshortcuts", key)
        expect(control.locator("kbd")).to_have_text(key)
    assert_accessible(page)
    screenshot(page, "call-outcome-keys")
    page.keyboard.press("Shift+Tab")  # out of the comment box: letters are typing there
    page.keyboard.press("n")
    expect(page.get_by_role("heading", level=1, name="Maria Li")).to_be_visible()
    expect(page.locator("#notices")).to_contain_text("Recorded: no answer")
    task = fresh(db, CallTask, first.id)
    assert task.attempts == 1 and task.draft["answers"]["service"]["options"] == ["bad"]
    assert task.outcome is None or task.outcome != CallOutcome.COMPLETED
    assert page.console_errors == []
