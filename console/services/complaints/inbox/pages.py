"""Pages of the QC inbox: one page of complaints for a filter, with the counts beside it.

* **Keyset pagination**, never ``OFFSET``: a page is "the next 50 after this row" in the sort
  order (``after=<cursor>``), so the 2,000th page costs what the first one does.
* **Finished complaints** (resolved, closed, merged: the archive) are read with SQL that walks
  an index in the sort order and stops after a page: by number along the primary key, by age
  along ``(status, created_at)`` one status at a time, merged. Their total is counted (up to
  COUNT_CAP) only when an index answers it (status, kind, assignee); otherwise the pager says
  "of many". Facet counts are given for open complaints only.
"""

from __future__ import annotations

import heapq
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice

from sqlalchemy import literal, select, tuple_
from sqlalchemy.orm import defer, joinedload

from console.extensions import db
from console.models import Client, Complaint, ComplaintStatus, Customer, Technician, User
from console.services.complaints.inbox import conditions
from console.services.complaints.inbox.conditions import (
    capped_count,
    filter_conditions,
    next_due,
    row_level,
    sql_datetime,
)
from console.services.complaints.inbox.counting import InboxCounts, cells_of, count_cells
from console.services.complaints.inbox.filters import NO_DEADLINE, Cursor, InboxFilter, Row
from console.services.complaints.inbox.search import SEARCH_CAP, name_matches, resolve_search
from console.services.complaints.inbox.working_set import WorkingSet, working_set
from console.services.complaints.sla import due_soon_window
from console.services.complaints.status import OPEN_VALUES

PER_PAGE = 50


@dataclass
class InboxPage:
    items: list[Complaint]
    total: int | None  # None: not counted ("of many")
    start: int  # position of the first row (1-based)
    next_cursor: str | None
    prev_cursor: str | None
    per_page: int = PER_PAGE
    capped: bool = False  # counted up to COUNT_CAP only: more than that reads "10,000+"

    @property
    def total_capped(self) -> bool:
        return self.capped and self.total is not None and self.total > conditions.COUNT_CAP

    @property
    def end(self) -> int:
        return self.start + len(self.items) - 1


@dataclass
class Inbox:
    page: InboxPage
    counts: InboxCounts


class _Keyed:
    """A row id with its sort key, as the page walkers pass them around."""

    __slots__ = ("id", "key")

    def __init__(self, row_id: int, key: tuple):
        self.id, self.key = row_id, key


def inbox(f: InboxFilter, *, me_id: int | None, now: datetime, per_page: int = PER_PAGE) -> Inbox:
    """One page of the inbox for filter ``f`` in its sort order, after (or before) its cursor,
    with the counts beside the filters."""
    search = resolve_search(f.q) if f.q else None
    ws = working_set()
    match = None
    if ws is not None:
        found = None if search is None else ws.found(search)
        counts = count_cells(ws.cells if found is None else cells_of(found), f, me_id, now)
        match = _row_filter(f, me_id, now, found)
        if not f.open_scope:  # facet counts are given for open complaints only
            counts.by = {}
    else:
        counts = InboxCounts(available=False)

    names = None
    if search is not None and search.by_name and not (f.open_scope and ws is not None):
        base = filter_conditions(f, me_id=me_id, now=now, search=None, names=None)
        names = name_matches(search.words, base, SEARCH_CAP)

    def where_for(walk: str | None = None) -> list:
        return filter_conditions(f, me_id=me_id, now=now, search=search, names=names, walk=walk)

    def walker(cursor, backwards):
        ascending = f.descending == backwards
        if f.open_scope and ws is not None:
            return _walk_ws(ws, f.sort_name, match, cursor, ascending)
        if f.status == "all" and f.sort_name == "deadline" and ws is not None:
            return _walk_all_by_deadline(ws, match, where_for("id"), cursor, ascending, per_page)
        return _walk_sql(f, where_for, cursor, ascending, per_page)

    page = _paginate(f, walker, per_page)
    if f.open_scope and ws is not None:
        page.total = counts.total if search is None else sum(1 for r in found if match(r))
    elif page.start == 1 and page.next_cursor is None:
        page.total = len(page.items)
    elif not row_level(f, search) or names is not None or (search and not search.by_name):
        page.total, page.capped = capped_count(where_for()), True
    return Inbox(page, counts)


def inbox_page(f: InboxFilter, *, me_id: int | None, now: datetime, per_page: int = PER_PAGE):
    return inbox(f, me_id=me_id, now=now, per_page=per_page).page


def inbox_counts(f: InboxFilter, *, me_id: int | None, now: datetime) -> InboxCounts:
    return inbox(f, me_id=me_id, now=now).counts


def _paginate(f: InboxFilter, walker, per_page: int) -> InboxPage:
    after = Cursor.decode(f.after, dated=f.dated_sort)
    before = Cursor.decode(f.before, dated=f.dated_sort) if after is None else None
    if before is not None:
        found = list(islice(walker(before.pair, True), per_page + 1))
        if len(found) > per_page:
            found = list(reversed(found[:per_page]))
            start, has_prev, more_after = max(2, f.start), True, True
        else:  # back at the beginning (or the rows moved): the first page, in full
            before = None
    if before is None:
        found = list(islice(walker(after.pair if after else None, False), per_page + 1))
        more_after = len(found) > per_page
        found = found[:per_page]
        has_prev = after is not None
        start = f.start if after is not None else 1
    cursors = [Cursor(k.key[0], k.id).encode() for k in found]
    return InboxPage(
        items=_load([k.id for k in found]),
        total=None,
        start=start,
        next_cursor=cursors[-1] if more_after and cursors else None,
        prev_cursor=cursors[0] if has_prev and cursors else None,
        per_page=per_page,
    )


def _row_filter(f: InboxFilter, me_id: int | None, now: datetime, found: list[Row] | None):
    """The filter as a test of a working-set row (``found``: what the search found)."""
    ids = None if found is None else {r.id for r in found}
    statuses = f.statuses() & OPEN_VALUES
    soon = now + due_soon_window()
    if f.assignee == "me":
        assignee = me_id if me_id is not None else -1
    elif f.assignee == "none":
        assignee = None
    else:
        assignee = int(f.assignee) if f.assignee else 0
    kind = f.kind.value if f.kind else None

    def match(r: Row) -> bool:
        return (
            r.status in statuses
            and (ids is None or r.id in ids)
            and (f.category is None or r.category == f.category)
            and (f.client_id is None or r.client == f.client_id)
            and (f.assignee is None or r.assignee == assignee)
            and (kind is None or r.kind == kind)
            and (f.deadline is None or r.bucket(now, soon) == f.deadline)
        )

    match.found = found
    return match


def _walk_ws(ws: WorkingSet, name: str, match, cursor: tuple | None, ascending: bool):
    """Matching rows of the working set in sort order from the cursor (excluded); only among
    what a search found, when there is a search (``match.found``)."""
    if match.found is not None:
        ordered = sorted(match.found, key=lambda r: r.sort_key(name))
        keys = [r.sort_key(name) for r in ordered]
    else:
        ordered, keys = ws.sorted[name], ws.keys[name]
    if ascending:
        start = bisect_right(keys, cursor) if cursor is not None else 0
        positions = range(start, len(ordered))
    else:
        end = bisect_left(keys, cursor) if cursor is not None else len(ordered)
        positions = range(end - 1, -1, -1)
    for i in positions:
        if match(ordered[i]):
            yield _Keyed(ordered[i].id, keys[i])


def _walk_all_by_deadline(ws, match, where, cursor, ascending, per_page):
    """Every status by deadline: the open complaints that have one (from the working set),
    then those without (finished ones, by number) - the other way round descending."""

    def with_deadline(r: Row) -> bool:
        return r.due is not None and match(r)

    with_deadline.found = match.found

    def head(c):
        return _walk_ws(ws, "deadline", with_deadline, c, ascending)

    tail_where = [*where, next_due() == sql_datetime(NO_DEADLINE)]
    in_tail = cursor is not None and cursor[0] == NO_DEADLINE
    tail = _walk_sql_ids(tail_where, cursor[1] if in_tail else None, ascending, per_page)
    if ascending:
        if not in_tail:
            yield from head(cursor)
        yield from tail
    elif cursor is None or in_tail:
        yield from tail
        yield from head(None)
    else:  # descending from inside the head: the tail is behind
        yield from head(cursor)


def _walk_sql_ids(where, after_id, ascending, per_page):
    """Complaints along the primary key from ``after_id`` (excluded), a page at a time."""
    last = after_id
    while True:
        query = select(Complaint.id).where(*where)
        if last is not None:
            query = query.where(Complaint.id > last if ascending else Complaint.id < last)
        query = query.order_by(Complaint.id.asc() if ascending else Complaint.id.desc())
        ids = list(db.session.scalars(query.limit(per_page + 1)))
        for i in ids:
            yield _Keyed(i, (NO_DEADLINE, i))
        if len(ids) <= per_page:
            return
        last = ids[-1]


def _walk_sql(f: InboxFilter, where_for, cursor, ascending, per_page):
    """The archive (or an open backlog too large to keep) in the sort order, by SQL."""
    name = f.sort_name
    if name == "number" or (name == "deadline" and not f.open_scope and f.status != "all"):
        # Finished complaints have no deadline: by deadline is by number for them.
        after_id = cursor[1] if cursor is not None else None
        for k in _walk_sql_ids(where_for("id"), after_id, ascending, per_page):
            yield _Keyed(k.id, (k.id if name == "number" else NO_DEADLINE, k.id))
        return
    if name == "age":
        yield from _walk_by_age(f, where_for("age"), cursor, ascending, per_page)
        return
    yield from _walk_by_expression(name, where_for(), cursor, ascending, per_page)


def _walk_by_age(f, where, cursor, ascending, per_page):
    """By creation time: one walk along ``(status, created_at)`` per status, merged."""

    def one(status: str):
        last = cursor
        while True:
            query = select(Complaint.id, Complaint.created_at).where(
                *where, Complaint.status == ComplaintStatus(status)
            )
            if last is not None:
                pair = tuple_(Complaint.created_at, Complaint.id)
                mark = tuple_(sql_datetime(last[0]), literal(last[1]))
                query = query.where(pair > mark if ascending else pair < mark)
            order = (Complaint.created_at, Complaint.id)
            query = query.order_by(*(o.asc() if ascending else o.desc() for o in order))
            rows = db.session.execute(query.limit(per_page + 1)).all()
            for r in rows:
                yield _Keyed(r.id, (r.created_at, r.id))
            if len(rows) <= per_page:
                return
            last = (rows[-1].created_at, rows[-1].id)

    streams = [one(s) for s in sorted(f.statuses())]
    yield from heapq.merge(*streams, key=lambda k: k.key, reverse=not ascending)


def _walk_by_expression(name, where, cursor, ascending, per_page):
    """Any sort, by one query per page with the key as an expression (a sort, not a walk)."""
    key = (next_due() if name == "deadline" else Complaint.created_at).label("sort_key")
    last = cursor
    while True:
        query = select(Complaint.id, key).where(*where)
        if last is not None:
            value = sql_datetime(last[0]) if isinstance(last[0], datetime) else literal(last[0])
            pair, mark = tuple_(key, Complaint.id), tuple_(value, literal(last[1]))
            query = query.where(pair > mark if ascending else pair < mark)
        order = (key.asc(), Complaint.id.asc()) if ascending else (key.desc(), Complaint.id.desc())
        rows = db.session.execute(query.order_by(*order).limit(per_page + 1)).all()
        for r in rows:
            yield _Keyed(r.id, (_as_datetime(r.sort_key), r.id))
        if len(rows) <= per_page:
            return
        last = (_as_datetime(rows[-1].sort_key), rows[-1].id)


def _as_datetime(value) -> datetime:
    if isinstance(value, str):  # SQLite hands back a CASE over datetimes as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _load(ids: list[int]) -> list[Complaint]:
    """The complaints of a page with what a row shows, in the given order."""
    if not ids:
        return []
    found = db.session.scalars(
        select(Complaint)
        .options(
            # Only what a row shows: a client's JSON working hours or a customer's notes would
            # be decoded 50 times for nothing.
            joinedload(Complaint.customer).load_only(Customer.name),
            joinedload(Complaint.client).load_only(Client.name),
            joinedload(Complaint.technician).load_only(Technician.name, Technician.status),
            joinedload(Complaint.assignee).load_only(User.name),
            defer(Complaint.snapshot),
            defer(Complaint.summary),
            defer(Complaint.validity_reason),
        )
        .where(Complaint.id.in_(ids))
    ).unique()
    by_id = {c.id: c for c in found}
    return [by_id[i] for i in ids if i in by_id]
