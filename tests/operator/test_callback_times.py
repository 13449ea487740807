"""A callback time is chosen on the customer's clock, with presets in their time zone, shown on
both clocks and stored in UTC (issue 13: a Moscow operator calling London added hours in their
head)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import time_machine

from console.models import CallTask, Client, Role, TaskStatus
from console.models.catalog import calling_hours_every_day
from console.services.calls import callback_times

# A Friday in December: London is UTC+0, Moscow UTC+3.
NOW = datetime(2026, 12, 4, 13, 2, tzinfo=UTC)


def test_presets_are_on_the_customers_clock():
    found = {p.key: p.value for p in callback_times.presets("Europe/London", NOW)}
    assert found == {
        "in_hour": "2026-12-04T14:05",  # an hour on, rounded up to five minutes
        "evening": "2026-12-04T18:00",
        "tomorrow": "2026-12-05T10:00",
    }
    # Moscow's clock at the same moment: 16:02.
    moscow = {p.key: p.value for p in callback_times.presets("Europe/Moscow", NOW)}
    assert moscow["in_hour"] == "2026-12-04T17:05" and moscow["tomorrow"] == "2026-12-05T10:00"
    # Past 17:30 on the customer's clock "this evening" is gone.
    late = datetime(2026, 12, 4, 17, 45, tzinfo=UTC)
    assert [p.key for p in callback_times.presets("Europe/London", late)] == [
        "in_hour",
        "tomorrow",
    ]


def test_a_customers_time_is_stored_in_utc_across_daylight_saving():
    summer = callback_times.to_utc(datetime(2026, 7, 1, 14, 0), "Europe/London")
    winter = callback_times.to_utc(datetime(2026, 12, 4, 14, 0), "Europe/London")
    assert (summer, winter) == (
        datetime(2026, 7, 1, 13, 0, tzinfo=UTC),
        datetime(2026, 12, 4, 14, 0, tzinfo=UTC),
    )


def _london_call(db, make_order):
    london = Client(
        key="london",
        name="London Tyres",
        timezone="Europe/London",
        calling_hours=calling_hours_every_day(time(0), time(0)),
    )
    db.session.add(london)
    db.session.commit()
    order = make_order(client=london)
    task = CallTask(
        order=order, client=london, customer=order.customer, due_at=NOW - timedelta(hours=1)
    )
    db.session.add(task)
    db.session.commit()
    return task


def test_a_moscow_operator_books_14_00_london_time(
    client, db, make_order, make_user, login_as, base_script
):
    task = _london_call(db, make_order)
    operator = make_user(Role.OPERATOR, timezone="Europe/Moscow", locale="en")
    with time_machine.travel(NOW, tick=False):
        login_as(operator)
        screen = client.post("/operator/next").get_data(as_text=True)
        assert 'data-callback-preset="2026-12-04T18:00"' in screen
        assert "This evening, 18:00" in screen and "Tomorrow, 10:00" in screen
        assert re.search(r"Call back at \(the customer(&#39;|&#x27;|')s time\)", screen)
        db.session.refresh(task)

        shown = client.get(
            f"/operator/call/{task.id}/callback-when",
            query_string={"callback_at": "2026-12-04T14:00"},
        ).get_data(as_text=True)
        assert "14:00 for the customer (Europe/London), 17:00 for you (Europe/Moscow)." in shown

        response = client.post(
            f"/operator/call/{task.id}/outcome",
            data={
                "token": task.lease_token,
                "outcome": "callback",
                "callback_at": "2026-12-04T14:00",
                "callback_for": "me",
            },
        )
        assert response.status_code == 303
    db.session.refresh(task)
    assert task.status == TaskStatus.PENDING and task.is_callback
    assert task.due_at == datetime(2026, 12, 4, 14, 0, tzinfo=UTC)


def test_both_clocks_in_russian(client, db, make_order, make_user, login_as, base_script):
    task = _london_call(db, make_order)
    operator = make_user(Role.OPERATOR, timezone="Europe/Moscow", locale="ru")
    with time_machine.travel(NOW, tick=False):
        login_as(operator)
        client.post("/operator/next")
        db.session.refresh(task)
        shown = client.get(
            f"/operator/call/{task.id}/callback-when",
            query_string={"callback_at": "2026-12-05T10:00"},
        ).get_data(as_text=True)
    assert "5 дек., 10:00 у клиента (Europe/London), 5 дек., 13:00 у вас (Europe/Moscow)." in shown


def test_only_the_holder_sees_a_calls_callback_time(
    client, db, make_order, make_user, login_as, base_script
):
    task = _london_call(db, make_order)
    login_as(make_user(Role.OPERATOR))
    response = client.get(f"/operator/call/{task.id}/callback-when?callback_at=2026-12-04T14:00")
    assert response.status_code == 403
