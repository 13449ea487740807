"""The operator's own callbacks on their start page, due or not, on both clocks; and the call
screen's talk time, counted from the attempt's stored start (issue 13)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import time_machine
from sqlalchemy import select

from console.models import CallAttempt, CallTask, Client, Role
from console.models.catalog import calling_hours_every_day
from tests.conftest import PASSWORD

NOW = datetime(2026, 12, 4, 13, 2, tzinfo=UTC)  # London 13:02, Moscow 16:02


def _calls(db, make_order, n):
    london = Client(
        key="london",
        name="London Tyres",
        timezone="Europe/London",
        calling_hours=calling_hours_every_day(time(0), time(0)),
    )
    db.session.add(london)
    db.session.commit()
    tasks = []
    for i in range(n):
        order = make_order(client=london)
        order.customer.name = f"Customer {chr(65 + i)}"
        tasks.append(
            CallTask(
                order=order,
                client=london,
                customer=order.customer,
                due_at=NOW - timedelta(hours=3 - i),
            )
        )
    db.session.add_all(tasks)
    db.session.commit()
    return tasks


def _call_back(client, db, when: str, who: str) -> int:
    screen = client.post("/operator/next").get_data(as_text=True)
    task_id = int(re.search(r'data-url="/operator/call/(\d+)"', screen).group(1))
    task = db.session.get(CallTask, task_id, populate_existing=True)
    response = client.post(
        f"/operator/call/{task_id}/outcome",
        data={
            "token": task.lease_token,
            "outcome": "callback",
            "callback_at": when,
            "callback_for": who,
            "then": "break",
        },
    )
    assert response.status_code == 303
    client.post("/operator/resume")
    return task_id


def test_the_start_page_lists_my_callbacks_on_my_clock_and_the_customers(
    app, client, db, make_order, make_user, login_as, base_script
):
    _calls(db, make_order, 3)
    anna = make_user(Role.OPERATOR, timezone="Europe/Moscow")
    boris = make_user(Role.OPERATOR, timezone="Europe/Moscow")
    with time_machine.travel(NOW, tick=False):
        login_as(anna)
        _call_back(client, db, "2026-12-05T10:00", "anyone")  # tomorrow, London time
        _call_back(client, db, "2026-12-04T14:00", "me")
        other = app.test_client()
        other.post("/login", data={"email": boris.email, "password": PASSWORD})
        _call_back(other, db, "2026-12-04T15:00", "me")  # Boris's, not Anna's
        html = client.get("/operator/").get_data(as_text=True)
    section = html[html.index('id="upcoming-title"') :]
    items = re.findall(r"<li>(.*?)</li>", section, re.S)
    text = [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]
    assert text == [
        "17:00 14:00 for the customer (Europe/London) Customer B London Tyres only you",
        "5 Dec, 13:00 5 Dec, 10:00 for the customer (Europe/London) Customer A London Tyres",
    ]


def test_the_talk_time_counts_from_the_attempts_start_after_a_reload(
    client, db, make_order, make_user, login_as, base_script
):
    _calls(db, make_order, 1)
    operator = make_user(Role.OPERATOR)
    with time_machine.travel(NOW, tick=False):
        login_as(operator)
        screen = client.post("/operator/next").get_data(as_text=True)
        assert 'data-talk="0"' in screen and ">0:00</span>" in screen
    attempt = db.session.scalar(select(CallAttempt))
    assert attempt.started_at == NOW
    with time_machine.travel(NOW + timedelta(minutes=3, seconds=7), tick=False):
        again = client.get(f"/operator/call/{attempt.task_id}").get_data(as_text=True)
    assert 'data-talk="187"' in again and ">3:07</span>" in again
