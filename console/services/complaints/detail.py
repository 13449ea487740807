"""What the complaint page reads: the complaint with its call and recording, and the people a
complaint can be given to or blamed on (the customer's history: ``services.customers``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from console.extensions import db
from console.models import (
    CallAttempt,
    Complaint,
    ComplaintAction,
    ComplaintEvent,
    ComplaintStatus,
    Response,
    Technician,
    User,
)
from console.services import technicians


def load(complaint_id: int) -> Complaint | None:
    """The complaint with what its page shows, in a handful of queries."""
    return db.session.scalar(
        select(Complaint)
        .options(
            joinedload(Complaint.client),
            joinedload(Complaint.customer),
            joinedload(Complaint.technician),
            joinedload(Complaint.assignee),
            joinedload(Complaint.responsible_technician),
            joinedload(Complaint.responsible_user),
            selectinload(Complaint.categories),
            selectinload(Complaint.events).joinedload(ComplaintEvent.actor),
            selectinload(Complaint.actions).joinedload(ComplaintAction.charged_technician),
        )
        .where(Complaint.id == complaint_id)
    )


@dataclass(frozen=True, slots=True)
class TheCall:
    """The call whose answers opened the complaint."""

    submitted_at: datetime
    operator: User | None
    score: object
    comment: str | None
    recording_url: str | None  # only http(s) links are shown


def _safe_link(url: str | None) -> str | None:
    if not url:
        return None
    return url if urlsplit(url).scheme in ("http", "https") else None


def the_call(complaint: Complaint) -> TheCall | None:
    if complaint.response_id is None:
        return None
    response = db.session.scalar(
        select(Response)
        .options(joinedload(Response.operator), joinedload(Response.attempt))
        .where(Response.id == complaint.response_id)
    )
    if response is None:
        return None
    attempt: CallAttempt | None = response.attempt
    return TheCall(
        submitted_at=response.submitted_at,
        operator=response.operator,
        score=response.score,
        comment=response.comment,
        recording_url=_safe_link(attempt.recording_url if attempt is not None else None),
    )


def staff() -> list[User]:
    """Members of staff who can be named responsible."""
    return list(db.session.scalars(select(User).where(User.active.is_(True)).order_by(User.name)))


def technicians_for(complaint: Complaint) -> list[Technician]:
    """Technicians who can be named responsible: the client's own and independent ones, the
    order's technician first."""
    return technicians.responsible_candidates(complaint.client_id, first=[complaint.technician])


def merge_candidates(complaint: Complaint, limit: int = 20) -> list[Complaint]:
    """The customer's other complaints of the same kind a duplicate could go into."""
    return list(
        db.session.scalars(
            select(Complaint)
            .where(
                Complaint.customer_id == complaint.customer_id,
                Complaint.kind == complaint.kind,
                Complaint.id != complaint.id,
                Complaint.status != ComplaintStatus.MERGED,
            )
            .order_by(Complaint.created_at.desc())
            .limit(limit)
        )
    )
