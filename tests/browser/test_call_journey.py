"""In a real browser: an operator takes the next call, ticks the customer's answers (a complaint
and the technician's personal contacts), submits and gets the next call; and a call survives a
dropped connection without losing a tick."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.models import (
    CallTask,
    Client,
    Complaint,
    ComplaintKind,
    Role,
    Technician,
    WorkType,
    utcnow,
)
from console.models.catalog import calling_hours_every_day
from tests.browser.conftest import SCREENSHOTS, screenshot
from tests.browser.journeys import CSRF_ON, question, sign_in

pytestmark = pytest.mark.browser

BASE_SCRIPT = Path(__file__).resolve().parents[2] / "scripts_config" / "base.yaml"
AUTOSAVE = re.compile(r"/operator/call/\d+/autosave$")


@pytest.fixture
def calls_due(db, runner, make_order):
    """The shipped base script, a client open around the clock, and two calls due."""
    result = runner.invoke(args=["scripts", "load", str(BASE_SCRIPT)])
    assert result.exit_code == 0, result.output
    garage = Client(
        key="garage",
        name="Garage-Service",
        timezone="Europe/Moscow",
        calling_hours=calling_hours_every_day(time(0), time(0)),  # round the clock
    )
    oil = WorkType(key="oil", name="Oil change and diagnostics")
    orlov = Technician(name="S. Orlov", client=garage)
    db.session.add_all([garage, oil, orlov])
    db.session.commit()
    tasks = []
    for n, (name, plate) in enumerate([("Ivan Petrov", "A123BC77"), ("Maria Li", "K456OP99")]):
        order = make_order(
            client=garage,
            work_type=oil,
            technician=orlov,
            external_id=f"A-1048{n}",
            vehicle_make_model="Kia Rio" if n == 0 else "Lada Vesta",
            vehicle_plate=plate,
            vehicle_vin="XWEPH81ABD0001234" if n == 0 else None,
            vehicle_mileage_km=48200,
            qc_breakin_advice="New brake pads: gentle braking for the first 500 km",
            qc_declined_repairs="Rear shock absorbers (worn)" if n == 0 else None,
        )
        order.customer.name = name
        task = CallTask(
            order=order,
            client=garage,
            customer=order.customer,
            due_at=utcnow() - timedelta(hours=2 - n),
        )
        db.session.add(task)
        tasks.append(task)
    db.session.commit()
    return tasks


def fresh(db, model, id_):
    db.session.rollback()  # see what the server committed meanwhile
    return db.session.get(model, id_, populate_existing=True)


@CSRF_ON
def test_operator_takes_a_call_ticks_answers_submits_and_gets_the_next_call(
    page, live_server, db, make_user, calls_due, app_config
):
    first, second = calls_due
    operator = make_user(Role.OPERATOR, name="Anna Operator", timezone="Europe/Moscow")
    sign_in(page, live_server, operator)
    expect(page.get_by_text("2 calls are due now")).to_be_visible()
    screenshot(page, "call-start")
    page.get_by_role("button", name="Next call").click()

    # The call screen: who, what to mention, the script.
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
    expect(page.locator("a[href^='tel:+7912']")).to_be_visible()
    facts = page.locator(".call-facts")
    expect(facts).to_contain_text("Garage-Service")
    expect(facts).to_contain_text("local time")
    expect(facts).to_contain_text("A-10480")
    expect(facts).to_contain_text("S. Orlov")
    expect(facts).to_contain_text("Kia Rio")
    expect(facts).to_contain_text("remind the customer")
    expect(page.locator(".call-script")).to_contain_text("Good afternoon, Ivan Petrov!")
    # "Next call" answered its POST with the screen; the tab shows the call's own address.
    assert page.url.endswith(f"/operator/call/{first.id}")
    saves = []
    page.on("request", lambda r: saves.append(r) if AUTOSAVE.search(r.url) else None)

    # Keyboard: click a question, then number keys tick its answers.
    question(page, "speed").locator("legend").click()
    page.keyboard.press("4")
    expect(question(page, "speed").get_by_role("radio", name="4")).to_be_checked()
    question(page, "service").get_by_text("Polite and helpful").click()
    # "What went wrong?" appears the moment "Not satisfied" is ticked, before any server answer.
    expect(question(page, "what_wrong")).to_be_hidden()
    question(page, "quality").get_by_text("Not satisfied").click()
    expect(question(page, "what_wrong")).to_be_visible()
    question(page, "what_wrong").get_by_text("The problem is not fixed").click()
    question(page, "repeat_visit").get_by_text("No, first time").click()
    question(page, "contacts").get_by_role("radio", name="Yes").check()
    expect(page.locator("#call-creates")).to_contain_text("complaint: quality")
    expect(page.locator("#call-creates")).to_contain_text("anti-poaching case")
    expect(page.locator("#save-state")).to_contain_text("Saved")
    draft = fresh(db, CallTask, first.id).draft
    assert draft["answers"]["contacts"]["options"] == ["yes"]
    # Same-origin Referer on every save: over HTTPS the CSRF check refuses a save without one.
    assert saves and all(r.all_headers().get("referer", "").startswith(live_server) for r in saves)
    # A reload opens the same call with every tick (GET by its address, nothing claimed).
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
    expect(question(page, "contacts").get_by_role("radio", name="Yes")).to_be_checked()
    expect(question(page, "what_wrong")).to_be_visible()
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "call-screen")
    page.screenshot(path=str(SCREENSHOTS / "call-screen-viewport.png"))

    # Enter submits; the next call is on screen at once, with a one-line confirmation.
    page.locator("#call-screen").click(position={"x": 5, "y": 5})
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Maria Li")).to_be_visible()
    notice = page.locator("#notices")
    expect(notice).to_contain_text("Saved. Complaint #")
    expect(notice).to_contain_text("Anti-poaching case #")
    assert page.url.endswith(f"/operator/call/{second.id}")

    db.session.rollback()
    made = db.session.scalars(select(Complaint).order_by(Complaint.id)).all()
    assert [(c.kind, c.category) for c in made] == [
        (ComplaintKind.COMPLAINT, "quality"),
        (ComplaintKind.POACHING, "poaching"),
    ]
    for complaint in made:
        snapshot = complaint.snapshot
        assert snapshot["order"]["external_id"] == "A-10480"
        assert snapshot["customer"]["name"] == "Ivan Petrov"
        assert snapshot["technician"]["name"] == "S. Orlov"
        assert snapshot["vehicle"]["plate"] == "A123BC77"
    assert fresh(db, Technician, made[0].technician_id).under_review_since is not None
    assert fresh(db, CallTask, second.id).held_by_id == operator.id
    screenshot(page, "call-next")

    # The second call by keyboard alone: number keys tick, Tab moves to the next question
    # (past a comment box no ticked answer asks for, and past the optional 0-10 question).
    question(page, "speed").locator("legend").click()
    keys = ["5", "Tab", "1", "Tab", "1", "Tab", "1", "Tab", "1", "Tab", "Tab", "Tab", "1"]
    for key in keys:
        page.keyboard.press(key)
    for key, label in [
        ("speed", "5"),
        ("service", "Polite and helpful"),
        ("quality", "1 Satisfied"),
        ("repeat_visit", "No, first time"),
        ("price", "Fair"),
        ("contacts", "1 No"),
    ]:
        expect(question(page, key).get_by_role("radio", name=label, exact=False)).to_be_checked()
    expect(question(page, "service").locator("textarea")).to_have_value("")
    expect(question(page, "recommend").locator("input:checked")).to_have_count(0)  # optional
    submits = []
    page.on("request", lambda r: submits.append(r.url) if r.url.endswith("/submit") else None)
    page.get_by_role("button", name="Submit").dblclick()
    expect(page.get_by_text("No calls due now")).to_be_visible()
    assert len(submits) == 1
    db.session.rollback()
    assert fresh(db, CallTask, second.id).outcome == "completed"
    assert page.console_errors == []  # htmx and call.js worked under the CSP, CSRF accepted


@CSRF_ON
def test_ticks_made_offline_are_sent_when_the_connection_is_back(
    page, live_server, db, make_user, calls_due, app_config
):
    first, _second = calls_due
    operator = make_user(Role.OPERATOR, timezone="Europe/Moscow")
    sign_in(page, live_server, operator)
    page.get_by_role("button", name="Next call").click()
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
    with page.expect_response(lambda r: bool(AUTOSAVE.search(r.url))) as first_save:
        question(page, "speed").get_by_role("radio", name="5").check()
    expect(page.locator("#save-state")).to_contain_text("Saved")
    round_trip = _round_trip_bytes(first_save.value)

    page.context.set_offline(True)
    question(page, "service").get_by_text("Acceptable").click()
    expect(page.locator("#save-state")).to_contain_text(
        "Offline — your answers will be sent when the connection is back"
    )
    question(page, "quality").get_by_text("Mostly satisfied").click()
    question(page, "what_wrong").get_by_text("Left a mess").click()
    question(page, "what_wrong").get_by_text("The same defect came back").click()
    question(page, "repeat_visit").get_by_text("Yes, it came back").click()
    comment = question(page, "comments").locator("textarea")
    comment.fill("Please call after 6 pm")
    question(page, "contacts").get_by_role("radio", name="No").check()
    expect(page.locator("#save-state")).to_have_attribute("data-state", "offline")
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "call-offline")
    page.screenshot(path=str(SCREENSHOTS / "call-offline-viewport.png"))
    assert fresh(db, CallTask, first.id).draft["answers"] == {
        "speed": {"options": ["5"], "text": None}
    }

    page.context.set_offline(False)
    expect(page.locator("#save-state")).to_contain_text("Saved", timeout=20_000)
    expected = {
        "speed": {"options": ["5"], "text": None},
        "service": {"options": ["ok"], "text": None},
        "quality": {"options": ["mostly"], "text": None},
        "what_wrong": {"options": ["same_defect", "mess"], "text": None},
        "repeat_visit": {"options": ["yes"], "text": None},
        "comments": {"options": [], "text": "Please call after 6 pm"},
        "contacts": {"options": ["no"], "text": None},
    }
    assert fresh(db, CallTask, first.id).draft["answers"] == expected

    # A reload shows every tick, from the server.
    page.reload()
    expect(page.get_by_role("heading", level=1, name="Ivan Petrov")).to_be_visible()
    expect(question(page, "speed").get_by_role("radio", name="5")).to_be_checked()
    expect(question(page, "service").get_by_role("radio", name="Acceptable")).to_be_checked()
    expect(question(page, "quality").get_by_role("radio", name="Mostly satisfied")).to_be_checked()
    expect(question(page, "what_wrong")).to_be_visible()
    expect(question(page, "what_wrong").get_by_role("checkbox", name="Left a mess")).to_be_checked()
    expect(
        question(page, "what_wrong").get_by_role("checkbox", name="The same defect came back")
    ).to_be_checked()
    expect(
        question(page, "repeat_visit").get_by_role("radio", name="Yes, it came back")
    ).to_be_checked()
    expect(comment).to_have_value("Please call after 6 pm")
    expect(question(page, "contacts").get_by_role("radio", name="No")).to_be_checked()
    print(f"autosave round trip in Chromium: {round_trip}")
    offline_noise = [e for e in page.console_errors if "ERR_INTERNET_DISCONNECTED" not in e]
    assert offline_noise == []


def _round_trip_bytes(response) -> str:
    request = response.request
    up_headers = sum(len(f"{k}: {v}\r\n") for k, v in request.all_headers().items())
    down_headers = sum(len(f"{k}: {v}\r\n") for k, v in response.all_headers().items())
    up_body = len(request.post_data_buffer or b"")
    down_body = len(response.body())
    return (
        f"body {up_body} B up + {down_body} B down; headers {up_headers} B up + "
        f"{down_headers} B down"
    )
