"""Periodic work on complaints: deadline warnings and escalations."""

from __future__ import annotations

from console.jobs.context import job
from console.models import utcnow
from console.services import deadline_alerts, notifications


@job
def warn_deadlines() -> str:
    """Warn assignees before a deadline, tell supervisors when one is missed (once each);
    then send the notices' emails and webhooks (without RQ, in this process)."""
    result = deadline_alerts.check_deadlines(utcnow())
    notifications.send_committed()
    return f"warned {result.warned}, escalated {result.escalated}"
