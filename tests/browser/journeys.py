"""What the browser journeys share: signing in through the form, a question of the call
script, and running with CSRF protection on (as in production)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD, service_missing

CSRF_ON = pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])


def sign_in(page, live_server, user, heading: str = "Calls") -> None:
    """Sign in through the login form and wait for the user's home page (its h1). ``user``: a
    User, or the email of one (a deployed console's people, seeded by tests/deployed.py)."""
    page.goto(live_server + "/login")
    page.get_by_label("Email").fill(user if isinstance(user, str) else user.email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name=heading)).to_be_visible()


def question(page, key: str):
    """One question of the call script on the call screen."""
    return page.locator(f'li.question[data-question="{key}"]')


AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


def axe_violations(page) -> list[dict]:
    """axe-core's violations on the page as it is now (WCAG 2.1 A and AA, and axe's best
    practices). Run through the debugging protocol, which the page's CSP does not govern."""
    if not AXE.exists():
        service_missing("axe-core", "run `npm ci` (a dev dependency in package.json)")
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;undefined")
    # Only the violations are read: axe skips building the passes and the incomplete (faster).
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": v["id"],
            "impact": v["impact"],
            "help": v["help"],
            "nodes": [n["target"] for n in v["nodes"]][:5],
        }
        for v in result["violations"]
    ]


def assert_accessible(page) -> None:
    """No axe-core violations on the page as it is now."""
    violations = axe_violations(page)
    assert violations == [], json.dumps(violations, indent=1, ensure_ascii=False)
