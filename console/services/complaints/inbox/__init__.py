"""Read-side queries of the QC inbox: which complaints a filter selects, one page of them, and
how many there are per filter value, all answered by the database along its indexes.

* ``filters``: what a view shows, parsed leniently from the query string (``InboxFilter``), and
  where a page starts or ends (``Cursor``).
* ``search``: the most specific reading of the search box (a complaint number, a phone number,
  an order number, else a part of a customer's name, through the name search index).
* ``query``: the filter as SQL, keyset pages in each sort order, the counts beside the filters
  in one statement, and the totals.
* ``choices``: what the filters offer (who complaints can be given to) and the complaints of a
  bulk action.

Deadlines follow ``console.services.complaints.sla``: its ``overdue_sql`` and ``due_soon_sql``
are what the deadline filters and counts ask, and the deadline order is the ``deadline_rank``
that its ``deadline_order`` keeps on every complaint.

Callers import from the package (``from console.services.complaints.inbox import InboxFilter``).
"""

from console.services.complaints.inbox.choices import (
    assignable_users,
    complaints_by_ids,
    users_by_id,
)
from console.services.complaints.inbox.filters import (
    DEADLINE_CHOICES,
    SORT_CHOICES,
    STATUS_CHOICES,
    Cursor,
    InboxFilter,
)
from console.services.complaints.inbox.query import (
    COUNT_CAP,
    PER_PAGE,
    Elsewhere,
    Inbox,
    InboxCounts,
    InboxPage,
    inbox,
    inbox_counts,
    inbox_page,
    inbox_version,
)
from console.services.complaints.inbox.search import phone_candidates
from console.services.complaints.status import OPEN

__all__ = [
    "COUNT_CAP",
    "DEADLINE_CHOICES",
    "OPEN",
    "PER_PAGE",
    "SORT_CHOICES",
    "STATUS_CHOICES",
    "Cursor",
    "Elsewhere",
    "Inbox",
    "InboxCounts",
    "InboxFilter",
    "InboxPage",
    "assignable_users",
    "complaints_by_ids",
    "inbox",
    "inbox_counts",
    "inbox_page",
    "inbox_version",
    "phone_candidates",
    "users_by_id",
]
