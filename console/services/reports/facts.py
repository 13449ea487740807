"""What the overview's call and order figures count, row by row: one rule in one place.

Each ``Source`` is a statement of facts, one row per call, answer or order in a UTC range, with
the moment it counts at (``at``), its client and work type, and 0/1 (or a score) per figure.
Reports → Overview sums them by week or month; the running totals (``totals.py``) sum them by
hour into ``report_hours``, which the overview then reads instead of the rows.

Definitions (the page says them too):

* *dissatisfied customer*: a completed call whose response scored below ``DISSATISFIED_BELOW``
  (60 of 100) or that opened a complaint (DOMAIN.md, 001: "summarise dissatisfaction");
* *NPS*: on questions marked "recommend (0-10)": % promoters (9-10) - % detractors (0-6);
  *CSAT*: on questions marked "satisfaction scale": % of answers in the top two options;
* *the funnel*: an order completed → with a call task → reached at least once → surveyed (a
  completed call) → with a complaint → every complaint finished (resolved or closed);
  *first-time fix*: the orders not confirmed as a repeat repair (DOMAIN.md, 000).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select

from console.models import (
    AnswerOption,
    CallAttempt,
    CallTask,
    Complaint,
    ComplaintKind,
    ComplaintStatus,
    Order,
    RepeatRepairState,
    Response,
    ResponseAnswer,
)
from console.models.scripts import Question
from console.services.calls.stats import REACHED
from console.services.complaints.status import OPEN

DISSATISFIED_BELOW = Decimal(60)  # a response scored below this (of 100) is dissatisfied

RECOMMEND = "recommend"  # a 0-10 "would you recommend us" question
SATISFACTION = "satisfaction"  # a satisfaction scale: the top two options are "satisfied"
ROLES = (RECOMMEND, SATISFACTION)


@dataclass(frozen=True)
class Filters:
    client_id: int | None = None
    work_type_id: int | None = None
    technician_id: int | None = None
    operator_id: int | None = None

    @property
    def by_order(self) -> bool:
        return any((self.client_id, self.work_type_id, self.technician_id))

    @property
    def by_person(self) -> bool:
        """Filters the running totals do not keep (they are per client and work type)."""
        return bool(self.technician_id or self.operator_id)

    def order_conditions(self) -> list:
        """Conditions on ``Order`` (join it first)."""
        found = []
        if self.client_id:
            found.append(Order.client_id == self.client_id)
        if self.work_type_id:
            found.append(Order.work_type_id == self.work_type_id)
        if self.technician_id:
            found.append(Order.technician_id == self.technician_id)
        return found


NO_FILTERS = Filters()


def _flag(condition):
    return case((condition, 1), else_=0)


def _calls(start: datetime, end: datetime, filters: Filters) -> Select:
    """One row per completed call (response) submitted in ``[start, end)``."""
    # The calls that opened a complaint: the complaints of the range read once (a call's
    # complaints are opened when it is submitted; a day's slack for one submitted at the very
    # end), not a lookup per call, which SQLite plans as a scan of every complaint.
    opened = Response.id.in_(
        select(Complaint.response_id).where(
            Complaint.created_at >= start,
            Complaint.created_at < end + timedelta(days=1),
            Complaint.kind == ComplaintKind.COMPLAINT,
            Complaint.response_id.is_not(None),
        )
    )
    query = (
        select(
            Response.submitted_at.label("at"),
            Order.client_id.label("client_id"),
            Order.work_type_id.label("work_type_id"),
            literal(1).label("calls"),
            _flag(Response.score.is_not(None)).label("scored"),
            func.coalesce(Response.score, 0).label("score_sum"),
            _flag(or_(Response.score < DISSATISFIED_BELOW, opened)).label("dissatisfied"),
        )
        .join(Order, Order.id == Response.order_id)
        .where(Response.submitted_at >= start, Response.submitted_at < end)
        .where(*filters.order_conditions())
    )
    if filters.operator_id:
        query = query.where(Response.operator_id == filters.operator_id)
    return query


def _answers(start: datetime, end: datetime, filters: Filters) -> Select:
    """One row per answer to a question marked ``recommend`` or ``satisfaction`` in the calls
    submitted in ``[start, end)``. A recommend answer counts when its option's key is 0-10;
    a satisfaction answer is "satisfied" when fewer than two options come after it."""
    ticked, later = aliased(AnswerOption), aliased(AnswerOption)
    after = (
        select(func.count())
        .select_from(later)
        .where(later.question_id == ticked.question_id, later.position > ticked.position)
        .correlate(ticked)
        .scalar_subquery()
    )
    recommend = and_(Question.role == RECOMMEND, ticked.key.in_([str(n) for n in range(11)]))
    satisfaction = Question.role == SATISFACTION
    query = (
        select(
            Response.submitted_at.label("at"),
            Order.client_id.label("client_id"),
            Order.work_type_id.label("work_type_id"),
            _flag(recommend).label("recommend_answers"),
            _flag(and_(recommend, ticked.key.in_(("9", "10")))).label("promoters"),
            _flag(and_(recommend, ticked.key.in_([str(n) for n in range(7)]))).label("detractors"),
            _flag(satisfaction).label("satisfaction_answers"),
            _flag(and_(satisfaction, after < 2)).label("satisfied"),
        )
        .select_from(Response)
        .join(ResponseAnswer, ResponseAnswer.response_id == Response.id)
        .join(Question, Question.id == ResponseAnswer.question_id)
        .join(ticked, ticked.id == ResponseAnswer.option_id)
        .join(Order, Order.id == Response.order_id)
        .where(Response.submitted_at >= start, Response.submitted_at < end)
        # The marked questions first: a handful of ids, so only their answers are joined.
        .where(ResponseAnswer.question_id.in_(select(Question.id).where(Question.role.in_(ROLES))))
        .where(*filters.order_conditions())
    )
    if filters.operator_id:
        query = query.where(Response.operator_id == filters.operator_id)
    return query


def _orders(start: datetime, end: datetime, filters: Filters) -> Select:
    """One row per order completed in ``[start, end)`` and how far it got. Orders belong to
    no operator: the operator filter does not apply."""
    complaint = and_(
        Complaint.order_id == Order.id,
        Complaint.kind == ComplaintKind.COMPLAINT,
    )
    with_complaint = exists().where(complaint, Complaint.status != ComplaintStatus.MERGED)
    still_open = exists().where(complaint, Complaint.status.in_(OPEN))
    return select(
        Order.completed_at.label("at"),
        Order.client_id.label("client_id"),
        Order.work_type_id.label("work_type_id"),
        literal(1).label("orders"),
        _flag(Order.repeat_repair_state == RepeatRepairState.CONFIRMED).label("repeat_repairs"),
        _flag(exists().where(CallTask.order_id == Order.id)).label("with_task"),
        _flag(
            exists().where(
                CallTask.order_id == Order.id,
                CallAttempt.task_id == CallTask.id,
                CallAttempt.outcome.in_(REACHED),
            )
        ).label("reached"),
        _flag(exists().where(Response.order_id == Order.id)).label("surveyed"),
        _flag(with_complaint).label("with_complaint"),
        _flag(and_(with_complaint, ~still_open)).label("resolved"),
    ).where(Order.completed_at >= start, Order.completed_at < end, *filters.order_conditions())


@dataclass(frozen=True)
class Source:
    name: str
    columns: tuple[str, ...]  # the figures, as named in the facts and in ``report_hours``
    facts: Callable[[datetime, datetime, Filters], Select]


CALLS = Source("calls", ("calls", "scored", "score_sum", "dissatisfied"), _calls)
ANSWERS = Source(
    "answers",
    ("recommend_answers", "promoters", "detractors", "satisfaction_answers", "satisfied"),
    _answers,
)
ORDERS = Source(
    "orders",
    (
        "orders",
        "repeat_repairs",
        "with_task",
        "reached",
        "surveyed",
        "with_complaint",
        "resolved",
    ),
    _orders,
)
SOURCES = (CALLS, ANSWERS, ORDERS)
