"""Running totals: the overview's call and order figures summed per UTC hour, client and work
type (``report_hours``), so a month of a million orders is read as a few thousand rows.

**Kept up to date.** Every change that moves a figure marks the hour it counts in as stale, in
the same transaction as the change (``report_stale_hours``):

* through the ORM, by the session's ``after_flush`` event below: a new call (its hour, and the
  hour its order was completed: "surveyed"), a new or re-statused complaint, a new call task, a
  new or finished call attempt (its order's hour), a new order or a change of its completion,
  client, work type or repeat-repair state;
* inserts that bypass the ORM (the order import, the call-list job, the demo data) call
  ``mark_hours`` or ``mark_orders`` themselves.

The periodic job ``refresh`` counts the stale hours again from the source rows (``facts.py``,
the same statements the overview uses without totals), an hour per transaction. Refreshes are
serialised (SQLite's write lock, taken from the start; an advisory lock on PostgreSQL). Marks
are rows only ever added (writers never wait on each other for one), and a refresh deletes only
the marks it read before counting, so a change committed meanwhile keeps its mark. ``flask
reports recount`` counts every hour again.

**Read.** ``sums`` adds up a period's hours by bucket (week or month). The totals are used when
the period starts and ends on whole UTC hours and the filters are client and work type only;
otherwise (a technician or an operator, a time zone half an hour off UTC) the source rows are
summed directly: the same facts, grouped the same way. An hour marked longer than ``LAG`` (two
minutes) ago is read from its rows too, so a stopped job (Redis down, a long history after the
upgrade) costs speed, never correctness; what changed less than that ago may be missing, and the
page says since when (``waiting_since``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, case, cast, delete, event, func, insert, literal, select
from sqlalchemy.orm import Session

from console.database import read_only, unit_of_work
from console.extensions import db
from console.models import (
    CallAttempt,
    CallTask,
    Complaint,
    Order,
    ReportHour,
    ReportStaleHour,
    Response,
    utcnow,
)
from console.models.base import UTCDateTime
from console.services.reports.facts import SOURCES, Filters, Source

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOURS_PER_TRANSACTION = 1  # the write lock is held while an hour is counted (SQLite)
ADVISORY_LOCK = 0x5245_504F  # "REPO": one refresh at a time on PostgreSQL
# An hour marked longer ago than this is read from its rows: the job should have counted it.
LAG = timedelta(minutes=2)


def hour_number(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds() // 3600)


def hour_start(number: int) -> datetime:
    return EPOCH + timedelta(hours=number)


def is_whole_hour(moment: datetime) -> bool:
    return (moment - EPOCH).total_seconds() % 3600 == 0


def epoch_hours(column, dialect: str):
    """The hour number of a UTC timestamp, in SQL."""
    if dialect == "sqlite":
        return cast(func.strftime("%s", column), Integer) // 3600
    return cast(func.floor(func.extract("epoch", column) / 3600), Integer)


def _dialect() -> str:
    return db.session.get_bind().dialect.name


# --- marks ------------------------------------------------------------------------------------


def _insert_marks(connection, hours: set[int]) -> None:
    if hours:
        now = utcnow()
        connection.execute(
            insert(ReportStaleHour), [{"hour": h, "marked_at": now} for h in sorted(hours)]
        )


def _order_hours(connection, order_ids: set[int], task_ids: set[int]) -> set[int]:
    hours = set()
    if order_ids:
        query = select(Order.completed_at).where(Order.id.in_(sorted(order_ids)))
        hours |= {hour_number(at) for at in connection.execute(query).scalars()}
    if task_ids:
        query = (
            select(Order.completed_at)
            .join(CallTask, CallTask.order_id == Order.id)
            .where(CallTask.id.in_(sorted(task_ids)))
        )
        hours |= {hour_number(at) for at in connection.execute(query).scalars()}
    return hours


def mark_hours(hours: Iterable[int]) -> None:
    """Mark hours stale, in the current transaction."""
    _insert_marks(db.session.connection(), set(hours))


def mark_orders(order_ids: Iterable[int]) -> None:
    """Mark stale the hours the given orders were completed in (their funnel moved)."""
    connection = db.session.connection()
    _insert_marks(connection, _order_hours(connection, set(order_ids), set()))


def _changed(obj, *names: str) -> bool:
    state = db.inspect(obj)
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "after_flush")
def _mark_flushed(session: Session, _context) -> None:
    hours: set[int] = set()
    order_ids: set[int] = set()
    task_ids: set[int] = set()
    response_ids: set[int] = set()
    for obj in session.new:
        if isinstance(obj, Response):
            hours.add(hour_number(obj.submitted_at))
            order_ids.add(obj.order_id)
        elif isinstance(obj, Complaint):
            if obj.order_id:
                order_ids.add(obj.order_id)
            if obj.response_id:  # the call it came from now counts as dissatisfied
                response_ids.add(obj.response_id)
        elif isinstance(obj, CallTask):
            order_ids.add(obj.order_id)
        elif isinstance(obj, CallAttempt) and obj.outcome is not None:
            task_ids.add(obj.task_id)  # a dial starts without one (a claim moves no figure)
        elif isinstance(obj, Order):
            hours.add(hour_number(obj.completed_at))
    for obj in session.dirty:
        if isinstance(obj, Complaint) and obj.order_id and _changed(obj, "status", "kind"):
            order_ids.add(obj.order_id)
        elif isinstance(obj, CallAttempt) and _changed(obj, "outcome"):
            task_ids.add(obj.task_id)
        elif isinstance(obj, Order) and _changed(
            obj, "completed_at", "client_id", "work_type_id", "repeat_repair_state"
        ):
            hours.add(hour_number(obj.completed_at))
            hours |= {hour_number(at) for at in db.inspect(obj).attrs.completed_at.history.deleted}
    if not (hours or order_ids or task_ids or response_ids):
        return
    connection = session.connection()
    hours |= _order_hours(connection, order_ids, task_ids)
    if response_ids:
        query = select(Response.submitted_at).where(Response.id.in_(sorted(response_ids)))
        hours |= {hour_number(at) for at in connection.execute(query).scalars()}
    _insert_marks(connection, hours)


# --- counting again ---------------------------------------------------------------------------


def _count_hours(first: int, last: int) -> list[dict]:
    """``report_hours`` rows of hours ``first``..``last`` from the source rows."""
    start, end = hour_start(first), hour_start(last + 1)
    dialect = _dialect()
    rows: dict[tuple, dict] = {}
    for source in SOURCES:
        facts = source.facts(start, end, Filters()).subquery()
        # the hour computed in a subquery: PostgreSQL groups by a column, not an expression
        inner = select(
            epoch_hours(facts.c.at, dialect).label("hour"),
            facts.c.client_id,
            facts.c.work_type_id,
            *(facts.c[c] for c in source.columns),
        ).subquery()
        key = (inner.c.hour, inner.c.client_id, inner.c.work_type_id)
        query = select(*key, *(func.sum(inner.c[c]) for c in source.columns)).group_by(*key)
        for hour, client_id, work_type_id, *values in db.session.execute(query):
            row = rows.setdefault(
                (hour, client_id, work_type_id),
                {"hour": hour, "client_id": client_id, "work_type_id": work_type_id},
            )
            row.update(zip(source.columns, values, strict=True))
    blank = {c: 0 for source in SOURCES for c in source.columns}
    return [blank | row for row in rows.values()]


def _runs(hours: list[int], size: int) -> list[tuple[int, int]]:
    """Consecutive hours in runs of at most ``size``: ``[(first, last), ...]``."""
    runs: list[tuple[int, int]] = []
    for hour in sorted(hours):
        if runs and hour == runs[-1][1] + 1 and hour - runs[-1][0] < size:
            runs[-1] = (runs[-1][0], hour)
        else:
            runs.append((hour, hour))
    return runs


def _recount(first: int, last: int) -> None:
    """In the caller's transaction: count hours ``first``..``last`` again and delete the marks
    read here (a mark added since stays for the next refresh)."""
    if _dialect() == "postgresql":
        db.session.execute(select(func.pg_advisory_xact_lock(ADVISORY_LOCK)))
    marks = db.session.scalars(
        select(ReportStaleHour.id).where(ReportStaleHour.hour.between(first, last))
    ).all()
    rows = _count_hours(first, last)
    db.session.execute(delete(ReportHour).where(ReportHour.hour.between(first, last)))
    if rows:
        db.session.execute(insert(ReportHour), rows)
    for chunk in range(0, len(marks), 500):
        db.session.execute(
            delete(ReportStaleHour).where(ReportStaleHour.id.in_(marks[chunk : chunk + 500]))
        )


def refresh(*, limit: int = 24 * 31, seconds: float = 10.0) -> int:
    """Count the stale hours again (at most ``limit`` of them, newest first: last month is read
    most), an hour per transaction, for about ``seconds`` at most (the job shares its thread
    with the other periodic jobs: what is left waits for the next run); returns how many were
    counted. The periodic job."""
    started = time.monotonic()
    with read_only():
        stale = list(
            db.session.scalars(
                select(ReportStaleHour.hour)
                .distinct()
                .order_by(ReportStaleHour.hour.desc())
                .limit(limit)
            )
        )
    counted = 0
    for first, last in sorted(_runs(stale, HOURS_PER_TRANSACTION), reverse=True):
        with unit_of_work():
            _recount(first, last)
        counted += last - first + 1
        if time.monotonic() - started > seconds:
            break
    return counted


def recount(since: datetime | None = None, until: datetime | None = None) -> int:
    """Count every hour with source rows again (``flask reports recount``), a day per
    transaction; returns the number of hours counted."""
    bounds = []
    with read_only():
        for column in (Order.completed_at, Response.submitted_at):
            low, high = db.session.execute(select(func.min(column), func.max(column))).one()
            bounds += [b for b in (low, high) if b is not None]
    if not bounds:
        return 0
    first = hour_number(max(since, min(bounds)) if since else min(bounds))
    last = hour_number(min(until, max(bounds)) if until else max(bounds))
    for start in range(first, last + 1, 24):
        with unit_of_work():
            _recount(start, min(start + 23, last))
    return max(0, last - first + 1)


def _marks(starts_at: datetime, ends_at: datetime, *conditions):
    return select(ReportStaleHour.hour).where(
        ReportStaleHour.hour >= hour_number(starts_at),
        ReportStaleHour.hour < hour_number(ends_at),
        *conditions,
    )


def waiting_since(starts_at: datetime, ends_at: datetime) -> datetime | None:
    """Since when changes to the period's hours wait for the job (None: nothing waits). Hours
    left waiting longer than ``LAG`` are read from the rows: they do not wait."""
    return db.session.scalar(
        _marks(starts_at, ends_at, ReportStaleHour.marked_at >= utcnow() - LAG).with_only_columns(
            func.min(ReportStaleHour.marked_at)
        )
    )


# --- reading ----------------------------------------------------------------------------------


def uses_totals(starts_at: datetime, ends_at: datetime, filters: Filters) -> bool:
    return not filters.by_person and is_whole_hour(starts_at) and is_whole_hour(ends_at)


def bucket_index(column, edges: list):
    """The bucket a value falls in, as SQL: 0, 1, ... by the SQL ``edges`` (``edges[i]``:
    where bucket i starts; values outside the buckets are filtered out before)."""
    if len(edges) < 2:
        return literal(0, Integer)
    return case(*[(column < edge, n) for n, edge in enumerate(edges[1:])], else_=len(edges) - 1)


def sums(
    source: Source,
    starts_at: datetime,
    ends_at: datetime,
    edges: list[datetime],
    filters: Filters,
) -> dict[int, dict[str, float]]:
    """The source's figures summed per bucket (``edges[i]``: the UTC start of bucket i) over
    ``[starts_at, ends_at)``: ``{bucket: {figure: sum}}``, buckets without rows left out.

    From the totals where the filters allow; an hour marked longer than ``LAG`` ago (the job
    is stopped or behind: Redis down, a large history after the upgrade) is read from its rows
    instead, so the figures are never more than about ``LAG`` behind."""
    if not uses_totals(starts_at, ends_at, filters):
        return _summed([_from_rows(source, starts_at, ends_at, edges, filters)], source)
    lagging = sorted(
        db.session.scalars(
            _marks(starts_at, ends_at, ReportStaleHour.marked_at < utcnow() - LAG).distinct()
        )
    )
    queries = [_from_totals(source, starts_at, ends_at, edges, filters, leave_out=lagging)]
    for first, last in _runs(lagging, len(lagging) or 1):
        run_start = max(starts_at, hour_start(first))
        run_end = min(ends_at, hour_start(last + 1))
        queries.append(_from_rows(source, run_start, run_end, edges, filters))
    return _summed(queries, source)


def _summed(queries, source: Source) -> dict[int, dict[str, float]]:
    found: dict[int, dict[str, float]] = {}
    for query in queries:
        for b, *values in db.session.execute(query):
            sums = found.setdefault(b, dict.fromkeys(source.columns, 0))
            for column, value in zip(source.columns, values, strict=True):
                sums[column] += value or 0
    return found


def _from_totals(source: Source, starts_at, ends_at, edges, filters: Filters, *, leave_out=()):
    hour_edges = [literal(hour_number(e)) for e in edges]
    inner = select(
        bucket_index(ReportHour.hour, hour_edges).label("b"),
        *(getattr(ReportHour, c) for c in source.columns),
    ).where(ReportHour.hour >= hour_number(starts_at), ReportHour.hour < hour_number(ends_at))
    if filters.client_id:
        inner = inner.where(ReportHour.client_id == filters.client_id)
    if filters.work_type_id:
        inner = inner.where(ReportHour.work_type_id == filters.work_type_id)
    if leave_out:
        inner = inner.where(ReportHour.hour.not_in(leave_out))
    return _by_bucket(inner.subquery(), source)


def _from_rows(source: Source, starts_at, ends_at, edges, filters: Filters):
    facts = source.facts(starts_at, ends_at, filters).subquery()
    edge_values = [literal(e, UTCDateTime()) for e in edges]
    inner = select(
        bucket_index(facts.c.at, edge_values).label("b"),
        *(facts.c[c] for c in source.columns),
    ).subquery()
    return _by_bucket(inner, source)


def _by_bucket(inner, source: Source):
    """Grouped by the bucket computed in a subquery: PostgreSQL groups by a column, not by an
    expression with parameters."""
    return select(inner.c.b, *(func.sum(inner.c[c]) for c in source.columns)).group_by(inner.c.b)
