"""Read-side queries of the QC inbox: which complaints a filter selects, one page of them, and
how many there are per filter value.

The inbox must stay fast at 100,000 complaints (``bench/inbox.py``). What makes it so, module by
module:

* ``filters``: what a view shows, parsed leniently from the query string (``InboxFilter``), and
  where a page starts or ends (``Cursor``).
* ``working_set``: **the open working set**: the open complaints' filter and sort fields, kept
  in memory per process until the timeline moves; filters, sorts, pages and every count beside
  the filters of an open view are computed from it in Python.
* ``counting``: the counts beside the filters, in one pass over cells of equal filter values.
* ``search``: the most specific reading of the search box (a complaint number, a phone number,
  an order number, else a name).
* ``conditions``: the filter as SQL, for the archive and a backlog too large to keep; totals
  counted up to ``COUNT_CAP``.
* ``pages``: **keyset pagination**, never ``OFFSET``: one page of the inbox in its sort order,
  from the working set or along an index.
* ``choices``: what the filters offer (who complaints can be given to) and the complaints of a
  bulk action.

Deadlines follow ``console.services.complaints.sla.deadline_state``: the next deadline is the
first answer until it is given, then the resolution; a complaint waiting for the customer has
its clock stopped and is never "due soon" or "overdue"; a resolved, closed or merged one has no
deadline.

Callers import from the package (``from console.services.complaints.inbox import InboxFilter``).
(The function ``working_set`` is not re-exported: here the name is its module.)
"""

from console.services.complaints.inbox.choices import (
    assignable_users,
    complaints_by_ids,
    users_by_id,
)
from console.services.complaints.inbox.counting import InboxCounts
from console.services.complaints.inbox.filters import (
    DEADLINE_CHOICES,
    SORT_CHOICES,
    STATUS_CHOICES,
    Cursor,
    InboxFilter,
)
from console.services.complaints.inbox.pages import (
    PER_PAGE,
    Inbox,
    InboxPage,
    inbox,
    inbox_counts,
    inbox_page,
)
from console.services.complaints.inbox.search import phone_candidates
from console.services.complaints.inbox.working_set import inbox_version
from console.services.complaints.status import OPEN

__all__ = [
    "DEADLINE_CHOICES",
    "OPEN",
    "PER_PAGE",
    "SORT_CHOICES",
    "STATUS_CHOICES",
    "Cursor",
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
