"""The period a report covers: whole local days, from and to inclusive, in the viewer's time zone.

A report is asked for ``?from=2026-11-01&to=2026-11-30``; without dates it covers the last whole
month (what payroll is paid for). Its previous period is the same number of days just before it
(a calendar month's is the month before), so "change against the previous period" compares like
with like. In SQL a period is the half-open UTC range ``[starts_at, ends_at)``.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l

LONGEST = 366  # days a report may cover
# The days a report may name: a period, its previous one and their UTC bounds in any zone stay
# within what a date holds (0001-01-01 or 9999-12-31 would overflow), far beyond any data.
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9998, 12, 31)


@dataclass(frozen=True)
class Period:
    start: date  # the first local day
    end: date  # the last local day, inclusive
    tz: ZoneInfo

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def starts_at(self) -> datetime:
        """The first moment, in UTC."""
        return datetime.combine(self.start, time(0), tzinfo=self.tz).astimezone(UTC)

    @property
    def ends_at(self) -> datetime:
        """The moment after the last one (exclusive), in UTC."""
        return datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=self.tz).astimezone(
            UTC
        )

    @property
    def is_month(self) -> bool:
        return self.start.day == 1 and self.end == _month_end(self.start)

    def previous(self) -> Period:
        """The period just before: the month before for a calendar month, else as many days."""
        if self.is_month:
            last = self.start - timedelta(days=1)
            return Period(last.replace(day=1), last, self.tz)
        return Period(
            self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.tz
        )

    def weeks(self) -> list[date]:
        """The Mondays of the weeks the period touches (a chart's x axis by week)."""
        monday = self.start - timedelta(days=self.start.weekday())
        return [monday + timedelta(weeks=n) for n in range((self.end - monday).days // 7 + 1)]

    def months(self) -> list[date]:
        """The first days of the months the period touches."""
        out, month = [], self.start.replace(day=1)
        while month <= self.end:
            out.append(month)
            month = _month_end(month) + timedelta(days=1)
        return out

    def args(self) -> dict[str, str]:
        return {"from": self.start.isoformat(), "to": self.end.isoformat()}


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def last_month(today: date, tz: ZoneInfo) -> Period:
    first = today.replace(day=1)
    end = first - timedelta(days=1)
    return Period(end.replace(day=1), end, tz)


def parse(args, *, tz: ZoneInfo, today: date) -> tuple[Period, dict[str, str]]:
    """The period of a report's query string, and the problems by field (then the default
    period: the page says what was wrong and still shows something)."""
    errors: dict[str, str] = {}
    raw_from, raw_to = (args.get("from") or "").strip(), (args.get("to") or "").strip()
    if not raw_from and not raw_to:
        return last_month(today, tz), errors
    found = {}
    for name, raw in (("from", raw_from), ("to", raw_to)):
        try:
            found[name] = date.fromisoformat(raw)
        except ValueError:
            errors[name] = str(_l("Enter a date as YYYY-MM-DD."))
    if errors:
        return last_month(today, tz), errors
    for name, day in found.items():
        if not FIRST_DAY <= day <= LAST_DAY:
            errors[name] = str(
                _l("Enter a date from %(first)s to %(last)s.", first=FIRST_DAY, last=LAST_DAY)
            )
    if errors:
        return last_month(today, tz), errors
    start, end = found["from"], found["to"]
    if end < start:
        errors["to"] = str(_l("The end is before the start."))
    elif (end - start).days + 1 > LONGEST:
        errors["to"] = str(_l("A report covers at most %(days)s days.", days=LONGEST))
    if errors:
        return last_month(today, tz), errors
    return Period(start, end, tz), errors
