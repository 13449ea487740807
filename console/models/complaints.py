"""Complaint tickets: created from a negative answer (or by hand), triaged by QC under deadline."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import JSONType, Money, UTCDateTime, enum_column


class ComplaintKind(StrEnum):
    COMPLAINT = "complaint"
    POACHING = "poaching"  # the anti-poaching case (DOMAIN.md, 003)


class ComplaintSource(StrEnum):
    CALL = "call"
    MANUAL = "manual"  # the customer called or wrote in


class ComplaintStatus(StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    WAITING_CUSTOMER = "waiting_customer"  # the SLA clock pauses
    RESOLVED = "resolved"
    CLOSED = "closed"
    MERGED = "merged"


class Validity(StrEnum):
    VALID = "valid"
    INVALID = "invalid"


def _created_at(context) -> datetime:
    return context.get_current_parameters()["created_at"]


class Complaint(db.Model):
    """``snapshot`` freezes the parent order as it was (customer, phones, vehicle or address, work
    type, technician, amount, dates, the answers given): later edits of the order don't rewrite
    the complaint's history."""

    __tablename__ = "complaints"
    __table_args__ = (
        # One complaint per response and category (operator console, "on submit").
        UniqueConstraint("response_id", "category"),
        Index("ix_complaints_status_created", "status", "created_at"),
        Index("ix_complaints_assignee_status", "assignee_id", "status"),
        Index("ix_complaints_client_created", "client_id", "created_at"),
        Index("ix_complaints_status_answer_due", "status", "first_answer_due_at"),
        Index("ix_complaints_kind_status", "kind", "status"),
        # The QC inbox (console.services.complaints.inbox): the open complaints with every
        # field its filters and counts read, so that the counts never touch the rows; every
        # status in deadline order, by number (status, then id) and by age; the overdue and
        # due-soon ones by their running deadline.
        Index(
            "ix_complaints_inbox",
            "status",
            "category",
            "client_id",
            "assignee_id",
            "kind",
            "deadline_at",
            "id",
        ),
        Index("ix_complaints_deadline_rank", "deadline_rank", "id"),
        Index("ix_complaints_deadline_at", "deadline_at"),
        Index("ix_complaints_status_id", "status", "id"),
        Index("ix_complaints_created", "created_at", "id"),
        # Reports → Overview (console/services/reports/overview.py): a period's complaints by
        # kind, category, cause and first-answer deadline, read from the index alone.
        # Kind first: every figure asks for one kind, and the other categories' join is planned
        # along it (with created_at first, SQLite walked every complaint of the kind instead).
        Index(
            "ix_complaints_reports",
            "kind",
            "created_at",
            "status",
            "category",
            "cause_category",
            "first_answer_due_at",
            "first_answered_at",
            "client_id",
            "technician_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)  # shown as "#311"
    kind: Mapped[ComplaintKind] = mapped_column(
        enum_column(ComplaintKind), default=ComplaintKind.COMPLAINT, nullable=False
    )
    category: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    source: Mapped[ComplaintSource] = mapped_column(enum_column(ComplaintSource), nullable=False)
    status: Mapped[ComplaintStatus] = mapped_column(
        enum_column(ComplaintStatus), default=ComplaintStatus.NEW, nullable=False
    )
    summary: Mapped[str | None] = mapped_column(Text)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), nullable=False, index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False, index=True)
    technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"), index=True)
    response_id: Mapped[int | None] = mapped_column(ForeignKey("responses.id"))
    snapshot: Mapped[dict] = mapped_column(JSONType, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    # The time of its latest change: opened, or a line added to its timeline (every step of
    # the work adds one: ``console.services.complaints.workflow.add_event``). Other systems
    # sync by it (``GET /api/v1/complaints?updated_since=``).
    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime, nullable=False, default=_created_at, index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Triage.
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    department: Mapped[str | None] = mapped_column(String(64))
    # Deadlines (SLA): first answer to the customer within 12 h (DOMAIN.md, 001), resolution later.
    first_answer_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    first_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set while the complaint waits for the customer: the clocks stand still
    # (console.services.complaints.sla).
    sla_paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Where the complaint stands among the others, derived from the six columns above on every
    # insert and update by the deadline rule (``console.services.complaints.sla.deadline_order``):
    # the next deadline while its clock runs (NULL when finished, resolved or paused), and the
    # whole number the inbox sorts by deadline with.
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deadline_rank: Mapped[int] = mapped_column(BigInteger, nullable=False)
    # Deadline warnings sent (before the due time) and escalations (after it), one per deadline.
    answer_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answer_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_warned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolution_escalated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Decision.
    validity: Mapped[Validity | None] = mapped_column(enum_column(Validity))
    validity_reason: Mapped[str | None] = mapped_column(Text)
    cause_category: Mapped[str | None] = mapped_column(String(64))
    responsible_technician_id: Mapped[int | None] = mapped_column(ForeignKey("technicians.id"))
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("complaints.id"))

    order = relationship("Order")
    client = relationship("Client")
    customer = relationship("Customer")
    technician = relationship("Technician", foreign_keys=[technician_id])
    responsible_technician = relationship("Technician", foreign_keys=[responsible_technician_id])
    response = relationship("Response")
    assignee = relationship("User", foreign_keys=[assignee_id])
    created_by = relationship("User", foreign_keys=[created_by_id])
    responsible_user = relationship("User", foreign_keys=[responsible_user_id])
    merged_into = relationship("Complaint", remote_side=[id])
    events: Mapped[list[ComplaintEvent]] = relationship(
        back_populates="complaint", order_by="ComplaintEvent.id"
    )
    actions: Mapped[list[ComplaintAction]] = relationship(
        back_populates="complaint", order_by="ComplaintAction.id"
    )
    # Every category the complaint is about, the main one (``category``) first.
    categories: Mapped[list[ComplaintCategory]] = relationship(
        back_populates="complaint", order_by="ComplaintCategory.id"
    )

    @property
    def category_keys(self) -> list[str]:
        """The complaint's categories, the main one first (the main one alone for a complaint
        saved without its category rows)."""
        return [row.category for row in self.categories] or [self.category]

    def category_validity(self, category: str) -> Validity | None:
        """A category's own decision where QC gave one, else the complaint's."""
        for row in self.categories:
            if row.category == category:
                return row.effective_validity
        return self.validity


class ComplaintCategory(db.Model):
    """One category of a complaint. A call opens one complaint with every category its answers
    raised (in the script's order); each category is counted in the reports, and QC may decide it
    differently from the complaint (``validity``: None = the complaint's own decision)."""

    __tablename__ = "complaint_categories"
    __table_args__ = (
        UniqueConstraint("complaint_id", "category"),
        # Reports count the categories of a period's complaints: by category, to the complaint.
        Index("ix_complaint_categories_category", "category", "complaint_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id"), nullable=False, index=True
    )
    category: Mapped[str] = mapped_column(String(64), nullable=False)
    # The question whose answer raised it, when a call did.
    question_key: Mapped[str | None] = mapped_column(String(64))
    validity: Mapped[Validity | None] = mapped_column(enum_column(Validity))
    validity_reason: Mapped[str | None] = mapped_column(Text)

    complaint: Mapped[Complaint] = relationship(back_populates="categories")

    @property
    def effective_validity(self) -> Validity | None:
        return self.validity if self.validity is not None else self.complaint.validity


class ComplaintEvent(db.Model):
    """The complaint's timeline: created, assigned, note, customer contact, classified, action,
    resolved, closed, reopened, merged, deadline warning... Append-only."""

    __tablename__ = "complaint_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id"), nullable=False, index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))  # None: the system
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    body: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict | None] = mapped_column(JSONType)

    complaint: Mapped[Complaint] = relationship(back_populates="events")
    actor = relationship("User")


class ActionKind(StrEnum):
    FINE = "fine"
    REFUND = "refund"  # for poaching: recorded as a deduction from the technician
    GOODWILL = "goodwill"
    REDO = "redo"
    BLOCK = "block"


class ComplaintAction(db.Model):
    """What was done about a valid (or goodwill-worthy) complaint; fines and refunds charged to a
    technician are summed for pay and KPI."""

    __tablename__ = "complaint_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(
        ForeignKey("complaints.id"), nullable=False, index=True
    )
    kind: Mapped[ActionKind] = mapped_column(enum_column(ActionKind), nullable=False)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    charged_technician_id: Mapped[int | None] = mapped_column(
        ForeignKey("technicians.id"), index=True
    )
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    complaint: Mapped[Complaint] = relationship(back_populates="actions")
    charged_technician = relationship("Technician")
