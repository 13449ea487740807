"""The groups of complaint statuses the rules speak of, defined once for the workflow, the
deadlines, the inbox and the reports.

A complaint is open while QC still works on it, and finished once nothing more is due from QC:
resolved, closed, or merged (a merged duplicate lives on in the complaint it went into). Its
deadline clocks run only while it is open and not waiting for the customer.
"""

from __future__ import annotations

from console.models import ComplaintStatus

OPEN = (ComplaintStatus.NEW, ComplaintStatus.IN_PROGRESS, ComplaintStatus.WAITING_CUSTOMER)
FINISHED = (ComplaintStatus.RESOLVED, ComplaintStatus.CLOSED, ComplaintStatus.MERGED)
CLOCK_RUNS = (ComplaintStatus.NEW, ComplaintStatus.IN_PROGRESS)

OPEN_VALUES = frozenset(s.value for s in OPEN)
