"""The filter of the QC inbox: what a view shows (``InboxFilter``, parsed leniently from the
query string) and where a page starts or ends (``Cursor``), with the statuses and choices they
are made of."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from console.ids import MAX_ID, optional_id
from console.models import ComplaintKind, ComplaintStatus
from console.services.complaints.status import OPEN_VALUES

# The status choices of the inbox: "open" (the default), each status, or everything.
STATUS_CHOICES = ("open", *(s.value for s in ComplaintStatus), "all")
DEADLINE_CHOICES = ("overdue", "due_soon")
SORT_CHOICES = ("deadline", "-deadline", "age", "-age", "number", "-number")
DEFAULT_SORT = "deadline"

# The largest sort key a cursor may carry (a BIGINT): by number a row id, by deadline a
# complaint's ``deadline_rank``.
_MAX_KEY = 2**63 - 1


@dataclass(frozen=True)
class Cursor:
    """Where a page starts or ends: the sort key of a row (its creation time by age, a whole
    number otherwise) and its id (the tie-breaker)."""

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
        if row_id > MAX_ID:
            return None
        if not dated:
            return cls(int(key), row_id) if int(key) <= _MAX_KEY else None
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
            client_id=optional_id(client),
            assignee=(assignee if assignee in ("me", "none") or optional_id(assignee) else None),
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
        """Is the sort key a time (by age), not a whole number (by number, by deadline)?"""
        return self.sort_name == "age"

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
        """The statuses this view shows: with a deadline filter the open ones only (a finished
        complaint has no deadline)."""
        if self.status == "all":
            chosen = frozenset(s.value for s in ComplaintStatus)
        elif self.status == "open":
            chosen = OPEN_VALUES
        else:
            chosen = frozenset({self.status})
        return chosen & OPEN_VALUES if self.deadline else chosen
