"""Demo activity: the call desk's weeks of work, then the QC department's work on the
complaints it opened and the repeat-repair commission's decisions (``demo.qc``,
``demo.repeats``), all made through the real services (the scheduler's task generation,
claiming, recording outcomes, submitting, the QC and anti-poaching workflows, the review), so
the demo's complaints carry genuine snapshots, deadlines, timelines and audit entries, and
every report has weeks to show.

Deterministic for a seed and a moment (``now``): every choice comes from ``random.Random``
streams seeded with the seed, and the rows are read in a fixed order. Run once:
``flask seed-demo-activity`` does nothing when the demo already has responses.

The desk, day by day from the first day of the month before last (so last month and the
month before it are whole; at least ``MIN_WEEKS`` weeks; never before the first order) to now:

* in the morning the scheduler adds the call tasks of the orders completed so far (the same
  ``generate_due_calls`` the periodic job runs), as if switched on when the desk opened: the
  orders of the week before its first day are called, older ones never;
* from about 10:00 UTC, when every demo client's calling hours are open, the operators take
  "Next call" one call after another (callbacks promised to them first, then the oldest call
  due), until the day's work is done: the calls that were due ``LAG_DAYS`` days before, the
  retries and the callbacks of the day, at most ``per_day`` calls. The desk runs that far
  behind, so the last days' calls are left for the people trying the demo;
* a call ends as calls do: mostly a finished survey, else no answer, busy, voicemail, a
  refusal, a wrong number, or a callback at a time the customer names: kept when the operator
  is at the desk then (called back within the report's grace), missed when it falls before
  the next shift;
* the customers' answers: mostly the best one, less often for the technicians who work worse
  (each technician has their own share); a 0-10 "recommend" question answered like a
  promoter, or like a detractor after a complaint, or skipped; every ``POACHING_EVERY``-th
  survey says the technician left personal contacts.

Then the reports' running totals are counted (``totals.recount``), so Reports -> Overview shows
the weeks at once instead of waiting for the periodic job.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import and_, func, or_, select

from console.demo import qc as demo_qc
from console.demo import repeats as demo_repeats
from console.extensions import db
from console.models import (
    CallOutcome,
    CallTask,
    Complaint,
    ComplaintKind,
    Order,
    Response,
    Role,
    TaskStatus,
    User,
    utcnow,
)
from console.scripts.question_types import question_type
from console.services.calls import tasks as calls
from console.services.calls.generate import generate_due_calls
from console.services.calls.submit import submit_call
from console.services.reports import totals
from console.services.scripts.library import definition_of

MIN_WEEKS = 8
OPENED_WITH_DAYS = 7  # the desk's first day calls the orders of the week before, not older
LAG_DAYS = 3  # a day's calls: those due three days before, the day's retries and callbacks
PER_DAY = 40  # the most calls the desk makes in a day (`flask seed-demo-activity --calls`)
SHIFT_STARTS = time(10, 0)  # UTC: every demo client's calling hours are open until 13:00
SHIFT_ENDS = time(14, 45)
POACHING_EVERY = 30  # one survey in 30 says the technician left personal contacts
SKIP_OPTIONAL = 0.1  # a customer who does not answer an optional question
DEMO_COMMENT = "Demo comment"

# How a dial ends: (outcome, weight, seconds it takes).
FIRST_DIAL = (
    (CallOutcome.COMPLETED, 64, (150, 420)),
    (CallOutcome.NO_ANSWER, 14, (30, 60)),
    (CallOutcome.BUSY, 5, (10, 25)),
    (CallOutcome.VOICEMAIL, 5, (30, 50)),
    (CallOutcome.CALLBACK, 9, (60, 120)),
    (CallOutcome.REFUSED, 2, (40, 90)),
    (CallOutcome.WRONG_NUMBER, 1, (20, 40)),
)
CALLED_BACK = (  # the customer asked for this call
    (CallOutcome.COMPLETED, 85, (150, 420)),
    (CallOutcome.NO_ANSWER, 15, (30, 60)),
)
KEPT_CALLBACKS = 0.65  # asked for a time while the operator is at the desk
# NPS: a customer without a complaint answers 0-10 with these weights; after one, 0-6 mostly.
PROMOTER_WEIGHTS = (1, 0, 1, 1, 2, 3, 5, 8, 15, 25, 39)
DETRACTOR_WEIGHTS = (8, 6, 9, 12, 14, 16, 14, 10, 6, 3, 2)


def has_activity() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Response)))


# --- answers --------------------------------------------------------------------------------


def demo_answers(
    definition: dict,
    rng: random.Random,
    *,
    left_contacts: bool = False,
    best_share: float = 0.85,
) -> dict:
    """Answers a customer might give: the shown questions, in order, one option each (the best
    one ``best_share`` of the time); the technician's personal contacts only when
    ``left_contacts``; a "recommend" question as a promoter would, or a detractor after a
    complaint, and now and then not at all when it is optional."""
    answers: dict[str, dict] = {}
    complained = False
    for question in definition["questions"]:
        condition = question.get("show_if")
        if condition:
            ticked = set((answers.get(condition["question"]) or {}).get("options") or [])
            if not ticked & set(condition["any_of"]):
                continue
        options = question.get("options") or []
        if not question_type(question["kind"]).has_options or not options:
            if question.get("required"):
                answers[question["key"]] = {"options": [], "text": DEMO_COMMENT}
            continue
        if not question.get("required") and rng.random() < SKIP_OPTIONAL:
            continue
        poaching = [o for o in options if o.get("poaching")]
        if poaching:
            others = [o for o in options if not o.get("poaching")]
            chosen = poaching[0] if left_contacts or not others else others[0]
        elif question.get("role") == "recommend":
            weights = DETRACTOR_WEIGHTS if complained else PROMOTER_WEIGHTS
            value = rng.choices(range(11), weights=weights)[0]
            chosen = next((o for o in options if str(o["key"]) == str(value)), options[-1])
        else:
            best = max(options, key=lambda o: o.get("points") or 0)
            others = [o for o in options if o is not best]
            chosen = best if rng.random() < best_share or not others else rng.choice(others)
        complained = complained or bool(chosen.get("complaint"))
        answers[question["key"]] = {
            "options": [chosen["key"]],
            "text": DEMO_COMMENT if chosen.get("comment_required") else None,
        }
    return answers


def _best_share(seed: int, technician_id: int | None) -> float:
    """How often this technician's customers give the best answer: 0.82 to 0.96, the same
    technician always the same, so the KPI has a spread and its ranks stay put."""
    return random.Random(f"{seed}/technician/{technician_id}").uniform(0.82, 0.96)


# --- the desk -------------------------------------------------------------------------------


def history_start(now: datetime) -> datetime:
    """The desk's first day: the first day of the month before last (UTC), at least
    ``MIN_WEEKS`` weeks back, and not before the first order was completed."""
    first_of_this = now.date().replace(day=1)
    before_last = (first_of_this - timedelta(days=1)).replace(day=1)
    before_last = (before_last - timedelta(days=1)).replace(day=1)
    start = min(before_last, now.date() - timedelta(weeks=MIN_WEEKS))
    first_order = db.session.scalar(select(func.min(Order.completed_at)))
    if first_order is not None:
        start = max(start, first_order.date())
    return datetime.combine(start, time(0), tzinfo=UTC)


@dataclass
class DeskSummary:
    days: int = 0
    dials: int = 0
    surveys: int = 0
    callbacks: int = 0
    complaints: list[Complaint] = field(default_factory=list)


@dataclass(order=True)
class _Turn:
    """An operator at the desk at ``at``: their next call, or a callback they promised."""

    at: datetime
    seq: int
    operator: int = field(compare=False)
    appointment: bool = field(compare=False, default=False)


class _Desk:
    def __init__(self, operators: list[User], rng: random.Random, seed: int, per_day: int):
        self.operators = operators
        self.rng = rng
        self.seed = seed
        self.per_day = per_day
        self.turns: list[_Turn] = []
        self.seq = 0
        self.summary = DeskSummary()
        self.budget = 0

    def push(self, at: datetime, operator: int, *, appointment: bool = False) -> None:
        self.seq += 1
        heapq.heappush(self.turns, _Turn(at, self.seq, operator, appointment))

    def work_day(self, day: date, now: datetime, opened: date) -> None:
        morning = datetime.combine(day, time(6), tzinfo=UTC)
        if morning <= now:
            _scheduler(morning, (day - opened).days)
        opens = datetime.combine(day, SHIFT_STARTS, tzinfo=UTC)
        self.budget = min(self.per_day, self._days_work(opens))
        self.summary.days += 1
        count = len(self.operators)
        for n in range(count):  # who starts first changes from day to day
            place = (n + day.toordinal()) % count
            self.push(opens + timedelta(minutes=7 * place + self.rng.randint(0, 10)), n)
        closes = min(datetime.combine(day, SHIFT_ENDS, tzinfo=UTC), now - timedelta(minutes=10))
        while self.turns and self.turns[0].at <= closes:
            turn = heapq.heappop(self.turns)
            if not turn.appointment and self.budget <= 0:
                continue
            ended = self._call(turn, now)
            if ended is not None and not turn.appointment:
                # Each operator has their own pace between calls (the first one is the quickest).
                pause = self.rng.randint(40, 180) * (1 + turn.operator / 2)
                self.push(ended + timedelta(seconds=pause), turn.operator)
        # Promised callbacks later than the shift stay in line for their day; the rest of the
        # turns end with the shift.
        self.turns = [t for t in self.turns if t.appointment and t.at > closes]
        heapq.heapify(self.turns)

    def _days_work(self, opens: datetime) -> int:
        """The calls due before the lag, and the day's retries and callbacks."""
        closes = opens.replace(hour=SHIFT_ENDS.hour, minute=SHIFT_ENDS.minute)
        return db.session.scalar(
            select(func.count())
            .select_from(CallTask)
            .where(
                CallTask.status == TaskStatus.PENDING,
                or_(
                    CallTask.due_at < opens - timedelta(days=LAG_DAYS),
                    and_(CallTask.attempts > 0, CallTask.due_at < closes),
                    and_(CallTask.is_callback.is_(True), CallTask.due_at < closes),
                ),
            )
        )

    def _call(self, turn: _Turn, now: datetime) -> datetime | None:
        """One "Next call" and how it ended; the moment it ended, or None (nothing to call)."""
        operator, at, rng = self.operators[turn.operator], turn.at, self.rng
        task = calls.claim_next_call(operator, now=at)
        if task is None:
            return None
        self.budget -= 1
        self.summary.dials += 1
        if task.script_version is None:  # no script for this order: nothing to ask
            calls.record_outcome(
                task,
                operator,
                task.lease_token,
                CallOutcome.NO_ANSWER,
                now=at + timedelta(seconds=40),
            )
            db.session.commit()
            return at + timedelta(seconds=40)
        choices = CALLED_BACK if task.is_callback else FIRST_DIAL
        outcome, _, (low, high) = rng.choices(choices, weights=[c[1] for c in choices])[0]
        ended = at + timedelta(seconds=rng.randint(low, high))
        if outcome == CallOutcome.COMPLETED:
            self._survey(task, operator, ended)
        elif outcome == CallOutcome.CALLBACK:
            callback_at, kept = self._callback_time(ended)
            calls.record_outcome(
                task,
                operator,
                task.lease_token,
                outcome,
                callback_at=callback_at,
                only_me=True,
                now=ended,
            )
            db.session.commit()
            self.summary.callbacks += 1
            if kept:
                at = callback_at + timedelta(minutes=rng.randint(0, 8))
                self.push(at, turn.operator, appointment=True)
        else:
            calls.record_outcome(task, operator, task.lease_token, outcome, now=ended)
            db.session.commit()
        return ended

    def _callback_time(self, ended: datetime) -> tuple[datetime, bool]:
        """A time the customer names: within the next shift's first hours (the operator will be
        there), or early the next morning, before anyone is (a callback that is missed)."""
        rng, day = self.rng, ended.date()
        if rng.random() < KEPT_CALLBACKS:
            later = ended + timedelta(minutes=rng.randint(60, 150))
            if later.time() <= time(12, 30):
                return later, True
            start = datetime.combine(day + timedelta(days=1), time(10, 30), tzinfo=UTC)
            return start + timedelta(minutes=rng.randint(0, 120)), True
        early = datetime.combine(day + timedelta(days=1), time(8, 0), tzinfo=UTC)
        return early + timedelta(minutes=rng.randint(0, 90)), False

    def _survey(self, task: CallTask, operator: User, ended: datetime) -> None:
        self.summary.surveys += 1
        answers = demo_answers(
            definition_of(task.script_version),
            self.rng,
            left_contacts=self.summary.surveys % POACHING_EVERY == POACHING_EVERY // 2,
            best_share=_best_share(self.seed, task.order.technician_id),
        )
        submitted = submit_call(
            task.id,
            user=operator,
            lease_token=task.lease_token,
            submit_key=task.submit_key,
            answers=answers,
            now=ended,
        )
        self.summary.complaints.extend(submitted.complaints)


def _scheduler(morning: datetime, days_open: int) -> None:
    """The scheduler's run that morning (``generate_due_calls``), as if it was switched on when
    the desk opened: the orders completed in the week before are called, older ones never
    (they are the demo's history before the desk; calling them all on its first days would
    make a month of calls in a week)."""
    config = current_app.config
    max_age = config["CALL_MAX_AGE_DAYS"]
    config["CALL_MAX_AGE_DAYS"] = min(max_age, days_open + OPENED_WITH_DAYS)
    try:
        generate_due_calls(now=morning)
    finally:
        config["CALL_MAX_AGE_DAYS"] = max_age


def simulate_desk(
    rng: random.Random, now: datetime, *, seed: int = 1, per_day: int = PER_DAY
) -> DeskSummary:
    """The operators' calls, day by day, from ``history_start`` to ``now``. Commits."""
    operators = list(
        db.session.scalars(
            select(User).where(User.role == Role.OPERATOR, User.active.is_(True)).order_by(User.id)
        )
    )
    desk = _Desk(operators, rng, seed, per_day)
    if not operators:
        return desk.summary
    opened = day = history_start(now).date()
    while day <= now.date():
        desk.work_day(day, now, opened)
        day += timedelta(days=1)
    return desk.summary


def calls_due_now(now: datetime) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(CallTask)
        .where(CallTask.status == TaskStatus.PENDING, CallTask.due_at <= now)
    )


def seed_activity(per_day: int = PER_DAY, seed: int = 1, *, now: datetime | None = None) -> str:
    """The desk's weeks of calls, the QC department's work on their complaints and the
    repeat-repair commission's decisions; then the reports' running totals. Commits."""
    now = now or utcnow()
    rng = random.Random(seed)
    desk = simulate_desk(rng, now, seed=seed, per_day=per_day)
    db.session.commit()
    steps = demo_qc.work_the_complaints(desk.complaints, random.Random(f"{seed}/qc"), now)
    db.session.commit()
    repeats = demo_repeats.review(random.Random(f"{seed}/repeats"), now, since=history_start(now))
    db.session.commit()
    # Reports -> Overview reads running totals: count them now rather than have the page wait
    # minutes for the periodic job to work through weeks of marked hours.
    totals.recount()
    cases = sum(1 for c in desk.complaints if c.kind == ComplaintKind.POACHING)
    return (
        f"Demo activity: {desk.dials} calls over {desk.days} days ({desk.surveys} surveys, "
        f"{desk.callbacks} callbacks), {len(desk.complaints) - cases} complaints "
        f"and {cases} anti-poaching cases opened ({steps}); {repeats} repeat repairs "
        f"confirmed; {calls_due_now(now)} calls due now."
    )
