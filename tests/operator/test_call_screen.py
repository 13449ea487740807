"""The operator's screens through the web: the start page, "Next call", the call screen with its
autosave and heartbeat, submit and outcomes, pausing. The rules themselves (priority, retries,
leases, complaints) are tested on the services; here, the wiring and what the operator sees."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, insert, select

from console.models import (
    CallOutcome,
    CallTask,
    Client,
    Complaint,
    ComplaintKind,
    OperatorPause,
    Order,
    PauseReason,
    Response,
    Role,
    TaskStatus,
    utcnow,
)
from console.models.catalog import calling_hours_every_day
from console.services.calls import tasks as calls
from tests.conftest import PASSWORD

MOSCOW = ZoneInfo("Europe/Moscow")


@pytest.fixture
def acme(db):
    """The client of every order here, open for calls around the clock (tests run at any hour)."""
    client = Client(
        key="acme",
        name="Acme Auto",
        timezone="Europe/Moscow",
        calling_hours=calling_hours_every_day(time(0), time(0)),  # round the clock
    )
    db.session.add(client)
    db.session.commit()
    return client


@pytest.fixture
def due_task(make_task, acme):
    def make(**fields):
        fields.setdefault("due_at", utcnow() - timedelta(hours=1))
        return make_task(**fields)

    return make


@pytest.fixture
def anna(make_user):
    return make_user(Role.OPERATOR, name="Anna", timezone="Europe/Moscow")


@pytest.fixture
def boris(make_user):
    return make_user(Role.OPERATOR, name="Boris", timezone="Europe/Moscow")


def on_screen(response) -> int:
    """The id of the call whose screen this response is (the address call.js gives the tab)."""
    assert response.status_code == 200, response.status_code
    match = re.search(r'id="call-screen" data-url="/operator/call/(\d+)"', page_text(response))
    assert match, "not a call screen"
    return int(match.group(1))


def claim(client, db) -> CallTask:
    """Press "Next call"; return the task on screen (the answer is the call screen itself)."""
    task_id = on_screen(client.post("/operator/next"))
    return db.session.get(CallTask, task_id, populate_existing=True)


def lease(task: CallTask, **fields) -> dict:
    return {"token": task.lease_token, **fields}


def page_text(response) -> str:
    return response.get_data(as_text=True)


def question_html(html: str, key: str) -> str:
    """The <li> of one question on the call screen."""
    match = re.search(rf'<li class="question[^>]*id="call-q-{key}".*?</li>', html, re.S)
    assert match, f"question {key} not on the page"
    return match.group(0)


# --- the start page and "Next call" ----------------------------------------------------------


def test_next_call_claims_the_oldest_due_task_and_opens_it(client, db, login_as, anna, due_task):
    due_task(due_at=utcnow() - timedelta(hours=1))
    older = due_task(
        due_at=utcnow() - timedelta(days=1),
        vehicle_make_model="Kia Rio",
        vehicle_plate="A123BC77",
        qc_breakin_advice="Brake pads bed in over 500 km",
        qc_declined_repairs="Rear shock absorbers",
    )
    login_as(anna)
    start = page_text(client.get("/operator/"))
    assert "Next call" in start and "2</strong> calls are due now" in start

    answer = client.post("/operator/next")  # one round trip: the answer is the call screen
    task = db.session.get(CallTask, on_screen(answer))
    assert task.id == older.id and task.held_by_id == anna.id
    assert on_screen(client.get(f"/operator/call/{task.id}")) == task.id  # reload: same call

    html = page_text(answer)
    customer = task.customer
    assert customer.name in html
    assert f'href="tel:{customer.primary_phone}"' in html
    assert "Acme Auto" in html and "local time" in html
    assert task.order.external_id in html and "RUB\u00a012,500.00" in html  # with its currency
    assert "Kia Rio" in html and "A123BC77" in html
    assert "Brake pads bed in over 500 km" in html
    assert "Rear shock absorbers" in html and "remind the customer" in html
    assert f"Hello {customer.name}" in html  # the intro, placeholders filled
    assert 'name="q-quality"' in html and "Satisfied?" in html
    # The conditional question is hidden, and carries its condition for call.js.
    what_wrong = question_html(html, "what_wrong")
    assert "hidden" in what_wrong
    assert (
        'data-show-if-question="quality"' in what_wrong and 'data-show-if-any="bad"' in what_wrong
    )
    assert f'name="token" value="{task.lease_token}"' in html
    assert f'name="submit_key" value="{task.submit_key}"' in html
    for label in ("No answer", "Busy", "Voicemail", "Wrong number", "Refused", "Call back…"):
        assert label in html
    assert "Do not call" in html and "Submit" in html
    assert "call.js" in html


def due_in_bulk(db, like: CallTask, n: int) -> None:
    """``n`` more calls due as ``like`` is, each for an order of its own (one insert each)."""
    order = like.order
    same = {"client_id": order.client_id, "customer_id": order.customer_id}
    db.session.execute(
        insert(Order),
        [
            {
                **same,
                "external_id": f"BULK-{i}",
                "work_type_id": order.work_type_id,
                "amount": order.amount,
                "completed_at": order.completed_at,
            }
            for i in range(n)
        ],
    )
    bulk = select(Order.id).where(Order.external_id.like("BULK-%"))
    db.session.execute(
        insert(CallTask),
        [{**same, "order_id": i, "due_at": like.due_at} for i in db.session.scalars(bulk)],
    )
    db.session.commit()


@pytest.mark.parametrize(
    ("locale", "shown"),
    [("en", "1,002</strong> calls are due now"), ("ru", "1\xa0002</strong> звонка нужно сделать")],
)
def test_the_count_due_is_written_as_the_operators_language_writes_numbers(
    client, db, make_user, login_as, due_task, locale, shown
):
    due_in_bulk(db, due_task(), 1001)
    login_as(make_user(Role.OPERATOR, locale=locale))
    assert shown in page_text(client.get("/operator/"))


def test_nothing_due_stays_on_the_start_page_with_the_next_time(
    client, db, login_as, anna, due_task
):
    later = (utcnow() + timedelta(hours=2)).replace(second=0, microsecond=0)
    due_task(due_at=later)
    login_as(anna)
    response = client.post("/operator/next")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/operator/?nothing=1")
    html = page_text(client.get(response.headers["Location"]))
    local = later.astimezone(MOSCOW)  # shown in the operator's own time zone
    today = local.date() == utcnow().astimezone(MOSCOW).date()
    when = f"{local:%H:%M}" if today else f"{local.day} {local:%b}, {local:%H:%M}"
    assert f"No calls due now; next one at {when}." in html
    assert db.session.scalar(select(func.count()).where(CallTask.status == TaskStatus.HELD)) == 0


def test_nothing_due_at_all_says_so(client, login_as, anna, acme):
    login_as(anna)
    response = client.post("/operator/next", follow_redirects=True)
    assert "No calls due now." in page_text(response)


def test_the_start_page_offers_the_open_call_back(client, db, login_as, anna, due_task):
    due_task()
    login_as(anna)
    task = claim(client, db)
    html = page_text(client.get("/operator/"))
    assert "Back to your call" in html and f"/operator/call/{task.id}" in html
    assert claim(client, db).id == task.id  # "Next call" again gives the same call


def test_due_callbacks_are_listed_mine_first(client, db, login_as, anna, boris, due_task):
    for_anyone = due_task(due_at=utcnow() - timedelta(minutes=30))
    for_anyone.is_callback = True
    mine = due_task(due_at=utcnow() - timedelta(minutes=5))
    mine.is_callback, mine.callback_user_id = True, anna.id
    borises = due_task(due_at=utcnow() - timedelta(minutes=50))
    borises.is_callback, borises.callback_user_id = True, boris.id
    db.session.commit()
    login_as(anna)
    html = page_text(client.get("/operator/"))
    assert "2 due, 1 of them yours." in html
    assert html.index(mine.customer.name) < html.index(for_anyone.customer.name)
    assert borises.customer.name not in html
    assert "only you" in html


def script_section(html: str) -> str:
    match = re.search(r'<div class="script" lang=.*?\n</div>', html, re.S)
    assert match, "no script on the page"
    return match.group(0)


def test_each_new_call_shows_its_own_customer_in_the_script_escaped(
    app, client, db, login_as, anna, due_task
):
    """Every order gets its own values in the script, escaped exactly as a direct render of
    the script would."""
    from flask import get_template_attribute

    from console.scripts import rendering
    from console.scripts.definition import normalise
    from console.services.scripts.library import definition_of, publish_definition
    from tests.operator.conftest import BASE

    first_question = BASE["questions"][0] | {
        "text": "Did {customer.name} like the {work_type.name}?",
        "note": "Thank {customer.name} for order {order.external_id}.",
    }
    publish_definition(normalise(BASE | {"questions": [first_question, *BASE["questions"][1:]]}))
    db.session.commit()
    first = due_task(due_at=utcnow() - timedelta(hours=2))
    second = due_task(due_at=utcnow() - timedelta(hours=1))
    first.customer.name, second.customer.name = 'Anna "A&B" <O\'Hara>', "Борис Петров"
    db.session.commit()
    login_as(anna)

    escaped = {first.id: "Anna &#34;A&amp;B&#34; &lt;O&#39;Hara&gt;", second.id: "Борис Петров"}
    for task in (first, second):
        html = page_text(client.post("/operator/next"))  # the second: the call held already
        shown = script_section(html)
        name = escaped[task.id]
        assert f"Did {name} like the Oil change?" in shown
        assert f"Thank {name} for order {task.order.external_id}." in shown
        assert "\x02" not in html and "{customer.name}" not in html
        db.session.expire_all()
        with app.test_request_context():
            direct = get_template_attribute("scripts/_script.html", "script")(
                rendering.view(definition_of(task.script_version), task.order), "call"
            )
        assert shown == str(direct).strip()
        client.post(f"/operator/call/{task.id}/outcome", data=lease(task, outcome="busy"))
    assert "O&#39;Hara" not in html  # the second call shows nothing of the first customer


def test_the_call_screen_speaks_each_operators_language(
    app, client, db, login_as, make_user, due_task
):
    """An English screen first leaves none of its words on a Russian one."""
    due_task(due_at=utcnow() - timedelta(hours=2))
    due_task(due_at=utcnow() - timedelta(hours=1))
    english = make_user(Role.OPERATOR, name="Anna")
    russian = make_user(Role.OPERATOR, name="Boris", locale="ru")
    login_as(english)
    html = page_text(client.post("/operator/next"))
    assert "Call back at (the customer" in html and "Take the next call" in html
    other = app.test_client()  # the second operator's own browser
    signed = other.post("/login", data={"email": russian.email, "password": PASSWORD})
    assert signed.status_code == 302
    html = page_text(other.post("/operator/next"))
    assert "Когда перезвонить (время клиента)" in html and "Завтра, 10:00" in html
    assert "Call back at" not in html and "Take the next call" not in html


# --- access ----------------------------------------------------------------------------------


def test_a_task_held_by_another_operator_is_refused(client, db, login_as, anna, boris, due_task):
    due_task()
    task = calls.claim_next_call(anna)
    login_as(boris)
    answers = {"q-quality": "good"}
    assert client.get(f"/operator/call/{task.id}").status_code == 403
    assert (
        client.post(f"/operator/call/{task.id}/autosave", data=lease(task, seq=1)).status_code
        == 403
    )
    assert client.post(f"/operator/call/{task.id}/heartbeat", data=lease(task)).status_code == 403
    submit = lease(task, submit_key=task.submit_key, **answers)
    assert client.post(f"/operator/call/{task.id}/submit", data=submit).status_code == 403
    outcome = lease(task, outcome="busy")
    assert client.post(f"/operator/call/{task.id}/outcome", data=outcome).status_code == 403
    db.session.refresh(task)
    assert task.held_by_id == anna.id and task.draft is None and task.attempts == 0
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_a_finished_task_cannot_be_opened_again(app, client, db, login_as, anna, boris, due_task):
    due_task()
    login_as(anna)
    task = claim(client, db)
    token = task.lease_token
    client.post(f"/operator/call/{task.id}/outcome", data=lease(task, outcome="refused"))
    assert client.get(f"/operator/call/{task.id}").status_code == 403
    # A late save from Anna's own screen is told the call is no longer hers.
    late = {"token": token, "seq": 9}
    assert client.post(f"/operator/call/{task.id}/autosave", data=late).status_code == 409

    other = app.test_client()
    other.post("/login", data={"email": boris.email, "password": PASSWORD})
    assert other.get(f"/operator/call/{task.id}").status_code == 403
    assert other.post(f"/operator/call/{task.id}/autosave", data=late).status_code == 403


def test_a_task_that_does_not_exist_is_not_found(client, login_as, anna):
    login_as(anna)
    assert client.get("/operator/call/999").status_code == 404


def test_script_texts_and_customer_data_are_escaped(client, db, login_as, anna, due_task, acme):
    task = due_task()
    task.customer.name = '<img src=x onerror="alert(1)">'
    db.session.commit()
    login_as(anna)
    html = page_text(client.get(f"/operator/call/{claim(client, db).id}"))
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=&#34;alert(1)&#34;&gt;" in html


# --- autosave and heartbeat ------------------------------------------------------------------


def test_autosave_stores_the_draft_and_a_reload_shows_the_ticks(
    client, db, login_as, anna, due_task
):
    due_task()
    login_as(anna)
    task = claim(client, db)
    data = lease(task, seq=3, **{"q-quality": "bad", "q-what_wrong": ["late", "again"]})
    response = client.post(
        f"/operator/call/{task.id}/autosave", data=data, headers={"Accept": "application/json"}
    )
    assert response.status_code == 200
    assert response.json["stored"] is True and response.json["seq"] == 3
    assert 295 <= response.json["lease"] <= 300
    db.session.refresh(task)
    assert task.draft == {
        "seq": 3,
        "answers": {
            "quality": {"options": ["bad"], "text": None},
            "what_wrong": {"options": ["late", "again"], "text": None},
        },
    }

    html = page_text(client.get(f"/operator/call/{task.id}"))
    assert re.search(r'name="q-quality" value="bad"\s+checked', html)
    assert not re.search(r'name="q-quality" value="good"\s+checked', html)
    what_wrong = question_html(html, "what_wrong")
    assert " hidden>" not in what_wrong  # shown: its condition is ticked
    assert re.search(r'value="late"\s+checked', what_wrong)
    assert re.search(r'value="again"\s+checked', what_wrong)
    assert 'data-seq="3"' in html  # the page carries on counting from the stored draft


def test_an_older_autosave_arriving_late_is_ignored_and_says_so(
    client, db, login_as, anna, due_task
):
    due_task()
    login_as(anna)
    task = claim(client, db)
    url = f"/operator/call/{task.id}/autosave"
    client.post(url, data=lease(task, seq=7, **{"q-quality": "good"}))
    late = client.post(url, data=lease(task, seq=6, **{"q-quality": "bad"}))
    assert late.json == {"seq": 7, "stored": False, "lease": late.json["lease"]}
    db.session.refresh(task)
    assert task.draft["answers"]["quality"]["options"] == ["good"]


def test_the_heartbeat_renews_the_lease(client, db, login_as, anna, due_task):
    due_task()
    login_as(anna)
    task = claim(client, db)
    task.lease_expires_at = utcnow() + timedelta(seconds=30)
    db.session.commit()
    response = client.post(f"/operator/call/{task.id}/heartbeat", data=lease(task))
    assert response.status_code == 200 and response.json["lease"] >= 295
    db.session.refresh(task)
    assert task.lease_expires_at > utcnow() + timedelta(minutes=4)


# --- lease lost ------------------------------------------------------------------------------


def test_a_call_taken_over_answers_409_and_keeps_the_new_holders_work(
    client, db, login_as, anna, boris, due_task
):
    due_task()
    login_as(anna)
    task = claim(client, db)
    old_token = task.lease_token
    client.post(
        f"/operator/call/{task.id}/autosave", data=lease(task, seq=1, **{"q-quality": "bad"})
    )
    # Anna's connection dropped; her lease ran out and Boris took the call.
    task.lease_expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    taken = calls.claim_next_call(boris)
    assert taken.id == task.id
    calls.save_draft(taken, boris, taken.lease_token, {"quality": {"options": ["good"]}}, seq=2)
    db.session.commit()

    stale = {"token": old_token, "seq": 5, "q-quality": "bad"}
    response = client.post(
        f"/operator/call/{task.id}/autosave", data=stale, headers={"Accept": "application/json"}
    )
    assert response.status_code == 409
    assert response.json["error"] == "lease_lost"
    assert "Another operator has taken it over" in response.json["message"]

    submit = {"token": old_token, "submit_key": "anything", "q-quality": "bad"}
    response = client.post(
        f"/operator/call/{task.id}/submit", data=submit, headers={"HX-Request": "true"}
    )
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#call-alert"
    assert "This call is no longer yours" in page_text(response)
    assert "/operator/" in page_text(response)  # a link to the start page

    outcome = {"token": old_token, "outcome": "busy"}
    assert client.post(f"/operator/call/{task.id}/outcome", data=outcome).status_code == 409
    db.session.refresh(task)
    assert task.held_by_id == boris.id
    assert task.draft["answers"] == {"quality": {"options": ["good"]}}
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0


def test_a_wrong_token_from_the_holder_is_a_lost_lease(client, db, login_as, anna, due_task):
    due_task()
    login_as(anna)
    task = claim(client, db)
    response = client.post(
        f"/operator/call/{task.id}/heartbeat",
        data={"token": "not-the-token"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409 and response.json["error"] == "lease_lost"


# --- submit ----------------------------------------------------------------------------------


def test_submit_saves_creates_the_complaint_and_opens_the_next_call(
    client, db, login_as, anna, due_task
):
    first = due_task(due_at=utcnow() - timedelta(hours=2))
    second = due_task(due_at=utcnow() - timedelta(hours=1))
    login_as(anna)
    task = claim(client, db)
    assert task.id == first.id
    answers = {"q-quality": "bad", "q-what_wrong": "late", "q-price": "yes", "q-contacts": "no"}
    response = client.post(
        f"/operator/call/{task.id}/submit",
        data=lease(task, submit_key=task.submit_key, **answers),
    )
    assert on_screen(response) == second.id  # the next call, in the same answer

    saved = db.session.scalars(select(Response)).all()
    assert len(saved) == 1 and saved[0].task_id == first.id
    [made] = db.session.scalars(select(Complaint)).all()  # one, with both categories
    assert made.category_keys == ["quality", "punctuality"]
    db.session.refresh(first)
    assert first.status == TaskStatus.DONE and first.outcome == CallOutcome.COMPLETED

    html = page_text(response)
    assert f"Saved. Complaint #{made.id} created." in html
    assert second.customer.name in html


def test_submit_names_the_anti_poaching_case(client, db, login_as, anna, due_task):
    due_task()  # every script ends with the locked contacts question; "yes" opens a case
    login_as(anna)
    task = claim(client, db)
    answers = {"q-quality": "good", "q-contacts": "yes"}
    response = client.post(
        f"/operator/call/{task.id}/submit",
        data=lease(task, submit_key=task.submit_key, **answers),
        follow_redirects=True,
    )
    case = db.session.scalar(select(Complaint))
    assert case.kind == ComplaintKind.POACHING
    assert f"Saved. Anti-poaching case #{case.id} opened." in page_text(response)
    assert "No calls due now" in page_text(response)  # nothing else was due


def test_submit_without_other_calls_lands_on_the_calm_start_page(
    client, db, login_as, anna, due_task
):
    due_task()
    login_as(anna)
    task = claim(client, db)
    response = client.post(
        f"/operator/call/{task.id}/submit",
        data=lease(task, submit_key=task.submit_key, **{"q-quality": "good", "q-contacts": "no"}),
        follow_redirects=True,
    )
    html = page_text(response)
    assert "Saved." in html and "Complaint" not in html
    assert "No calls due now." in html


def test_a_double_submit_saves_one_response_and_one_set_of_complaints(
    client, db, login_as, anna, due_task
):
    due_task(due_at=utcnow() - timedelta(hours=2))
    second = due_task()
    login_as(anna)
    task = claim(client, db)
    data = lease(task, submit_key=task.submit_key, **{"q-quality": "bad", "q-contacts": "no"})
    url = f"/operator/call/{task.id}/submit"
    first_answer, second_answer = client.post(url, data=data), client.post(url, data=data)
    assert on_screen(first_answer) == second.id
    assert on_screen(second_answer) == second.id  # the same next call
    assert db.session.scalar(select(func.count()).select_from(Response)) == 1
    assert db.session.scalar(select(func.count()).select_from(Complaint)) == 1


def test_htmx_submit_redirects_the_htmx_way(client, db, login_as, anna, due_task):
    due_task()
    login_as(anna)
    task = claim(client, db)
    response = client.post(
        f"/operator/call/{task.id}/submit",
        data=lease(task, submit_key=task.submit_key, **{"q-quality": "good", "q-contacts": "no"}),
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Redirect"].endswith("/operator/?nothing=1")


def test_missing_answers_are_named_beside_the_question_and_nothing_is_lost(
    client, db, login_as, anna, due_task
):
    due_task()
    login_as(anna)
    task = claim(client, db)
    data = lease(task, submit_key=task.submit_key, **{"q-price": "no", "q-contacts": "no"})
    response = client.post(
        f"/operator/call/{task.id}/submit", data=data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    html = page_text(response)
    assert "<html" not in html and 'id="call-script"' in html  # only the script's block
    assert "1 question still needs an answer" in html
    quality = question_html(html, "quality")
    assert "has-error" in quality and "This question needs an answer." in quality
    assert "This question needs an answer." not in question_html(html, "price")
    assert re.search(r'name="q-price" value="no"\s+checked', html)  # what was ticked stays
    assert db.session.scalar(select(func.count()).select_from(Response)) == 0
    db.session.refresh(task)
    assert task.status == TaskStatus.HELD and task.held_by_id == anna.id

    # Without htmx: the whole page, 422, same notes.
    response = client.post(f"/operator/call/{task.id}/submit", data=data)
    assert response.status_code == 422 and "<html" in page_text(response)
    assert "This question needs an answer." in question_html(page_text(response), "quality")


# --- outcomes --------------------------------------------------------------------------------


@pytest.mark.parametrize("outcome", ["no_answer", "busy", "voicemail"])
def test_a_temporary_outcome_brings_the_call_back_later(
    client, db, login_as, anna, due_task, outcome
):
    due_task()
    login_as(anna)
    task = claim(client, db)
    before = utcnow()
    response = client.post(f"/operator/call/{task.id}/outcome", data=lease(task, outcome=outcome))
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/operator/?nothing=1")
    db.session.refresh(task)
    assert task.status == TaskStatus.PENDING and task.held_by_id is None
    assert task.attempts == 1 and task.due_at > before
    html = page_text(client.get(response.headers["Location"]))
    assert "The call comes back at" in html
    assert "No calls due now; next one at" in html


@pytest.mark.parametrize("outcome", ["wrong_number", "refused", "do_not_call"])
def test_a_final_outcome_closes_the_call(client, db, login_as, anna, due_task, outcome):
    due_task()
    login_as(anna)
    task = claim(client, db)
    response = client.post(f"/operator/call/{task.id}/outcome", data=lease(task, outcome=outcome))
    assert response.status_code == 303
    db.session.refresh(task)
    assert task.status == TaskStatus.DONE and task.outcome == CallOutcome(outcome)
    assert task.customer.do_not_call is (outcome == "do_not_call")


def test_the_last_temporary_attempt_closes_the_call_as_unreachable(
    client, db, login_as, anna, due_task
):
    due_task()
    login_as(anna)
    task = claim(client, db)
    task.attempts = task.max_attempts - 1
    db.session.commit()
    response = client.post(
        f"/operator/call/{task.id}/outcome",
        data=lease(task, outcome="no_answer"),
        follow_redirects=True,
    )
    assert "closed as unreachable" in page_text(response)
    db.session.refresh(task)
    assert task.outcome == CallOutcome.UNREACHABLE


def test_a_callback_for_only_me_at_my_local_time(client, db, login_as, anna, due_task):
    due_task()
    login_as(anna)
    task = claim(client, db)
    local = (
        (utcnow() + timedelta(days=1))
        .astimezone(MOSCOW)
        .replace(hour=15, minute=30, second=0, microsecond=0)
    )
    data = lease(
        task,
        outcome="callback",
        callback_at=local.strftime("%Y-%m-%dT%H:%M"),
        callback_for="me",
        note="After work",
    )
    response = client.post(f"/operator/call/{task.id}/outcome", data=data)
    assert response.status_code == 303
    db.session.refresh(task)
    assert task.status == TaskStatus.PENDING and task.is_callback
    assert task.callback_user_id == anna.id
    assert task.due_at == local.astimezone(UTC)  # typed in Moscow time, stored in UTC
    html = page_text(client.get(response.headers["Location"]))
    assert "Callback set for" in html and "15:30, for you only." in html


def test_a_callback_for_anyone(client, db, login_as, anna, due_task):
    due_task()
    login_as(anna)
    task = claim(client, db)
    when = (utcnow() + timedelta(hours=3)).astimezone(MOSCOW).strftime("%Y-%m-%dT%H:%M")
    data = lease(task, outcome="callback", callback_at=when, callback_for="anyone")
    assert client.post(f"/operator/call/{task.id}/outcome", data=data).status_code == 303
    db.session.refresh(task)
    assert task.is_callback and task.callback_user_id is None


@pytest.mark.parametrize(
    ("when", "message"),
    [("", "Choose when to call back."), ("2020-01-01T10:00", "Choose a time in the future.")],
)
def test_a_callback_needs_a_future_time(client, db, login_as, anna, due_task, when, message):
    due_task()
    login_as(anna)
    task = claim(client, db)
    data = lease(task, outcome="callback", callback_at=when, callback_for="me")
    response = client.post(
        f"/operator/call/{task.id}/outcome", data=data, headers={"HX-Request": "true"}
    )
    assert response.status_code == 422
    html = page_text(response)
    assert 'id="callback-panel"' in html and "<html" not in html
    assert message in html
    db.session.refresh(task)
    assert task.status == TaskStatus.HELD and task.attempts == 0


def test_pause_after_this_call(client, db, login_as, anna, due_task):
    due_task(due_at=utcnow() - timedelta(hours=2))
    due_task()
    login_as(anna)
    task = claim(client, db)
    response = client.post(
        f"/operator/call/{task.id}/outcome", data=lease(task, outcome="busy", then="break")
    )
    assert response.status_code == 303 and response.headers["Location"].endswith("/operator/")
    pause = db.session.scalar(select(OperatorPause))
    assert pause.user_id == anna.id and pause.reason == PauseReason.BREAK
    assert calls.held_task(anna) is None  # no next call was taken


# --- pause -----------------------------------------------------------------------------------


def test_pause_and_resume(client, db, login_as, anna, due_task):
    due_task()
    login_as(anna)
    response = client.post("/operator/pause", data={"reason": "training"})
    assert response.status_code == 303
    html = page_text(client.get("/operator/"))
    assert ">Resume</button>" in html and ">Next call</button>" not in html
    assert "training since" in html

    # While paused, "Next call" hands out nothing.
    assert client.post("/operator/next").headers["Location"].endswith("/operator/")
    assert calls.held_task(anna) is None

    client.post("/operator/resume")
    pause = db.session.scalar(select(OperatorPause))
    assert pause.reason == PauseReason.TRAINING and pause.ended_at is not None
    html = page_text(client.get("/operator/"))
    assert ">Next call</button>" in html and ">Resume</button>" not in html
    assert claim(client, db).held_by_id == anna.id


def test_a_pause_needs_a_known_reason(client, db, login_as, anna, acme):
    login_as(anna)
    client.post("/operator/pause", data={"reason": "lunch"})
    assert db.session.scalar(select(OperatorPause)) is None


def test_every_autosave_answer_is_json(client, db, login_as, anna, due_task):
    """call.js reads three numbers: nothing else is sent back."""
    due_task()
    login_as(anna)
    task = claim(client, db)
    response = client.post(f"/operator/call/{task.id}/autosave", data=lease(task, seq=1))
    assert response.mimetype == "application/json"
    assert set(json.loads(response.get_data())) == {"seq", "stored", "lease"}


def test_the_call_screen_shows_the_customers_local_time(client, db, login_as, anna, due_task):
    vladivostok = Client(
        key="vl",
        name="Vladivostok Motors",
        timezone="Asia/Vladivostok",
        calling_hours=calling_hours_every_day(time(0), time(0)),  # round the clock
    )
    db.session.add(vladivostok)
    db.session.commit()
    due_task(client=vladivostok)
    login_as(anna)
    html = page_text(client.get(f"/operator/call/{claim(client, db).id}"))
    local = datetime.now(ZoneInfo("Asia/Vladivostok"))
    shown = re.search(r"local time (\d{1,2}:\d{2}\s?[AP]?M?)", html)
    assert shown, "no local time on the page"
    hour = int(shown.group(1).split(":")[0]) % 12
    assert hour in {local.hour % 12, (local.hour + 1) % 12, (local.hour - 1) % 12}
