"""In a real browser, what slowed operators down at the desk (issue 13): a red "needs an answer"
that stayed after the answer, outcomes without keys, Tab stopping in empty comment boxes."""

from __future__ import annotations

import re
from datetime import UTC, timedelta
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.models import CallAttempt, CallOutcome, CallTask, Role, utcnow
from tests.browser import test_call_journey as journey
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.browser.journeys import CSRF_ON, assert_accessible, question, sign_in

pytestmark = pytest.mark.browser

MOSCOW = ZoneInfo("Europe/Moscow")
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
    expect(page.get_by_role("button", name="Next call")).to_be_focused()  # once the page is in
    page.keyboard.press("Enter")
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


@CSRF_ON
def test_a_callback_preset_on_the_customers_clock_shown_on_both(
    page, live_server, db, make_user, calls_due, app_config
):
    first, _ = calls_due  # Garage-Service calls in Moscow time
    sign_in(page, live_server, make_user(Role.OPERATOR, timezone="Europe/London"))
    page.get_by_role("button", name="Next call").click()
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
    page.locator("#call-callback summary").click()
    page.get_by_role("button", name="Tomorrow, 10:00").click()
    tomorrow = (utcnow().astimezone(MOSCOW) + timedelta(days=1)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    expect(page.locator("#callback_at")).to_have_value(tomorrow.strftime("%Y-%m-%dT%H:%M"))
    day = f"{tomorrow.day} {tomorrow:%b}"
    expect(page.locator("#callback-when")).to_have_text(
        f"{day}, 10:00 for the customer (Europe/Moscow), {day}, 07:00 for you (Europe/London)."
    )
    assert_accessible(page)
    screenshot(page, "call-callback-presets")
    page.get_by_role("button", name="Schedule the callback").click()
    expect(page.get_by_role("heading", level=1, name="Maria Li")).to_be_visible()
    task = fresh(db, CallTask, first.id)
    assert task.is_callback and task.due_at == tomorrow.astimezone(UTC)
    # The start page lists it among the operator's callbacks, on both clocks.
    page.goto(live_server + "/operator/")
    mine = page.locator("section[aria-labelledby=upcoming-title] li")
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text(f"{day}, 07:00")
    expect(mine).to_contain_text(f"{day}, 10:00 for the customer (Europe/Moscow)")
    expect(mine).to_contain_text("Ivan Petrov")
    assert_accessible(page)
    screenshot(page, "start-upcoming-callbacks")


@CSRF_ON
def test_on_a_phone_the_callback_fits_and_the_bars_stay_small(
    browser, live_server, make_user, calls_due, app_config
):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="en-GB", is_mobile=True, has_touch=True
    )
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    try:
        sign_in(phone, live_server, make_user(Role.OPERATOR, timezone="Europe/Moscow"))
        phone.get_by_role("button", name="Next call").click()
        expect(phone.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
        question(phone, "quality").get_by_text("Not satisfied").click()  # the "creates" line too
        bars = phone.evaluate(
            "() => ['.call-strip', '.call-actions'].map("
            "s => document.querySelector(s).getBoundingClientRect().height)"
        )
        assert sum(bars) < 0.2 * 844, bars
        # No sideways scrolling of the page itself.
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        screenshot_viewport(phone, "call-phone")

        phone.locator("#call-callback summary").click()
        panel = phone.locator("#callback-panel")
        expect(panel).to_be_visible()
        for element in (panel, phone.locator("#callback_at"), phone.locator("#schedule-callback")):
            box = element.bounding_box()
            assert box["x"] >= 0 and box["y"] >= 0, box
            assert box["x"] + box["width"] <= 390 and box["y"] + box["height"] <= 844, box
        assert_accessible(phone)
        screenshot_viewport(phone, "call-phone-callback")
    finally:
        context.close()


def screenshot_viewport(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


@CSRF_ON
def test_the_talk_time_runs_and_survives_a_reload(
    page, live_server, db, make_user, calls_due, app_config
):
    first, _ = calls_due
    sign_in(page, live_server, make_user(Role.OPERATOR, timezone="Europe/Moscow"))
    page.get_by_role("button", name="Next call").click()
    talk = page.locator("#talk-time")
    expect(talk).to_have_text(re.compile(r"^0:0[1-9]$"))  # ticking
    db.session.rollback()  # see what the server committed
    attempt = db.session.scalar(select(CallAttempt).where(CallAttempt.task_id == first.id))
    attempt.started_at -= timedelta(minutes=5)  # as if the call had started 5 minutes ago
    db.session.commit()
    page.reload()
    expect(talk).to_have_text(re.compile(r"^5:0\d$"))
    expect(page.locator(".call-talk")).to_contain_text("Talk time")


@CSRF_ON
def test_a_0_to_10_question_is_ticked_by_its_own_digits(
    page, live_server, make_user, calls_due, app_config
):
    sign_in(page, live_server, make_user(Role.OPERATOR, timezone="Europe/Moscow"))
    page.get_by_role("button", name="Next call").click()
    recommend = question(page, "recommend")
    expect(recommend).to_be_visible()
    recommend.get_by_role("radio", name="0", exact=True).focus()

    page.keyboard.press("9")
    expect(recommend.get_by_role("radio", name="9", exact=True)).to_be_checked()
    page.keyboard.press("0")
    expect(recommend.get_by_role("radio", name="0", exact=True)).to_be_checked()
    # any other question still goes by position: 1 ticks its first answer
    question(page, "speed").get_by_role("radio").first.focus()
    page.keyboard.press("1")
    expect(question(page, "speed").get_by_role("radio").first).to_be_checked()


@CSRF_ON
def test_a_final_outcome_takes_a_second_key(
    page, live_server, db, make_user, calls_due, app_config
):
    """Wrong number and Refused end the customer's calls: a stray R or W only points at the
    button and says how to record it; the same key again records it."""
    first, _ = calls_due
    sign_in(page, live_server, make_user(Role.OPERATOR, timezone="Europe/Moscow"))
    page.get_by_role("button", name="Next call").click()
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
    outcomes = page.locator(".call-outcomes")
    hint = page.locator("#call-key-hint")

    page.keyboard.press("w")
    expect(outcomes.get_by_role("button", name="Wrong number")).to_be_focused()
    expect(hint).to_have_text("Press W again or Enter to record: Wrong number.")
    page.keyboard.press("Shift+Tab")  # changed their mind
    expect(hint).to_be_hidden()

    page.keyboard.press("r")
    expect(outcomes.get_by_role("button", name="Refused")).to_be_focused()
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
    assert fresh(db, CallTask, first.id).attempts == 0  # nothing recorded yet
    assert_accessible(page)
    page.keyboard.press("r")
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_hidden()
    task = fresh(db, CallTask, first.id)
    assert task.attempts == 1 and task.outcome == CallOutcome.REFUSED
    assert page.console_errors == []
