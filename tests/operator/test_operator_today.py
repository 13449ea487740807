"""The operator's own counts for today (calls, reached, completed, average handle time), counted
in their own time zone's day."""

from __future__ import annotations

from datetime import timedelta

from console.models import CallAttempt, CallOutcome, Role
from console.services.calls.stats import operator_today
from tests.helpers import on_both_databases
from tests.operator.conftest import NOON_MOSCOW  # 09:00 UTC, 12:00 in Moscow


@on_both_databases
def test_todays_counts_are_the_operators_own_in_their_local_day(db, make_task, make_user):
    anna = make_user(Role.OPERATOR, timezone="Europe/Moscow")
    boris = make_user(Role.OPERATOR, timezone="Europe/Moscow")
    task = make_task()
    local_midnight = NOON_MOSCOW - timedelta(hours=12)

    def attempt(who, start, minutes=None, outcome=None):
        ended = start + timedelta(minutes=minutes) if minutes is not None else None
        db.session.add(
            CallAttempt(
                task=task, operator_id=who.id, started_at=start, ended_at=ended, outcome=outcome
            )
        )

    attempt(anna, local_midnight - timedelta(minutes=30), 4, CallOutcome.COMPLETED)  # yesterday
    attempt(anna, local_midnight + timedelta(minutes=10), 4, CallOutcome.COMPLETED)
    attempt(anna, local_midnight + timedelta(hours=3), 6, CallOutcome.COMPLETED)
    attempt(anna, local_midnight + timedelta(hours=4), 1, CallOutcome.NO_ANSWER)
    attempt(anna, local_midnight + timedelta(hours=5), 2, CallOutcome.REFUSED)
    attempt(anna, NOON_MOSCOW - timedelta(minutes=2))  # the call on screen now
    attempt(boris, local_midnight + timedelta(hours=1), 9, CallOutcome.COMPLETED)
    db.session.commit()

    today = operator_today(anna, now=NOON_MOSCOW)
    assert (today.calls, today.reached, today.completed) == (5, 3, 2)
    assert today.average_handle_seconds == 300.0  # (4 min + 6 min) / 2, exactly

    nothing = operator_today(make_user(Role.OPERATOR), now=NOON_MOSCOW)
    assert (nothing.calls, nothing.reached, nothing.completed) == (0, 0, 0)
    assert nothing.average_handle_seconds is None
