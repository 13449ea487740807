"""Complaint deadlines (SLA): when the first answer and the resolution are due, and how close.

Rules: every customer gets a first answer within 12 hours (DOMAIN.md, 001); the review process
fixes deadlines (002), here a resolution after ``COMPLAINT_RESOLUTION_DAYS``. A client that asks
for it (``Client.sla_working_time_only``) has its clocks run only inside its working hours, in
its own time zone, skipping its holidays; everyone else counts calendar time. While a complaint
waits for the customer the clocks stand still: :func:`pause` / :func:`resume`.

The arithmetic is pure (plain datetimes in, plain datetimes out); times in and out are aware
UTC datetimes. ``Calendar.of(client)`` reads a client's settings once, so a job that checks many
complaints doesn't reload holidays per complaint.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import and_, event, literal

from console.models import Complaint, ComplaintStatus
from console.models.base import UTCDateTime, utcnow
from console.models.catalog import DEFAULT_WORKING_HOURS
from console.services.complaints.status import CLOCK_RUNS, OPEN_VALUES

# How far to look for the next working day before deciding the calendar has none (a client
# whose working hours are all empty): then calendar time is used, never an endless loop.
_MAX_DAYS_SEARCHED = 3 * 366
_END_OF_DAY = "24:00"


def _parse_hours(raw) -> dict[int, tuple[time, time | None]]:
    """``{"0": ["09:00", "18:00"], ...}`` (Monday = 0) -> ``{0: (09:00, 18:00)}``; an end of
    ``None`` means midnight at the end of the day ("24:00"). Days missing, empty or malformed
    are days off."""
    hours: dict[int, tuple[time, time | None]] = {}
    for key, span in (raw or {}).items():
        try:
            weekday = int(key)
            start_s, end_s = span
            start = time.fromisoformat(start_s)
            end = None if end_s == _END_OF_DAY else time.fromisoformat(end_s)
        except (TypeError, ValueError):
            continue
        if 0 <= weekday <= 6 and (end is None or end > start):
            hours[weekday] = (start, end)
    return hours


@dataclass(frozen=True)
class Calendar:
    """A client's SLA calendar: calendar time, or working hours in its time zone minus
    holidays."""

    tz: ZoneInfo = field(default_factory=lambda: ZoneInfo("UTC"))
    working_time_only: bool = False
    hours: dict[int, tuple[time, time | None]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()

    @classmethod
    def of(cls, client) -> Calendar:
        try:
            tz = ZoneInfo(client.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            tz = ZoneInfo("UTC")
        working = bool(client.sla_working_time_only)
        return cls(
            tz=tz,
            working_time_only=working,
            hours=_parse_hours(
                client.working_hours if client.working_hours is not None else DEFAULT_WORKING_HOURS
            )
            if working
            else {},
            holidays=frozenset(h.day for h in client.holidays) if working else frozenset(),
        )

    @property
    def counts_working_time(self) -> bool:
        return self.working_time_only and bool(self.hours)

    def window(self, day: date) -> tuple[datetime, datetime] | None:
        """The working window of a local date, in UTC, or None on a day off / holiday."""
        if day in self.holidays or day.weekday() not in self.hours:
            return None
        start, end = self.hours[day.weekday()]
        opens = datetime.combine(day, start, tzinfo=self.tz)
        closes = (
            datetime.combine(day + timedelta(days=1), time(0), tzinfo=self.tz)
            if end is None
            else datetime.combine(day, end, tzinfo=self.tz)
        )
        return opens.astimezone(UTC), closes.astimezone(UTC)

    def windows_from(self, moment: datetime):
        """Working windows (UTC) from the local day of ``moment`` on, clipped to start at it."""
        day = moment.astimezone(self.tz).date()
        for _ in range(_MAX_DAYS_SEARCHED):
            win = self.window(day)
            day += timedelta(days=1)
            if win is None or win[1] <= moment:
                continue
            yield max(win[0], moment), win[1]


def _calendar(client_or_calendar) -> Calendar:
    if isinstance(client_or_calendar, Calendar):
        return client_or_calendar
    return Calendar.of(client_or_calendar)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment!r}: pass an aware (UTC) datetime")
    return moment.astimezone(UTC)


def add_working_time(client, start: datetime, duration: timedelta) -> datetime:
    """``start`` plus ``duration`` of the client's clock: working time when the client counts
    only working time (a complaint opened on Friday evening runs on Monday morning), calendar
    time otherwise. ``client`` is a Client or a :class:`Calendar`."""
    cal = _calendar(client)
    start = _utc(start)
    if not cal.counts_working_time or duration <= timedelta(0):
        return start + duration
    left = duration
    for opens, closes in cal.windows_from(start):
        span = closes - opens
        if left <= span:
            return opens + left
        left -= span
    return start + duration  # no working time at all within years: fall back to calendar time


def working_time_between(client, a: datetime, b: datetime) -> timedelta:
    """How much of the client's clock runs from ``a`` to ``b`` (negative when ``b`` < ``a``)."""
    cal = _calendar(client)
    a, b = _utc(a), _utc(b)
    if b < a:
        return -working_time_between(cal, b, a)
    if not cal.counts_working_time:
        return b - a
    total = timedelta(0)
    for opens, closes in cal.windows_from(a):
        if opens >= b:
            break
        total += min(closes, b) - opens
    return total


def next_working_moment(client, moment: datetime) -> datetime:
    """``moment`` itself when the clock runs then, else the start of the next working time."""
    cal = _calendar(client)
    moment = _utc(moment)
    if not cal.counts_working_time:
        return moment
    for opens, _closes in cal.windows_from(moment):
        return opens
    return moment


def add_working_days(client, start: datetime, days: int) -> datetime:
    """The same local time of day ``days`` working days later (a complaint opened on Monday at
    14:00 with three days is due on Thursday at 14:00; Friday's is due on Wednesday). Opened
    outside working time, the count starts when work starts. Calendar days for a calendar
    client."""
    cal = _calendar(client)
    start = _utc(start)
    if not cal.counts_working_time:
        return start + timedelta(days=days)
    begin = next_working_moment(cal, start)
    local = begin.astimezone(cal.tz)
    day, remaining = local.date(), days
    for _ in range(_MAX_DAYS_SEARCHED):
        if remaining == 0:
            break
        day += timedelta(days=1)
        if cal.window(day) is not None:
            remaining -= 1
    else:
        return start + timedelta(days=days)
    opens, closes = cal.window(day)
    due = datetime.combine(day, local.time(), tzinfo=cal.tz).astimezone(UTC)
    # A shorter day (a half-day Saturday) ends before that time of day: due when it ends.
    return min(max(due, opens), closes)


def deadlines(client, created_at: datetime) -> tuple[datetime, datetime]:
    """``(first_answer_due, resolution_due)`` of a complaint opened at ``created_at``: the
    answer within ``COMPLAINT_ANSWER_HOURS`` of the client's clock (DOMAIN.md, 001), the
    resolution after ``COMPLAINT_RESOLUTION_DAYS`` working days (calendar days for a calendar
    client)."""
    config = current_app.config
    cal = _calendar(client)
    answer = add_working_time(cal, created_at, timedelta(hours=config["COMPLAINT_ANSWER_HOURS"]))
    resolution = add_working_days(cal, created_at, config["COMPLAINT_RESOLUTION_DAYS"])
    return answer, max(answer, resolution)


# --- pausing while the complaint waits for the customer ----------------------------------------


def pause(complaint: Complaint, now: datetime) -> None:
    """Stop the clocks (the complaint now waits for the customer); a second call changes
    nothing. The caller sets the status and commits."""
    if complaint.sla_paused_at is None:
        complaint.sla_paused_at = _utc(now)


def resume(complaint: Complaint, now: datetime, client=None) -> timedelta:
    """Start the clocks again: every deadline still open moves on by the working time spent
    paused (a pause over a night costs nothing to a working-hours client). Returns that time."""
    paused_at = complaint.sla_paused_at
    if paused_at is None:
        return timedelta(0)
    cal = _calendar(client if client is not None else complaint.client)
    now = _utc(now)
    spent = max(working_time_between(cal, paused_at, now), timedelta(0))
    if complaint.first_answered_at is None and complaint.first_answer_due_at is not None:
        complaint.first_answer_due_at = add_working_time(cal, complaint.first_answer_due_at, spent)
    if complaint.resolved_at is None and complaint.resolution_due_at is not None:
        complaint.resolution_due_at = add_working_time(cal, complaint.resolution_due_at, spent)
    complaint.sla_paused_at = None
    return spent


# --- where a complaint stands ------------------------------------------------------------------

OK = "ok"
DUE_SOON = "due_soon"
OVERDUE = "overdue"
PAUSED = "paused"
DONE = "done"

ANSWER = "answer"
RESOLUTION = "resolution"


@dataclass(frozen=True)
class DeadlineState:
    """What is due next on a complaint. ``which``: "answer" until the first answer is given,
    then "resolution" (None when done). ``left``: calendar time until ``due_at`` (negative when
    overdue; measured at the pause while paused)."""

    state: str
    which: str | None = None
    due_at: datetime | None = None
    left: timedelta | None = None


def next_deadline_of(
    status,
    first_answer_due: datetime | None,
    first_answered: datetime | None,
    resolution_due: datetime | None,
    resolved: datetime | None,
) -> tuple[str | None, datetime | None]:
    """The deadline that is next, ``(which, due_at)``: the first answer until it is given, then
    the resolution; ``(None, None)`` once the complaint is finished or resolved. On plain
    column values (a status or its value), for readers of columns such as the inbox."""
    if status not in OPEN_VALUES or resolved is not None:
        return None, None
    if first_answered is None and first_answer_due is not None:
        return ANSWER, first_answer_due
    if resolution_due is not None:
        return RESOLUTION, resolution_due
    return None, None


def next_deadline(complaint: Complaint) -> tuple[str | None, datetime | None]:
    return next_deadline_of(
        complaint.status,
        complaint.first_answer_due_at,
        complaint.first_answered_at,
        complaint.resolution_due_at,
        complaint.resolved_at,
    )


def clock_runs(status, paused_at: datetime | None, resolved: datetime | None) -> bool:
    """Do the complaint's clocks run, so that a deadline can come due soon or be missed? Not
    once it is finished or resolved, nor while it waits for the customer."""
    return status in CLOCK_RUNS and paused_at is None and resolved is None


def due_soon_window() -> timedelta:
    return timedelta(minutes=current_app.config["COMPLAINT_DUE_SOON_MINUTES"])


def deadline_state(complaint: Complaint, now: datetime | None = None) -> DeadlineState:
    """ok / due_soon (within ``COMPLAINT_DUE_SOON_MINUTES``) / overdue / paused / done."""
    which, due = next_deadline(complaint)
    if which is None:
        return DeadlineState(DONE)
    now = _utc(now) if now is not None else utcnow()
    paused_at = complaint.sla_paused_at
    if paused_at is None and complaint.status == ComplaintStatus.WAITING_CUSTOMER:
        paused_at = now  # paused by status but never stamped: treat it as paused right now
    if paused_at is not None:
        return DeadlineState(PAUSED, which, due, due - paused_at)
    left = due - now
    if left <= timedelta(0):
        state = OVERDUE
    elif left <= due_soon_window():
        state = DUE_SOON
    else:
        state = OK
    return DeadlineState(state, which, due, left)


# --- the same rule over many complaints ----------------------------------------------------------
#
# Every complaint carries where it stands (``deadline_at``, ``deadline_rank``), written by
# :func:`deadline_order` on every insert and update, so that the inbox and the deadline report
# filter and sort by indexed columns. ``overdue_sql`` and ``due_soon_sql`` are when
# :func:`deadline_state` says OVERDUE or DUE_SOON; ``clock_runs_sql`` is :func:`clock_runs`.
# Nothing else defines the rule.

# Where paused deadlines and "no deadline" sort in ``deadline_rank`` (seconds since 1970):
# after every running clock (the year 5000), and after everything (the end of the year 9999).
PAUSED_BAND = 95_617_584_000
NO_DEADLINE = 253_402_214_400


def deadline_order(complaint: Complaint, now: datetime) -> tuple[datetime | None, int]:
    """``(deadline_at, deadline_rank)`` of a complaint: its next deadline while the clock runs
    (else None), and how pressing that deadline is as a whole number to sort by, the smallest
    first: a running clock by its due time (whole seconds since 1970); then, from
    ``PAUSED_BAND`` on, a paused one by the time it will have left when its clock starts again
    (as :func:`deadline_state`'s ``left``); then ``NO_DEADLINE``."""
    return deadline_order_of(
        complaint.status,
        complaint.first_answer_due_at,
        complaint.first_answered_at,
        complaint.resolution_due_at,
        complaint.resolved_at,
        complaint.sla_paused_at,
        now,
    )


def deadline_order_of(
    status,
    first_answer_due: datetime | None,
    first_answered: datetime | None,
    resolution_due: datetime | None,
    resolved: datetime | None,
    paused_at: datetime | None,
    now: datetime,
) -> tuple[datetime | None, int]:
    """:func:`deadline_order` on plain column values, for rows written without the ORM."""
    _which, due = next_deadline_of(
        status, first_answer_due, first_answered, resolution_due, resolved
    )
    if due is None:
        return None, NO_DEADLINE
    if clock_runs(status, paused_at, resolved):
        return due, _epoch_seconds(due)
    paused_at = paused_at or now  # paused by status but never stamped: now
    return None, PAUSED_BAND + _epoch_seconds(due) - _epoch_seconds(paused_at)


def _epoch_seconds(moment: datetime) -> int:
    return int(_utc(moment).timestamp())


@event.listens_for(Complaint, "before_insert")
@event.listens_for(Complaint, "before_update")
def _keep_deadline_order(_mapper, _connection, complaint: Complaint) -> None:
    if complaint.status is None:  # the column's default, applied only by the INSERT itself
        complaint.status = Complaint.__table__.c.status.default.arg
    complaint.deadline_at, complaint.deadline_rank = deadline_order(complaint, utcnow())


def clock_runs_sql():
    """:func:`clock_runs` as a SQL condition over ``complaints``."""
    return and_(
        Complaint.status.in_(CLOCK_RUNS),
        Complaint.sla_paused_at.is_(None),
        Complaint.resolved_at.is_(None),
    )


def overdue_sql(now: datetime):
    """:func:`deadline_state` is OVERDUE, as a SQL condition over ``complaints``: the clocks
    run and the next deadline has come."""
    return Complaint.deadline_at <= _sql_time(now)


def due_soon_sql(now: datetime):
    """:func:`deadline_state` is DUE_SOON, as a SQL condition over ``complaints``: the clocks
    run and the next deadline comes within ``due_soon_window``."""
    soon = now + due_soon_window()
    return and_(Complaint.deadline_at > _sql_time(now), Complaint.deadline_at <= _sql_time(soon))


def _sql_time(moment: datetime):
    return literal(_utc(moment), UTCDateTime)


def duration_parts(value: timedelta) -> tuple[int, int, int]:
    """(days, hours, minutes) of a non-negative duration, minutes rounded up (a deadline in
    30 seconds still says "1 min")."""
    minutes = max(0, -(-int(value.total_seconds()) // 60))
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    return days, hours, minutes
