"""The technicians' KPI for a period, and what each figure is made of (DOMAIN.md, "Technician
KPI, fines, blocking"; 000 and 003).

For each technician, with their client and role:

- ``surveys``: completed calls (responses) about their orders, *submitted* in the period. The
  response's submitted time decides the period, not the order's completion: a payroll month
  pays for what the customers said that month, and a figure once shown does not change when a
  late call comes in for an old order.
- ``score``, 0–100: the response score formula (``console.scripts.scoring``) pooled over every
  scored answer of the period, ``Σ(weight × points ÷ max points) ÷ Σ weight × 100``: each
  answered scored question counts once, whichever call it came in, so a call with one scored
  answer weighs less than one with four (not the mean of the calls' scores). Each response
  keeps its score and the Σ weight it is out of (``score_weight``), so the pool is
  ``Σ(score × score_weight) ÷ Σ score_weight`` over the period's responses: the same number
  (to the cent each stored score is rounded to) read from one row per call instead of six
  answers. The call keeps its order's technician (``Response.technician_id``), and
  ``ix_responses_technician_kpi`` holds all it reads. None when nothing scored was answered.
  The explanation takes the pool apart by question from the answers themselves (the option's
  points, the question's weight and maximum: only shown, answered questions are stored).
- ``complaints_opened`` / ``complaints_valid``, in total and by category: complaints about
  their orders (the complaint's technician) opened in the period, not merged into another;
  valid = found valid (at any time up to now). The totals count each complaint once; by
  category, a complaint about several categories counts under each, valid there by the
  category's own decision where QC gave one, else by the complaint's.
- ``repeat_repairs``: repeat repairs confirmed with them as the responsible person, reviewed
  (confirmed) in the period; ``bonus_percent`` the tier it puts them in (``bonus``).
- ``fines`` / ``refunds``: fines and refunds charged to them (the anti-poaching refund
  included), recorded in the period.
- ``rank``: by score among every technician with a score in the period (highest first, ties by
  name), whatever client the page shows; ``previous_*`` and the changes: the same for
  ``period.previous()``.

Every figure is a grouped statement over the period's rows (six in all, the calls read once for
the period and once for the one before): nothing loops over rows in Python. ``explain`` lists
what made one technician's figures, with the 50 calls that cost the most points and counts of
the rest.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from console.extensions import db
from console.models import (
    ActionKind,
    AnswerOption,
    Client,
    Complaint,
    ComplaintAction,
    ComplaintCategory,
    ComplaintStatus,
    Order,
    Question,
    RepeatRepairState,
    Response,
    ResponseAnswer,
    Technician,
    TechnicianStatus,
    Validity,
)
from console.models.base import UTCDateTime
from console.scripts.question_types import QUESTION_TYPES
from console.services.reports.bonus import bonus_percent, tiers_for
from console.services.reports.periods import Period

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
EXPLAIN_LIMIT = 50  # calls (and complaints, repeat repairs, charges) listed on the explanation

# The scoring formula's kinds, from the registry (console/scripts/question_types.py): which are
# scored at all, and which add up several ticked options (their maximum is the sum of the
# positive points; the others' is the best option's).
_SCORED_KINDS = [name for name, kind in QUESTION_TYPES.items() if kind.scored]
_MULTIPLE_KINDS = [name for name, kind in QUESTION_TYPES.items() if kind.multiple]


@dataclass
class TechnicianKpi:
    technician_id: int
    name: str
    role: str  # mechanic | shop_master
    client_id: int | None
    client_name: str | None
    currency: str
    tiers: list[int]
    external_id: str | None = None  # the technician's id in the client's system
    client_key: str | None = None
    surveys: int = 0
    score: Decimal | None = None
    complaints_opened: int = 0
    complaints_valid: int = 0
    by_category: dict[str, list[int]] = field(default_factory=dict)  # {category: [opened, valid]}
    repeat_repairs: int = 0
    bonus_percent: int = 0
    fines: Decimal = ZERO
    refunds: Decimal = ZERO
    rank: int | None = None
    previous_score: Decimal | None = None
    previous_rank: int | None = None

    @property
    def score_change(self) -> Decimal | None:
        if self.score is None or self.previous_score is None:
            return None
        return self.score - self.previous_score

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous period (negative: lost)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    @property
    def tier_index(self) -> int:
        """Which of ``tiers`` applies (the last one for that many repeat repairs and more)."""
        return min(self.repeat_repairs, len(self.tiers) - 1)

    @property
    def has_activity(self) -> bool:
        return bool(
            self.surveys
            or self.complaints_opened
            or self.repeat_repairs
            or self.fines
            or self.refunds
        )


# --- the statements ------------------------------------------------------------------------


def _in(column, period: Period):
    return sa.and_(column >= period.starts_at, column < period.ends_at)


def _question_scale():
    """Per question of any script version: its weight and maximum points, for the scored ones
    only (a few hundred rows: scripts are small)."""
    positive = sa.case((AnswerOption.points > 0, AnswerOption.points), else_=0)
    max_points = sa.case(
        (Question.kind.in_(_MULTIPLE_KINDS), sa.func.sum(positive)),
        else_=sa.func.max(AnswerOption.points),
    )
    return (
        sa.select(
            Question.id.label("question_id"),
            Question.key.label("key"),
            Question.weight.label("weight"),
            max_points.label("max_points"),
        )
        .join(AnswerOption, AnswerOption.question_id == Question.id)
        .where(Question.kind.in_(_SCORED_KINDS), Question.weight > 0)
        .group_by(Question.id, Question.key, Question.weight, Question.kind)
        .having(max_points > 0)
        .cte("question_scale")
    )


def _answered_questions(period: Period, technician_id: int):
    """One row per answered scored question of the technician's calls in the period: the
    question, the points of the options ticked (capped at the maximum, as ``points_for``
    does), the weight and the maximum."""
    scale = _question_scale()
    points = sa.func.sum(AnswerOption.points)
    return (
        sa.select(
            Response.id.label("response_id"),
            scale.c.key,
            scale.c.weight,
            scale.c.max_points,
            sa.case((points > scale.c.max_points, scale.c.max_points), else_=points).label(
                "points"
            ),
        )
        .select_from(Response)
        .join(ResponseAnswer, ResponseAnswer.response_id == Response.id)
        .join(scale, scale.c.question_id == ResponseAnswer.question_id)
        .join(AnswerOption, AnswerOption.id == ResponseAnswer.option_id)
        .where(Response.technician_id == technician_id, _in(Response.submitted_at, period))
        .group_by(
            Response.id,
            ResponseAnswer.question_id,
            scale.c.key,
            scale.c.weight,
            scale.c.max_points,
        )
        .subquery("answered")
    )


# Per technician, the period's calls and their pooled score. Written out to fix the join order:
# the technicians outside, each one's calls of the period one range of
# ``ix_responses_technician_kpi`` inside, which holds every column read (the wide rows are never
# touched) and gives them grouped by technician (nothing to sort). SQLite takes a CROSS JOIN's
# order as written; left free (and without ANALYZE's statistics) it walked the submitted-time
# index and read every call's row. PostgreSQL plans it as any join.
_CALLS = sa.text(
    """
    SELECT t.id, count(*),
           sum(CASE WHEN r.score IS NOT NULL AND r.score_weight IS NOT NULL
                    THEN r.score * r.score_weight END),
           sum(CASE WHEN r.score IS NOT NULL AND r.score_weight IS NOT NULL
                    THEN r.score_weight END)
    FROM technicians AS t CROSS JOIN responses AS r
    WHERE r.technician_id = t.id AND r.submitted_at >= :starts_at AND r.submitted_at < :ends_at
    GROUP BY t.id
    """
).bindparams(
    sa.bindparam("starts_at", type_=UTCDateTime()), sa.bindparam("ends_at", type_=UTCDateTime())
)


def _calls(period: Period) -> dict[int, tuple[int, Decimal | None]]:
    """Per technician: the period's calls (all of them) and their pooled score."""
    rows = db.session.execute(_CALLS, {"starts_at": period.starts_at, "ends_at": period.ends_at})
    return {tid: (count, _pooled(earned, weight)) for tid, count, earned, weight in rows}


def _pooled(earned, weight) -> Decimal | None:
    """Σ(score × weight) ÷ Σ weight, to the cent."""
    if not weight:
        return None
    return (Decimal(str(earned)) / Decimal(str(weight))).quantize(CENT, ROUND_HALF_UP)


def _complaints(period: Period):
    """Per technician and category: the complaints about it, those valid for it, and of those
    the complaints whose main category it is (each complaint once: what the totals add up)."""
    category = sa.func.coalesce(ComplaintCategory.category, Complaint.category)
    main = sa.or_(ComplaintCategory.id.is_(None), ComplaintCategory.category == Complaint.category)
    valid_for_it = (
        sa.func.coalesce(ComplaintCategory.validity, Complaint.validity) == Validity.VALID
    )

    def counted(*conditions):
        return sa.func.sum(sa.case((sa.and_(*conditions), 1), else_=0))

    return db.session.execute(
        sa.select(
            Complaint.technician_id,
            category,
            sa.func.count(),
            counted(valid_for_it),
            counted(main),
            counted(main, Complaint.validity == Validity.VALID),
        )
        .outerjoin(ComplaintCategory, ComplaintCategory.complaint_id == Complaint.id)
        .where(
            _in(Complaint.created_at, period),
            Complaint.technician_id.is_not(None),
            Complaint.status != ComplaintStatus.MERGED,
        )
        .group_by(Complaint.technician_id, category)
    ).all()


def _repeat_repairs(period: Period) -> dict[int, int]:
    rows = db.session.execute(
        sa.select(Order.repeat_repair_responsible_id, sa.func.count())
        .where(
            Order.repeat_repair_state == RepeatRepairState.CONFIRMED,
            _in(Order.repeat_repair_reviewed_at, period),
            Order.repeat_repair_responsible_id.is_not(None),
        )
        .group_by(Order.repeat_repair_responsible_id)
    )
    return dict(rows.all())


def _charges(period: Period):
    return db.session.execute(
        sa.select(
            ComplaintAction.charged_technician_id,
            ComplaintAction.kind,
            sa.func.sum(ComplaintAction.amount),
        )
        .where(
            ComplaintAction.kind.in_([ActionKind.FINE, ActionKind.REFUND]),
            ComplaintAction.charged_technician_id.is_not(None),
            _in(ComplaintAction.created_at, period),
        )
        .group_by(ComplaintAction.charged_technician_id, ComplaintAction.kind)
    ).all()


def _technicians():
    return db.session.execute(
        sa.select(
            Technician.id,
            Technician.name,
            Technician.role,
            Technician.status,
            Technician.client_id,
            Client.name,
            Client.currency,
            Client.repeat_bonus_tiers,
            Technician.external_id,
            Client.key,
        ).outerjoin(Client, Client.id == Technician.client_id)
    ).all()


def _ranks(scores: dict[int, Decimal], names: dict[int, str]) -> dict[int, int]:
    """1 for the highest score; equal scores in name order."""
    ordered = sorted(scores, key=lambda tid: (-scores[tid], names.get(tid, ""), tid))
    return {tid: n for n, tid in enumerate(ordered, start=1)}


def _money(value) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT, ROUND_HALF_UP)


# --- the report ----------------------------------------------------------------------------


def technician_kpi(period: Period, *, client_id: int | None = None) -> list[TechnicianKpi]:
    """Every technician of ``client_id`` (all when None) who is active or had anything in the
    period, best rank first (those without a score last, by name)."""
    technicians = _technicians()
    names = {row[0]: row[1] for row in technicians}
    calls = _calls(period)
    surveys = {tid: count for tid, (count, _score) in calls.items()}
    scores = {tid: score for tid, (_count, score) in calls.items() if score is not None}
    previous_scores = {
        tid: score
        for tid, (_count, score) in _calls(period.previous()).items()
        if score is not None
    }
    ranks, previous_ranks = _ranks(scores, names), _ranks(previous_scores, names)
    repeats = _repeat_repairs(period)
    complaints: dict[int, list] = defaultdict(list)
    for tid, category, opened, valid, once, once_valid in _complaints(period):
        complaints[tid].append(
            (category, opened, int(valid or 0), int(once or 0), int(once_valid or 0))
        )
    charges: dict[int, dict] = defaultdict(dict)
    for tid, kind, amount in _charges(period):
        charges[tid][ActionKind(kind)] = _money(amount)

    out = []
    for (
        tid,
        name,
        role,
        status,
        owner_id,
        owner_name,
        currency,
        own_tiers,
        external_id,
        owner_key,
    ) in technicians:
        if client_id is not None and owner_id != client_id:
            continue
        row = TechnicianKpi(
            technician_id=tid,
            name=name,
            role=str(role),
            client_id=owner_id,
            client_name=owner_name,
            currency=currency or "RUB",
            tiers=tiers_for(role, own_tiers),
            external_id=external_id,
            client_key=owner_key,
            surveys=surveys.get(tid, 0),
            score=scores.get(tid),
            repeat_repairs=repeats.get(tid, 0),
            fines=charges[tid].get(ActionKind.FINE, ZERO) if tid in charges else ZERO,
            refunds=charges[tid].get(ActionKind.REFUND, ZERO) if tid in charges else ZERO,
            rank=ranks.get(tid),
            previous_score=previous_scores.get(tid),
            previous_rank=previous_ranks.get(tid),
        )
        row.bonus_percent = bonus_percent(role, row.repeat_repairs, own_tiers)
        for category, opened, valid, once, once_valid in sorted(complaints.get(tid, ())):
            row.by_category[category] = [opened, valid]
            row.complaints_opened += once
            row.complaints_valid += once_valid
        if row.has_activity or status == TechnicianStatus.ACTIVE:
            out.append(row)
    out.sort(key=lambda r: (r.rank is None, r.rank or 0, r.name, r.technician_id))
    return out


# --- the explanation -----------------------------------------------------------------------


@dataclass
class LostPoints:
    key: str
    text: str
    answered: int  # times the question was answered (and scored) in the period
    weight: Decimal
    lost: Decimal  # points of the pooled 0–100 score it cost


@dataclass
class CallCost:
    response: Response
    lost: list[tuple[str, Decimal]]  # (question text, points of that call's score it cost)


@dataclass
class Explanation:
    kpi: TechnicianKpi
    period: Period
    lost_by_question: list[LostPoints]
    scored_weight: Decimal
    calls: list[CallCost]  # the calls that cost the most points, at most EXPLAIN_LIMIT
    calls_total: int
    calls_full_score: int
    calls_unscored: int
    complaints: list[Complaint]
    repeat_repairs: list[Order]
    charges: list[ComplaintAction]


def _lost_by_question(period: Period, technician_id: int) -> tuple[list[LostPoints], Decimal]:
    """The pooled score taken apart: what each question cost of it. 100 − Σ lost = the score
    (to the rounding of each line)."""
    answered = _answered_questions(period, technician_id)
    rows = db.session.execute(
        sa.select(
            answered.c.key,
            sa.func.count(),
            sa.func.max(answered.c.weight),
            sa.func.sum(answered.c.weight),
            sa.func.sum(answered.c.weight * answered.c.points / answered.c.max_points),
        ).group_by(answered.c.key)
    ).all()
    total_weight = sum((Decimal(str(r[3])) for r in rows), Decimal(0))
    if not total_weight:
        return [], Decimal(0)
    texts = dict(
        db.session.execute(
            sa.select(Question.key, sa.func.max(Question.text))
            .where(Question.key.in_([r[0] for r in rows]))
            .group_by(Question.key)
        ).all()
    )
    out = [
        LostPoints(
            key=key,
            text=texts.get(key, key),
            answered=count,
            weight=Decimal(str(weight)),
            lost=((Decimal(str(weights)) - Decimal(str(earned))) / total_weight * HUNDRED).quantize(
                CENT, ROUND_HALF_UP
            ),
        )
        for key, count, weight, weights, earned in rows
    ]
    out.sort(key=lambda line: (-line.lost, line.key))
    return out, total_weight


def _call_costs(period: Period, technician_id: int) -> tuple[list[CallCost], dict[str, int]]:
    in_period = sa.and_(Response.technician_id == technician_id, _in(Response.submitted_at, period))
    counts = db.session.execute(
        sa.select(
            sa.func.count(),
            sa.func.sum(sa.case((Response.score >= HUNDRED, 1), else_=0)),
            sa.func.sum(sa.case((Response.score.is_(None), 1), else_=0)),
        ).where(in_period)
    ).one()
    responses = db.session.scalars(
        sa.select(Response)
        .where(in_period, Response.score < HUNDRED)
        .order_by(Response.score, Response.submitted_at, Response.id)
        .limit(EXPLAIN_LIMIT)
        .options(sa.orm.joinedload(Response.order))
    ).all()
    texts = {
        (version_id, key): text
        for version_id, key, text in db.session.execute(
            sa.select(Question.version_id, Question.key, Question.text).where(
                Question.version_id.in_({r.script_version_id for r in responses})
            )
        )
    }
    calls = []
    for response in responses:
        lost = [
            (
                texts.get((response.script_version_id, line["key"]), line["key"]),
                Decimal(str(line["lost"])),
            )
            for line in response.score_breakdown or []
            if Decimal(str(line.get("lost") or 0)) > 0
        ]
        calls.append(CallCost(response, lost))
    total, full, unscored = counts
    return calls, {"total": total or 0, "full": int(full or 0), "unscored": int(unscored or 0)}


def explain(technician_id: int, period: Period) -> Explanation | None:
    """What made one technician's figures in the period; None when there is no such
    technician."""
    technician = db.session.get(Technician, technician_id)
    if technician is None:
        return None
    rows = technician_kpi(period, client_id=technician.client_id)
    kpi = next((r for r in rows if r.technician_id == technician_id), None)
    if kpi is None:  # blocked and idle: the figures are all zero, still explained
        owner = technician.client
        kpi = TechnicianKpi(
            technician_id=technician.id,
            name=technician.name,
            role=str(technician.role),
            client_id=technician.client_id,
            client_name=owner.name if owner else None,
            currency=owner.currency if owner else "RUB",
            tiers=tiers_for(technician.role, owner.repeat_bonus_tiers if owner else None),
            external_id=technician.external_id,
            client_key=owner.key if owner else None,
        )
        kpi.bonus_percent = kpi.tiers[0]
    lost, weight = _lost_by_question(period, technician_id)
    calls, counts = _call_costs(period, technician_id)
    complaints = db.session.scalars(
        sa.select(Complaint)
        .options(selectinload(Complaint.categories))
        .where(
            Complaint.technician_id == technician_id,
            _in(Complaint.created_at, period),
            Complaint.status != ComplaintStatus.MERGED,
        )
        .order_by(Complaint.created_at.desc(), Complaint.id.desc())
        .limit(EXPLAIN_LIMIT)
    ).all()
    repeats = db.session.scalars(
        sa.select(Order)
        .where(
            Order.repeat_repair_responsible_id == technician_id,
            Order.repeat_repair_state == RepeatRepairState.CONFIRMED,
            _in(Order.repeat_repair_reviewed_at, period),
        )
        .order_by(Order.repeat_repair_reviewed_at.desc(), Order.id.desc())
        .limit(EXPLAIN_LIMIT)
    ).all()
    charges = db.session.scalars(
        sa.select(ComplaintAction)
        .where(
            ComplaintAction.charged_technician_id == technician_id,
            ComplaintAction.kind.in_([ActionKind.FINE, ActionKind.REFUND]),
            _in(ComplaintAction.created_at, period),
        )
        .order_by(ComplaintAction.created_at.desc(), ComplaintAction.id.desc())
        .limit(EXPLAIN_LIMIT)
    ).all()
    return Explanation(
        kpi=kpi,
        period=period,
        lost_by_question=lost,
        scored_weight=weight,
        calls=calls,
        calls_total=counts["total"],
        calls_full_score=counts["full"],
        calls_unscored=counts["unscored"],
        complaints=complaints,
        repeat_repairs=repeats,
        charges=charges,
    )
