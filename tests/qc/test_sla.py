"""Complaint deadlines: 12 hours to the first answer (DOMAIN.md, 001), a resolution in three
working days, counted in the client's working time and time zone when it asks for that, with
holidays skipped and the clock stopped while the complaint waits for the customer."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import render_template_string

from console.models import (
    Client,
    ClientHoliday,
    ComplaintSource,
    ComplaintStatus,
    utcnow,
)
from console.services.complaints import sla
from console.services.complaints.opening import open_complaint, order_snapshot

MSK = ZoneInfo("Europe/Moscow")
LONDON = ZoneInfo("Europe/London")


def at(tz, *args) -> datetime:
    """A local wall-clock time, as the UTC instant it is."""
    return datetime(*args, tzinfo=tz).astimezone(UTC)


@pytest.fixture
def make_client(db):
    counter = iter(range(1, 1000))

    def make(*, timezone="Europe/Moscow", working_time_only=True, holidays=(), **kw):
        n = next(counter)
        client = Client(
            key=f"client-{n}",
            name=f"Client {n}",
            timezone=timezone,
            sla_working_time_only=working_time_only,
            **kw,
        )
        client.holidays = [ClientHoliday(day=d) for d in holidays]
        db.session.add(client)
        db.session.commit()
        return client

    return make


@pytest.fixture
def complain(db, make_order):
    """A complaint opened now (whatever time-machine says "now" is) for ``client``."""

    def complain(client):
        order = make_order(client=client)
        complaint = open_complaint(
            order,
            category="quality",
            source=ComplaintSource.MANUAL,
            snapshot=order_snapshot(order),
            now=utcnow(),
        )
        db.session.commit()
        return complaint

    return complain


# --- the arithmetic, through open_complaint ------------------------------------------------------


def test_friday_evening_complaint_in_moscow_waits_for_monday(make_client, complain):
    client = make_client()  # Mon–Fri 09:00–18:00 Moscow time, working time only
    with time_machine.travel(at(MSK, 2024, 11, 22, 17, 0), tick=False):  # a Friday, 17:00
        complaint = complain(client)
    # 1 h on Friday + 9 h on Monday + 2 h on Tuesday = 12 working hours.
    assert complaint.first_answer_due_at == at(MSK, 2024, 11, 26, 11, 0)
    # Three working days: Monday, Tuesday, Wednesday, at the same time of day.
    assert complaint.resolution_due_at == at(MSK, 2024, 11, 27, 17, 0)


def test_a_holiday_does_not_count(make_client, complain):
    client = make_client(holidays=[date(2024, 11, 25)])  # that Monday is a holiday
    with time_machine.travel(at(MSK, 2024, 11, 22, 17, 0), tick=False):
        complaint = complain(client)
    assert complaint.first_answer_due_at == at(MSK, 2024, 11, 27, 11, 0)  # Fri, Tue, Wed
    assert complaint.resolution_due_at == at(MSK, 2024, 11, 28, 17, 0)  # Tue, Wed, Thu


def test_a_calendar_client_counts_nights_and_weekends(make_client, complain):
    client = make_client(working_time_only=False, holidays=[date(2024, 11, 25)])
    with time_machine.travel(at(MSK, 2024, 11, 22, 17, 0), tick=False):
        complaint = complain(client)
    assert complaint.first_answer_due_at == at(MSK, 2024, 11, 23, 5, 0)  # Saturday, 05:00
    assert complaint.resolution_due_at == at(MSK, 2024, 11, 25, 17, 0)  # the holiday counts


def test_a_complaint_opened_on_the_weekend_starts_counting_on_monday_morning(make_client):
    client = make_client()
    saturday = at(MSK, 2024, 11, 23, 11, 30)
    answer, resolution = sla.deadlines(client, saturday)
    assert answer == at(MSK, 2024, 11, 26, 12, 0)  # Monday 9 h, Tuesday 09:00–12:00
    assert resolution == at(MSK, 2024, 11, 28, 9, 0)  # three working days after Monday 09:00


def test_the_same_moment_gives_different_deadlines_in_london_and_moscow(make_client):
    moscow, london = make_client(), make_client(timezone="Europe/London")
    moment = datetime(2024, 11, 22, 15, 30, tzinfo=UTC)  # 18:30 in Moscow, 15:30 in London
    # Moscow has closed for the week: 9 h on Monday and 3 on Tuesday.
    assert sla.deadlines(moscow, moment)[0] == at(MSK, 2024, 11, 26, 12, 0)
    # London still has 2.5 h on Friday, 9 h on Monday, 0.5 h on Tuesday.
    assert sla.deadlines(london, moment)[0] == at(LONDON, 2024, 11, 26, 9, 30)


def test_london_working_hours_follow_the_clock_change(make_client):
    london = make_client(timezone="Europe/London")
    # Friday 25 October 2024, 15:30 BST; the clocks go back on Sunday the 27th.
    start = at(LONDON, 2024, 10, 25, 15, 30)
    due = sla.add_working_time(london, start, timedelta(hours=12))
    assert due == at(LONDON, 2024, 10, 29, 9, 30)  # 09:30 GMT: the working day moved an hour
    assert due == datetime(2024, 10, 29, 9, 30, tzinfo=UTC)
    assert sla.working_time_between(london, start, due) == timedelta(hours=12)


def test_custom_working_hours_and_a_short_saturday(make_client):
    hours = {"0": ["10:00", "19:00"], "5": ["10:00", "14:00"]}  # Mondays and Saturdays only
    client = make_client(working_hours=hours)
    friday = at(MSK, 2024, 11, 22, 12, 0)
    # Saturday 4 h, Monday 9 h -> 12 h end on Monday 18:00.
    assert sla.add_working_time(client, friday, timedelta(hours=12)) == at(MSK, 2024, 11, 25, 18)
    # Three working days from Saturday 10:00 (the first working moment): Mon, Sat, Mon; at
    # 10:00 each time.
    assert sla.add_working_days(client, friday, 3) == at(MSK, 2024, 12, 2, 10, 0)
    monday_evening = at(MSK, 2024, 11, 25, 18, 30)
    # The next working day of a Monday 18:30 is Saturday, which closes at 14:00.
    assert sla.add_working_days(client, monday_evening, 1) == at(MSK, 2024, 11, 30, 14, 0)


def test_a_client_without_any_working_hours_falls_back_to_calendar_time(make_client):
    client = make_client(working_hours={})
    start = at(MSK, 2024, 11, 22, 17, 0)
    assert sla.add_working_time(client, start, timedelta(hours=12)) == start + timedelta(hours=12)


def test_working_time_between_counts_only_open_hours(make_client):
    client = make_client()
    a, b = at(MSK, 2024, 11, 22, 17, 0), at(MSK, 2024, 11, 25, 10, 0)
    assert sla.working_time_between(client, a, b) == timedelta(hours=2)
    assert sla.working_time_between(client, b, a) == -timedelta(hours=2)
    calendar = make_client(working_time_only=False)
    assert sla.working_time_between(calendar, a, b) == timedelta(hours=65)


def test_naive_datetimes_are_refused(make_client):
    with pytest.raises(ValueError, match="naive"):
        sla.add_working_time(make_client(), datetime(2024, 11, 22, 17), timedelta(hours=1))


# --- pausing while waiting for the customer ------------------------------------------------------


def test_a_pause_over_the_night_costs_a_working_hours_client_only_working_time(
    db, make_client, complain
):
    client = make_client()
    with time_machine.travel(at(MSK, 2024, 11, 26, 16, 0), tick=False):  # Tuesday 16:00
        complaint = complain(client)
    answer_due, resolution_due = complaint.first_answer_due_at, complaint.resolution_due_at
    assert answer_due == at(MSK, 2024, 11, 28, 10, 0)  # Tue 2 h + Wed 9 h + Thu 1 h

    complaint.status = ComplaintStatus.WAITING_CUSTOMER
    sla.pause(complaint, at(MSK, 2024, 11, 26, 17, 0))
    # Paused: the badge stands still however late it gets.
    state = sla.deadline_state(complaint, at(MSK, 2024, 11, 29, 12, 0))
    assert state.state == sla.PAUSED
    assert state.left == answer_due - at(MSK, 2024, 11, 26, 17, 0)

    complaint.status = ComplaintStatus.IN_PROGRESS
    spent = sla.resume(complaint, at(MSK, 2024, 11, 27, 10, 0))  # Wednesday 10:00
    db.session.commit()
    # 17:00–18:00 on Tuesday and 09:00–10:00 on Wednesday: two working hours, not 17.
    assert spent == timedelta(hours=2)
    assert complaint.first_answer_due_at == at(MSK, 2024, 11, 28, 12, 0)  # two hours later
    assert complaint.resolution_due_at == sla.add_working_time(
        client, resolution_due, timedelta(hours=2)
    )
    assert complaint.sla_paused_at is None


def test_a_pause_over_the_night_costs_a_calendar_client_the_whole_night(db, make_client, complain):
    client = make_client(working_time_only=False)
    with time_machine.travel(at(MSK, 2024, 11, 26, 16, 0), tick=False):
        complaint = complain(client)
    answer_due = complaint.first_answer_due_at
    sla.pause(complaint, at(MSK, 2024, 11, 26, 17, 0))
    sla.pause(complaint, at(MSK, 2024, 11, 26, 20, 0))  # a second pause changes nothing
    assert sla.resume(complaint, at(MSK, 2024, 11, 27, 10, 0)) == timedelta(hours=17)
    assert complaint.first_answer_due_at == answer_due + timedelta(hours=17)
    assert sla.resume(complaint, at(MSK, 2024, 11, 27, 11, 0)) == timedelta(0)  # not paused


def test_resuming_does_not_move_a_deadline_already_met(db, make_client, complain):
    client = make_client(working_time_only=False)
    complaint = complain(client)
    answered = complaint.created_at + timedelta(hours=1)
    complaint.first_answered_at = answered
    answer_due, resolution_due = complaint.first_answer_due_at, complaint.resolution_due_at
    sla.pause(complaint, answered)
    sla.resume(complaint, answered + timedelta(hours=5))
    assert complaint.first_answer_due_at == answer_due
    assert complaint.resolution_due_at == resolution_due + timedelta(hours=5)


# --- where a complaint stands, and its badge -----------------------------------------------------


def test_the_deadline_state_goes_ok_due_soon_overdue_then_resolution_then_done(
    app, make_client, complain
):
    app.config["COMPLAINT_DUE_SOON_MINUTES"] = 120
    client = make_client(working_time_only=False)
    created = datetime(2024, 11, 26, 6, 0, tzinfo=UTC)
    with time_machine.travel(created, tick=False):
        complaint = complain(client)
    due = complaint.first_answer_due_at
    assert due == created + timedelta(hours=12)

    with time_machine.travel(created + timedelta(hours=9), tick=False):
        state = sla.deadline_state(complaint)
        assert (state.state, state.which, state.left) == (sla.OK, sla.ANSWER, timedelta(hours=3))
    with time_machine.travel(due - timedelta(minutes=119), tick=False):
        assert sla.deadline_state(complaint).state == sla.DUE_SOON
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        state = sla.deadline_state(complaint)
        assert state.state == sla.OVERDUE and state.left == -timedelta(minutes=1)

    complaint.first_answered_at = due + timedelta(minutes=5)
    state = sla.deadline_state(complaint, due + timedelta(minutes=10))
    assert (state.which, state.due_at, state.state) == (
        sla.RESOLUTION,
        complaint.resolution_due_at,
        sla.OK,
    )
    complaint.status = ComplaintStatus.RESOLVED
    complaint.resolved_at = due + timedelta(hours=1)
    assert sla.deadline_state(complaint, due + timedelta(hours=2)).state == sla.DONE


def test_waiting_for_the_customer_reads_as_paused_even_before_the_pause_is_stamped(
    make_client, complain
):
    complaint = complain(make_client(working_time_only=False))
    complaint.status = ComplaintStatus.WAITING_CUSTOMER
    assert sla.deadline_state(complaint, complaint.created_at + timedelta(days=5)).state == (
        sla.PAUSED
    )


BADGE = (
    '{% from "qc/_deadline_badge.html" import deadline_badge %}{{ deadline_badge(complaint, now) }}'
)


def test_the_badge_turns_amber_when_due_soon_and_red_when_overdue(app, make_client, complain):
    complaint = complain(make_client(working_time_only=False))
    due = complaint.first_answer_due_at
    with app.test_request_context():
        ok = render_template_string(BADGE, complaint=complaint, now=due - timedelta(hours=5))
        soon = render_template_string(
            BADGE, complaint=complaint, now=due - timedelta(hours=1, minutes=40)
        )
        late = render_template_string(BADGE, complaint=complaint, now=due + timedelta(hours=1))
        complaint.status = ComplaintStatus.CLOSED
        done = render_template_string(BADGE, complaint=complaint, now=due)
    assert "deadline-ok" in ok and "answer in 5 h 0 min" in ok
    assert "deadline-due_soon" in soon and "answer in 1 h 40 min" in soon
    assert "deadline-overdue" in late and "answer overdue 1 h 0 min" in late
    assert "deadline-done" in done


def test_the_badge_names_the_day_when_the_deadline_is_far(app, make_client, complain):
    complaint = complain(make_client(working_time_only=False))
    complaint.first_answered_at = complaint.created_at
    with app.test_request_context():
        html = render_template_string(BADGE, complaint=complaint, now=complaint.created_at)
    assert 'data-deadline="resolution"' in html
    assert "resolve by" in html
