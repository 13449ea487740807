"""Deadline warnings and escalations (QC desk SLA).

Before a deadline (``COMPLAINT_DUE_SOON_MINUTES``) the assignee — or the QC team while nobody
holds the complaint — is warned; when it is missed the supervisors are told as well (DOMAIN.md,
001: every customer is answered within 12 hours; 002: deadlines of complaint review). Each
happens once per deadline: the complaint's ``*_warned_at`` / ``*_escalated_at`` column is
claimed with a conditional UPDATE in the same transaction as the timeline line and the notices,
so two processes running the check at once never warn twice.

Only the deadline that is next counts (the first answer until it is given, then the
resolution), as on the badge; a paused complaint (waiting for the customer) is left alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update

from console.database import unit_of_work
from console.extensions import db
from console.models import Complaint, NotificationKind
from console.services.complaints import sla
from console.services.complaints import workflow as complaint_workflow
from console.services.notify import notifications

WARNED = "deadline_warning"  # timeline kinds (ComplaintEvent.kind)
MISSED = "deadline_missed"

_COLUMNS = {
    sla.ANSWER: ("answer_warned_at", "answer_escalated_at"),
    sla.RESOLUTION: ("resolution_warned_at", "resolution_escalated_at"),
}

_LABEL = {sla.ANSWER: "first answer", sla.RESOLUTION: "resolution"}


@dataclass
class CheckResult:
    warned: int = 0
    escalated: int = 0


def _candidates(now: datetime) -> list[int]:
    """Open, running complaints whose next deadline is within the warning window and that
    still lack the warning or the escalation for it."""
    soon = now + sla.due_soon_window()
    answer = and_(
        Complaint.first_answered_at.is_(None),
        Complaint.first_answer_due_at <= soon,
        or_(
            Complaint.answer_warned_at.is_(None),
            and_(Complaint.answer_escalated_at.is_(None), Complaint.first_answer_due_at <= now),
        ),
    )
    resolution = and_(
        Complaint.first_answered_at.is_not(None),
        Complaint.resolution_due_at <= soon,
        or_(
            Complaint.resolution_warned_at.is_(None),
            and_(Complaint.resolution_escalated_at.is_(None), Complaint.resolution_due_at <= now),
        ),
    )
    return list(
        db.session.scalars(
            select(Complaint.id)
            .where(sla.clock_runs_sql(), or_(answer, resolution))
            .order_by(Complaint.id)
        )
    )


def _claim(complaint_id: int, column: str, now: datetime) -> bool:
    """Set ``column`` to now if nobody has: True for the one process that did."""
    attr = getattr(Complaint, column)
    result = db.session.execute(
        update(Complaint)
        .where(Complaint.id == complaint_id, attr.is_(None))
        .values({column: now})
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _unique(users):
    seen, out = set(), []
    for user in users:
        if user.id not in seen:
            seen.add(user.id)
            out.append(user)
    return out


def check_complaint(complaint: Complaint, now: datetime) -> str | None:
    """Warn or escalate one complaint if its next deadline calls for it (the caller commits).
    Returns "warned", "escalated" or None."""
    state = sla.deadline_state(complaint, now)
    if state.state not in (sla.DUE_SOON, sla.OVERDUE):
        return None
    warned_col, escalated_col = _COLUMNS[state.which]
    label = _LABEL[state.which]
    data = {"deadline": state.which, "due_at": state.due_at.isoformat()}
    if state.state == sla.OVERDUE:
        if getattr(complaint, escalated_col) is not None or not _claim(
            complaint.id, escalated_col, now
        ):
            return None
        _claim(complaint.id, warned_col, now)  # too late for a warning now
        db.session.refresh(complaint)
        complaint_workflow.add_event(complaint, MISSED, by=None, now=now, data=data)
        recipients = _unique(
            [*notifications.recipients_for(complaint), *notifications.supervisors()]
        )
        notifications.complaint_event(
            NotificationKind.OVERDUE,
            complaint,
            now=now,
            title=f"Complaint #{complaint.id}: the {label} is overdue",
            body=f"It was due at {state.due_at:%Y-%m-%d %H:%M} UTC.",
            recipients=recipients,
        )
        return "escalated"
    if getattr(complaint, warned_col) is not None or not _claim(complaint.id, warned_col, now):
        return None
    db.session.refresh(complaint)
    complaint_workflow.add_event(complaint, WARNED, by=None, now=now, data=data)
    notifications.complaint_event(
        NotificationKind.DUE_SOON,
        complaint,
        now=now,
        title=f"Complaint #{complaint.id}: the {label} is due soon",
        body=f"Due at {state.due_at:%Y-%m-%d %H:%M} UTC.",
    )
    return "warned"


def check_deadlines(now: datetime) -> CheckResult:
    """The periodic check: warn and escalate every complaint that needs it, one transaction
    per complaint (a failure on one doesn't hold back the others)."""
    result = CheckResult()
    for complaint_id in _candidates(now):
        # SQLite: take the write lock before reading, or a concurrent writer makes our claim
        # fail on a stale snapshot; PostgreSQL: the conditional UPDATE's row lock does it.
        with unit_of_work():
            complaint = db.session.get(Complaint, complaint_id)
            outcome = check_complaint(complaint, now) if complaint is not None else None
        if outcome == "warned":
            result.warned += 1
        elif outcome == "escalated":
            result.escalated += 1
    return result
