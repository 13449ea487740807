"""In Chromium: the constructor's autosave never replaces the field the admin is typing in. A save
answered while the admin types into a question's key (slowly answered here, as on a busy
server) once swapped the card under the cursor, and the key came out as ``problemsq1``. A
select changed just as a save's answer is swapped in keeps the choice, and it is saved."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from console.models import Question, Role
from console.services.scripts import library as script_service
from tests.browser.conftest import screenshot
from tests.browser.journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser

QUESTION_SAVE = re.compile(r"/admin/scripts/\d+/questions/\d+$")


@pytest.fixture
def script(db, make_user):
    script = script_service.create_script(key="brakes", name="Brakes follow-up")
    script_service.add_question(script_service.ensure_draft(script), "single")
    db.session.commit()
    return script


class HeldSaves(list):
    """The saves of a question kept waiting (while ``holding``); ``answer`` lets one through."""

    holding = True

    def route(self, route):
        if self.holding:
            self.append(route)
        else:
            route.continue_()


def hold_saves(page) -> HeldSaves:
    held = HeldSaves()
    page.route(QUESTION_SAVE, held.route)
    return held


def answer(page, route) -> None:
    route.fulfill(response=route.fetch())
    page.wait_for_timeout(150)  # the page handles the answer


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_typing_into_a_key_while_a_save_returns_keeps_exactly_what_was_typed(
    page, live_server, db, make_user, script, app_config
):
    sign_in(page, live_server, make_user(Role.ADMIN), "Overview")
    page.goto(f"{live_server}/admin/scripts/{script.id}")
    card = page.locator("article.ctor-card").first
    key = card.get_by_label("Key", exact=True)
    expect(key).to_have_value("q1")
    held = hold_saves(page)

    # The question's wording changes; the admin goes straight on to the key, selects it and types
    # its new name; the wording's save comes back between the selecting and the typing.
    text = card.get_by_label("Question", exact=True)
    text.fill("Were the brakes fixed the first time?")
    key.click()  # the wording's save starts here (change)
    key.press("ControlOrMeta+a")  # "q1" selected, to be typed over
    assert len(held) == 1
    answer(page, held.pop())  # the save comes back now: the card is rendered again
    key.press_sequentially("problems", delay=20)
    expect(key).to_have_value("problems")
    expect(key).to_be_focused()

    held.holding = False
    with page.expect_response(lambda r: bool(QUESTION_SAVE.search(r.url))):
        key.press("Tab")
    expect(card.get_by_label("Key", exact=True)).to_have_value("problems")
    expect(card.get_by_role("heading")).to_contain_text("problems")

    db.session.rollback()  # a fresh read of what the server stored
    keys = [
        q.key for q in db.session.query(Question).filter_by(version=script_service.draft_of(script))
    ]
    assert "problems" in keys and "q1" not in keys
    page.reload()
    expect(page.locator("article.ctor-card").first.get_by_label("Key", exact=True)).to_have_value(
        "problems"
    )
    expect(
        page.locator("article.ctor-card").first.get_by_label("Question", exact=True)
    ).to_have_value("Were the brakes fixed the first time?")

    # The complaint category is chosen from the list; "New category…" asks for its key.
    answers = page.locator("article.ctor-card").first.locator(".ctor-opt")
    category = answers.nth(1).locator("select[name$=complaint_category]")
    with page.expect_response(lambda r: bool(QUESTION_SAVE.search(r.url))):
        category.select_option(label="New category…")
    expect(page.get_by_role("textbox", name="new category")).to_be_focused()
    assert_accessible(page)
    screenshot(page, "constructor-new-category")
    assert page.console_errors == []


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_save_answered_out_of_turn_does_not_bring_back_an_older_value(
    page, live_server, db, make_user, script, app_config
):
    """Two saves from one card: the second waits for the first (the server stores them in
    order), and only the newest answer is shown."""
    sign_in(page, live_server, make_user(Role.ADMIN), "Overview")
    page.goto(f"{live_server}/admin/scripts/{script.id}")
    card = page.locator("article.ctor-card").first
    held = hold_saves(page)
    weight = card.get_by_label("Weight")
    weight.fill("2")
    weight.press("Tab")  # save 1
    page.wait_for_timeout(150)
    weight.fill("5")
    weight.press("Tab")  # save 2, asked for while save 1 is on its way: it waits its turn
    page.wait_for_timeout(150)
    assert len(held) == 1
    held.holding = False
    with page.expect_response(lambda r: "weight=5" in (r.request.post_data or "")):
        answer(page, held.pop())  # save 1 answers (an older state: not shown); save 2 goes
    expect(card.get_by_label("Weight")).to_have_value("5")
    page.reload()
    expect(page.locator("article.ctor-card").first.get_by_label("Weight")).to_have_value("5")
    assert page.console_errors == []


# A select changed just as a save's answer is swapped in: the choice was undone (the change
# acted on the card being replaced, or on the new card before htmx had set it up, and nothing
# saved it). Each moment is made to happen, not hoped for: the save is held, the select is
# changed at that moment of the swap, then the save is let through.
CHANGE_SELECT = """([id, value, moment]) => {
  const change = select => {
    select.value = value;
    select.dispatchEvent(new Event("input", {bubbles: true}));
    select.dispatchEvent(new Event("change", {bubbles: true}));
  };
  const old = document.getElementById(id);
  if (moment === "as the answer is swapped in") {
    const now = () => change(document.getElementById(id));
    document.addEventListener("htmx:beforeSwap", now, {once: true});
  } else if (moment === "on the card being replaced") {
    document.addEventListener("htmx:afterSwap", () => change(old), {once: true});
  } else {  // on the new card, before htmx has set it up (its settle delay)
    document.addEventListener("htmx:afterSwap", () => {
      const fresh = document.getElementById(id);
      if (fresh === old || !fresh.closest(".htmx-added")) throw new Error("not the new card");
      change(fresh);
    }, {once: true});
  }
}"""


@pytest.mark.parametrize(
    "moment",
    [
        "while the save is on its way",
        "as the answer is swapped in",
        "on the card being replaced",
        "on the new card before htmx has set it up",
    ],
)
@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_a_select_changed_as_a_save_is_answered_keeps_the_choice_and_saves_it(
    page, live_server, db, make_user, script, app_config, moment
):
    sign_in(page, live_server, make_user(Role.ADMIN), "Overview")
    page.goto(f"{live_server}/admin/scripts/{script.id}")
    card = page.locator("article.ctor-card").first
    category = card.locator(".ctor-opt").first.locator("select[name$=complaint_category]")
    select_id = category.get_attribute("id")
    chosen = category.locator("option").nth(1).get_attribute("value")  # the first category
    assert chosen and category.input_value() == ""
    held = hold_saves(page)

    text = card.get_by_label("Question", exact=True)
    text.fill("Were the brakes fixed the first time?")
    text.press("Tab")  # the wording's save starts (and is held)
    for _ in range(250):  # the route's handler runs while Playwright waits
        if held:
            break
        page.wait_for_timeout(20)
    assert len(held) == 1
    if moment == "while the save is on its way":
        category.select_option(chosen)
    else:
        page.evaluate(CHANGE_SELECT, [select_id, chosen, moment])

    held.holding = False
    with page.expect_response(
        lambda r: (
            bool(QUESTION_SAVE.search(r.url))
            and f"complaint_category={chosen}" in (r.request.post_data or "")
        )
    ):
        answer(page, held.pop())
    page.wait_for_function(  # every answer swapped in and set up
        "() => !document.querySelector('.htmx-request, .htmx-settling, .htmx-added')"
    )
    expect(category).to_have_value(chosen)
    expect(text).to_have_value("Were the brakes fixed the first time?")

    db.session.rollback()  # a fresh read of what the server stored
    question = script_service.draft_of(script).questions[0]
    assert question.text == "Were the brakes fixed the first time?"
    assert question.options[0].complaint_category == chosen
    page.reload()
    expect(page.locator(f"#{select_id}")).to_have_value(chosen)
    assert page.console_errors == []
