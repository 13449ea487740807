"""Sending notification deliveries (email, webhook): ``send_due`` is the only sender.

It runs every few seconds (``console.jobs.PERIODIC``) and makes one attempt at each pending
delivery whose time has come: a new one (due when its transaction recorded it) or a retry (each
row keeps its own schedule, ``NOTIFY_RETRY_MINUTES``). Nothing else enqueues deliveries, so
nothing is lost when a job or Redis is (see ``console.services.notify.notifications``).
"""

from __future__ import annotations

from console.database import read_only
from console.jobs.context import job
from console.models import utcnow
from console.services.notify import notifications


@job
def send_due() -> int:
    """Attempt every pending delivery that is due; returns how many were due. Safe to run in
    several processes at once: each delivery is claimed before it is sent."""
    now = utcnow()
    with read_only():  # the scan takes no write lock; each claim takes its own
        ids = notifications.due_delivery_ids(now)
    for delivery_id in ids:
        notifications.deliver(delivery_id, now=now)
    return len(ids)
