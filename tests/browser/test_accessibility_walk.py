"""axe-core over every page each role can open: for operator, QC, supervisor and admin, every
GET route without arguments that console/access.py lets the role open (the app's url_map, walked
as tests/test_access.py walks it) is loaded in Chromium at 1366×768 and axe finds nothing on it.
One browser tab per role, signed in once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from console.access import PUBLIC, SIGNED_IN, TokenScopes, access_of
from console.models import ComplaintKind, ComplaintSource, Role, utcnow
from console.services.complaints import opening as complaints
from console.services.scripts import library as script_service
from tests.browser.journeys import axe_violations, sign_in

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
HOMES = {
    Role.OPERATOR: "Calls",
    Role.QC: "Complaints",
    Role.SUPERVISOR: "Live board",
    Role.ADMIN: "Overview",
}
# Not pages: they answer with a file, JSON, an event stream or a redirect, or end the session.
NOT_PAGES = {"auth.logout"}


def pages_of(app, role: Role) -> list[str]:
    """The paths of the GET routes without arguments that ``role`` may open."""
    paths = []
    for rule in app.url_map.iter_rules():
        if rule.arguments or "GET" not in rule.methods or rule.endpoint in NOT_PAGES:
            continue
        declared = access_of(rule.endpoint)
        if declared == PUBLIC or isinstance(declared, TokenScopes) or declared is None:
            continue
        if declared == SIGNED_IN or role in declared:
            paths.append(rule.rule)
    return sorted(set(paths))


@pytest.fixture
def some_data(db, make_order):
    """A published script, an order and a complaint on it, so the lists are not all empty
    (the QC inbox shows its table, sorted, only when there is a complaint)."""
    script_service.load_files([ROOT / "scripts_config" / "base.yaml"])
    order = make_order()
    complaints.open_complaint(
        order,
        category="quality",
        kind=ComplaintKind.COMPLAINT,
        source=ComplaintSource.CALL,
        snapshot=complaints.order_snapshot(order),
        now=utcnow(),
    )
    db.session.commit()


@pytest.mark.parametrize("role", list(HOMES))
def test_axe_finds_nothing_on_any_page_of_the_role(
    app, browser, live_server, make_user, some_data, role
):
    context = browser.new_context(viewport={"width": 1366, "height": 768}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    found: dict[str, list] = {}
    try:
        sign_in(page, live_server, make_user(role), HOMES[role])
        paths = pages_of(app, role)
        assert paths
        for path in paths:
            response = page.goto(live_server + path)
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue  # a download or JSON: no page to check
            assert response.status < 500, (path, response.status)
            if not response.text().lstrip().lower().startswith("<!doctype html"):
                continue  # an htmx fragment (the bell, a poll), checked on the page it is part of
            violations = axe_violations(page)
            if violations:
                found[path] = [(v["id"], v["nodes"]) for v in violations]
    finally:
        context.close()
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)
