"""Counting: cells of equal filter values.

The counts beside the filters are of open complaints only, computed from the working set: its
rows grouped into cells of equal filter values (``cells_of``), then one pass over the cells per
request (``count_cells``).
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from console.services.complaints.inbox.filters import InboxFilter, Row
from console.services.complaints.sla import due_soon_window
from console.services.complaints.status import OPEN

_DIMENSIONS = ("status", "category", "client", "assignee", "kind", "deadline")


def cells_of(rows: Iterable[Row]) -> list[tuple]:
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


def count_cells(cells: list[tuple], f: InboxFilter, me_id: int | None, now: datetime):
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
