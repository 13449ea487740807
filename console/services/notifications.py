"""Tell people about complaints: an in-app notice for each recipient (shown without reloading),
and the same news by email and webhook, sent by background jobs with retries.

Everything is recorded in the caller's transaction first (``Notification`` and
``NotificationDelivery`` rows), so a failed send loses nothing: the delivery stays pending or
failed, visible to admins, and can be retried.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from console.extensions import db
from console.models import Complaint, Notification, NotificationKind, Role, User


def qc_team() -> list[User]:
    """Who hears about a complaint nobody holds yet: every active QC user."""
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.QC, User.active.is_(True)).order_by(User.id)
        )
    )


def supervisors() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.SUPERVISOR, User.active.is_(True))
            .order_by(User.id)
        )
    )


def recipients_for(complaint: Complaint) -> list[User]:
    """The assignee, or the QC team when the complaint is unassigned."""
    if complaint.assignee is not None and complaint.assignee.active:
        return [complaint.assignee]
    return qc_team()


def complaint_event(
    kind: NotificationKind,
    complaint: Complaint,
    *,
    now: datetime,
    title: str,
    body: str | None = None,
    recipients: list[User] | None = None,
) -> list[Notification]:
    """Record the notices for ``kind`` about ``complaint`` (the caller commits)."""
    users = recipients if recipients is not None else recipients_for(complaint)
    notices = [
        Notification(
            user_id=user.id,
            kind=kind,
            complaint_id=complaint.id,
            title=title,
            body=body,
            created_at=now,
        )
        for user in users
    ]
    db.session.add_all(notices)
    return notices
