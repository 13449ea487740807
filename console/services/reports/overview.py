"""Reports → Overview: what the calls say about a period, each figure one grouped query.

Every figure is counted by the database (grouped SQL, no loop over rows in Python) over the
period's half-open UTC range ``[starts_at, ends_at)``, with the filters a supervisor chose:
client, work type, technician (of the order) and operator (who made the call).

**Buckets.** A chart's week starts on Monday 00:00 and its month on the 1st at 00:00, both in
the viewer's time zone. The edges are computed in Python (``Period.weeks()``/``.months()``
turned into UTC instants, so a daylight-saving change inside the period is exact) and the
database puts each row in its bucket with one ``CASE`` over those edges. No date function of
either database is needed: SQLite and PostgreSQL read the same SQL. The first and last bucket
may be cut by the period (a week that starts before the 1st counts only the days inside).

**Definitions** (the page says them too):

* *dissatisfied customer*, *NPS*, *CSAT*, *first-time fix* and the *funnel*'s steps: see
  ``facts.py``, which counts them row by row; they are summed from the running totals
  (``totals.py``) where the filters allow;
* *complaints*: tickets of kind "complaint" opened in the period (merged duplicates not
  counted again, poaching cases counted apart), by category and by the cause QC gave. A
  complaint about several categories (a call opens one with every category its answers raised)
  counts once under each of its categories, and once in every other figure (causes, deadline
  compliance, totals of complaints);
* *top three problems*: the three most frequent complaint categories of the period (ties by
  name), each category of a complaint counted, with their count in the previous period
  (``Period.previous()``) and the change;
* *poaching per 1,000 calls*: poaching cases opened in a month per 1,000 completed calls of
  that month (DOMAIN.md, 003);
* *deadline compliance*: of the complaints opened in a week whose first-answer deadline is
  settled (answered, or missed by now), the share answered within it (DOMAIN.md, 001: 12 h);
* *operators*: dials (call attempts) started in the period; *calls per hour* is dials per
  hour in which the operator dialled at least once; *contact rate* the share of dials where
  the customer was reached (completed, refused, asked for a callback, or asked not to be
  called); *completion rate* the share of dials that completed the survey; *average handle
  time* the mean length of the completed calls; *callbacks kept* the share of callbacks the
  operator promised, due in the period, that someone dialled no later than
  ``CALLBACK_GRACE`` after the promised time;
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import and_, case, exists, func, literal, select

from console.extensions import db
from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    Complaint,
    ComplaintCategory,
    ComplaintKind,
    ComplaintStatus,
    Order,
    Response,
    User,
)
from console.models.base import UTCDateTime
from console.services.calls.stats import REACHED
from console.services.complaints.status import FINISHED
from console.services.reports import facts, totals
from console.services.reports.facts import DISSATISFIED_BELOW, Filters
from console.services.reports.periods import Period

__all__ = ["DISSATISFIED_BELOW", "Filters"]

CALLBACK_GRACE = timedelta(minutes=15)
TOP = 3
NO_CAUSE = ""  # complaints QC has not classified yet
# finished without a cause: found not valid (a valid complaint is closed only with its cause)
NO_CAUSE_FINISHED = "none_finished"


# --- buckets --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Buckets:
    """A chart's x axis: the local first days of its buckets and their UTC starts."""

    starts: list[date]
    edges: list[datetime]  # edges[i]: the UTC instant bucket i starts (the first one: unused)

    @classmethod
    def of(cls, period: Period, days: list[date]) -> Buckets:
        edges = [
            datetime.combine(day, time(0), tzinfo=period.tz).astimezone(period.starts_at.tzinfo)
            for day in days
        ]
        return cls(days, edges)

    def index(self, column):
        """The bucket a timestamp falls in, as SQL (``totals.bucket_index``)."""
        return totals.bucket_index(column, [literal(edge, UTCDateTime()) for edge in self.edges])

    def __len__(self) -> int:
        return len(self.starts)


def weekly(period: Period) -> Buckets:
    return Buckets.of(period, period.weeks())


def monthly(period: Period) -> Buckets:
    return Buckets.of(period, period.months())


def _grouped(inner, *aggregates):
    """``SELECT b, aggregates... FROM (inner) GROUP BY b``: the bucket is computed in a
    subquery, so PostgreSQL groups by a plain column, not by an expression with parameters."""
    sub = inner.subquery()
    return select(sub.c.b, *(a(sub) for a in aggregates)).group_by(sub.c.b)


def _count(condition):
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _seconds_between(start, end):
    """Seconds from one timestamp to another, in SQL."""
    if db.session.get_bind().dialect.name == "sqlite":
        return (func.julianday(end) - func.julianday(start)) * 86400
    return func.extract("epoch", end - start)


def _hour_of(column):
    """The UTC clock hour of a timestamp, as a value to count distinct ones of (PostgreSQL's
    ``date_trunc`` would truncate in the session's time zone)."""
    return totals.epoch_hours(column, db.session.get_bind().dialect.name)


def _share(part, whole) -> float | None:
    return part / whole if whole else None


# --- dissatisfaction and score, per week -----------------------------------------------------


@dataclass
class SatisfactionWeek:
    start: date
    calls: int = 0  # completed calls (responses)
    scored: int = 0
    dissatisfied: int = 0
    average_score: float | None = None

    @property
    def dissatisfied_share(self) -> float | None:
        return _share(self.dissatisfied, self.calls)


def _sums(source: facts.Source, period: Period, buckets: Buckets, filters: Filters):
    """The source's figures per bucket, from the running totals where the filters allow."""
    return totals.sums(source, period.starts_at, period.ends_at, buckets.edges, filters)


def satisfaction(period: Period, filters: Filters) -> list[SatisfactionWeek]:
    buckets = weekly(period)
    weeks = [SatisfactionWeek(start) for start in buckets.starts]
    for b, sums in _sums(facts.CALLS, period, buckets, filters).items():
        week = weeks[b]
        week.calls, week.scored = int(sums["calls"]), int(sums["scored"])
        week.dissatisfied = int(sums["dissatisfied"])
        if week.scored:
            week.average_score = round(float(sums["score_sum"]) / week.scored, 1)
    return weeks


def satisfaction_total(weeks: list[SatisfactionWeek], period: Period) -> SatisfactionWeek:
    """The period's figures from its weeks (the average weighted by the scored calls)."""
    total = SatisfactionWeek(period.start)
    weighted = 0.0
    for week in weeks:
        total.calls += week.calls
        total.scored += week.scored
        total.dissatisfied += week.dissatisfied
        if week.average_score is not None:
            weighted += week.average_score * week.scored
    total.average_score = round(weighted / total.scored, 1) if total.scored else None
    return total


# --- complaints by category and cause, per week; the top three --------------------------------


def _complaint_scope(period: Period, filters: Filters, query, *, kind=ComplaintKind.COMPLAINT):
    # from complaints even when the query selects only a constant (one bucket): the joins below
    # need their left side
    query = query.select_from(Complaint).where(
        Complaint.created_at >= period.starts_at,
        Complaint.created_at < period.ends_at,
        Complaint.kind == kind,
        Complaint.status != ComplaintStatus.MERGED,
    )
    if filters.client_id:
        query = query.where(Complaint.client_id == filters.client_id)
    if filters.technician_id:
        query = query.where(Complaint.technician_id == filters.technician_id)
    if filters.work_type_id:
        query = query.join(Order, Order.id == Complaint.order_id).where(
            Order.work_type_id == filters.work_type_id
        )
    if filters.operator_id:
        query = query.join(Response, Response.id == Complaint.response_id).where(
            Response.operator_id == filters.operator_id
        )
    return query


@dataclass
class Stacked:
    """Counts per week and key (category or cause): ``counts[key][week]``."""

    starts: list[date]
    keys: list[str] = field(default_factory=list)
    counts: dict[str, list[int]] = field(default_factory=dict)

    def week_total(self, n: int) -> int:
        return sum(self.counts[key][n] for key in self.keys)

    @property
    def total(self) -> int:
        return sum(sum(v) for v in self.counts.values())


@dataclass(frozen=True)
class ComplaintCounts:
    """The period's complaints counted once per week, category, cause and first-answer state
    (one statement, a few hundred rows at most): what the charts of categories and causes,
    the top three and deadline compliance are made of."""

    starts: list[date]
    rows: list[tuple[int, str, str, str, int]]  # (week, category, cause key, state, count)
    # The complaints' other categories, beyond the main one the rows carry: (week, category,
    # count). Counted with the categories only.
    extra: list[tuple[int, str, int]] = field(default_factory=list)

    def per_category(self) -> dict[str, int]:
        """Each category's complaints in the period, every category of a complaint counted."""
        out: dict[str, int] = defaultdict(int)
        for _b, category, _cause, _state, n in self.rows:
            out[category] += n
        for _b, category, n in self.extra:
            out[category] += n
        return out


def _cause_key():
    return case(
        (Complaint.cause_category.is_not(None), Complaint.cause_category),
        (Complaint.status.in_(FINISHED), literal(NO_CAUSE_FINISHED)),
        else_=literal(NO_CAUSE),
    )


def _deadline_state(now: datetime):
    """The first-answer deadline as the deadline report counts it: answered by the due time,
    late, or not answered and past due (else still running)."""
    answered = Complaint.first_answered_at.is_not(None)
    return case(
        (and_(answered, Complaint.first_answered_at <= Complaint.first_answer_due_at), "on_time"),
        (answered, "late"),
        (Complaint.first_answer_due_at < now, "missed"),
        else_="running",
    )


def complaint_counts(period: Period, filters: Filters, *, now: datetime) -> ComplaintCounts:
    buckets = weekly(period)
    inner = _complaint_scope(
        period,
        filters,
        select(
            buckets.index(Complaint.created_at).label("b"),
            Complaint.category.label("category"),
            _cause_key().label("cause"),
            _deadline_state(now).label("state"),
        ),
    ).subquery()
    key = (inner.c.b, inner.c.category, inner.c.cause, inner.c.state)
    rows = db.session.execute(select(*key, func.count()).group_by(*key)).all()
    extra = _other_categories(
        period, filters, select(buckets.index(Complaint.created_at).label("b"))
    ).subquery()
    extra_key = (extra.c.b, extra.c.category)
    extra_rows = db.session.execute(select(*extra_key, func.count()).group_by(*extra_key)).all()
    return ComplaintCounts(
        buckets.starts, [tuple(row) for row in rows], [tuple(row) for row in extra_rows]
    )


def _other_categories(period: Period, filters: Filters, query):
    """``query`` (of the period's complaints in scope) with a row per category of a complaint
    beyond its main one (``category``), read along ``complaint_categories``' unique index: what
    counting each category adds to the main categories the complaints' index holds."""
    return _complaint_scope(period, filters, query.add_columns(ComplaintCategory.category)).join(
        ComplaintCategory,
        and_(
            ComplaintCategory.complaint_id == Complaint.id,
            ComplaintCategory.category != Complaint.category,
        ),
    )


def stacked(counts: ComplaintCounts, by: str) -> Stacked:
    """Complaints per week by ``category`` (each category of a complaint counted) or ``cause``
    (each complaint once) (most frequent key first; for causes, the finished without one and the
    not classified yet last)."""
    per_key: dict[str, list[int]] = defaultdict(lambda: [0] * len(counts.starts))
    for b, category, cause, _state, n in counts.rows:
        per_key[category if by == "category" else cause][b] += n
    if by == "category":
        for b, category, n in counts.extra:
            per_key[category][b] += n
    last = {NO_CAUSE_FINISHED: 1, NO_CAUSE: 2} if by == "cause" else {}
    keys = sorted(per_key, key=lambda k: (last.get(k, 0), -sum(per_key[k]), k))
    return Stacked(counts.starts, keys, dict(per_key))


def complaints_by(period: Period, filters: Filters, by: str) -> Stacked:
    """Complaints per week by ``category`` or ``cause``."""
    return stacked(complaint_counts(period, filters, now=datetime.now(UTC)), by)


@dataclass
class Problem:
    category: str
    count: int
    previous: int

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def change_share(self) -> float | None:
        """The change as a share of the previous count (None when there was none)."""
        return _share(self.change, self.previous)


def _category_counts(period: Period, filters: Filters) -> dict[str, int]:
    """Each category's complaints in the period, every category of a complaint counted."""
    query = _complaint_scope(
        period, filters, select(Complaint.category, func.count()).group_by(Complaint.category)
    )
    counts = defaultdict(int, db.session.execute(query).all())
    other = _other_categories(period, filters, select(func.count())).group_by(
        ComplaintCategory.category
    )
    for n, category in db.session.execute(other).all():
        counts[category] += n
    return dict(counts)


def top_problems(
    period: Period, filters: Filters, limit: int = TOP, *, counts: ComplaintCounts | None = None
) -> list[Problem]:
    """The most frequent complaint categories of the period, with the previous period's count
    (the period's own from ``counts`` when the caller has them)."""
    now = _category_counts(period, filters) if counts is None else counts.per_category()
    before = _category_counts(period.previous(), filters)
    top = sorted(now, key=lambda k: (-now[k], k))[:limit]
    return [Problem(k, now[k], before.get(k, 0)) for k in top]


# --- first-time fix and poaching, per month ---------------------------------------------------


@dataclass
class QualityMonth:
    start: date
    orders: int = 0
    repeat_repairs: int = 0  # confirmed
    calls: int = 0  # completed
    poaching: int = 0

    @property
    def first_time_fix(self) -> float | None:
        return _share(self.orders - self.repeat_repairs, self.orders)

    @property
    def poaching_per_1000(self) -> float | None:
        return round(self.poaching * 1000 / self.calls, 2) if self.calls else None


def quality_by_month(period: Period, filters: Filters) -> list[QualityMonth]:
    buckets = monthly(period)
    months = [QualityMonth(start) for start in buckets.starts]
    for b, sums in _sums(facts.ORDERS, period, buckets, filters).items():
        months[b].orders, months[b].repeat_repairs = (
            int(sums["orders"]),
            int(sums["repeat_repairs"]),
        )
    for b, sums in _sums(facts.CALLS, period, buckets, filters).items():
        months[b].calls = int(sums["calls"])
    poaching = _complaint_scope(
        period,
        filters,
        select(buckets.index(Complaint.created_at).label("b")),
        kind=ComplaintKind.POACHING,
    )
    for b, n in db.session.execute(_grouped(poaching, lambda s: func.count())):
        months[b].poaching = n
    return months


# --- deadline compliance, per week ------------------------------------------------------------


@dataclass
class DeadlineWeek:
    start: date
    opened: int = 0
    on_time: int = 0
    late: int = 0
    missed: int = 0  # no answer yet, and the deadline has passed

    @property
    def decided(self) -> int:
        return self.on_time + self.late + self.missed

    @property
    def on_time_share(self) -> float | None:
        return _share(self.on_time, self.decided)


def deadlines(counts: ComplaintCounts) -> list[DeadlineWeek]:
    """The first-answer deadline per week the complaint was opened (``_deadline_state``)."""
    weeks = [DeadlineWeek(start) for start in counts.starts]
    for b, _category, _cause, state, n in counts.rows:
        week = weeks[b]
        week.opened += n
        if state != "running":
            setattr(week, state, getattr(week, state) + n)
    return weeks


def deadlines_by_week(period: Period, filters: Filters, *, now: datetime) -> list[DeadlineWeek]:
    return deadlines(complaint_counts(period, filters, now=now))


# --- operators --------------------------------------------------------------------------------


@dataclass
class OperatorLine:
    user: User
    dials: int
    hours: int  # clock hours with at least one dial
    reached: int
    completed: int
    average_handle_seconds: float | None
    callbacks_due: int
    callbacks_kept: int

    @property
    def calls_per_hour(self) -> float | None:
        return round(self.dials / self.hours, 1) if self.hours else None

    @property
    def contact_rate(self) -> float | None:
        return _share(self.reached, self.dials)

    @property
    def completion_rate(self) -> float | None:
        return _share(self.completed, self.dials)

    @property
    def callbacks_kept_share(self) -> float | None:
        return _share(self.callbacks_kept, self.callbacks_due)


def _attempt_scope(filters: Filters, query):
    if filters.by_order:
        query = (
            query.join(CallTask, CallTask.id == CallAttempt.task_id)
            .join(Order, Order.id == CallTask.order_id)
            .where(*filters.order_conditions())
        )
    if filters.operator_id:
        query = query.where(CallAttempt.operator_id == filters.operator_id)
    return query


def operators(period: Period, filters: Filters) -> list[OperatorLine]:
    completed = CallAttempt.outcome == CallOutcome.COMPLETED
    handle = _seconds_between(CallAttempt.started_at, CallAttempt.ended_at)
    dials = _attempt_scope(
        filters,
        select(
            CallAttempt.operator_id,
            func.count(),
            func.count(func.distinct(_hour_of(CallAttempt.started_at))),
            _count(CallAttempt.outcome.in_(REACHED)),
            _count(completed),
            func.avg(case((and_(completed, CallAttempt.ended_at.is_not(None)), handle))),
        )
        .where(CallAttempt.started_at >= period.starts_at, CallAttempt.started_at < period.ends_at)
        .group_by(CallAttempt.operator_id),
    )
    # A callback promised (an attempt ended "callback" with a time), due in the period; kept
    # when a later dial of the same task started by the promised time plus the grace.
    later = CallAttempt.__table__.alias("later")
    kept = exists().where(
        later.c.task_id == CallAttempt.task_id,
        later.c.started_at > CallAttempt.started_at,
        _seconds_between(CallAttempt.callback_at, later.c.started_at)
        <= CALLBACK_GRACE.total_seconds(),
    )
    callbacks = _attempt_scope(
        filters,
        select(CallAttempt.operator_id, func.count(), _count(kept))
        .where(
            CallAttempt.outcome == CallOutcome.CALLBACK,
            CallAttempt.callback_at >= period.starts_at,
            CallAttempt.callback_at < period.ends_at,
        )
        .group_by(CallAttempt.operator_id),
    )
    promised = {op: (n, k) for op, n, k in db.session.execute(callbacks)}
    rows = db.session.execute(dials).all()
    ids = {r[0] for r in rows} | set(promised)
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    lines = []
    for op, n, hours, reached, done, average in rows:
        due, kept_n = promised.pop(op, (0, 0))
        lines.append(
            OperatorLine(
                users[op],
                n,
                hours,
                reached,
                done,
                round(float(average), 1) if average is not None else None,
                due,
                kept_n,
            )
        )
    for op, (due, kept_n) in promised.items():
        lines.append(OperatorLine(users[op], 0, 0, 0, 0, None, due, kept_n))
    return sorted(lines, key=lambda line: line.user.name)


# --- the funnel -------------------------------------------------------------------------------


@dataclass
class Step:
    key: str
    count: int
    of_previous: float | None  # the conversion from the step before


# (the step, its figure in ``facts.ORDERS``)
STEPS = (
    ("orders", "orders"),
    ("call_tasks", "with_task"),
    ("reached", "reached"),
    ("surveyed", "surveyed"),
    ("complaint", "with_complaint"),
    ("resolved", "resolved"),
)


def funnel(period: Period, filters: Filters) -> list[Step]:
    """Orders completed in the period and how far they got (``facts.ORDERS``)."""
    whole = Buckets([period.start], [period.starts_at])
    sums = _sums(facts.ORDERS, period, whole, filters).get(0, {})
    steps, previous = [], None
    for key, figure in STEPS:
        n = int(sums.get(figure, 0))
        steps.append(Step(key, n, None if previous is None else _share(n, previous)))
        previous = n
    return steps


# --- NPS and CSAT -----------------------------------------------------------------------------


@dataclass
class Loyalty:
    answers: int = 0
    promoters: int = 0
    detractors: int = 0
    satisfied_answers: int = 0
    satisfied: int = 0

    @property
    def nps(self) -> float | None:
        """% promoters (9-10) − % detractors (0-6), from −100 to 100."""
        if not self.answers:
            return None
        return round((self.promoters - self.detractors) * 100 / self.answers, 1)

    @property
    def csat(self) -> float | None:
        """% of the satisfaction answers in the scale's top two options."""
        if not self.satisfied_answers:
            return None
        return round(self.satisfied * 100 / self.satisfied_answers, 1)


def loyalty(period: Period, filters: Filters) -> Loyalty:
    """NPS and CSAT of the period's answers (``facts.ANSWERS``)."""
    whole = Buckets([period.start], [period.starts_at])
    sums = _sums(facts.ANSWERS, period, whole, filters).get(0, {})
    return Loyalty(
        answers=int(sums.get("recommend_answers", 0)),
        promoters=int(sums.get("promoters", 0)),
        detractors=int(sums.get("detractors", 0)),
        satisfied_answers=int(sums.get("satisfaction_answers", 0)),
        satisfied=int(sums.get("satisfied", 0)),
    )
