"""What the browser journeys share: signing in through the form, a question of the call
script, and running with CSRF protection on (as in production)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD

CSRF_ON = pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])


def sign_in(page, live_server, user, heading: str = "Calls") -> None:
    """Sign in through the login form and wait for the user's home page (its h1)."""
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()


def question(page, key: str):
    """One question of the call script on the call screen."""
    return page.locator(f'li.question[data-question="{key}"]')
