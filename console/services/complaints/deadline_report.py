"""The deadline report: are customers answered within 12 hours (DOMAIN.md, 001), what is overdue
right now, and who holds it (002: the manager sees at any moment where each complaint stands)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import selectinload

from console.extensions import db
from console.models import Client, Complaint, ComplaintStatus, User
from console.services.complaints import sla
from console.services.complaints.status import OPEN


@dataclass
class Row:
    """One assignee's line (``user`` None: nobody holds those complaints)."""

    user: User | None = None
    opened: int = 0  # complaints opened in the period
    answered_on_time: int = 0
    answered_late: int = 0
    unanswered_overdue: int = 0  # no answer yet, and its deadline has passed
    resolved: int = 0
    resolved_on_time: int = 0
    open_now: int = 0  # currently open (whenever opened)
    overdue_now: int = 0  # currently open and past the deadline that is next

    @property
    def answer_decided(self) -> int:
        """Complaints whose first-answer deadline is settled: answered, or missed."""
        return self.answered_on_time + self.answered_late + self.unanswered_overdue

    @property
    def answered_on_time_share(self) -> float | None:
        return self.answered_on_time / self.answer_decided if self.answer_decided else None

    @property
    def resolved_on_time_share(self) -> float | None:
        return self.resolved_on_time / self.resolved if self.resolved else None

    def add(self, other: Row) -> None:
        for name in (
            "opened",
            "answered_on_time",
            "answered_late",
            "unanswered_overdue",
            "resolved",
            "resolved_on_time",
            "open_now",
            "overdue_now",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class Report:
    since: datetime
    until: datetime
    rows: list[Row] = field(default_factory=list)
    total: Row = field(default_factory=Row)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def deadline_report(*, now: datetime, days: int = 30, client: Client | None = None) -> Report:
    """Per assignee: of the complaints opened in the last ``days``, how many got their first
    answer by the deadline (working time and pauses included, as the due time already is),
    how many late or not at all; how many were resolved on time; and, whenever opened, how many
    are open and overdue now."""
    since = now - timedelta(days=days)
    scope = [Complaint.status != ComplaintStatus.MERGED]
    if client is not None:
        scope.append(Complaint.client_id == client.id)

    answered = Complaint.first_answered_at.is_not(None)
    period = db.session.execute(
        select(
            Complaint.assignee_id,
            func.count(),
            _count(and_(answered, Complaint.first_answered_at <= Complaint.first_answer_due_at)),
            _count(and_(answered, Complaint.first_answered_at > Complaint.first_answer_due_at)),
            _count(and_(~answered, Complaint.first_answer_due_at < now)),
            _count(Complaint.resolved_at.is_not(None)),
            _count(
                and_(
                    Complaint.resolved_at.is_not(None),
                    Complaint.resolved_at <= Complaint.resolution_due_at,
                )
            ),
        )
        .where(*scope, Complaint.created_at >= since, Complaint.created_at <= now)
        .group_by(Complaint.assignee_id)
    ).all()
    current = db.session.execute(
        select(
            Complaint.assignee_id,
            func.count(),
            _count(sla.overdue_sql(now)),
        )
        .where(*scope, Complaint.status.in_(OPEN))
        .group_by(Complaint.assignee_id)
    ).all()

    rows: dict[int | None, Row] = {}
    for assignee_id, opened, on_time, late, missed, resolved, resolved_on_time in period:
        row = rows.setdefault(assignee_id, Row())
        row.opened, row.answered_on_time, row.answered_late = opened, on_time, late
        row.unanswered_overdue, row.resolved, row.resolved_on_time = (
            missed,
            resolved,
            resolved_on_time,
        )
    for assignee_id, open_now, overdue in current:
        row = rows.setdefault(assignee_id, Row())
        row.open_now, row.overdue_now = open_now, overdue

    users = {
        u.id: u for u in db.session.scalars(select(User).where(User.id.in_([k for k in rows if k])))
    }
    report = Report(since=since, until=now)
    for assignee_id, row in rows.items():
        row.user = users.get(assignee_id)
        report.total.add(row)
    # Worst first: most overdue now, then the lowest on-time share; nobody's complaints last.
    report.rows = sorted(
        rows.values(),
        key=lambda r: (
            r.user is None,
            -r.overdue_now,
            r.answered_on_time_share if r.answered_on_time_share is not None else 2,
            r.user.name if r.user else "",
        ),
    )
    return report


def overdue_complaints(*, now: datetime, client: Client | None = None, limit: int = 50):
    """The complaints overdue right now, the longest overdue first, with their categories."""
    query = (
        select(Complaint).options(selectinload(Complaint.categories)).where(sla.overdue_sql(now))
    )
    if client is not None:
        query = query.where(Complaint.client_id == client.id)
    order = (Complaint.deadline_at, Complaint.id)
    return list(db.session.scalars(query.order_by(*order).limit(limit)))
