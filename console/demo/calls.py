"""Demo activity: operators' finished calls and the QC department's first steps on the complaints
they created, all made through the real services (claiming, submitting, the QC workflow), so
the demo's complaints carry genuine snapshots, deadlines, timelines and audit entries.

Deterministic for a seed, and run once: ``flask seed-demo-activity`` does nothing when the
demo already has responses.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from console.extensions import db
from console.models import (
    ActionKind,
    CallOutcome,
    Complaint,
    ComplaintKind,
    Order,
    RepeatRepairSource,
    RepeatRepairState,
    Response,
    Role,
    Technician,
    TechnicianRole,
    TechnicianStatus,
    User,
    Validity,
    utcnow,
)
from console.scripts.question_types import question_type
from console.services.calls import tasks as calls
from console.services.calls.submit import submit_call
from console.services.complaints import workflow as complaint_workflow
from console.services.orders import repeat_repairs
from console.services.scripts.library import definition_of

# How an answer is picked: mostly the best one; sometimes any. "Left contacts" is rare, but the
# demo must show the anti-poaching process: one completed call in every POACHING_EVERY says so.
BEST_SHARE = 0.85
POACHING_EVERY = 25
# Calls before the last three days: several weeks of them, for the technicians' KPI by month.
PAST_DAYS = 56
# The repeat-repair bonus tiers need technicians of each role with 0, 1 and more confirmed
# repeat repairs in the last 90 days (DOMAIN.md, 000).
REPEAT_TARGETS = (1, 2, 3)
DEMO_COMMENT = "Demo comment"


def has_activity() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(Response)))


def demo_answers(definition: dict, rng: random.Random, *, left_contacts: bool = False) -> dict:
    """Answers a customer might give: the shown questions, in order, one option each; the
    technician's personal contacts only when ``left_contacts``."""
    answers: dict[str, dict] = {}
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
        poaching = [o for o in options if o.get("poaching")]
        if poaching:
            others = [o for o in options if not o.get("poaching")]
            chosen = poaching[0] if left_contacts or not others else others[0]
        elif rng.random() < BEST_SHARE:
            chosen = max(options, key=lambda o: o.get("points") or 0)
        else:
            chosen = rng.choice(options)
        answers[question["key"]] = {
            "options": [chosen["key"]],
            "text": DEMO_COMMENT if chosen.get("comment_required") else None,
        }
    return answers


def _moment(rng: random.Random, now: datetime) -> datetime:
    """A time in the last three days when the demo clients take calls (10:00-15:00 UTC)."""
    day = (now - timedelta(days=rng.randint(0, 3))).date()
    moment = datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    moment += timedelta(minutes=rng.randint(0, 300))
    if moment > now - timedelta(minutes=15):
        moment -= timedelta(days=1)
    return moment


def _past_moment(rng: random.Random, now: datetime) -> datetime:
    """A call time 4 to PAST_DAYS days ago, 10:00-15:00 UTC: the weeks of calls before the
    last three days, so the technicians' KPI has months to compare."""
    day = (now - timedelta(days=rng.randint(4, PAST_DAYS))).date()
    return datetime(day.year, day.month, day.day, 10, tzinfo=UTC) + timedelta(
        minutes=rng.randint(0, 300)
    )


def simulate_calls(
    count: int, rng: random.Random, now: datetime, *, past: int = 0
) -> list[Complaint]:
    """``past`` calls spread over the weeks before (the queue's oldest tasks due by then),
    then ``count`` calls in the last three days."""
    operators = list(
        db.session.scalars(
            select(User).where(User.role == Role.OPERATOR, User.active.is_(True)).order_by(User.id)
        )
    )
    if not operators:
        return []
    moments = sorted(_past_moment(rng, now) for _ in range(past))
    moments += sorted(_moment(rng, now) for _ in range(count))
    made: list[Complaint] = []
    for n, moment in enumerate(moments):
        operator = operators[n % len(operators)]
        task = calls.claim_next_call(operator, now=moment)
        if task is None:
            continue
        if task.script_version is None:
            calls.record_outcome(
                task, operator, task.lease_token, CallOutcome.NO_ANSWER, now=moment
            )
            db.session.commit()
            continue
        answers = demo_answers(
            definition_of(task.script_version),
            rng,
            left_contacts=n % POACHING_EVERY == POACHING_EVERY // 2,
        )
        submitted = submit_call(
            task.id,
            user=operator,
            lease_token=task.lease_token,
            submit_key=task.submit_key,
            answers=answers,
            now=moment + timedelta(minutes=rng.randint(2, 7)),
        )
        made.extend(submitted.complaints)
    return made


def qc_first_steps(complaints: list[Complaint], rng: random.Random, now: datetime) -> None:
    """The QC department has started on the older complaints: assigned, answered, decided."""
    qc = db.session.scalar(
        select(User).where(User.role == Role.QC, User.active.is_(True)).order_by(User.id)
    )
    if qc is None:
        return
    for complaint in complaints:
        if complaint.kind != ComplaintKind.COMPLAINT:
            continue
        age = now - complaint.created_at
        if age < timedelta(hours=2) or rng.random() < 0.3:
            continue  # new, nobody has it yet
        at = complaint.created_at + timedelta(minutes=rng.randint(10, 90))
        complaint_workflow.assign(complaint, assignee=qc, by=qc, now=at)
        if age < timedelta(hours=10) or rng.random() < 0.3:
            continue
        at += timedelta(minutes=rng.randint(20, 240))
        complaint_workflow.log_contact(
            complaint,
            summary="Called the customer back, apologised and promised a decision.",
            by=qc,
            now=at,
        )
        if rng.random() < 0.5:
            continue
        at += timedelta(hours=rng.randint(1, 20))
        if rng.random() < 0.25:
            complaint_workflow.classify(
                complaint, validity=Validity.INVALID, reason="Work done as ordered.", by=qc, now=at
            )
            complaint_workflow.close(complaint, by=qc, now=at)
            continue
        complaint_workflow.classify(
            complaint,
            validity=Validity.VALID,
            reason="Confirmed with the customer.",
            by=qc,
            now=at,
        )
        if complaint.technician is not None:
            complaint_workflow.set_cause(
                complaint, cause="workmanship", technician=complaint.technician, by=qc, now=at
            )
            complaint_workflow.add_action(
                complaint, kind=ActionKind.FINE, amount=Decimal("1000"), by=qc, now=at
            )
            complaint_workflow.resolve(complaint, by=qc, now=at)


def repeat_repairs_reviewed(rng: random.Random, now: datetime) -> int:
    """The booking check over the demo's recent orders (they were written in bulk, past the
    intake), then the commission's decision on about half of the possible repeat repairs."""
    since = now - timedelta(days=45)
    for order in db.session.scalars(
        select(Order).where(Order.completed_at >= since).order_by(Order.completed_at)
    ):
        repeat_repairs.check_repeat_repair(order, now=now)
    db.session.flush()
    qc = db.session.scalar(
        select(User).where(User.role == Role.QC, User.active.is_(True)).order_by(User.id)
    )
    confirmed = 0
    possible = db.session.scalars(
        select(Order)
        .where(Order.repeat_repair_state == RepeatRepairState.POSSIBLE)
        .order_by(Order.completed_at)
    ).all()
    for order in possible:
        if qc is None or rng.random() < 0.5 or order.technician is None:
            continue
        cause = rng.choice(["workmanship", "parts", "diagnosis"])
        at = order.completed_at + timedelta(days=rng.randint(1, 4))
        repeat_repairs.confirm(
            order, cause=cause, responsible_technician=order.technician, by=qc, now=min(at, now)
        )
        confirmed += 1
    return confirmed


def repeat_repairs_for_every_tier(now: datetime) -> int:
    """Make sure each role has technicians with 0, 1 and 2 or more repeat repairs confirmed in
    the last 90 days: the first technicians of each role who have none get 1, 2 and 3 (on
    their own recent orders, flagged as a customer's answer would and confirmed by QC); the
    others keep what the review gave them. Returns how many were confirmed here."""
    qc = db.session.scalar(
        select(User).where(User.role == Role.QC, User.active.is_(True)).order_by(User.id)
    )
    if qc is None:
        return 0
    since = now - timedelta(days=90)
    counts = dict(
        db.session.execute(
            select(Order.repeat_repair_responsible_id, func.count())
            .where(
                Order.repeat_repair_state == RepeatRepairState.CONFIRMED,
                Order.repeat_repair_reviewed_at >= since,
            )
            .group_by(Order.repeat_repair_responsible_id)
        ).all()
    )
    confirmed = 0
    for role in TechnicianRole:
        crew = db.session.scalars(
            select(Technician)
            .where(Technician.role == role, Technician.status == TechnicianStatus.ACTIVE)
            .order_by(Technician.id)
        ).all()
        have = {min(counts.get(t.id, 0), 2) for t in crew}
        wanted = [t for t in REPEAT_TARGETS if min(t, 2) not in have]
        idle = [t for t in crew if not counts.get(t.id)]
        for target, technician in zip(wanted, idle[1:], strict=False):  # idle[0] keeps 0
            orders = db.session.scalars(
                select(Order)
                .where(
                    Order.technician_id == technician.id,
                    Order.repeat_repair_state.is_(None),
                    Order.completed_at >= since,
                    Order.completed_at <= now - timedelta(days=2),
                )
                .order_by(Order.completed_at.desc())
                .limit(target)
            ).all()
            for order in orders:
                at = order.completed_at + timedelta(days=1)
                repeat_repairs.flag_possible(order, source=RepeatRepairSource.ANSWER, now=at)
                repeat_repairs.confirm(
                    order, cause="workmanship", responsible_technician=technician, by=qc, now=at
                )
                confirmed += 1
    return confirmed


def seed_activity(calls_count: int = 80, seed: int = 1, *, now: datetime | None = None) -> str:
    """Finished calls and the QC steps on their complaints. Commits."""
    now = now or utcnow()
    rng = random.Random(seed)
    made = simulate_calls(calls_count, rng, now, past=calls_count * 2)
    db.session.commit()
    qc_first_steps(made, rng, now)
    db.session.commit()
    repeats = repeat_repairs_reviewed(rng, now)
    repeats += repeat_repairs_for_every_tier(now)
    db.session.commit()
    cases = sum(1 for c in made if c.kind == ComplaintKind.POACHING)
    return (
        f"Demo activity: {calls_count} calls taken (and {calls_count * 2} over the weeks "
        f"before), {len(made) - cases} complaints "
        f"and {cases} anti-poaching cases opened; {repeats} repeat repairs confirmed."
    )
