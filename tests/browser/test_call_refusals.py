"""In a real browser: when the server refuses an autosave (a 4xx), the call screen says so and
does not send the same save again and again; an expired CSRF token is renewed and the save
goes through without the operator noticing."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.models import CallTask, Role
from tests.browser.journeys import CSRF_ON, question, sign_in
from tests.browser.test_call_journey import AUTOSAVE, calls_due, fresh

pytestmark = pytest.mark.browser
calls_due = calls_due  # the fixture, shared with the call journey


def take_first_call(page, live_server, make_user):
    operator = make_user(Role.OPERATOR, timezone="Europe/Moscow")
    sign_in(page, live_server, operator)
    page.get_by_role("button", name="Next call").click()
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()


@CSRF_ON
def test_a_refused_save_is_shown_not_retried_and_the_next_change_saves(
    page, live_server, db, make_user, calls_due, app_config
):
    first, _second = calls_due
    take_first_call(page, live_server, make_user)
    saves = []
    page.on("request", lambda r: saves.append(r) if AUTOSAVE.search(r.url) else None)

    # A character no database stores (pasted from somewhere): the server answers 400.
    comment = question(page, "comments").locator("textarea")
    with page.expect_response(lambda r: bool(AUTOSAVE.search(r.url))) as refused:
        comment.fill("Call after 6 pm\u0000")
    assert refused.value.status == 400
    state = page.locator("#save-state")
    expect(state).to_contain_text("Not saved: What you sent contains characters")
    expect(comment).to_have_value("Call after 6 pm\u0000")  # the operator's text stays
    # The old screen sent the same save again after 1 s, 2 s, 4 s...: now it waits.
    page.wait_for_timeout(3500)
    assert len(saves) == 1
    expect(state).to_contain_text("Not saved")

    comment.fill("Call after 6 pm")
    expect(state).to_contain_text("Saved")
    assert fresh(db, CallTask, first.id).draft["answers"]["comments"]["text"] == "Call after 6 pm"
    assert page.console_errors == [
        "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
    ]


@CSRF_ON
def test_an_expired_token_is_renewed_and_the_save_sent_once_more(
    page, live_server, db, make_user, calls_due, app_config
):
    first, _second = calls_due
    take_first_call(page, live_server, make_user)
    # The page's token has run out (a tab left open past CSRF_HOURS).
    page.evaluate(
        """() => {
          document.querySelector('meta[name="csrf-token"]').setAttribute("content", "expired");
        }"""
    )
    answers = []
    page.on("response", lambda r: answers.append(r.status) if AUTOSAVE.search(r.url) else None)
    question(page, "speed").get_by_role("radio", name="5").check()
    expect(page.locator("#save-state")).to_contain_text("Saved")
    assert answers == [400, 200]
    assert fresh(db, CallTask, first.id).draft["answers"]["speed"]["options"] == ["5"]
    token = page.evaluate("document.querySelector('meta[name=\"csrf-token\"]').content")
    assert token != "expired"
