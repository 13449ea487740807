"""The open working set of the QC inbox.

QC works the open complaints (new, in progress, waiting for the customer): a few thousand at
most on a desk that keeps up. Their filter and sort fields (not the rows) are kept in memory per
process, with their customers' names, and reused until the timeline moves: every change of a
complaint and every new complaint adds a ``ComplaintEvent`` row, so ``max(complaint_events.id)``
(and ``max(complaints.id)``) is a cheap stamp of "has anything changed". It is rebuilt at least
every ``WORKING_SET_SECONDS`` too. Filters, sorts, pages and every count beside the filters of
an open view are then computed in Python; only the 50 rows shown are read from the database,
fresh.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, select

from console.extensions import db
from console.models import Complaint, ComplaintEvent, Customer
from console.services.complaints import sla
from console.services.complaints.inbox.counting import cells_of
from console.services.complaints.inbox.filters import NO_DEADLINE, Row
from console.services.complaints.inbox.search import Search
from console.services.complaints.status import OPEN

WORKING_SET_SECONDS = 30  # the working set is rebuilt at least this often
WORKING_SET_MAX = 50_000  # a larger open backlog is not kept in memory: SQL, no facet counts


# Complaints waiting for the customer sort after every running one, by the time they will have
# left when the clock starts again: nothing is due from QC while the customer is away.
PAUSED_BAND = datetime(5000, 1, 1, tzinfo=UTC)


def _urgency(due: datetime | None, running: bool, paused_at: datetime | None, now: datetime):
    if due is None:
        return NO_DEADLINE
    if running:
        return due
    return PAUSED_BAND + (due - (paused_at or now))


class WorkingSet:
    def __init__(self, stamp: tuple, rows: list[Row], names: dict[int, str]):
        self.stamp = stamp
        self.built = time.monotonic()
        self.rows = rows
        self.names = names  # customer id -> name, case-folded
        self.sorted = {name: sorted(rows, key=lambda r, n=name: r.sort_key(n)) for name in _SORTS}
        self.keys = {name: [r.sort_key(name) for r in rows] for name, rows in self.sorted.items()}
        self.cells = cells_of(rows)
        self.by_id = {r.id: r for r in rows}
        self.by_customer: dict[int, list[Row]] = {}
        self.by_order: dict[int, list[Row]] = {}
        for r in rows:
            self.by_customer.setdefault(r.customer, []).append(r)
            self.by_order.setdefault(r.order, []).append(r)

    def found(self, search: Search) -> list[Row]:
        """The open complaints a search finds."""
        found: dict[int, Row] = {}
        if search.complaint_id in self.by_id:
            found[search.complaint_id] = self.by_id[search.complaint_id]
        customers = set(search.customers)
        if search.words:
            customers.update(
                c for c, name in self.names.items() if all(w in name for w in search.words)
            )
        for customer in customers:
            found.update((r.id, r) for r in self.by_customer.get(customer, ()))
        for order in search.orders:
            found.update((r.id, r) for r in self.by_order.get(order, ()))
        return list(found.values())


_SORTS = ("deadline", "age", "number")
_LOCK = threading.Lock()


def _stamp() -> tuple:
    """Changes whenever a complaint changes or a new one comes in (each adds a timeline line)."""
    return tuple(
        db.session.execute(
            select(
                select(func.max(ComplaintEvent.id)).scalar_subquery(),
                select(func.max(Complaint.id)).scalar_subquery(),
            )
        ).one()
    )


def inbox_version(now: datetime) -> str:
    """Changes when any complaint changes and every minute (the deadline badges count minutes):
    a refresh of the inbox that saw this version has nothing new to show."""
    event, complaint = _stamp()
    return f"{event or 0}.{complaint or 0}.{now:%Y%m%d%H%M}"


def working_set() -> WorkingSet | None:
    """The open complaints' filter fields, fresh as of the last timeline line; None when the
    backlog is larger than WORKING_SET_MAX."""
    store = current_app.extensions.setdefault("complaint_working_set", {})
    stamp = _stamp()
    current = store.get("set")
    if _fresh(current, stamp):
        return current
    with _LOCK:
        current = store.get("set")
        if _fresh(current, stamp):
            return current
        built = _build(stamp)
        store["set"] = built
        return built


def _fresh(ws, stamp) -> bool:
    return (
        ws is not None and ws.stamp == stamp and time.monotonic() - ws.built < WORKING_SET_SECONDS
    )


def _build(stamp: tuple) -> WorkingSet | None:
    c = Complaint
    query = (
        select(
            c.id,
            c.status,
            c.category,
            c.client_id,
            c.assignee_id,
            c.kind,
            c.customer_id,
            c.order_id,
            c.first_answer_due_at,
            c.first_answered_at,
            c.resolution_due_at,
            c.resolved_at,
            c.sla_paused_at,
            c.created_at,
            Customer.name,
        )
        .join(Customer, Customer.id == c.customer_id)
        .where(c.status.in_(OPEN))
        .limit(WORKING_SET_MAX + 1)
    )
    rows, names = [], {}
    now = datetime.now(UTC)
    for r in db.session.execute(query):
        status = _value(r.status)
        _which, due = sla.next_deadline_of(
            status, r.first_answer_due_at, r.first_answered_at, r.resolution_due_at, r.resolved_at
        )
        running = sla.clock_runs(status, r.sla_paused_at, r.resolved_at)
        rows.append(
            Row(
                id=r.id,
                status=status,
                category=r.category,
                client=r.client_id,
                assignee=r.assignee_id,
                kind=_value(r.kind),
                customer=r.customer_id,
                order=r.order_id,
                due=due,
                running=running,
                created=r.created_at,
                urgency=_urgency(due, running, r.sla_paused_at, now),
            )
        )
        names[r.customer_id] = r.name.casefold()
    if len(rows) > WORKING_SET_MAX:
        return None
    return WorkingSet(stamp, rows, names)


def _value(enum_or_text) -> str:
    return getattr(enum_or_text, "value", enum_or_text)
