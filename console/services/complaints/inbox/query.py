"""The QC inbox in SQL: which complaints a filter selects, one page of them in the chosen order,
and how many there are beside each filter value.

* **Filters** are WHERE conditions (``conditions``). The deadline filters are the deadline rule's
  own SQL (``sla.overdue_sql``, ``sla.due_soon_sql``); the search box is resolved once per
  request (``search.resolve_search``).
* **Keyset pages**, never ``OFFSET``: a page is "the next 50 after this row" in the sort order
  (``Cursor``), so the 2,000th page costs what the first one does. By number the rows come
  along the primary key (``ix_complaints_status_id`` within chosen statuses), by age along
  ``ix_complaints_created`` (``ix_complaints_status_created`` within chosen statuses), by
  deadline along ``ix_complaints_deadline_rank`` (the rank the deadline rule keeps on every
  complaint: running clocks by due time, then paused ones, then those without a deadline by
  number).
* **Counts beside the filters** are of open complaints, in one statement (``_counts``): the open
  complaints grouped by their filter values (read from the covering index), then for each
  filter how many would show with each of its values, the other filters kept.
* **Categories**: a complaint is about its main category (``Complaint.category``) and maybe
  others (``complaint_categories``). The category filter shows the complaints having that
  category among theirs; beside it, each category counts every complaint about it (a complaint
  about two counts under each), while every other count counts a complaint once.
* **Totals**: of open complaints exact (from the counts); of the archive counted up to
  ``COUNT_CAP`` where an index answers (status, kind, assignee, a search), otherwise the pager
  says "of many".
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    String,
    and_,
    cast,
    exists,
    false,
    func,
    literal,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import defer, joinedload, selectinload
from sqlalchemy.sql.functions import FunctionElement

from console.extensions import db
from console.models import (
    Client,
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintStatus,
    Customer,
    Technician,
    User,
)
from console.models.base import UTCDateTime
from console.services.complaints import sla
from console.services.complaints.inbox.filters import Cursor, InboxFilter
from console.services.complaints.inbox.search import Search, resolve_search
from console.services.complaints.status import OPEN, OPEN_VALUES

PER_PAGE = 50
COUNT_CAP = 10_000  # a total beyond it reads "10,000+"

# The deadline filters: the deadline rule's own SQL.
_DEADLINE_FILTERS = {sla.OVERDUE: sla.overdue_sql, sla.DUE_SOON: sla.due_soon_sql}

# What the inbox filters by, as the complaints' columns.
_FILTERED = {
    "status": Complaint.status,
    "category": Complaint.category,
    "client": Complaint.client_id,
    "assignee": Complaint.assignee_id,
    "kind": Complaint.kind,
}


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
        return self.capped and self.total is not None and self.total > COUNT_CAP

    @property
    def end(self) -> int:
        return self.start + len(self.items) - 1


@dataclass
class InboxCounts:
    """Per filter value, how many open complaints the view would show with that value chosen
    (each filter ignores its own choice); ``total``: how many open ones it shows. ``by`` is
    empty for a view of finished complaints (their filters are shown without numbers)."""

    status: dict[str, int] = field(default_factory=dict)
    by: dict[str, Counter] = field(default_factory=dict)
    total: int = 0

    def get(self, dimension: str, value) -> int | None:
        if dimension == "status":
            return self.status.get(str(value))
        counter = self.by.get(dimension)
        if counter is None:
            return None
        return counter.get(str(value) if value is not None else "none", 0)

    def values(self, dimension: str) -> list[str]:
        return [v for v, n in (self.by.get(dimension) or {}).items() if n and v not in ("", "none")]


@dataclass
class Elsewhere:
    """A search that finds nothing under the chosen status but matches under others: how many
    (up to ``COUNT_CAP``), and the one it is when it is one (``#22 is Closed``)."""

    total: int
    statuses: dict[str, int]
    only_id: int | None = None
    only_status: ComplaintStatus | None = None


@dataclass
class Inbox:
    page: InboxPage
    counts: InboxCounts
    elsewhere: Elsewhere | None = None


def inbox(f: InboxFilter, *, me_id: int | None, now: datetime, per_page: int = PER_PAGE) -> Inbox:
    """One page of the inbox for filter ``f`` in its sort order, after (or before) its cursor,
    with the counts beside the filters."""
    search = resolve_search(f.q) if f.q else None
    counts = _counts(f, me_id, now, search)
    page = _page(f, me_id, now, search, per_page)
    if f.open_scope:
        page.total = counts.total
    else:
        counts.by = {}  # the counts beside the filters are of open complaints
        if page.start == 1 and page.next_cursor is None:
            page.total = len(page.items)
        elif not (f.category or f.client_id or f.deadline):
            where = conditions(f, me_id=me_id, now=now, search=search)
            page.total, page.capped = _capped_count(where), True
    found = Inbox(page, counts)
    if search is not None and not page.items and page.start == 1:
        found.elsewhere = elsewhere(f, me_id=me_id, now=now, search=search)
    return found


def elsewhere(
    f: InboxFilter, *, me_id: int | None, now: datetime, search: Search
) -> Elsewhere | None:
    """What the search (with the view's other filters) finds under the statuses the view does
    not show, or None when nothing. Counted up to COUNT_CAP, along the search's few rows."""
    others = frozenset(s.value for s in ComplaintStatus) - f.statuses()
    if not others or f.deadline:  # a deadline filter matches open complaints only
        return None
    where = conditions(f, me_id=me_id, now=now, search=search, statuses=others)
    matching = select(Complaint.id, Complaint.status).where(*where).limit(COUNT_CAP + 1).subquery()
    rows = db.session.execute(
        select(matching.c.status, func.count(), func.min(matching.c.id)).group_by(matching.c.status)
    ).all()
    if not rows:
        return None
    statuses = {ComplaintStatus(status).value: int(n) for status, n, _ in rows}
    found = Elsewhere(total=sum(statuses.values()), statuses=statuses)
    if found.total == 1:
        status, _, only = rows[0]
        found.only_id, found.only_status = int(only), ComplaintStatus(status)
    return found


def inbox_page(f: InboxFilter, *, me_id: int | None, now: datetime, per_page: int = PER_PAGE):
    return inbox(f, me_id=me_id, now=now, per_page=per_page).page


def inbox_counts(f: InboxFilter, *, me_id: int | None, now: datetime) -> InboxCounts:
    return inbox(f, me_id=me_id, now=now).counts


def inbox_version(now: datetime) -> str:
    """Changes when any complaint changes (each change, and each new complaint, adds a line to
    its timeline) and every minute (the deadline badges count minutes): a refresh of the inbox
    that saw this version has nothing new to show."""
    event, complaint = db.session.execute(
        select(
            select(func.max(ComplaintEvent.id)).scalar_subquery(),
            select(func.max(Complaint.id)).scalar_subquery(),
        )
    ).one()
    return f"{event or 0}.{complaint or 0}.{now:%Y%m%d%H%M}"


# --- filters ---------------------------------------------------------------------------------


def conditions(
    f: InboxFilter,
    *,
    me_id: int | None,
    now: datetime,
    search: Search | None,
    statuses: frozenset[str] | None = None,
    walk: str | None = None,
) -> list:
    """The filter as WHERE conditions on ``complaints``; ``statuses`` instead of its own.

    ``walk`` (a sort name): for a page, which SQLite reads along the index of its order,
    testing the filters on the way: without statistics its planner would take the index of a
    filtered column instead, read every row it names and sort them (300 ms for the closed
    complaints by deadline). So the filtered columns are kept from it (``_Unindexed``), unless
    a search picks the few rows; by number and by age the status stays, their indexes begin
    with it. PostgreSQL plans by its statistics."""
    columns = _FILTERED
    if walk and search is None:
        keep = {"status"} if walk in ("number", "age") else set()
        columns = {n: c if n in keep else _Unindexed(c) for n, c in _FILTERED.items()}
    chosen = _chosen(f, me_id, columns, f.statuses() if statuses is None else statuses)
    if f.category:
        chosen["category"] = _has_category(f.category, columns["category"])
    out = list(chosen.values())
    if f.deadline:
        out.append(_DEADLINE_FILTERS[f.deadline](now))
    if search is not None:
        out.append(search.condition())
    return out


def _has_category(category: str, main_column):
    """The complaint is about ``category``: its main one (``main_column``), or another of its."""
    other = exists().where(
        ComplaintCategory.complaint_id == Complaint.id, ComplaintCategory.category == category
    )
    return (main_column == category) | other


class _Unindexed(FunctionElement):
    """A column the SQLite planner may not pick an index for (SQLite's unary ``+``); the column
    itself elsewhere."""

    inherit_cache = True

    def __init__(self, column):
        super().__init__(column)
        self.type = column.type


@compiles(_Unindexed)
def _unindexed(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(_Unindexed, "sqlite")
def _unindexed_sqlite(element, compiler, **kw):
    return "+" + compiler.process(element.clauses, **kw)


def _chosen(f: InboxFilter, me_id: int | None, columns, statuses: frozenset[str]) -> dict:
    """The filter's choices as conditions on ``columns`` (the complaints' own, or the counts'
    groups), by what they filter."""
    out = {}
    if len(statuses) < len(ComplaintStatus):
        out["status"] = columns["status"].in_([ComplaintStatus(s) for s in sorted(statuses)])
    if f.category:
        out["category"] = columns["category"] == f.category
    if f.client_id:
        out["client"] = columns["client"] == f.client_id
    if f.assignee == "none":
        out["assignee"] = columns["assignee"].is_(None)
    elif f.assignee == "me":
        out["assignee"] = columns["assignee"] == me_id if me_id is not None else false()
    elif f.assignee:
        out["assignee"] = columns["assignee"] == int(f.assignee)
    if f.kind:
        out["kind"] = columns["kind"] == f.kind
    return out


# --- counts ----------------------------------------------------------------------------------


def _counts(f: InboxFilter, me_id: int | None, now: datetime, search: Search | None):
    """The counts beside the filters, in one statement over the open complaints: grouped by
    their filter values with their main category (``main`` 1), and once more for each of their
    other categories (``main`` 0), which only the counts of categories add."""
    where = [Complaint.status.in_(OPEN), *([search.condition()] if search else [])]
    measures = (
        func.count().label("complaints"),
        *(func.count().filter(is_(now)).label(name) for name, is_ in _DEADLINE_FILTERS.items()),
    )
    main = (
        select(
            *(column.label(name) for name, column in _FILTERED.items()),
            literal(1).label("main"),
            *measures,
        )
        .where(*where)
        .group_by(*_FILTERED.values())
    )
    by_other = _FILTERED | {"category": ComplaintCategory.category}
    other = (
        select(*(column.label(name) for name, column in by_other.items()), literal(0), *measures)
        .select_from(Complaint)
        .join(
            ComplaintCategory,
            and_(
                ComplaintCategory.complaint_id == Complaint.id,
                ComplaintCategory.category != Complaint.category,
            ),
        )
        .where(*where)
        .group_by(*by_other.values())
    )
    groups = union_all(main, other).cte("open_groups")
    chosen = _chosen(f, me_id, groups.c, f.statuses())
    # A complaint counts once: as its main category, or as the one chosen (at most one row of
    # each complaint has it). The categories' own counts take every row.
    once = [] if f.category else [groups.c.main == 1]
    # What a group adds to a count: its complaints, or those of the chosen deadline.
    shown = groups.c[f.deadline] if f.deadline else groups.c.complaints

    def per_value(name: str):
        others = [condition for other, condition in chosen.items() if other != name]
        if name != "category":
            others += once
        return (
            select(literal(name), cast(groups.c[name], String), func.sum(shown))
            .where(*others)
            .group_by(groups.c[name])
        )

    every = [*chosen.values(), *once]
    parts = [per_value(name) for name in _FILTERED]
    parts += [
        select(literal("deadline"), literal(bucket), func.sum(groups.c[bucket])).where(*every)
        for bucket in _DEADLINE_FILTERS
    ]
    parts.append(select(literal("total"), literal(""), func.sum(shown)).where(*every))

    by: dict[str, Counter] = {name: Counter() for name in (*_FILTERED, "deadline")}
    total = 0
    for name, value, n in db.session.execute(union_all(*parts)):
        if name == "total":
            total = int(n or 0)
        else:
            by[name]["none" if value is None else value] += int(n or 0)
    statuses = by.pop("status")
    counts = InboxCounts(total=total, by=by)
    counts.status = {s.value: statuses.get(s.value, 0) for s in OPEN}
    counts.status["open"] = sum(counts.status.values())
    by["assignee"]["me"] = by["assignee"].get(str(me_id), 0) if me_id is not None else 0
    return counts


def _capped_count(where: list) -> int:
    """How many complaints match, counting no further than COUNT_CAP + 1."""
    matching = select(literal(1)).select_from(Complaint).where(*where).limit(COUNT_CAP + 1)
    return db.session.scalar(select(func.count()).select_from(matching.subquery()))


# --- pages -----------------------------------------------------------------------------------


def _page(f: InboxFilter, me_id: int | None, now: datetime, search, per_page: int) -> InboxPage:
    after = Cursor.decode(f.after, dated=f.dated_sort)
    before = Cursor.decode(f.before, dated=f.dated_sort) if after is None else None

    def rows(cursor: Cursor | None, backwards: bool) -> list:
        ascending = f.descending == backwards
        query = _in_order(f, me_id, now, search, cursor, ascending, per_page + 1)
        return db.session.execute(query).all()

    if before is not None:
        found = rows(before, True)
        if len(found) > per_page:
            found = found[:per_page][::-1]
            start, has_prev, more_after = max(2, f.start), True, True
        else:  # back at the beginning (or the rows moved): the first page, in full
            before = None
    if before is None:
        found = rows(after, False)
        more_after = len(found) > per_page
        found = found[:per_page]
        has_prev = after is not None
        start = f.start if after is not None else 1
    cursors = [Cursor(r.key, r.id).encode() for r in found]
    return InboxPage(
        items=_load([r.id for r in found]),
        total=None,
        start=start,
        next_cursor=cursors[-1] if more_after and cursors else None,
        prev_cursor=cursors[0] if has_prev and cursors else None,
        per_page=per_page,
    )


def _in_order(f, me_id, now, search, cursor: Cursor | None, ascending: bool, limit: int):
    """A SELECT of ``(id, key)``: the ``limit`` complaints after ``cursor`` in the sort order
    (``ascending`` or not)."""

    def where(statuses=None):
        return conditions(
            f, me_id=me_id, now=now, search=search, statuses=statuses, walk=f.sort_name
        )

    if f.sort_name == "number":
        return _walk(Complaint.id, where(), cursor, ascending, limit)
    if f.sort_name == "age":
        return _walk(Complaint.created_at, where(), cursor, ascending, limit)
    by_deadline = where()
    if not f.statuses() & OPEN_VALUES:
        # Only finished ones, which have no deadline: one rank, so its stretch of the index in
        # number order, rather than a walk past every open complaint first.
        by_deadline.append(Complaint.deadline_rank == sla.NO_DEADLINE)
    return _walk(Complaint.deadline_rank, by_deadline, cursor, ascending, limit)


def _walk(key, where: list, cursor: Cursor | None, ascending: bool, limit: int):
    """``(id, key)`` of the complaints in ``where`` after ``cursor``, ordered by ``key`` and
    then by id."""
    query = select(Complaint.id, key.label("key")).where(*where)
    if key is Complaint.id:
        order = [Complaint.id]
        if cursor is not None:
            query = query.where(Complaint.id > cursor.id if ascending else Complaint.id < cursor.id)
    else:
        order = [key, Complaint.id]
        if cursor is not None:
            value_type = UTCDateTime if isinstance(cursor.key, datetime) else BigInteger
            pair = tuple_(key, Complaint.id)
            mark = tuple_(literal(cursor.key, value_type), literal(cursor.id))
            query = query.where(pair > mark if ascending else pair < mark)
    return query.order_by(*_order(order, ascending)).limit(limit)


def _order(columns, ascending: bool) -> list:
    return [c.asc() if ascending else c.desc() for c in columns]


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
            selectinload(Complaint.categories),
        )
        .where(Complaint.id.in_(ids))
    ).unique()
    by_id = {c.id: c for c in found}
    return [by_id[i] for i in ids if i in by_id]
