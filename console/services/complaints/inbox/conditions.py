"""SQL building blocks of the QC inbox (the archive, and a backlog too large to keep): the
filter as WHERE conditions, the next deadline as an expression, and a count that stops at
``COUNT_CAP``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, false, func, literal, or_, select, type_coerce

from console.extensions import db
from console.models import Complaint, ComplaintStatus
from console.models.base import UTCDateTime
from console.services.complaints import sla
from console.services.complaints.inbox.filters import NO_DEADLINE, InboxFilter
from console.services.complaints.inbox.search import Search

COUNT_CAP = 10_000  # a total beyond it reads "10,000+"


def sql_datetime(value: datetime):
    return type_coerce(literal(value, UTCDateTime), UTCDateTime)


def next_due():
    """The next deadline as SQL (``sla.next_deadline_sql``); NO_DEADLINE when there is none."""
    return sla.next_deadline_sql(otherwise=sql_datetime(NO_DEADLINE))


def deadline_condition(which: str, now: datetime):
    """Overdue: the next deadline has passed (``sla``: nothing left). Due soon: it comes within
    ``COMPLAINT_DUE_SOON_MINUTES``. Only while the clock runs."""
    due = next_due()
    running = sla.clock_runs_sql()
    if which == "overdue":
        return and_(running, due <= sql_datetime(now))
    soon = now + sla.due_soon_window()
    return and_(running, due > sql_datetime(now), due <= sql_datetime(soon))


def _plain(column, walk: str | None, dimension: str):
    """The column as SQLite sees it for a walk: one it cannot use an index for, so that it
    walks the table along the primary key (``walk="id"``) or along ``(status, created_at)``
    (``walk="age"``, status kept) and stops after a page, instead of collecting every match of
    another index and sorting them. PostgreSQL's planner has statistics: left alone."""
    if walk is None or db.engine.dialect.name != "sqlite":
        return column
    if walk == "age" and dimension == "status":
        return column
    return func.coalesce(column, column)


def filter_conditions(
    f: InboxFilter,
    *,
    me_id: int | None,
    now: datetime,
    search: Search | None,
    names: list | None,
    walk: str | None = None,
) -> list:
    """The WHERE conditions of a filter; ``names``: complaint ids a name search found;
    ``walk``: the index the query is to walk on SQLite (see ``_plain``)."""
    out = []
    if search is not None:
        walk = None  # a search is selective: let the planner use its indexes
    statuses = f.statuses()
    if len(statuses) < len(ComplaintStatus):
        column = _plain(Complaint.status, walk, "status")
        out.append(column.in_([ComplaintStatus(s) for s in sorted(statuses)]))
    if f.category:
        out.append(_plain(Complaint.category, walk, "category") == f.category)
    if f.client_id:
        out.append(_plain(Complaint.client_id, walk, "client") == f.client_id)
    assignee = _plain(Complaint.assignee_id, walk, "assignee")
    if f.assignee == "none":
        out.append(assignee.is_(None))
    elif f.assignee == "me":
        out.append(assignee == me_id if me_id is not None else false())
    elif f.assignee:
        out.append(assignee == int(f.assignee))
    if f.kind:
        out.append(_plain(Complaint.kind, walk, "kind") == f.kind)
    if f.deadline:
        out.append(deadline_condition(f.deadline, now))
    if search is not None:
        either = []
        if search.complaint_id is not None:
            either.append(Complaint.id == search.complaint_id)
        if search.customers:
            either.append(Complaint.customer_id.in_(sorted(search.customers)))
        if search.orders:
            either.append(Complaint.order_id.in_(sorted(search.orders)))
        if names:
            either.append(Complaint.id.in_(names))
        out.append(or_(*either) if either else false())
    return out


def row_level(f: InboxFilter, search: Search | None) -> bool:
    """Does counting need the rows (no index answers it)?"""
    return bool(f.category or f.client_id or f.deadline or (search and search.by_name))


def capped_count(where: list, cap: int | None = None) -> int:
    """How many complaints match, counting no further than ``cap`` (COUNT_CAP) + 1."""
    cap = COUNT_CAP if cap is None else cap
    inner = select(literal(1).label("one")).select_from(Complaint).where(*where).limit(cap + 1)
    return db.session.scalar(select(func.count()).select_from(inner.subquery()))
