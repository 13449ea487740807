"""Submitting a completed call: one service used by the call screen and, later, the JSON API.

In one database transaction: the response on its script version with its score, one complaint
for the call listing every complaint category its answers raised (in the script's order, each
with the question that raised it) and carrying a frozen copy of the order, the anti-poaching case
when the customer says the technician left contacts (and the technician goes "under review"), the
"possible repeat repair" flag, the attempt and the task closed. The anti-poaching case stays a
ticket of its own, beside the complaint: it is about the technician, not the service, and follows
its own process and deadline (DOMAIN.md, 003). The submit key minted at claim
time is unique on responses: a second submit of the same call returns the first one's result.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console.database import retried_when_deadlocked, unit_of_work
from console.extensions import db
from console.models import (
    CallAttempt,
    CallOutcome,
    CallTask,
    Complaint,
    ComplaintKind,
    ComplaintSource,
    RepeatRepairSource,
    Response,
    ResponseAnswer,
    User,
    utcnow,
)
from console.scripts.scoring import Answers, evaluate
from console.services import audit
from console.services.calls.tasks import LeaseLost, check_lease, close_task, lock_task
from console.services.complaints import opening as complaints
from console.services.orders import repeat_repairs
from console.services.scripts.library import definition_of


class MissingAnswers(ValueError):
    def __init__(self, missing: dict[str, str]):
        self.missing = missing
        super().__init__(", ".join(missing))


@dataclass
class Submitted:
    response: Response
    complaints: list[Complaint]
    replayed: bool = False  # the same submit arrived again: nothing new was saved


def _replay(submit_key: str) -> Submitted | None:
    response = db.session.scalar(select(Response).where(Response.submit_key == submit_key))
    if response is None:
        return None
    made = db.session.scalars(
        select(Complaint).where(Complaint.response_id == response.id).order_by(Complaint.id)
    ).all()
    return Submitted(response, list(made), replayed=True)


def is_own_submission(task: CallTask, user: User, submit_key: str | None) -> bool:
    """This operator already submitted this call with this key (a double click, a retried
    request): the first result stands, even though the task is no longer held."""
    if not submit_key:
        return False
    return (
        db.session.scalar(
            select(Response.id).where(
                Response.submit_key == submit_key,
                Response.task_id == task.id,
                Response.operator_id == user.id,
            )
        )
        is not None
    )


@retried_when_deadlocked
def submit_call(
    task_id: int,
    *,
    user: User,
    lease_token: str,
    submit_key: str,
    answers: Answers,
    now: datetime | None = None,
) -> Submitted:
    """Commits. Raises LeaseLost, MissingAnswers."""
    now = now or utcnow()
    replay = _replay(submit_key)
    if replay is not None:
        return replay
    try:
        with unit_of_work():
            task = lock_task(task_id)
            replay = _replay(submit_key)  # a twin may have committed while this one waited
            if replay is not None:
                return replay
            if task is None or task.submit_key != submit_key:
                raise LeaseLost()
            check_lease(task, user, lease_token, now)
            return _record(task, user, answers, now)
    except IntegrityError:
        # The database refused a second response with this key: the first one stands.
        replay = _replay(submit_key)
        if replay is None:
            raise
        return replay


def _record(task: CallTask, user: User, answers: Answers, now: datetime) -> Submitted:
    version = task.script_version
    evaluation = evaluate(definition_of(version), answers)
    if evaluation.missing:
        raise MissingAnswers(evaluation.missing)
    result = evaluation.score
    attempt = db.session.scalar(
        select(CallAttempt).where(
            CallAttempt.task_id == task.id,
            CallAttempt.operator_id == user.id,
            CallAttempt.ended_at.is_(None),
        )
    ) or CallAttempt(task=task, operator_id=user.id, started_at=task.claimed_at or now)
    attempt.ended_at = now
    attempt.outcome = CallOutcome.COMPLETED
    db.session.add(attempt)

    response = Response(
        submit_key=task.submit_key,
        task=task,
        attempt=attempt,
        order=task.order,
        technician_id=task.order.technician_id,
        script_version=version,
        operator_id=user.id,
        submitted_at=now,
        score=result.score,
        score_weight=result.weight,
        score_breakdown=[row.as_json() for row in result.breakdown],
    )
    rows, summaries = _answer_rows(version, evaluation.shown, answers)
    response.answers.extend(rows)
    db.session.add(response)
    db.session.flush()

    snapshot = complaints.order_snapshot(task.order, answers=summaries)
    made = []
    categories = evaluation.complaint_categories
    if categories:
        raised_by: dict[str, str] = {}
        for consequence in evaluation.consequences:
            if consequence.kind == "complaint":
                raised_by.setdefault(consequence.category, consequence.question)
        made.append(
            complaints.open_complaint(
                task.order,
                categories=categories,
                question_keys=raised_by,
                source=ComplaintSource.CALL,
                snapshot=snapshot,
                now=now,
                response=response,
                by=user,
            )
        )
    if evaluation.poaching:
        made.append(
            complaints.open_complaint(
                task.order,
                category="poaching",
                kind=ComplaintKind.POACHING,
                source=ComplaintSource.CALL,
                snapshot=snapshot,
                now=now,
                response=response,
                by=user,
            )
        )
        technician = task.order.technician
        if technician is not None and technician.under_review_since is None:
            technician.under_review_since = now
    if evaluation.repeat_repair:
        repeat_repairs.flag_possible(task.order, source=RepeatRepairSource.ANSWER, now=now, by=user)

    task.attempts += 1
    close_task(task, CallOutcome.COMPLETED, now)
    task.draft = None
    audit.record(
        "call.submitted",
        actor=user,
        entity=response,
        details={"task": task.id, "score": str(result.score), "complaints": [c.id for c in made]},
    )
    return Submitted(response, made)


def _answer_rows(version, shown: list[dict], answers: Answers):
    """ResponseAnswer rows for every shown, answered question, and a readable summary of each
    for the complaint snapshot."""
    questions = {q.key: q for q in version.questions}
    rows, summaries = [], []
    for spec in shown:
        given = answers.get(spec["key"]) or {}
        question = questions[spec["key"]]
        options = {o.key: o for o in question.options}
        ticked = [options[k] for k in given.get("options") or [] if k in options]
        text = (given.get("text") or "").strip() or None
        if not ticked and not text:
            continue
        summaries.append(
            {
                "question": question.key,
                "text": question.text,
                "answers": [o.label for o in ticked],
                "comment": text,
            }
        )
        for i, option in enumerate(ticked or [None]):
            rows.append(
                ResponseAnswer(question=question, option=option, text=text if i == 0 else None)
            )
    return rows, summaries
