"""Read-side queries of the QC inbox: which complaints a filter selects, one page of them, and
how many there are per filter value.

The inbox must stay fast at 100,000 complaints (``bench/inbox.py``). What makes it so:

* **The open working set.** QC works the open complaints (new, in progress, waiting for the
  customer): a few thousand at most on a desk that keeps up. Their filter and sort fields (not
  the rows) are kept in memory per process, with their customers' names, and reused until the
  timeline moves: every change of a complaint and every new complaint adds a ``ComplaintEvent``
  row, so ``max(complaint_events.id)`` (and ``max(complaints.id)``) is a cheap stamp of "has
  anything changed". It is rebuilt at least every ``WORKING_SET_SECONDS`` too. Filters, sorts,
  pages and every count beside the filters of an open view are then computed in Python; only
  the 50 rows shown are read from the database, fresh.
* **Keyset pagination**, never ``OFFSET``: a page is "the next 50 after this row" in the sort
  order (``after=<cursor>``), so the 2,000th page costs what the first one does.
* **Finished complaints** (resolved, closed, merged: the archive) are read with SQL that walks
  an index in the sort order and stops after a page: by number along the primary key, by age
  along ``(status, created_at)`` one status at a time, merged. Their total is counted (up to
  COUNT_CAP) only when an index answers it (status, kind, assignee); otherwise the pager says
  "of many". Facet counts are given for open complaints only.
* **Search** takes the most specific reading of the text: "#311" is a complaint number; a
  phone number goes through ``customer_phones.e164`` (indexed), an order number through the
  ``(client_id, external_id)`` unique index (one probe per client); only when neither matches
  is it a name, matched case-insensitively (Cyrillic too) against the names in the working
  set, and for the archive with ``LIKE`` row by row (see ``name_matches``: the one slow path,
  for want of a trigram / full-text index on ``customers.name``).

Deadlines follow ``console.services.sla.deadline_state``: the next deadline is the first answer
until it is given, then the resolution; a complaint waiting for the customer has its clock
stopped and is never "due soon" or "overdue"; a resolved, closed or merged one has no deadline.
"""

from __future__ import annotations

import heapq
import re
import threading
import time
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import islice

import phonenumbers
from flask import current_app
from sqlalchemy import and_, case, false, func, literal, or_, select, tuple_, type_coerce
from sqlalchemy.orm import defer, joinedload

from console.extensions import db
from console.models import (
    Client,
    Complaint,
    ComplaintEvent,
    ComplaintKind,
    ComplaintStatus,
    Customer,
    CustomerPhone,
    Order,
    Role,
    Technician,
    User,
)
from console.models.base import UTCDateTime

PER_PAGE = 50
COUNT_CAP = 10_000  # a total beyond it reads "10,000+"
SEARCH_CAP = 1_000  # a name found in more complaints than this lists the first ones only
WORKING_SET_SECONDS = 30  # the working set is rebuilt at least this often
WORKING_SET_MAX = 50_000  # a larger open backlog is not kept in memory: SQL, no facet counts

OPEN = (ComplaintStatus.NEW, ComplaintStatus.IN_PROGRESS, ComplaintStatus.WAITING_CUSTOMER)
FINISHED = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED, ComplaintStatus.MERGED)
# The clock runs (a deadline can be due soon or overdue) only for these.
RUNNING = (ComplaintStatus.NEW, ComplaintStatus.IN_PROGRESS)
OPEN_VALUES = frozenset(s.value for s in OPEN)

# The status choices of the inbox: "open" (the default), each status, or everything.
STATUS_CHOICES = ("open", *(s.value for s in ComplaintStatus), "all")
DEADLINE_CHOICES = ("overdue", "due_soon")
SORT_CHOICES = ("deadline", "-deadline", "age", "-age", "number", "-number")
DEFAULT_SORT = "deadline"

# Where "no deadline" (finished, or no due time) sorts: after every real one.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=UTC)


# --- the filter ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends: the sort key of a row and its id (the tie-breaker)."""

    key: datetime | int
    id: int

    def encode(self) -> str:
        if isinstance(self.key, datetime):
            return f"{self.key.astimezone(UTC):%Y%m%d%H%M%S%f}_{self.id}"
        return f"{self.key}_{self.id}"

    @classmethod
    def decode(cls, raw: str | None, *, dated: bool) -> Cursor | None:
        """None for anything malformed: a hand-edited URL starts from the first page."""
        match = re.fullmatch(r"(\d{1,20})_(\d{1,18})", (raw or "").strip())
        if not match:
            return None
        key, row_id = match.group(1), int(match.group(2))
        if not dated:
            return cls(int(key), row_id)
        try:
            return cls(datetime.strptime(key, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC), row_id)
        except ValueError:
            return None

    @property
    def pair(self) -> tuple:
        return (self.key, self.id)


@dataclass(frozen=True)
class InboxFilter:
    """What the inbox shows, parsed leniently from the query string (an unknown value is
    ignored, never an error: a bookmark outlives the option it names)."""

    status: str = "open"
    category: str | None = None
    client_id: int | None = None
    assignee: str | None = None  # "me", "none" or a user id
    kind: ComplaintKind | None = None
    deadline: str | None = None  # "overdue" | "due_soon"
    q: str = ""
    sort: str = DEFAULT_SORT
    after: str | None = None  # an encoded Cursor: the page after this row
    before: str | None = None  # ... or the page before it
    start: int = 1  # the position of the page's first row (only for "51–100 of 1,204")

    @classmethod
    def from_args(cls, args: Mapping) -> InboxFilter:
        def text(name: str, limit: int) -> str | None:
            value = (args.get(name) or "").strip()
            return value[:limit] or None

        status = text("status", 32)
        client = text("client", 12)
        assignee = text("assignee", 12)
        kind = text("kind", 16)
        deadline = text("deadline", 16)
        sort = text("sort", 16)
        start = text("start", 9)
        return cls(
            status=status if status in STATUS_CHOICES else "open",
            category=text("category", 64),
            client_id=int(client) if client and client.isdigit() else None,
            assignee=(
                assignee
                if assignee in ("me", "none") or (assignee and assignee.isdigit())
                else None
            ),
            kind=ComplaintKind(kind) if kind in {k.value for k in ComplaintKind} else None,
            deadline=deadline if deadline in DEADLINE_CHOICES else None,
            q=" ".join((args.get("q") or "").split())[:100],
            sort=sort if sort in SORT_CHOICES else DEFAULT_SORT,
            after=text("after", 48),
            before=None if text("after", 48) else text("before", 48),
            start=max(1, int(start)) if start and start.isdigit() else 1,
        )

    def args(self, **changes) -> dict:
        """The query string of this filter with ``changes``, for ``url_for``: defaults left
        out, and the page dropped unless the changes name it (a new filter starts on the first
        page)."""
        values = {
            "status": self.status,
            "category": self.category,
            "client": self.client_id,
            "assignee": self.assignee,
            "kind": self.kind.value if self.kind else None,
            "deadline": self.deadline,
            "q": self.q,
            "sort": self.sort,
        }
        values.update(changes)
        defaults = {"status": "open", "sort": DEFAULT_SORT, "q": "", "start": 1}
        return {
            k: v for k, v in values.items() if v is not None and v != "" and defaults.get(k) != v
        }

    def page_args(self) -> dict:
        """This filter including its page: what a refresh of the same view asks for."""
        return self.args(after=self.after, before=self.before, start=self.start)

    def toggle(self, name: str, value) -> dict:
        """The query string with ``name`` set to ``value``, or cleared when already so."""
        current = self.args().get(name)
        return self.args(**{name: None if str(current) == str(value) else value})

    @property
    def narrowed(self) -> bool:
        """Anything chosen beyond the status (for "clear filters")."""
        return any((self.category, self.client_id, self.assignee, self.kind, self.deadline, self.q))

    @property
    def sort_name(self) -> str:
        return self.sort.lstrip("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")

    @property
    def dated_sort(self) -> bool:
        return self.sort_name in ("deadline", "age")

    @property
    def open_scope(self) -> bool:
        """Only open complaints can match: an open status, or a deadline filter (a finished
        complaint has none)."""
        return (
            self.status == "open"
            or self.status in OPEN_VALUES
            or (self.deadline is not None and self.status == "all")
        )

    def statuses(self) -> frozenset[str]:
        if self.status == "all":
            return frozenset(s.value for s in ComplaintStatus)
        if self.status == "open":
            return OPEN_VALUES
        return frozenset({self.status})


# --- search -------------------------------------------------------------------------------------

_NUMBER = re.compile(r"#\s*(\d{1,12})")
_PHONE_CHARS = re.compile(r"[+\d][\d\s()./-]*")


def phone_candidates(text: str, regions: Iterable[str]) -> list[str]:
    """The E.164 numbers ``text`` can mean: as written when it has a ``+``, else as a national
    number of each region the clients are in ("8 912 345-67-89" -> "+79123456789")."""
    text = text.strip()
    if not _PHONE_CHARS.fullmatch(text) or sum(c.isdigit() for c in text) < 6:
        return []
    found = []
    for region in [None] if text.startswith("+") else sorted(set(regions)):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in found:
                found.append(e164)
    return found


@dataclass
class Search:
    """A search box entry resolved to what it can mean, most specific first."""

    text: str
    complaint_id: int | None = None
    customers: frozenset[int] = frozenset()  # by phone
    orders: frozenset[int] = frozenset()  # by order number
    words: tuple[str, ...] = ()  # a name: every word in the customer's name

    @property
    def by_name(self) -> bool:
        return bool(self.words)


def resolve_search(text: str) -> Search | None:
    text = " ".join(text.split())
    if not text:
        return None
    number = _NUMBER.fullmatch(text)
    if number:
        return Search(text, complaint_id=int(number.group(1)))
    clients = db.session.execute(select(Client.id, Client.country)).all()
    search = Search(text)
    if text.isdigit() and len(text) <= 12:
        search.complaint_id = int(text)
    phones = phone_candidates(text, {c.country for c in clients if c.country})
    if phones:
        search.customers = frozenset(
            db.session.scalars(
                select(CustomerPhone.customer_id).where(CustomerPhone.e164.in_(phones))
            )
        )
    if clients and len(text) <= 64:
        # (client_id, external_id) is unique and indexed: one probe per client.
        search.orders = frozenset(
            db.session.scalars(
                select(Order.id).where(
                    Order.client_id.in_([c.id for c in clients]),
                    Order.external_id.in_({text, text.upper()}),
                )
            )
        )
    if not (search.customers or search.orders) and any(c.isalpha() for c in text):
        search.words = tuple(w.casefold() for w in text.split())
    return search


def _like_patterns(word: str) -> list[str]:
    """LIKE patterns for one word of a name. SQLite folds the case of ASCII letters only, so a
    Cyrillic "петров" is also tried as "Петров" and "ПЕТРОВ"."""
    escaped = _escape(word)
    forms = dict.fromkeys([escaped, escaped.lower(), escaped.capitalize(), escaped.upper()])
    return [f"%{form}%" for form in forms]


def name_matches(words: Iterable[str], where: list, limit: int) -> list[int]:
    """Ids of complaints (among ``where``) whose customer's name has every word, newest first.
    Reads the complaints and their customers row by row: without a trigram or full-text index
    on ``customers.name`` a name cannot be looked up any other way."""
    postgres = db.engine.dialect.name == "postgresql"
    conditions = []
    for word in words:
        if postgres:
            conditions.append(Customer.name.ilike(f"%{_escape(word)}%", escape="\\"))
        else:
            conditions.append(
                or_(*(Customer.name.like(p, escape="\\") for p in _like_patterns(word)))
            )
    query = (
        select(Complaint.id)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(*where, *conditions)
        .order_by(Complaint.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- the open working set -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Row:
    """What the inbox filters, counts and sorts an open complaint by."""

    id: int
    status: str
    category: str
    client: int
    assignee: int | None
    kind: str
    customer: int
    order: int
    due: datetime | None  # the next deadline (sla.next_deadline)
    running: bool  # its clock runs: it can be due soon or overdue
    created: datetime
    urgency: datetime  # where it sorts by deadline (see _urgency)

    def sort_key(self, name: str) -> tuple:
        if name == "deadline":
            return (self.urgency, self.id)
        if name == "age":
            return (self.created, self.id)
        return (self.id, self.id)

    def bucket(self, now: datetime, soon: datetime) -> str:
        if not self.running or self.due is None:
            return ""
        if self.due <= now:
            return "overdue"
        return "due_soon" if self.due <= soon else ""


# Complaints waiting for the customer sort after every running one, by the time they will have
# left when the clock starts again: nothing is due from QC while the customer is away.
PAUSED_BAND = datetime(5000, 1, 1, tzinfo=UTC)


def _urgency(due: datetime | None, running: bool, paused_at: datetime | None, now: datetime):
    if due is None:
        return NO_DEADLINE
    if running:
        return due
    return PAUSED_BAND + (due - (paused_at or now))


def next_deadline_of(status, first_answer_due, first_answered, resolution_due, resolved):
    """As ``sla.next_deadline``, on plain values."""
    if status not in OPEN_VALUES or resolved is not None:
        return None
    if first_answered is None and first_answer_due is not None:
        return first_answer_due
    return resolution_due


class WorkingSet:
    def __init__(self, stamp: tuple, rows: list[Row], names: dict[int, str]):
        self.stamp = stamp
        self.built = time.monotonic()
        self.rows = rows
        self.names = names  # customer id -> name, case-folded
        self.sorted = {name: sorted(rows, key=lambda r, n=name: r.sort_key(n)) for name in _SORTS}
        self.keys = {name: [r.sort_key(name) for r in rows] for name, rows in self.sorted.items()}
        self.cells = _cells(rows)
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
    clock_runs = {s.value for s in RUNNING}
    now = datetime.now(UTC)
    for r in db.session.execute(query):
        status = _value(r.status)
        due = next_deadline_of(
            status, r.first_answer_due_at, r.first_answered_at, r.resolution_due_at, r.resolved_at
        )
        running = status in clock_runs and r.sla_paused_at is None and r.resolved_at is None
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


# --- counting: cells of equal filter values -----------------------------------------------------

_DIMENSIONS = ("status", "category", "client", "assignee", "kind", "deadline")


def _cells(rows: Iterable[Row]) -> list[tuple]:
    """Rows grouped by (status, category, client, assignee, kind), as the strings a filter
    compares with: the sorted due times of those whose clock runs (their deadline bucket
    depends on the time of the request), and how many others."""
    cells: dict[tuple, list] = {}
    for r in rows:
        key = (r.status, r.category, str(r.client), _assignee_key(r.assignee), r.kind)
        cell = cells.setdefault(key, [[], 0])
        if r.running and r.due is not None:
            cell[0].append(r.due)
        else:
            cell[1] += 1
    return [(key, sorted(dues), others) for key, (dues, others) in cells.items()]


def _assignee_key(assignee: int | None) -> str:
    return "none" if assignee is None else str(assignee)


def _wanted(f: InboxFilter, me_id: int | None) -> tuple:
    """The filter as the values of an entry (None: any)."""
    status = None if f.status in ("open", "all") else f.status
    assignee = None
    if f.assignee == "me":
        assignee = str(me_id) if me_id is not None else "-"
    elif f.assignee is not None:
        assignee = f.assignee
    return (
        status,
        f.category,
        str(f.client_id) if f.client_id else None,
        assignee,
        f.kind.value if f.kind else None,
        f.deadline,
    )


@dataclass
class InboxCounts:
    """Per filter value, how many open complaints the filter would show with that value chosen
    (each dimension ignores its own choice). Missing when the open working set is not kept."""

    status: dict[str, int] = field(default_factory=dict)
    by: dict[str, Counter] = field(default_factory=dict)
    total: int | None = None  # open complaints matching the whole filter
    available: bool = True

    def get(self, dimension: str, value) -> int | None:
        if dimension == "status":
            return self.status.get(str(value))
        counter = self.by.get(dimension)
        if counter is None:
            return None
        return counter.get(str(value) if value is not None else "none", 0)

    def values(self, dimension: str) -> list[str]:
        return [v for v, n in (self.by.get(dimension) or {}).items() if n and v not in ("", "none")]


def _count(cells: list[tuple], f: InboxFilter, me_id: int | None, now: datetime):
    """One pass over the cells: a cell that meets the whole filter counts for every dimension;
    one that misses a single dimension counts for that dimension only (it would show were that
    choice changed). The deadline dimension splits a cell by the time of the request."""
    soon = now + due_soon_window()
    wanted = _wanted(f, me_id)
    active = [(i, want) for i, want in enumerate(wanted[:5]) if want is not None]
    deadline = wanted[5]
    counters: list[dict] = [{} for _ in _DIMENSIONS]
    total = 0
    for key, dues, others in cells:
        missed, misses = -1, 0
        for i, want in active:
            if key[i] != want:
                misses += 1
                if misses > 1:
                    break
                missed = i
        if misses > 1:
            continue
        overdue = bisect_right(dues, now) if dues else 0
        due_soon = (bisect_right(dues, soon) - overdue) if dues else 0
        if deadline is None:
            n = len(dues) + others
        else:
            n = overdue if deadline == "overdue" else due_soon
        if misses == 1:
            if n:
                counter = counters[missed]
                counter[key[missed]] = counter.get(key[missed], 0) + n
            continue
        total += n
        if n:
            for i in range(5):
                counter = counters[i]
                counter[key[i]] = counter.get(key[i], 0) + n
        buckets = counters[5]
        buckets["overdue"] = buckets.get("overdue", 0) + overdue
        buckets["due_soon"] = buckets.get("due_soon", 0) + due_soon
    counts = InboxCounts(total=total)
    counts.status = {s.value: counters[0].get(s.value, 0) for s in OPEN}
    counts.status["open"] = sum(counts.status.values())
    for i, dim in enumerate(_DIMENSIONS[1:], start=1):
        counts.by[dim] = Counter(counters[i])
    me = str(me_id) if me_id is not None else "-"
    counts.by["assignee"]["me"] = counts.by["assignee"].get(me, 0)
    return counts


def due_soon_window() -> timedelta:
    return timedelta(minutes=current_app.config["COMPLAINT_DUE_SOON_MINUTES"])


# --- SQL building blocks (the archive, and a backlog too large to keep) ------------------------


def _dt(value: datetime):
    return type_coerce(literal(value, UTCDateTime), UTCDateTime)


def next_due():
    """The next deadline as SQL (as ``sla.next_deadline``); NO_DEADLINE when there is none."""
    still_open = Complaint.status.in_(OPEN) & Complaint.resolved_at.is_(None)
    return case(
        (
            still_open
            & Complaint.first_answered_at.is_(None)
            & Complaint.first_answer_due_at.is_not(None),
            Complaint.first_answer_due_at,
        ),
        (still_open & Complaint.resolution_due_at.is_not(None), Complaint.resolution_due_at),
        else_=_dt(NO_DEADLINE),
    )


def _running():
    return and_(
        Complaint.status.in_(RUNNING),
        Complaint.sla_paused_at.is_(None),
        Complaint.resolved_at.is_(None),
    )


def deadline_condition(which: str, now: datetime):
    """Overdue: the next deadline has passed (``sla``: nothing left). Due soon: it comes within
    ``COMPLAINT_DUE_SOON_MINUTES``. Only while the clock runs."""
    due = next_due()
    if which == "overdue":
        return and_(_running(), due <= _dt(now))
    return and_(_running(), due > _dt(now), due <= _dt(now + due_soon_window()))


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


def _conditions(
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


def _row_level(f: InboxFilter, search: Search | None) -> bool:
    """Does counting need the rows (no index answers it)?"""
    return bool(f.category or f.client_id or f.deadline or (search and search.by_name))


def capped_count(where: list, cap: int | None = None) -> int:
    """How many complaints match, counting no further than ``cap`` (COUNT_CAP) + 1."""
    cap = COUNT_CAP if cap is None else cap
    inner = select(literal(1).label("one")).select_from(Complaint).where(*where).limit(cap + 1)
    return db.session.scalar(select(func.count()).select_from(inner.subquery()))


# --- pages --------------------------------------------------------------------------------------


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
        counts = _count(ws.cells if found is None else _cells(found), f, me_id, now)
        match = _row_filter(f, me_id, now, found)
        if not f.open_scope:  # facet counts are given for open complaints only
            counts.by = {}
    else:
        counts = InboxCounts(available=False)

    names = None
    if search is not None and search.by_name and not (f.open_scope and ws is not None):
        base = _conditions(f, me_id=me_id, now=now, search=None, names=None)
        names = name_matches(search.words, base, SEARCH_CAP)

    def where_for(walk: str | None = None) -> list:
        return _conditions(f, me_id=me_id, now=now, search=search, names=names, walk=walk)

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
    elif not _row_level(f, search) or names is not None or (search and not search.by_name):
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

    tail_where = [*where, next_due() == _dt(NO_DEADLINE)]
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
                mark = tuple_(_dt(last[0]), literal(last[1]))
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
            value = _dt(last[0]) if isinstance(last[0], datetime) else literal(last[0])
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


# --- what the filters offer -------------------------------------------------------------------


def assignable_users() -> list[User]:
    """Who complaints can be given to from the inbox: active QC staff and supervisors."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.active.is_(True), User.role.in_((Role.QC, Role.SUPERVISOR)))
            .order_by(User.name)
        )
    )


def users_by_id(ids: Iterable[int]) -> dict[int, User]:
    ids = {int(i) for i in ids}
    if not ids:
        return {}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}


def complaints_by_ids(ids: Iterable[int]) -> list[Complaint]:
    """The selected complaints of a bulk action, in number order, locked on PostgreSQL for
    the transaction (a colleague acting at the same moment waits, then sees the result)."""
    ids = sorted({int(i) for i in ids})
    if not ids:
        return []
    query = select(Complaint).where(Complaint.id.in_(ids)).order_by(Complaint.id)
    if db.engine.dialect.name == "postgresql":
        query = query.with_for_update()
    return list(db.session.scalars(query))
