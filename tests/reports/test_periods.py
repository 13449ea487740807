"""The period of a report: last month by default, the dates asked for otherwise, refused by
field when they make no sense; its previous period compares like with like."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from console.services.reports import periods

MSK = ZoneInfo("Europe/Moscow")
TODAY = date(2026, 12, 3)


def test_without_dates_it_is_last_month_in_the_viewers_zone():
    period, errors = periods.parse({}, tz=MSK, today=TODAY)
    assert errors == {}
    assert (period.start, period.end) == (date(2026, 11, 1), date(2026, 11, 30))
    assert period.starts_at == datetime(2026, 10, 31, 21, 0, tzinfo=UTC)
    assert period.ends_at == datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert (period.previous().start, period.previous().end) == (
        date(2026, 10, 1),
        date(2026, 10, 31),
    )


def test_a_range_of_days_compares_with_as_many_days_before():
    period, errors = periods.parse({"from": "2026-11-10", "to": "2026-11-16"}, tz=MSK, today=TODAY)
    assert errors == {} and period.days == 7
    before = period.previous()
    assert (before.start, before.end) == (date(2026, 11, 3), date(2026, 11, 9))
    # Tuesday 10th to Monday 16th: the weeks of Monday 9th and Monday 16th.
    assert period.weeks() == [date(2026, 11, 9), date(2026, 11, 16)]
    assert period.months() == [date(2026, 11, 1)]


def test_bad_dates_are_named_by_field_and_last_month_is_shown():
    for args, field in (
        ({"from": "yesterday", "to": "2026-11-30"}, "from"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "to"),
        ({"from": "2020-01-01", "to": "2026-11-30"}, "to"),
        ({"from": "2026-11-01", "to": ""}, "to"),
        ({"from": "2026-11-01", "to": "9999-12-31"}, "to"),  # its end would overflow
        ({"from": "0001-01-01", "to": "2026-11-01"}, "from"),  # its previous period, too
    ):
        period, errors = periods.parse(args, tz=MSK, today=TODAY)
        assert set(errors) == {field}, args
        assert period == periods.last_month(TODAY, MSK)
