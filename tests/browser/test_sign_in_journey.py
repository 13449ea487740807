"""In a real browser: each role signs in and lands on its own home page, and signs out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from console.models import Role
from tests.browser.conftest import screenshot
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


HOMES = {
    Role.OPERATOR: ("/operator/", "Calls"),
    Role.QC: ("/qc/", "Complaints"),
    Role.SUPERVISOR: ("/reports/live", "Live board"),
    Role.ADMIN: ("/admin/", "Overview"),
}


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
@pytest.mark.parametrize("role", list(Role))
def test_each_role_signs_in_to_its_home_page(page, live_server, make_user, role, app_config):
    user = make_user(role, name=f"Анна {role.value.title()}")
    page.goto(live_server + "/operator/")
    expect(page).to_have_url(re.compile(r"/login\?next="))

    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong email or password.")).to_be_visible()

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # ?next= asked for the operator page: other roles land on their own home, not on a 403.
    path, heading = HOMES[role]
    expect(page).to_have_url(live_server + path)
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()
    expect(page.get_by_text(user.name)).to_be_visible()
    screenshot(page, f"home-{role.value}")
    assert page.console_errors == []  # htmx loaded; no CSP violation

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto(live_server + path)
    expect(page).to_have_url(re.compile(r"/login"))
