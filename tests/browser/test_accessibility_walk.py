"""axe-core over every page each role can open: for operator, QC, supervisor and admin, every
GET route that console/access.py lets the role open (the app's url_map, walked as
tests/test_access.py walks it; a route that takes an id gets one from the walk's own data: a
complaint with two categories, its customer, client, technician, script...) is loaded in
Chromium in English and in Russian, at 1366×768 and on a 390×844 phone, and axe finds nothing
on it. On the phone the page itself never scrolls sideways (a table or a chart too wide for it
scrolls inside its own frame). One browser tab per role and language, signed in once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import expect

from console.access import PUBLIC, SIGNED_IN, TokenScopes, access_of
from console.models import (
    CallScript,
    CannedReply,
    ComplaintKind,
    ComplaintSource,
    Role,
    SavedInboxView,
    utcnow,
)
from console.services import api_tokens
from console.services.complaints import opening as complaints
from console.services.scripts import library as script_service
from tests.browser.journeys import axe_violations
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ROLES = [Role.OPERATOR, Role.QC, Role.SUPERVISOR, Role.ADMIN]
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
# Not pages: they answer with a file, JSON, an event stream or a redirect, or end the session.
NOT_PAGES = {"auth.logout"}
# Routes taking an id that the walk has no data for, each with the browser test that runs axe
# on it in its real state. A new page with an id must be walked or named here.
CHECKED_ELSEWHERE = {
    "operator.call": "test_call_journey, test_call_desk (a call claimed by the operator)",
    "operator.callback_when": "a fragment of the call screen",
    "auth.reset_password": "test_sign_in_journey (a token from the reset email)",
    "admin.orders_import_run": "test_import_journey",
    "admin.orders_import_columns": "test_import_journey",
    "admin.orders_import_rejected": "a CSV download",
    "api.complaint_detail": "JSON",
    "qc.attachment_file": "a file (test_attachments_journey)",
    "qc.complaint_email_state": "a fragment of the complaint page",
}

# What sticks out past the right edge of the window, outside any frame that scrolls by itself
# (the reports' .chart-scroll, a table's wrapper): what makes the page scroll sideways.
STICKING_OUT = """() => {
  const width = window.innerWidth;
  const scrolls = el => {
    // What clips an element: its containing block's frames (an absolute one escapes the frames
    // between it and the nearest positioned ancestor; a fixed one, all of them).
    const position = getComputedStyle(el).position;
    const first = position === "fixed" ? null
      : position === "absolute" ? el.offsetParent : el.parentElement;
    for (let up = first; up && up !== document.body; up = up.parentElement) {
      const x = getComputedStyle(up).overflowX;
      if (x === "auto" || x === "scroll" || x === "hidden" || x === "clip") return true;
    }
    return false;
  };
  const name = el => el.tagName.toLowerCase() + (el.id ? "#" + el.id : "") +
    [...el.classList].map(c => "." + c).join("");
  const out = [];
  for (const el of document.body.querySelectorAll("*")) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1 && !scrolls(el)) {
      out.push(name(el) + " right=" + Math.round(box.right));
    }
  }
  return {scrollWidth: document.documentElement.scrollWidth, width, out: out.slice(0, 8)};
}"""


def pages_of(app, role: Role, ids: dict[str, int]) -> list[str]:
    """The paths of the GET routes that ``role`` may open, a route's ids taken from ``ids``."""
    urls = app.url_map.bind("localhost")
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in NOT_PAGES | CHECKED_ELSEWHERE.keys():
            continue
        declared = access_of(rule.endpoint)
        if declared == PUBLIC or isinstance(declared, TokenScopes) or declared is None:
            continue
        if declared == SIGNED_IN or role in declared:
            missing = rule.arguments - ids.keys()
            assert not missing, f"{rule.endpoint}: no id for {missing}; walk it or say where"
            paths.append(urls.build(rule.endpoint, {a: ids[a] for a in rule.arguments}))
    return sorted(set(paths))


@pytest.fixture
def some_data(db, make_order, make_user) -> dict[str, int]:
    """A published script, an order and a complaint on it with two categories, so the lists are
    not all empty (the QC inbox shows its table, sorted, only when there is a complaint) and the
    complaint page shows a decision per category; the ids of what each page with an id shows."""
    script_service.load_files([ROOT / "scripts_config" / "base.yaml"])
    order = make_order()
    complaint = complaints.open_complaint(
        order,
        categories=["quality", "price"],
        kind=ComplaintKind.COMPLAINT,
        source=ComplaintSource.CALL,
        snapshot=complaints.order_snapshot(order),
        now=utcnow(),
    )
    script = db.session.query(CallScript).filter_by(key="base").one()
    someone = make_user(Role.QC, name="Walk Colleague")
    reply = CannedReply(title="Apology", body="We are sorry.", locale="en", updated_at=utcnow())
    view = SavedInboxView(owner_id=someone.id, name="Everything", query={}, shared=True)
    token = api_tokens.create_token("Shop system", ["orders:write"]).token
    db.session.add_all([reply, view])
    db.session.commit()
    return {
        "complaint_id": complaint.id,
        "customer_id": order.customer_id,
        "client_id": order.client_id,
        "technician_id": order.technician_id,
        "work_type_id": order.work_type_id,
        "script_id": script.id,
        "number": script.current_version.number,
        "question_id": script.current_version.questions[0].id,
        "user_id": someone.id,
        "reply_id": reply.id,
        "view_id": view.id,
        "token_id": token.id,
    }


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("role", ROLES)
def test_axe_finds_nothing_on_any_page_of_the_role(
    app, browser, live_server, make_user, some_data, role, language
):
    """Each page is loaded once and checked at both widths: no script of the console lays a
    page out by the window's width (CSS alone does), so a page narrowed to a phone is the page
    a phone loads."""
    context = browser.new_context(viewport=DESKTOP, locale=f"{language}-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    found: dict[str, object] = {}
    try:
        user = make_user(role, locale=language)
        page.goto(live_server + "/login")  # the form in the browser's language
        page.locator('input[name="email"]').fill(user.email)
        page.locator('input[name="password"]').fill(PASSWORD)
        page.locator('[type="submit"]').click()
        expect(page.locator('input[name="password"]')).to_have_count(0)
        assert page.locator("html").get_attribute("lang") == language
        paths = pages_of(app, role, some_data)
        assert paths
        for path in paths:
            page.set_viewport_size(DESKTOP)
            response = page.goto(live_server + path)
            if response is None or "text/html" not in response.headers.get("content-type", ""):
                continue  # a download or JSON: no page to check
            assert response.status < 500, (path, response.status)
            if not response.text().lstrip().lower().startswith("<!doctype html"):
                continue  # an htmx fragment (the bell, a poll), checked on the page it is part of
            if violations := axe_violations(page):
                found[f"{path} at 1366"] = {"axe": [(v["id"], v["nodes"]) for v in violations]}
            page.set_viewport_size(PHONE)
            problems = {}
            layout = page.evaluate(STICKING_OUT)
            if layout["scrollWidth"] > layout["width"] + 1:
                problems["scrolls sideways"] = layout
            if violations := axe_violations(page):
                problems["axe"] = [(v["id"], v["nodes"]) for v in violations]
            if problems:
                found[f"{path} at 390"] = problems
    finally:
        context.close()
    assert found == {}, json.dumps(found, indent=1, ensure_ascii=False)
