"""In a real browser: an admin builds a script for a client, tries it in the live preview,
publishes it, and finds the published question in the version view."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from console.models import Client, Role, WorkType
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.browser.journeys import sign_in

pytestmark = pytest.mark.browser

SAVES = re.compile(r"/admin/scripts/\d+/(settings|questions|options)")


def saved(page, action):
    """Do ``action`` and wait until the draft has saved it (one htmx POST) and its answer is
    swapped in, as a person would before the next field (the response comes first; acting
    within the swap's few milliseconds acts on the card being replaced)."""
    with page.expect_response(lambda r: bool(SAVES.search(r.url)) and r.request.method == "POST"):
        action()
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )


@pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])
def test_admin_builds_previews_and_publishes_a_script(
    page, live_server, db, make_user, make_order, app_config
):
    brightwell = Client(key="brightwell", name="Brightwell Motors", timezone="Europe/London")
    brakes = WorkType(key="brakes", name="Brake repair")
    db.session.add_all([brightwell, brakes])
    db.session.commit()
    order = make_order(client=brightwell, work_type=brakes)
    admin = make_user(Role.ADMIN, name="Alex Admin")

    sign_in(page, live_server, admin, "Overview")
    page.get_by_role("link", name="Scripts").click()
    expect(page.get_by_role("heading", level=1, name="Scripts")).to_be_visible()

    # Create the script for the client.
    page.get_by_label("Key").fill("brightwell-brakes")
    page.get_by_label("Name").fill("Brightwell brakes follow-up")
    page.get_by_label("Client").select_option(label="Brightwell Motors")
    page.get_by_label("Work type").select_option(label="Brake repair")
    page.get_by_role("button", name="Create script").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Brightwell brakes follow-up")
    expect(page.get_by_text("Draft — not published yet")).to_be_visible()
    expect(page.get_by_text("Locked: only the wording can change")).to_be_visible()

    # A single-choice question whose "not satisfied" answer creates a complaint.
    page.get_by_label("Kind of the new question").select_option("single")
    saved(page, lambda: page.get_by_role("button", name="Add question").click())
    card = page.locator("article.ctor-card").first
    expect(card.get_by_role("heading")).to_contain_text("Question 1")
    text = card.get_by_label("Question", exact=True)
    text.fill("How happy are you with the brake repair, {customer.name}?")
    saved(page, lambda: text.press("Tab"))
    weight = card.get_by_label("Weight")
    weight.fill("3")
    saved(page, lambda: weight.press("Tab"))
    points = card.get_by_label("Points of answer 1")
    points.fill("10")
    saved(page, lambda: points.press("Tab"))
    complaint = card.locator(".ctor-opt").nth(1).get_by_label("complaint")
    saved(page, lambda: complaint.select_option(label="quality"))
    expect(card.get_by_label("Weight")).to_have_value("3")
    expect(card.get_by_label("Points of answer 1")).to_have_value("10")
    expect(complaint).to_have_value("quality")
    expect(page.locator("#script-head")).not_to_contain_text("problem")

    # A second question, deleted again after the second click.
    page.get_by_label("Kind of the new question").select_option("yesno")
    saved(page, lambda: page.get_by_role("button", name="Add question").click())
    second = page.locator("article.ctor-card").nth(1)
    expect(second.get_by_role("heading")).to_contain_text("Question 2")
    second.get_by_role("button", name="Delete…").click()
    expect(second.get_by_text("Really delete this question?")).to_be_visible()
    saved(page, lambda: second.get_by_role("button", name="Yes, delete").click())
    expect(page.locator("article.ctor-card")).to_have_count(2)  # the question and contacts

    # The live preview: the operator's view for the client's order, with score and consequences.
    preview = page.locator("#preview")
    expect(preview).to_contain_text(
        f"How happy are you with the brake repair, {order.customer.name}?"
    )
    preview.locator('input[name="q-q1"][value="good"]').check()
    expect(preview.locator(".score strong")).to_have_text("100")
    expect(preview).to_contain_text("Nothing will be created.")
    preview.locator('input[name="q-q1"][value="bad"]').check()
    expect(preview.locator(".score strong")).to_have_text("0")
    expect(preview).to_contain_text("Creates a complaint: quality")
    screenshot(page, "constructor-editor")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(SCREENSHOTS / "constructor-editor-viewport.png"))

    # Publish: the change list first.
    page.get_by_role("link", name="Publish…").click()
    expect(page.get_by_text("First version: 2 questions.")).to_be_visible()
    page.get_by_label("Note (optional)").fill("For the brake repair campaign")
    screenshot(page, "constructor-publish")
    page.get_by_role("button", name="Publish version 1").click()
    expect(page.get_by_text("Version 1 published.")).to_be_visible()
    expect(page.get_by_text("Published version 1")).to_be_visible()

    # The version view shows what operators now get.
    page.get_by_role("link", name="Version history").click()
    expect(page.get_by_text("For the brake repair campaign")).to_be_visible()
    expect(page.get_by_role("cell", name="Alex Admin")).to_be_visible()
    page.get_by_role("link", name="Version 1").click()
    expect(
        page.get_by_text(f"How happy are you with the brake repair, {order.customer.name}?")
    ).to_be_visible()
    expect(page.get_by_role("radio", name="Not satisfied").first).to_be_disabled()
    screenshot(page, "constructor-version")
    page.get_by_role("link", name="Scripts", exact=True).click()
    expect(page.get_by_role("cell", name="Brightwell Motors / Brake repair")).to_be_visible()
    screenshot(page, "constructor-list")
    assert page.console_errors == []  # htmx worked under the CSP, CSRF header accepted
