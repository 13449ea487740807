"""Technicians as QC sees them: who can be held responsible for a client's job, blocking one
(DOMAIN.md, 003: no new orders; shown as blocked everywhere), the complaint that did it, and
the admin's list of technicians. The anti-poaching steps that lead to a block, and lifting it,
are ``services.complaints.poaching``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, or_, select

from console.extensions import db
from console.models import (
    ActionKind,
    Complaint,
    ComplaintAction,
    ComplaintKind,
    Order,
    Technician,
    TechnicianStatus,
    User,
)
from console.services import audit
from console.services.complaints.status import OPEN

CANDIDATES_SHOWN = 500


def block_technician(
    technician: Technician,
    *,
    by: User,
    now: datetime,
    reason: str | None,
    complaint: Complaint | None = None,
) -> None:
    """No new orders for this technician; shown as blocked everywhere (DOMAIN.md, 003). The
    complaint's timeline shows it through its "block" action (the caller records it)."""
    technician.status = TechnicianStatus.BLOCKED
    technician.blocked_at = now
    technician.blocked_by_id = by.id if by is not None else None
    technician.blocked_reason = reason
    details = {"reason": reason, "complaint": complaint.id if complaint is not None else None}
    audit.record("technician.blocked", actor=by, entity=technician, details=details)


def responsible_candidates(client_id: int, *, first: Iterable[Technician | None] = ()):
    """Who can be held responsible for a client's job (a valid complaint, a repeat repair): its
    own technicians and the independent masters, by name, never another client's; ``first``
    (the technicians of the visits concerned, usually the one) at the top. At most
    ``CANDIDATES_SHOWN`` from the list: a choice among more is no choice."""
    found = db.session.scalars(
        select(Technician)
        .where(or_(Technician.client_id == client_id, Technician.client_id.is_(None)))
        .order_by(Technician.name, Technician.id)
        .limit(CANDIDATES_SHOWN)
    ).all()
    first = [t for t in dict.fromkeys(first) if t is not None]
    return first + [t for t in found if t not in first]


def blocking_complaint(technician: Technician) -> Complaint | None:
    """The complaint whose block action blocked this technician last, if one did."""
    return db.session.scalar(
        select(Complaint)
        .join(ComplaintAction, ComplaintAction.complaint_id == Complaint.id)
        .where(
            ComplaintAction.kind == ActionKind.BLOCK,
            ComplaintAction.charged_technician_id == technician.id,
        )
        .order_by(ComplaintAction.created_at.desc(), ComplaintAction.id.desc())
        .limit(1)
    )


# --- the admin's list of technicians ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TechnicianRow:
    technician: Technician
    blocked_by: User | None
    charged: Decimal  # fines and refunds charged to them, all time
    flagged_orders: int  # orders that arrived while they were blocked
    open_cases: int  # open anti-poaching cases against them


def technicians_overview(*, status: TechnicianStatus | None = None) -> list[TechnicianRow]:
    """Technicians with what QC decided about them, blocked ones first."""
    query = select(Technician).order_by(
        (Technician.status == TechnicianStatus.BLOCKED).desc(),
        Technician.under_review_since.is_(None),
        Technician.name,
    )
    if status is not None:
        query = query.where(Technician.status == status)
    technicians = list(db.session.scalars(query))
    ids = [t.id for t in technicians]
    if not ids:
        return []
    charged = dict(
        db.session.execute(
            select(ComplaintAction.charged_technician_id, func.sum(ComplaintAction.amount))
            .where(
                ComplaintAction.charged_technician_id.in_(ids),
                ComplaintAction.kind.in_((ActionKind.FINE, ActionKind.REFUND)),
            )
            .group_by(ComplaintAction.charged_technician_id)
        ).all()
    )
    flagged = dict(
        db.session.execute(
            select(Order.technician_id, func.count(Order.id))
            .where(Order.technician_id.in_(ids), Order.blocked_technician_flag.is_(True))
            .group_by(Order.technician_id)
        ).all()
    )
    cases = dict(
        db.session.execute(
            select(Complaint.technician_id, func.count(Complaint.id))
            .where(
                Complaint.technician_id.in_(ids),
                Complaint.kind == ComplaintKind.POACHING,
                Complaint.status.in_(OPEN),
            )
            .group_by(Complaint.technician_id)
        ).all()
    )
    blockers = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({t.blocked_by_id for t in technicians} - {None}))
        )
    }
    return [
        TechnicianRow(
            technician=t,
            blocked_by=blockers.get(t.blocked_by_id),
            charged=Decimal(charged.get(t.id) or 0),
            flagged_orders=flagged.get(t.id, 0),
            open_cases=cases.get(t.id, 0),
        )
        for t in technicians
    ]
