"""A customer's history with us, and whether they complain often (DOMAIN.md, 002).

"Some customers are professional complainers: history analysis finds the most restless ones."
The rule here: a customer who complained in at least ``FREQUENT_COMPLAINER_COUNT`` contacts in
the last ``FREQUENT_COMPLAINER_DAYS`` days is marked for QC's attention. Complaints are counted
per contact, not per ticket: a call (one response) counts once however many categories it
raised and however many tickets it opened (a call opens one complaint with all its categories;
older data may hold one ticket per category), and a complaint registered by hand counts once.
What counts as a complaint of the customer's: kind ``complaint`` (an anti-poaching case is about
the technician, not a grievance of the customer's) and not merged into another one (a merged
ticket is a duplicate).

The invalid share is taken over the *decided* contacts only (valid or invalid: a contact counts
as valid when any of its complaints was found valid, as invalid when any was found invalid): an
open one says nothing yet about whether the customer was right. ``None`` when nothing is
decided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from sqlalchemy import and_, case, distinct, func, select, true
from sqlalchemy.orm import joinedload, selectinload

from console.extensions import db
from console.models import (
    CallAttempt,
    CallTask,
    Complaint,
    ComplaintKind,
    ComplaintStatus,
    Customer,
    Order,
    Validity,
    utcnow,
)

# A customer page shows this many of each; the rest are counted, not listed.
HISTORY_LIMIT = 50


def _counted():
    """The complaints that count as the customer's: real complaints, duplicates left out."""
    return (Complaint.kind == ComplaintKind.COMPLAINT, Complaint.status != ComplaintStatus.MERGED)


def _contacts(condition=None):
    """How many customer contacts the rows hold: the calls (responses) among them, each once
    however many tickets it opened, and the complaints registered by hand, each once."""
    condition = true() if condition is None else condition
    by_call = Complaint.response_id.is_not(None)
    calls = func.count(distinct(case((and_(condition, by_call), Complaint.response_id))))
    by_hand = func.count(case((and_(condition, Complaint.response_id.is_(None)), Complaint.id)))
    return calls + by_hand


@dataclass(frozen=True, slots=True)
class ComplaintStats:
    total: int  # all counted complaints (per contact), ever
    valid: int
    invalid: int
    recent: int  # created within the frequent-complainer window
    window_days: int
    threshold: int

    @property
    def decided(self) -> int:
        return self.valid + self.invalid

    @property
    def invalid_share(self) -> Decimal | None:
        """Invalid among the decided ones (0..1), or None while none is decided."""
        if not self.decided:
            return None
        return (Decimal(self.invalid) / Decimal(self.decided)).quantize(Decimal("0.01"))

    @property
    def invalid_percent(self) -> int | None:
        share = self.invalid_share
        return None if share is None else round(share * 100)

    @property
    def is_frequent_complainer(self) -> bool:
        return self.recent >= self.threshold


def _window(now: datetime | None) -> tuple[datetime, int, int]:
    days = current_app.config["FREQUENT_COMPLAINER_DAYS"]
    threshold = current_app.config["FREQUENT_COMPLAINER_COUNT"]
    return (now or utcnow()) - timedelta(days=days), days, threshold


def complaint_stats(customer: Customer, now: datetime | None = None) -> ComplaintStats:
    """Counts for the customer page and the complaint page's "complains often" flag."""
    since, days, threshold = _window(now)
    row = db.session.execute(
        select(
            _contacts(),
            _contacts(Complaint.validity == Validity.VALID),
            _contacts(Complaint.validity == Validity.INVALID),
            _contacts(Complaint.created_at >= since),
        ).where(Complaint.customer_id == customer.id, *_counted())
    ).one()
    total, valid, invalid, recent = row
    return ComplaintStats(total, valid, invalid, recent, days, threshold)


@dataclass(frozen=True, slots=True)
class FrequentComplainer:
    customer: Customer
    recent: int  # contacts with a complaint in the window
    invalid: int  # of those, found invalid
    last_at: datetime


def frequent_complainers(
    *, client_id: int | None = None, now: datetime | None = None, limit: int = 200
) -> list[FrequentComplainer]:
    """The customers QC should keep an eye on, the most complaints in the window first."""
    since, _days, threshold = _window(now)
    recent = _contacts().label("recent")
    query = (
        select(
            Complaint.customer_id,
            recent,
            _contacts(Complaint.validity == Validity.INVALID),
            func.max(Complaint.created_at),
        )
        .where(Complaint.created_at >= since, *_counted())
        .group_by(Complaint.customer_id)
        .having(_contacts() >= threshold)
        .order_by(recent.desc(), Complaint.customer_id)
        .limit(limit)
    )
    if client_id is not None:
        query = query.where(Complaint.client_id == client_id)
    rows = db.session.execute(query).all()
    customers = {
        c.id: c
        for c in db.session.scalars(
            select(Customer)
            .options(joinedload(Customer.client), selectinload(Customer.phones))
            .where(Customer.id.in_([r[0] for r in rows]))
        )
    }
    return [
        FrequentComplainer(customers[cid], n, invalid, last)
        for cid, n, invalid, last in rows
        if cid in customers
    ]


@dataclass(frozen=True, slots=True)
class CustomerHistory:
    """A customer's orders, follow-up calls and complaints (all kinds), newest first, at most
    ``limit`` of each; the counts count them all. ``attempts``: the phone calls made (attempts
    that ended), each with its outcome and note."""

    orders: list[Order]
    calls: list[CallTask]  # with their attempts
    complaints: list[Complaint]
    attempts: list[CallAttempt]
    order_count: int
    call_count: int
    complaint_count: int
    attempt_count: int


def customer_history(
    customer_id: int, *, limit: int = HISTORY_LIMIT, brief: bool = False
) -> CustomerHistory:
    """What the customer page, the complaint page (``limit`` 10) and the call screen show of a
    customer's past. ``brief``, for the call screen on its way to the operator: the counts, the
    latest complaints and the latest attempts only, and those only when there are some (most
    customers have none); no orders or follow-up calls listed."""
    ended = (CallTask.customer_id == customer_id) & CallAttempt.ended_at.is_not(None)

    def count(model, *where):
        return select(func.count(model.id)).where(*where).scalar_subquery()

    order_count, call_count, complaint_count, attempt_count = db.session.execute(
        select(
            count(Order, Order.customer_id == customer_id),
            count(CallTask, CallTask.customer_id == customer_id),
            count(Complaint, Complaint.customer_id == customer_id),
            count(CallAttempt, CallAttempt.task_id == CallTask.id, ended),
        )
    ).one()

    def listed(query, found: int) -> list:
        return list(db.session.scalars(query.limit(limit))) if found else []

    shown = [selectinload(Complaint.categories)]
    if not brief:
        shown += [joinedload(Complaint.order), joinedload(Complaint.technician)]
    complaints = listed(
        select(Complaint)
        .options(*shown)
        .where(Complaint.customer_id == customer_id)
        .order_by(Complaint.created_at.desc(), Complaint.id.desc()),
        complaint_count,
    )
    if brief:
        attempts = listed(
            select(CallAttempt)
            .join(CallTask)
            .where(ended)
            .order_by(CallAttempt.started_at.desc(), CallAttempt.id.desc()),
            attempt_count,
        )
        return CustomerHistory(
            [], [], complaints, attempts, order_count, call_count, complaint_count, attempt_count
        )
    orders = listed(
        select(Order)
        .options(
            joinedload(Order.work_type),
            joinedload(Order.technician),
            joinedload(Order.client),
        )
        .where(Order.customer_id == customer_id)
        .order_by(Order.completed_at.desc(), Order.id.desc()),
        order_count,
    )
    calls = listed(
        select(CallTask)
        .options(joinedload(CallTask.order), selectinload(CallTask.attempts_log))
        .where(CallTask.customer_id == customer_id)
        .order_by(CallTask.due_at.desc(), CallTask.id.desc()),
        call_count,
    )
    return CustomerHistory(
        orders, calls, complaints, [], order_count, call_count, complaint_count, attempt_count
    )
