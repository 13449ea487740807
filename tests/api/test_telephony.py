"""``POST /api/v1/calls/events``: the telephony provider's events land on the console's call
attempt, found by the call id of the dial link or by phone and time; repeats change nothing; the
recording plays on the complaint page and in the customer's history."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from console.models import CallAttempt, CallEvent, CallTask, Client, Role, utcnow
from console.models.catalog import calling_hours_every_day
from console.scripts.definition import normalise
from console.services.scripts import library as script_service
from tests.helpers import on_both_databases

pytestmark = on_both_databases

EVENTS = "/api/v1/calls/events"
RECORDING = "https://records.pbx.example/2026/11/call-77.mp3"
SCRIPT = {
    "key": "base",
    "name": "Base",
    "questions": [
        {
            "key": "quality",
            "text": "Satisfied?",
            "kind": "single",
            "options": [
                {"key": "good", "label": "Yes", "points": 5},
                {"key": "bad", "label": "No", "points": 0, "complaint": "quality"},
            ],
        }
    ],
}


def z(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def on_the_call_screen(db, client, login_as, make_order, make_user):
    """An operator who pressed "Next call": returns (the attempt, the call screen's html)."""
    acme = Client(
        key="acme",
        name="Acme Auto",
        timezone="Europe/Moscow",
        calling_hours=calling_hours_every_day(time(0), time(0)),  # round the clock
    )
    db.session.add(acme)
    db.session.commit()
    script_service.publish_definition(normalise(SCRIPT))
    order = make_order(client=acme)
    db.session.add(
        CallTask(
            order=order,
            client=acme,
            customer=order.customer,
            due_at=utcnow() - timedelta(hours=1),
        )
    )
    db.session.commit()
    login_as(make_user(Role.OPERATOR, name="Anna"))
    screen = client.post("/operator/next")
    assert screen.status_code == 200
    attempt = db.session.scalar(select(CallAttempt))
    return attempt, screen.get_data(as_text=True)


def test_the_dial_link_carries_the_call_id(on_the_call_screen):
    attempt, html = on_the_call_screen
    link = re.search(r'<a href="tel:([^"]+)" class="button call-dial" data-call-id="(\d+)">', html)
    assert link, "no dial link with a call id"
    assert link.group(1) == attempt.task.order.phone
    assert int(link.group(2)) == attempt.id


def test_events_matched_by_the_call_id_fill_in_the_attempt(api, db, on_the_call_screen):
    attempt, html = on_the_call_screen
    call_id = re.search(r'data-call-id="(\d+)"', html).group(1)
    start = utcnow()
    started = api.post(
        EVENTS,
        json={"provider_call_id": "pbx-1", "event": "started", "at": z(start), "call_id": call_id},
    )
    assert started.status_code == 200
    assert started.json == {
        "event_id": started.json["event_id"],
        "duplicate": False,
        "matched": True,
        "call_id": call_id,
    }
    # Later events of the same call need no call id: the provider's call id is enough.
    answered = z(start + timedelta(seconds=8))
    api.post(EVENTS, json={"provider_call_id": "pbx-1", "event": "answered", "at": answered})
    ended = {
        "provider_call_id": "pbx-1",
        "event": "ended",
        "at": z(start + timedelta(seconds=100)),
        "duration_seconds": 92,
        "recording_url": RECORDING,
    }
    assert api.post(EVENTS, json=ended).json["matched"] is True
    db.session.expire_all()
    attempt = db.session.get(CallAttempt, attempt.id)
    assert attempt.provider_call_id == "pbx-1"
    assert abs((attempt.answered_at - start).total_seconds() - 8) < 1
    assert attempt.talk_seconds == 92
    assert attempt.recording_url == RECORDING

    # The provider sends "ended" again (its retry): nothing changes.
    repeat = api.post(EVENTS, json={**ended, "duration_seconds": 5})
    assert repeat.status_code == 200
    assert repeat.json["duplicate"] is True and repeat.json["call_id"] == call_id
    db.session.expire_all()
    assert db.session.get(CallAttempt, attempt.id).talk_seconds == 92
    assert db.session.query(CallEvent).count() == 3


def test_events_without_a_call_id_are_matched_by_phone_and_time(
    api,
    db,
    client,
    login_as,
    open_complaint,
    qc_user,
):
    complaint = open_complaint(created_at=utcnow() - timedelta(hours=1))
    attempt = complaint.response.attempt
    phone = complaint.order.phone
    dialled = attempt.started_at + timedelta(seconds=50)
    ended = {
        "provider_call_id": "pbx-2",
        "event": "ended",
        "at": z(dialled + timedelta(seconds=120)),
        "phone": phone,
        "duration_seconds": 120,
        "recording_url": RECORDING,
    }
    received = api.post(EVENTS, json=ended)
    assert received.json["matched"] is True
    assert received.json["call_id"] == str(attempt.id)

    # The complaint page plays it, and so does the customer's history.
    login_as(qc_user)
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    assert f'<audio class="cp-recording" controls preload="none" src="{RECORDING}"' in page
    history = client.get(f"/qc/customers/{complaint.customer_id}").get_data(as_text=True)
    assert f'<audio controls preload="none" src="{RECORDING}"' in history


def test_a_call_far_from_any_attempt_is_kept_unmatched_until_its_call_is_known(
    api,
    db,
    open_complaint,
):
    complaint = open_complaint(created_at=utcnow() - timedelta(hours=1))
    attempt = complaint.response.attempt
    phone = complaint.order.phone
    early = {
        "provider_call_id": "pbx-3",
        "event": "answered",
        "at": z(attempt.started_at - timedelta(minutes=30)),
        "phone": phone,
    }
    assert api.post(EVENTS, json=early).json["matched"] is False
    other_number = {**early, "event": "started", "phone": "+79990001122"}
    assert api.post(EVENTS, json=other_number).json["matched"] is False
    # The provider's "ended" names the console's call: the earlier events follow it.
    ended = {
        "provider_call_id": "pbx-3",
        "event": "ended",
        "at": z(attempt.ended_at),
        "call_id": attempt.id,
        "duration_seconds": 30,
    }
    assert api.post(EVENTS, json=ended).json["matched"] is True
    db.session.expire_all()
    attempt = db.session.get(CallAttempt, attempt.id)
    assert attempt.provider_call_id == "pbx-3" and attempt.answered_at is not None
    assert {e.attempt_id for e in db.session.scalars(select(CallEvent))} == {attempt.id}


@pytest.mark.parametrize(
    ("event", "fields"),
    [
        ({"event": "ringing"}, {"event"}),
        ({"at": "yesterday"}, {"at"}),
        ({"at": "2026-11-19T10:00:00"}, {"at"}),  # no offset
        ({"recording_url": "http://pbx.example/r.mp3"}, {"recording_url"}),
        ({"recording_url": "javascript:alert(1)"}, {"recording_url"}),
        ({"duration_seconds": -1}, {"duration_seconds"}),
        ({"phone": "12"}, {"phone"}),
        ({"provider_call_id": ""}, {"provider_call_id"}),
        ({"extra": 1}, {"extra"}),
    ],
)
def test_a_bad_event_is_422_naming_its_fields(api, db, event, fields):
    body = {"provider_call_id": "pbx-9", "event": "ended", "at": z(utcnow()), **event}
    response = api.post(EVENTS, json=body)
    assert response.status_code == 422
    assert set(response.json["fields"]) == fields
    assert db.session.query(CallEvent).count() == 0
