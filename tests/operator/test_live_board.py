"""The supervisor's live board: who is on a call, paused or idle, and the queue per client."""

from __future__ import annotations

from datetime import time, timedelta

from console.models import PauseReason, Role, utcnow
from console.models.catalog import calling_hours_every_day
from console.services.calls import pauses as operator_state
from console.services.calls import tasks as calls


def test_live_board_shows_states_time_in_state_and_queues(
    db, client, login_as, make_user, make_task
):
    on_call, paused, idle = (make_user(Role.OPERATOR, name=n) for n in ("Anna", "Boris", "Vera"))
    for _ in range(3):
        make_task(due_at=utcnow() - timedelta(hours=1))
    task = make_task(due_at=utcnow() - timedelta(minutes=5))
    task.client.calling_hours = calling_hours_every_day(time(0), time(0))  # round the clock
    db.session.commit()
    calls.claim_next_call(on_call)
    operator_state.pause(paused, PauseReason.TRAINING, now=utcnow() - timedelta(minutes=12))
    db.session.commit()

    login_as(Role.SUPERVISOR)
    html = client.get("/reports/live").get_data(as_text=True)
    assert "Anna" in html and "on a call" in html
    assert "paused: training" in html and "(12 min)" in html
    assert "Vera" in html and "idle" in html
    # the board refreshes itself: the poll answers with just the board
    fragment = client.get(
        "/reports/live", headers={"HX-Request": "true", "HX-Target": "live-board"}
    )
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "Queue per client" in body
    assert ">3<" in body  # three tasks still due now for the client
    assert idle.name == "Vera"
