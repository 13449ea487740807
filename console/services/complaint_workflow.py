"""What QC does with a complaint, step by step: each step changes the complaint, adds a line to
its timeline and to the audit log, in the caller's transaction (the caller commits)."""

from __future__ import annotations

from datetime import datetime

from console.extensions import db
from console.models import Complaint, ComplaintEvent, ComplaintStatus, NotificationKind, User
from console.services import audit, notifications


def add_event(
    complaint: Complaint,
    kind: str,
    *,
    by: User | None,
    now: datetime,
    body: str | None = None,
    data: dict | None = None,
) -> ComplaintEvent:
    event = ComplaintEvent(
        complaint=complaint,
        at=now,
        actor_id=by.id if by is not None else None,
        kind=kind,
        body=body,
        data=data,
    )
    db.session.add(event)
    return event


def assign(
    complaint: Complaint,
    *,
    assignee: User | None,
    department: str | None = None,
    note: str | None = None,
    by: User,
    now: datetime,
) -> None:
    """Give the complaint to a person and/or hand it over to a department, with a note."""
    before = {
        "assignee": complaint.assignee_id,
        "department": complaint.department,
    }
    complaint.assignee = assignee
    complaint.assignee_id = assignee.id if assignee is not None else None
    if department is not None:
        complaint.department = department or None
    if complaint.status == ComplaintStatus.NEW and assignee is not None:
        complaint.status = ComplaintStatus.IN_PROGRESS
    data = {
        "assignee": complaint.assignee_id,
        "assignee_name": assignee.name if assignee is not None else None,
        "department": complaint.department,
        "before": before,
    }
    add_event(complaint, "assigned", by=by, now=now, body=note, data=data)
    audit.record("complaint.assigned", actor=by, entity=complaint, details=data)
    if assignee is not None and assignee.id != by.id:
        notifications.complaint_event(
            NotificationKind.ASSIGNED,
            complaint,
            now=now,
            title=f"#{complaint.id} assigned to you",
            body=note,
            recipients=[assignee],
        )
