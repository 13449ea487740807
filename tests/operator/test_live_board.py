"""The supervisor's live board: who is on a call, paused, idle or signed out, the queue per
client, and the complaints overdue now."""

from __future__ import annotations

from datetime import time, timedelta

from console.models import ComplaintSource, PauseReason, Role, utcnow
from console.models.catalog import calling_hours_every_day
from console.services import auth
from console.services.calls import pauses as operator_state
from console.services.calls import tasks as calls
from console.services.complaints.opening import open_complaint, order_snapshot


def signed_in(db, *users):
    for user in users:
        auth.start_session(user, ip="127.0.0.1", user_agent="test")
    db.session.commit()


def test_live_board_shows_states_time_in_state_and_queues(
    db, client, login_as, make_user, make_task
):
    on_call, paused, idle = (make_user(Role.OPERATOR, name=n) for n in ("Anna", "Boris", "Vera"))
    signed_in(db, on_call, paused, idle)
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


def test_operators_who_signed_out_are_offline_not_idle(db, client, login_as, make_user):
    gone, expired, here = (make_user(Role.OPERATOR, name=n) for n in ("Gleb", "Egor", "Hana"))
    signed_in(db, gone, expired, here)
    auth.revoke_all_sessions(gone)
    for session in expired.sessions:
        session.last_seen_at = utcnow() - timedelta(hours=13)  # past the 12 h lifetime
    db.session.commit()

    login_as(Role.SUPERVISOR)
    html = client.get("/reports/live").get_data(as_text=True)

    def state_of(name):
        row = html[html.index(f"<td>{name}</td>") :]
        return row[: row.index("</tr>")]

    assert "offline" in state_of("Gleb") and "idle" not in state_of("Gleb")
    assert "offline" in state_of("Egor")
    assert "idle" in state_of("Hana")


def test_the_board_lists_complaints_overdue_now(db, client, login_as, make_order):
    late = open_complaint(
        order := make_order(),
        category="quality",
        source=ComplaintSource.MANUAL,
        snapshot=order_snapshot(order),
        now=utcnow() - timedelta(hours=20),  # the 12 h first answer is overdue
    )
    fresh = open_complaint(
        order := make_order(),
        category="price",
        source=ComplaintSource.MANUAL,
        snapshot=order_snapshot(order),
        now=utcnow() - timedelta(hours=1),
    )
    db.session.commit()

    login_as(Role.SUPERVISOR)
    html = client.get(
        "/reports/live", headers={"HX-Request": "true", "HX-Target": "live-board"}
    ).get_data(as_text=True)

    assert "Complaints overdue" in html
    assert f'data-complaint="{late.id}"' in html
    assert f'data-complaint="{fresh.id}"' not in html
