""" "Due now" on the operator's start page and on the supervisor's live board counts what "Next
call" could hand out: a client outside its calling hours has no calls due now, however late its
calls are (issue 13: "136 calls are due now" beside "No calls due now; next one at 05:00")."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import time_machine

from console.models import CallTask, Client, Role
from console.models.catalog import calling_hours_every_day
from console.services.calls import stats as call_stats
from tests.conftest import PASSWORD

# A Friday. London calls 09:00-18:00 its time: closed at 07:00 UTC, open at 10:00 UTC.
BEFORE_LONDON_OPENS = datetime(2026, 11, 20, 7, 0, tzinfo=UTC)
LONDON_OPEN = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def _clients(db):
    london = Client(
        key="london",
        name="London Tyres",
        timezone="Europe/London",
        calling_hours=calling_hours_every_day(time(9), time(18)),
    )
    always = Client(
        key="acme",
        name="Acme Auto",
        timezone="Europe/Moscow",
        calling_hours=calling_hours_every_day(time(0), time(0)),  # round the clock
    )
    db.session.add_all([london, always])
    db.session.commit()
    return london, always


def _due(db, make_order, client, n, due_at):
    for _ in range(n):
        order = make_order(client=client)
        db.session.add(CallTask(order=order, client=client, customer=order.customer, due_at=due_at))
    db.session.commit()


def _board(client, supervisor) -> str:
    client.post("/login", data={"email": supervisor.email, "password": PASSWORD})
    return client.get("/reports/live").get_data(as_text=True)


def _board_row(html: str, name: str) -> list[str]:
    row = re.search(rf"<tr><td>{name}</td>(.*?)</tr>", html, re.S)
    assert row, html
    return re.findall(r'<td class="num">([^<]*)</td>', row.group(1))


def test_a_client_outside_its_hours_has_no_calls_due_now_until_they_open(
    app, db, client, make_order, make_user, login_as, base_script
):
    london, always = _clients(db)
    _due(db, make_order, london, 3, BEFORE_LONDON_OPENS - timedelta(hours=12))
    _due(db, make_order, always, 1, BEFORE_LONDON_OPENS - timedelta(hours=1))
    operator = make_user(Role.OPERATOR, timezone="Europe/Moscow")
    board_client = app.test_client()
    supervisor = make_user(Role.SUPERVISOR)

    with time_machine.travel(BEFORE_LONDON_OPENS, tick=False):
        assert call_stats.queue_summary(operator)["due_now"] == 1
        login_as(operator)
        assert "1</strong> call is due now" in client.get("/operator/").get_data(as_text=True)
        board = _board(board_client, supervisor)
        assert _board_row(board, "London Tyres")[:1] == ["0"]  # due now; all three due today
        assert _board_row(board, "Acme Auto")[:1] == ["1"]

    with time_machine.travel(LONDON_OPEN, tick=False):
        assert call_stats.queue_summary(operator)["due_now"] == 4
        login_as(operator)
        assert "4</strong> calls are due now" in client.get("/operator/").get_data(as_text=True)
        board = _board(board_client, supervisor)
        assert _board_row(board, "London Tyres")[:1] == ["3"]


def test_a_colleagues_own_callback_is_not_due_now_for_another_operator(
    db, make_order, make_user, base_script
):
    _, always = _clients(db)
    anna, boris = (make_user(Role.OPERATOR, name=n) for n in ("Anna", "Boris"))
    _due(db, make_order, always, 1, LONDON_OPEN - timedelta(minutes=5))
    task = db.session.query(CallTask).one()
    task.is_callback, task.callback_user_id = True, anna.id
    db.session.commit()

    mine = call_stats.queue_summary(anna, now=LONDON_OPEN)
    theirs = call_stats.queue_summary(boris, now=LONDON_OPEN)
    assert (mine["due_now"], mine["my_callbacks_due"]) == (1, 1)
    assert (theirs["due_now"], theirs["callbacks_due"]) == (0, 0)
