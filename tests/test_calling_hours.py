"""The calling-hours rule (console/services/calling_hours.py): per weekday in the client's time
zone, holidays closed, windows past midnight belong to the day they start, DST on the wall
clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from console.models import Client, ClientHoliday
from console.models.catalog import calling_hours_every_day
from console.services import calling_hours as hours
from console.services.calling_hours import Rules, next_opening, within
from tests.helpers import on_both_databases

WEEKDAYS_9_20 = {str(d): ["09:00", "20:00"] for d in range(6)}  # Sunday closed


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def rules(calling_hours, tz="Europe/Moscow", holidays=()) -> Rules:
    return Rules.from_values(tz, calling_hours, holidays)


# --- one day's window -----------------------------------------------------------------------


def test_inside_the_window_of_the_local_day_and_the_end_is_exclusive():
    moscow = rules(WEEKDAYS_9_20)  # UTC+3 all year
    # Monday 2026-12-07.
    assert not within(moscow, utc(2026, 12, 7, 5, 59))  # 08:59 local
    assert within(moscow, utc(2026, 12, 7, 6, 0))  # 09:00
    assert within(moscow, utc(2026, 12, 7, 16, 59, 59))  # 19:59:59
    assert not within(moscow, utc(2026, 12, 7, 17, 0))  # 20:00


def test_the_local_weekday_decides_not_utcs():
    # Saturday 23:30 UTC is already Sunday 06:30 in Novosibirsk (UTC+7): Sunday's hours apply.
    sunday_only = {"6": ["06:00", "07:00"]}
    saturday_night = utc(2026, 12, 12, 23, 30)
    assert within(rules(sunday_only, "Asia/Novosibirsk"), saturday_night)
    assert not within(rules(sunday_only, "Europe/London"), saturday_night)


def test_closed_sunday_opens_again_on_monday_morning():
    moscow = rules(WEEKDAYS_9_20)
    sunday_noon = utc(2026, 12, 13, 9, 0)
    assert not within(moscow, sunday_noon)
    assert next_opening(moscow, sunday_noon) == utc(2026, 12, 14, 6, 0)  # Monday 09:00 MSK
    # After Saturday's close: not Sunday, Monday.
    assert next_opening(moscow, utc(2026, 12, 12, 17, 0)) == utc(2026, 12, 14, 6, 0)


def test_next_opening_is_now_while_open_and_later_today_before_the_opening():
    moscow = rules(WEEKDAYS_9_20)
    now = utc(2026, 12, 7, 10, 15, 30)
    assert next_opening(moscow, now) == now
    assert next_opening(moscow, utc(2026, 12, 7, 3, 0)) == utc(2026, 12, 7, 6, 0)
    # After the close: tomorrow.
    assert next_opening(moscow, utc(2026, 12, 7, 18, 0)) == utc(2026, 12, 8, 6, 0)


def test_days_missing_empty_or_malformed_are_closed():
    odd = {"0": None, "1": ["9:00"], "2": ["25:00", "26:00"], "3": "09:00-20:00", "x": [1, 2]}
    assert hours.parse_week(odd) == {}
    assert not within(rules(odd), utc(2026, 12, 9, 9, 0))
    assert next_opening(rules(odd), utc(2026, 12, 9, 9, 0)) is None  # never open: no opening


def test_an_unknown_time_zone_counts_as_utc_rather_than_stopping_every_claim():
    assert within(rules(WEEKDAYS_9_20, "Mars/Olympus"), utc(2026, 12, 7, 9, 0))
    assert not within(rules(WEEKDAYS_9_20, "Mars/Olympus"), utc(2026, 12, 7, 8, 59))


def test_a_naive_time_is_refused():
    with pytest.raises(ValueError):
        within(rules(WEEKDAYS_9_20), datetime(2026, 12, 7, 12, 0))
    with pytest.raises(ValueError):
        next_opening(rules(WEEKDAYS_9_20), datetime(2026, 12, 7, 12, 0))


# --- round the clock, past midnight ---------------------------------------------------------


def test_round_the_clock_on_one_day_is_that_whole_local_day():
    monday = rules({"0": ["00:00", "24:00"]}, "Europe/London")
    assert not within(monday, utc(2026, 12, 6, 23, 59, 59))  # Sunday
    assert within(monday, utc(2026, 12, 7, 0, 0))
    assert within(monday, utc(2026, 12, 7, 23, 59, 59))
    assert not within(monday, utc(2026, 12, 8, 0, 0))  # Tuesday
    every_day = rules(calling_hours_every_day(time(0), time(0)))
    assert all(
        within(every_day, utc(2026, 12, 7) + timedelta(minutes=m)) for m in range(0, 10080, 7)
    )


def test_a_window_past_midnight_belongs_to_the_day_it_starts():
    # Friday 18:00 until 02:00; Saturday and Sunday closed (London, winter: UTC).
    friday_late = rules({"4": ["18:00", "02:00"]}, "Europe/London")
    assert within(friday_late, utc(2026, 12, 11, 23, 30))  # Friday
    assert within(friday_late, utc(2026, 12, 12, 1, 59))  # Saturday 01:59: Friday's window
    assert not within(friday_late, utc(2026, 12, 12, 2, 0))
    assert not within(friday_late, utc(2026, 12, 12, 18, 30))  # Saturday evening: closed
    assert not within(friday_late, utc(2026, 12, 13, 1, 0))  # Sunday 01:00: Saturday closed
    assert next_opening(friday_late, utc(2026, 12, 12, 2, 0)) == utc(2026, 12, 18, 18, 0)
    window = hours.Window.parse(["18:00", "02:00"])
    assert window.past_midnight and window.as_json() == ["18:00", "02:00"]


def test_a_closed_next_day_does_not_cut_the_evening_before_short():
    late_monday = rules({"0": ["20:00", "03:00"]}, "Europe/London")  # Tuesday closed
    assert within(late_monday, utc(2026, 12, 8, 2, 30))


def test_an_end_of_midnight_is_the_end_of_the_day():
    assert hours.Window.parse(["18:00", "24:00"]) == hours.Window.parse(["18:00", "00:00"])
    evening = rules({"0": ["18:00", "24:00"]}, "Europe/London")
    assert within(evening, utc(2026, 12, 7, 23, 59, 59))
    assert not within(evening, utc(2026, 12, 8, 0, 0))


# --- holidays -------------------------------------------------------------------------------


def test_a_holiday_has_no_calls_and_the_next_opening_skips_it():
    new_year = rules(WEEKDAYS_9_20, holidays=[date(2026, 12, 31), date(2027, 1, 1)])
    assert not within(new_year, utc(2026, 12, 31, 9, 0))  # Thursday, 12:00 MSK
    assert within(new_year, utc(2026, 12, 30, 9, 0))
    assert next_opening(new_year, utc(2026, 12, 30, 18, 0)) == utc(2027, 1, 2, 6, 0)  # Saturday


def test_a_holiday_closes_its_own_evening_past_midnight_but_not_the_one_before():
    nights = rules(
        {str(d): ["20:00", "02:00"] for d in range(7)}, "Europe/London", [date(2026, 12, 25)]
    )
    assert within(nights, utc(2026, 12, 25, 1, 30))  # Christmas Eve's window, run past midnight
    assert not within(nights, utc(2026, 12, 25, 21, 0))  # Christmas evening: no window
    assert not within(nights, utc(2026, 12, 26, 1, 0))  # ...nor its tail on the 26th
    assert within(nights, utc(2026, 12, 26, 20, 0))
    assert next_opening(nights, utc(2026, 12, 25, 2, 0)) == utc(2026, 12, 26, 20, 0)


def test_rules_of_a_client_read_its_zone_hours_and_holidays():
    client = Client(
        key="bw",
        name="Brightwell",
        timezone="Europe/London",
        calling_hours=WEEKDAYS_9_20,
        holidays=[ClientHoliday(day=date(2026, 12, 28), name="Bank holiday")],
    )
    assert not within(client, utc(2026, 12, 28, 12, 0))  # Monday, a holiday
    assert within(client, utc(2026, 12, 29, 12, 0))
    assert next_opening(client, utc(2026, 12, 27, 12, 0)) == utc(2026, 12, 29, 9, 0)


# --- daylight saving (Europe/London: 2026-03-29 01:00 UTC forward, 2026-10-25 01:00 UTC back) -


LONDON_9_17 = {str(d): ["09:00", "17:00"] for d in range(7)}


def test_the_window_keeps_its_local_hours_across_the_spring_change():
    london = rules(LONDON_9_17, "Europe/London")
    assert not within(london, utc(2026, 3, 28, 8, 30))  # GMT: 08:30 local
    assert within(london, utc(2026, 3, 30, 8, 30))  # BST: 09:30 local
    assert not within(london, utc(2026, 3, 30, 16, 0))  # 17:00 BST
    # From Saturday evening (GMT) to Sunday's opening, after the change: 09:00 BST = 08:00 UTC.
    assert next_opening(london, utc(2026, 3, 28, 20, 0)) == utc(2026, 3, 29, 8, 0)


def test_the_window_keeps_its_local_hours_across_the_autumn_change():
    london = rules(LONDON_9_17, "Europe/London")
    assert within(london, utc(2026, 10, 24, 8, 0))  # BST: 09:00 local
    assert not within(london, utc(2026, 10, 25, 8, 0))  # GMT: 08:00 local
    assert next_opening(london, utc(2026, 10, 24, 20, 0)) == utc(2026, 10, 25, 9, 0)


def test_a_window_opening_in_the_skipped_hour_opens_when_the_clocks_jump():
    early = rules({"6": ["01:30", "03:00"]}, "Europe/London")  # Sunday 2026-03-29
    assert not within(early, utc(2026, 3, 29, 0, 59, 59))  # 00:59:59 GMT
    assert within(early, utc(2026, 3, 29, 1, 0))  # 02:00 BST
    assert next_opening(early, utc(2026, 3, 29, 0, 30)) == utc(2026, 3, 29, 1, 0)


def test_a_window_opening_in_the_repeated_hour_opens_at_its_first_reading():
    early = rules({"6": ["01:30", "03:00"]}, "Europe/London")  # Sunday 2026-10-25
    # 01:30 BST (00:30 UTC) comes first; 01:30 GMT (01:30 UTC) is the same reading again.
    assert next_opening(early, utc(2026, 10, 25, 0, 0)) == utc(2026, 10, 25, 0, 30)
    assert within(early, utc(2026, 10, 25, 1, 45))


def test_a_window_past_midnight_on_the_night_of_the_spring_change():
    late_saturday = rules({"5": ["22:00", "02:00"]}, "Europe/London")  # Sat 28 -> Sun 29 March
    assert within(late_saturday, utc(2026, 3, 29, 0, 30))  # 00:30 GMT
    assert not within(late_saturday, utc(2026, 3, 29, 1, 0))  # the clocks read 02:00 BST


def test_weeks_read_as_runs_of_days():
    week = WEEKDAYS_9_20 | {"5": ["10:00", "16:00"]}
    runs = [(a, b, w.as_json() if w else None) for a, b, w in hours.grouped(week)]
    assert runs == [(0, 4, ["09:00", "20:00"]), (5, 5, ["10:00", "16:00"]), (6, 6, None)]


@pytest.mark.parametrize(
    "text, end, seconds",
    [
        ("09:00", False, 32400),
        ("9:05", False, 32700),
        ("23:59", False, 86340),
        ("24:00", True, 86400),
        ("00:00", True, 0),
    ],
)
def test_clock_times_are_hh_mm(text, end, seconds):
    assert hours.parse_clock(text, end=end) == seconds


@pytest.mark.parametrize(
    "text", ["24:00", "25:00", "09:60", "0900", "9", "", "ab:cd", "09:0", "-1:00"]
)
def test_other_clock_times_are_refused(text):
    with pytest.raises(ValueError):
        hours.parse_clock(text)


# --- in the database ------------------------------------------------------------------------


@on_both_databases
def test_open_client_ids_answers_for_every_active_client_at_once(db):
    now = utc(2026, 12, 31, 10, 0)  # Thursday: 13:00 in Moscow, 10:00 in London
    moscow = Client(key="m", name="M", timezone="Europe/Moscow", calling_hours=WEEKDAYS_9_20)
    london = Client(key="l", name="L", timezone="Europe/London", calling_hours=WEEKDAYS_9_20)
    closed = Client(
        key="c", name="C", timezone="Europe/London", calling_hours={"0": ["09:00", "20:00"]}
    )
    holiday = Client(
        key="h",
        name="H",
        timezone="Asia/Novosibirsk",
        calling_hours=WEEKDAYS_9_20,
        holidays=[ClientHoliday(day=date(2026, 12, 31))],
    )
    asleep = Client(
        key="s", name="S", timezone="Europe/Moscow", calling_hours=WEEKDAYS_9_20, active=False
    )
    far_holiday = Client(
        key="f",
        name="F",
        timezone="Europe/Moscow",
        calling_hours=WEEKDAYS_9_20,
        holidays=[ClientHoliday(day=date(2026, 5, 1))],
    )
    db.session.add_all([moscow, london, closed, holiday, asleep, far_holiday])
    db.session.commit()
    assert sorted(hours.open_client_ids(now)) == sorted([moscow.id, london.id, far_holiday.id])


@on_both_databases
def test_the_migration_gives_every_client_its_window_for_all_seven_days(empty_database_url):
    from flask_migrate import downgrade, upgrade

    from console import create_app
    from console.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "REDIS_URL": None,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
    )
    windows = {
        1: ("09:00:00", "20:00:00"),
        2: ("22:00:00", "06:00:00"),
        3: ("00:00:00", "00:00:00"),
    }
    with app.app_context():
        upgrade(revision="e3b8c1f07a22")  # the schema before calling hours per weekday
        insert = sa.text(
            "INSERT INTO clients (id, key, name, timezone, currency, country, active,"
            " calling_hours_start, calling_hours_end, sla_working_time_only, working_hours,"
            " created_at) VALUES (:id, :key, 'C', 'Europe/Moscow', 'RUB', 'RU', true, :start,"
            " :end, false, '{}', '2026-11-01 10:00:00')"
        )
        with db.engine.begin() as conn:
            for client_id, (start, end) in windows.items():
                conn.execute(
                    insert, {"id": client_id, "key": f"c{client_id}", "start": start, "end": end}
                )
        upgrade()
        with app.test_request_context():
            found = {c.id: c.calling_hours for c in db.session.scalars(sa.select(Client))}
            db.session.remove()
        assert found[1] == {str(d): ["09:00", "20:00"] for d in range(7)}
        assert found[2] == {str(d): ["22:00", "06:00"] for d in range(7)}
        assert found[3] == {str(d): ["00:00", "24:00"] for d in range(7)}
        downgrade(revision="base")
        db.engine.dispose()
