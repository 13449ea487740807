"""Sending notification deliveries (email, webhook): one attempt per job, retries by the clock.

``deliver`` is enqueued once per delivery when the transaction that recorded it commits; it is
enqueued without RQ retries because the delivery row keeps its own schedule
(``NOTIFY_RETRY_MINUTES``) and ``retry_due`` (every minute) makes the later attempts.
"""

from __future__ import annotations

from console.jobs.context import job
from console.models import utcnow
from console.services import notifications


@job
def deliver(delivery_id: int) -> str | None:
    """One attempt at one delivery; returns its status afterwards (None: not due / taken)."""
    status = notifications.deliver(delivery_id)
    return status.value if status is not None else None


@job
def retry_due() -> int:
    """Attempt every pending delivery whose next attempt is due (including any whose first
    hand-over was lost). Safe to run in several processes: each delivery is claimed first."""
    now = utcnow()
    ids = notifications.due_delivery_ids(now)
    for delivery_id in ids:
        notifications.deliver(delivery_id, now=now)
    return len(ids)
