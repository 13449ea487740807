"""Read-side queries over complaints for the QC inbox."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from console.extensions import db
from console.models import Complaint, ComplaintStatus

OPEN = (ComplaintStatus.NEW, ComplaintStatus.IN_PROGRESS, ComplaintStatus.WAITING_CUSTOMER)


def open_complaints(page: int = 1, per_page: int = 50):
    query = (
        select(Complaint)
        .options(
            joinedload(Complaint.customer),
            joinedload(Complaint.client),
            joinedload(Complaint.technician),
            joinedload(Complaint.assignee),
        )
        .where(Complaint.status.in_(OPEN))
        .order_by(Complaint.first_answer_due_at.asc(), Complaint.id.asc())
    )
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def counts() -> dict[str, int]:
    rows = db.session.execute(
        select(Complaint.status, func.count()).group_by(Complaint.status)
    ).all()
    return {str(status): n for status, n in rows}
