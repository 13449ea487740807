"""When a client's customers may be called: its calling hours per weekday, in its time zone,
minus its holidays (issue 12; DOMAIN.md: operators call within the client's calling hours).

The rule, on the client's local wall clock (``Client.timezone``):

- ``Client.calling_hours`` holds one window or none per weekday: ``{"0": ["09:00", "20:00"],
  ..., "6": None}``, Monday = 0. None, a missing day or a malformed window: no calls that day.
- A window is ``[from, to)``. ``"24:00"`` as the end means midnight at the end of the day, so
  ``["00:00", "24:00"]`` is round the clock.
- An end at or before the start runs past midnight (``["18:00", "02:00"]``: until 02:00 the next
  morning), and the whole window belongs to the day it starts: that day's holiday or closed
  weekday decides it, not the next day's. (Equal ends are a full 24 hours from the start.)
- A holiday (``Client.holidays``) is a day without calls: its own window does not open (the
  tail of the evening before, run past midnight, still ends as planned).
- Daylight saving changes nothing on the wall clock: 09:00-20:00 is 09:00-20:00 local time on
  the day the clocks change too. A window that opens in the hour skipped in spring opens when the
  clocks jump.

``within(client, now)`` and ``next_opening(client, now)`` take a ``Client`` or its
:class:`Rules`; ``open_client_ids(now)`` answers "whose customers may be called now" with two
plain-column queries, for the claim that runs on every call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select

from console.extensions import db
from console.models import Client, ClientHoliday

DAY = 24 * 3600
END_OF_DAY = "24:00"
ROUND_THE_CLOCK = ("00:00", END_OF_DAY)
# How far to look for the next opening (a year of holidays and a week): beyond it, none.
_MAX_DAYS_SEARCHED = 366 + 7


def parse_clock(text: str, *, end: bool = False) -> int:
    """``"HH:MM"`` -> seconds after midnight; ``"24:00"`` only as an end. ValueError otherwise."""
    hours, sep, minutes = (text or "").strip().partition(":")
    if not sep or len(minutes) != 2 or not (1 <= len(hours) <= 2):
        raise ValueError(f"not HH:MM: {text!r}")
    if not (hours.isdigit() and minutes.isdigit()):
        raise ValueError(f"not HH:MM: {text!r}")
    h, m = int(hours), int(minutes)
    if end and (h, m) == (24, 0):
        return DAY
    if h > 23 or m > 59:
        raise ValueError(f"not a time of day: {text!r}")
    return h * 3600 + m * 60


def clock_text(seconds: int) -> str:
    """Seconds after midnight -> ``"HH:MM"`` (``"24:00"`` for the end of the day)."""
    seconds %= DAY * 2
    if seconds == DAY:
        return END_OF_DAY
    seconds %= DAY
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


@dataclass(frozen=True, slots=True)
class Window:
    """One day's calling window in seconds after that day's local midnight; ``end`` may pass
    ``DAY`` (the window runs past midnight into the next day)."""

    start: int
    end: int

    @property
    def past_midnight(self) -> bool:
        return self.end > DAY

    @property
    def round_the_clock(self) -> bool:
        return self.start == 0 and self.end == DAY

    @classmethod
    def parse(cls, span) -> Window | None:
        """``["09:00", "20:00"]`` -> a Window; None for a closed day or a malformed span."""
        if span is None:
            return None
        try:
            start_text, end_text = span
            start = parse_clock(start_text)
            end = parse_clock(end_text, end=True)
        except (TypeError, ValueError):
            return None
        if end <= start:
            end += DAY  # past midnight; equal ends: a full day from the start
        return cls(start, end)

    def as_json(self) -> list[str]:
        return [clock_text(self.start), clock_text(self.end)]


def parse_week(raw) -> dict[int, Window]:
    """``Client.calling_hours`` -> ``{weekday: Window}`` for the days with calls."""
    week: dict[int, Window] = {}
    for key, span in (raw or {}).items():
        try:
            weekday = int(key)
        except (TypeError, ValueError):
            continue
        window = Window.parse(span)
        if window is not None and 0 <= weekday <= 6:
            week[weekday] = window
    return week


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # the forms allow none; a bad row must not stop every claim


@dataclass(frozen=True)
class Rules:
    """A client's calling rules read once: time zone, weekly windows, holidays."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    week: dict[int, Window] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, client: Client) -> Rules:
        return cls.from_values(
            client.timezone, client.calling_hours, (h.day for h in client.holidays)
        )

    @classmethod
    def from_values(cls, timezone: str | None, calling_hours, holidays=()) -> Rules:
        return cls(tz=_zone(timezone), week=parse_week(calling_hours), holidays=frozenset(holidays))

    def window(self, day: date) -> Window | None:
        """The window that starts on this local date, or None (closed weekday, holiday)."""
        if day in self.holidays:
            return None
        return self.week.get(day.weekday())

    @property
    def ever_open(self) -> bool:
        return bool(self.week)


def _rules(client_or_rules) -> Rules:
    return client_or_rules if isinstance(client_or_rules, Rules) else Rules.of(client_or_rules)


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None:
        raise ValueError(f"naive datetime {now!r}: pass an aware (UTC) datetime")
    return now


def within(client_or_rules, now: datetime) -> bool:
    """May the client's customers be called at ``now`` (an aware datetime)?"""
    rules = _rules(client_or_rules)
    local = _aware(now).astimezone(rules.tz)
    today = local.date()
    second = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
    window = rules.window(today)
    if window is not None and window.start <= second < window.end:
        return True
    evening = rules.window(today - timedelta(days=1))
    return evening is not None and evening.past_midnight and second < evening.end - DAY


def next_opening(client_or_rules, now: datetime) -> datetime | None:
    """When calls may next be made: ``now`` (in UTC) while the hours are open, else the next
    opening in UTC; None when the client has no calling hours at all (or none within a year)."""
    rules = _rules(client_or_rules)
    now = _aware(now).astimezone(UTC)
    if within(rules, now):
        return now
    if not rules.ever_open:
        return None
    day = now.astimezone(rules.tz).date()
    for _ in range(_MAX_DAYS_SEARCHED):
        window = rules.window(day)
        if window is not None:
            opens = _first_instant(day, window.start, rules.tz)
            if opens > now:
                return opens
        day += timedelta(days=1)
    return None


def _first_instant(day: date, second: int, tz: ZoneInfo) -> datetime:
    """The first moment (UTC) at which the local clock of ``day`` reads ``second`` or later.
    Usually that reading itself (its first occurrence when autumn repeats an hour); when spring
    skips it, the moment the clocks jump past it."""
    wall = datetime.combine(day, time(0)) + timedelta(seconds=second)
    first = wall.replace(tzinfo=tz).astimezone(UTC)  # fold=0: the earlier reading
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In the gap: fold=1 converts with the offset after the jump (a moment before it), fold=0
    # with the offset before (a moment after it). The jump lies between: find it to the second.
    low = int(wall.replace(tzinfo=tz, fold=1).astimezone(UTC).timestamp())
    high = int(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, tz).replace(tzinfo=None) >= wall:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


# --- the claim's question: whose customers may be called now --------------------------------


def open_client_ids(now: datetime) -> list[int]:
    """Active clients whose calling hours are open at ``now``: the SQL-friendly form of
    :func:`within` for the claim. Two statements of plain columns (no ORM objects): the active
    clients' zones and hours, and only the holidays that can matter now (local dates run from
    one day behind UTC's to one ahead, and yesterday's window may still be open)."""
    now = _aware(now).astimezone(UTC)
    connection = db.session.connection()
    today = now.date()
    holidays: dict[int, set[date]] = {}
    rows = connection.execute(
        select(ClientHoliday.client_id, ClientHoliday.day).where(
            ClientHoliday.day.between(today - timedelta(days=2), today + timedelta(days=1))
        )
    )
    for client_id, day in rows:
        holidays.setdefault(client_id, set()).add(day)
    return [
        row.id
        for row in connection.execute(
            select(Client.id, Client.timezone, Client.calling_hours).where(Client.active.is_(True))
        )
        if within(Rules.from_values(row.timezone, row.calling_hours, holidays.get(row.id, ())), now)
    ]


# --- reading and writing the weekly form --------------------------------------------------


def week_spans(calling_hours) -> list[tuple[int, Window | None]]:
    """Monday..Sunday, each with its window or None: the week as a form or a list shows it."""
    week = parse_week(calling_hours)
    return [(weekday, week.get(weekday)) for weekday in range(7)]


def grouped(calling_hours) -> list[tuple[int, int, Window | None]]:
    """Runs of consecutive weekdays with the same window, for a one-line summary ("Mon-Fri
    09:00-20:00, Sat 10:00-16:00, Sun closed"): ``(first weekday, last weekday, window)``."""
    runs: list[tuple[int, int, Window | None]] = []
    for weekday, window in week_spans(calling_hours):
        if runs and runs[-1][2] == window and runs[-1][1] == weekday - 1:
            runs[-1] = (runs[-1][0], weekday, window)
        else:
            runs.append((weekday, weekday, window))
    return runs
