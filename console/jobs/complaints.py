"""Periodic work on complaints: deadline warnings and escalations."""

from __future__ import annotations

from console.jobs.context import job
from console.models import utcnow
from console.services.complaints import deadline_alerts


@job
def warn_deadlines() -> str:
    """Warn assignees before a deadline, tell supervisors when one is missed (once each); their
    emails and webhooks go out with the next ``console.jobs.notifications.send_due``."""
    result = deadline_alerts.check_deadlines(utcnow())
    return f"warned {result.warned}, escalated {result.escalated}"
