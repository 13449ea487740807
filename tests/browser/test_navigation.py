"""In Chromium at the laptop widths people use (1366×768, 1280×800): every link of the top bar is
on the screen for each role, none cut off at the right (the admin's "API tokens" and "Deliveries"
once were, at 1366), the current page is marked, the links are reached with the keyboard, and
axe-core finds nothing on the page."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from console.models import Role
from tests.browser.conftest import screenshot
from tests.browser.journeys import assert_accessible, sign_in

pytestmark = pytest.mark.browser

HOMES = {
    Role.ADMIN: "Overview",
    Role.SUPERVISOR: "Live board",
    Role.QC: "Complaints",
    Role.OPERATOR: "Calls",
}

LONG_NAME = "Alexandra Konstantinopolskaya"  # the top bar shows it beside the links


# A link is cut off when it reaches past the window's right edge, or past the edge of a box
# that clips it (a navigation that scrolls sideways hides its last links under the user's name).
# The bell's menu, closed, shows nothing: only what is visible counts, but every link of a
# navigation must be.
OFF_SCREEN = """() => [...document.querySelectorAll("header a, header button, nav a")]
  .filter((item) => item.closest("nav") || item.checkVisibility())
  .filter((item) => {
    const box = item.getBoundingClientRect();
    if (box.width === 0 || box.left < 0 || box.right > window.innerWidth) return true;
    for (let up = item.parentElement; up; up = up.parentElement) {
      if (getComputedStyle(up).overflowX === "visible") continue;
      const clip = up.getBoundingClientRect();
      if (box.left < clip.left - 0.5 || box.right > clip.right + 0.5) return true;
    }
    return false;
  })
  .map((item) => item.textContent.trim())"""


def off_screen(page) -> list[str]:
    """The links and buttons of the top bar not wholly on the screen."""
    return page.evaluate(OFF_SCREEN)


@pytest.mark.parametrize("width, height", [(1366, 768), (1280, 800)])
@pytest.mark.parametrize("role", list(HOMES))
def test_every_link_of_the_top_bar_is_on_the_screen(
    browser, live_server, make_user, role, width, height
):
    context = browser.new_context(viewport={"width": width, "height": height}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, make_user(role, name=LONG_NAME), HOMES[role])
        if role != Role.OPERATOR:  # the bell comes a moment later, and takes room beside the name
            expect(page.locator("#notice-bell summary")).to_be_visible()
        assert off_screen(page) == []
        assert_accessible(page)
        screenshot(page, f"nav-{role.value}-{width}")
    finally:
        context.close()


@pytest.mark.parametrize(
    "locale, home, main, tokens",
    [("en", "Overview", "Main", "API tokens"), ("ru", "Обзор", "Основное меню", "API-токены")],
)
def test_the_admin_reaches_api_tokens_at_1366_marked_as_the_page_and_by_keyboard(
    browser, live_server, make_user, locale, home, main, tokens
):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    page = context.new_page()
    try:
        sign_in(page, live_server, make_user(Role.ADMIN, locale=locale, name=LONG_NAME), home)
        expect(page.locator("#notice-bell summary")).to_be_visible()
        nav = page.get_by_role("navigation", name=main)
        link = nav.get_by_role("link", name=tokens, exact=True)
        link.click()
        expect(link).to_have_attribute("aria-current", "page")
        assert nav.locator('[aria-current="page"]').count() == 1
        assert off_screen(page) == []
        assert_accessible(page)
        screenshot(page, f"nav-admin-api-tokens-{locale}-1366")

        # From the top of the page, Tab reaches the link (the top bar comes before the page).
        page.locator("body").focus()
        for _ in range(30):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.textContent.trim()") == tokens:
                break
        else:
            pytest.fail(f"{tokens} is not reached with Tab")
    finally:
        context.close()
