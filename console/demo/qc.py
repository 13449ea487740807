"""Demo activity: the QC department's work on the complaints and anti-poaching cases the desk's
calls opened, through the real workflow (``services.complaints``), each step at a time after
the complaint was opened; a step whose time is still to come (after ``now``) is not taken, so
the newest complaints wait in the inbox as they would.

A complaint is assigned within the hour or two; the customer gets the first answer mostly
within the 12 hours, sometimes late, now and then never (the deadline report's "missed");
then QC decides: valid (a cause that fits the category, the technician responsible, a fine
or another action, resolved) or not (closed). An anti-poaching case: the customer is called
back within hours; the first case of each month is confirmed (the order's cost refunded from
the technician's pay, the technician blocked), most others are not, the newest stay open
with their technician under review.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from console.demo import data
from console.extensions import db
from console.models import (
    ActionKind,
    Complaint,
    ComplaintKind,
    Role,
    TechnicianRole,
    User,
    Validity,
)
from console.services.complaints import poaching
from console.services.complaints import workflow as complaint_workflow

ON_TIME, LATE = 0.82, 0.12  # first answers within the deadline, after it; the rest: never
VALID = 0.7
# The causes QC finds for a category, and what it does about each.
CAUSES = {
    "quality": ("workmanship", "parts", "diagnosis"),
    "punctuality": ("delay", "communication"),
    "price": ("pricing", "communication"),
    "service": ("communication", "workmanship"),
    "cleanliness": ("workmanship",),
    "damage": ("workmanship", "other"),
}
ACTIONS = {
    "workmanship": ActionKind.FINE,
    "diagnosis": ActionKind.FINE,
    "parts": ActionKind.REDO,
    "delay": ActionKind.GOODWILL,
    "communication": ActionKind.GOODWILL,
    "pricing": ActionKind.REFUND,
    "other": ActionKind.FINE,
}
FINES = {"RUB": (500, 1000, 1500, 2000, 3000), "GBP": (25, 40, 50, 75)}
GOODWILL = {"RUB": (300, 500, 1000), "GBP": (10, 15, 20)}

TEXTS = {
    "ru": {
        "contact": "Перезвонили клиенту, извинились, пообещали решение в течение трёх дней.",
        "valid": "Подтвердилось при разговоре с клиентом и мастером.",
        "invalid": "Работы выполнены по заказ-наряду, претензия не подтвердилась.",
        "resolved": "Клиент согласен с решением.",
        "poaching_contact": "Перезвонили клиенту, уточнили, что именно предлагал мастер.",
        "poaching_confirmed": "Клиент подтвердил: мастер оставил личный телефон и предлагал "
        "приезжать напрямую, дешевле.",
        "poaching_not_confirmed": "Клиент говорит, что мастер оставил номер только для вопросов "
        "по гарантии.",
    },
    "en": {
        "contact": "Called the customer back, apologised and promised a decision within three "
        "days.",
        "valid": "Confirmed with the customer and the technician.",
        "invalid": "The work was done as ordered; the complaint was not confirmed.",
        "resolved": "The customer accepts the solution.",
        "poaching_contact": "Called the customer back and asked what exactly the technician "
        "offered.",
        "poaching_confirmed": "The customer confirms: the technician left a personal number and "
        "offered to come directly, for less.",
        "poaching_not_confirmed": "The customer says the technician left a number for warranty "
        "questions only.",
    },
}
_LANGUAGE = {spec.key: spec.language for spec in data.CLIENTS}


def _texts(complaint: Complaint) -> dict[str, str]:
    return TEXTS.get(_LANGUAGE.get(complaint.client.key, "en"), TEXTS["en"])


def work_the_complaints(complaints: list[Complaint], rng: random.Random, now: datetime) -> str:
    """Every step whose time has come, on every complaint and case, oldest first; a summary."""
    qc = db.session.scalar(
        select(User).where(User.role == Role.QC, User.active.is_(True)).order_by(User.id)
    )
    if qc is None:
        return "no QC user"
    done = {"resolved": 0, "closed": 0, "confirmed": 0}
    confirmed_months: set[tuple[int, int]] = set()
    for complaint in sorted(complaints, key=lambda c: (c.created_at, c.id)):
        if complaint.kind == ComplaintKind.POACHING:
            month = (complaint.created_at.year, complaint.created_at.month)
            first = month not in confirmed_months
            if _work_the_case(complaint, rng, now, qc, confirm=first):
                confirmed_months.add(month)
                done["confirmed"] += 1
        else:
            step = _work_the_complaint(complaint, rng, now, qc)
            if step in done:
                done[step] += 1
    return (
        f"QC resolved {done['resolved']}, closed {done['closed']} as not valid, "
        f"confirmed {done['confirmed']} anti-poaching cases"
    )


def _work_the_complaint(complaint: Complaint, rng: random.Random, now: datetime, qc: User):
    """Assign, answer, decide and act, each when its time has come. The last step taken."""
    texts = _texts(complaint)
    at = complaint.created_at + timedelta(minutes=rng.randint(10, 90))
    answer, decide = rng.random(), rng.random()
    if at > now:
        return None
    complaint_workflow.assign(complaint, assignee=qc, by=qc, now=at)
    if answer < ON_TIME:
        at += timedelta(minutes=rng.randint(20, 360))
    elif answer < ON_TIME + LATE:
        at = complaint.created_at + timedelta(hours=rng.randint(13, 40))
    else:
        return "assigned"  # never answered: past its deadline
    if at > now:
        return "assigned"
    complaint_workflow.log_contact(complaint, summary=texts["contact"], by=qc, now=at)
    at += timedelta(hours=rng.randint(2, 48))
    if at > now:
        return "answered"
    if decide >= VALID:
        complaint_workflow.classify(
            complaint, validity=Validity.INVALID, reason=texts["invalid"], by=qc, now=at
        )
        complaint_workflow.close(complaint, by=qc, now=at)
        return "closed"
    complaint_workflow.classify(
        complaint, validity=Validity.VALID, reason=texts["valid"], by=qc, now=at
    )
    if complaint.technician is None:
        return "classified"
    cause = rng.choice(CAUSES.get(complaint.category, ("other",)))
    complaint_workflow.set_cause(
        complaint, cause=cause, technician=complaint.technician, by=qc, now=at
    )
    kind = ACTIONS[cause]
    complaint_workflow.add_action(
        complaint, kind=kind, amount=_amount(kind, complaint, rng), by=qc, now=at
    )
    at += timedelta(hours=rng.randint(1, 30))
    if at > now:
        return "classified"
    complaint_workflow.resolve(complaint, note=texts["resolved"], by=qc, now=at)
    return "resolved"


def _amount(kind: ActionKind, complaint: Complaint, rng: random.Random) -> Decimal | None:
    currency = complaint_workflow.currency(complaint)
    if kind == ActionKind.FINE:
        return Decimal(rng.choice(FINES.get(currency, FINES["RUB"])))
    if kind == ActionKind.GOODWILL:
        return Decimal(rng.choice(GOODWILL.get(currency, GOODWILL["RUB"])))
    if kind == ActionKind.REFUND:  # the difference the customer was charged: a part of the order
        share = Decimal(rng.choice((10, 15, 20))) / 100
        return (complaint_workflow.order_amount(complaint) * share).quantize(Decimal("0.01"))
    return None


def _work_the_case(
    case: Complaint, rng: random.Random, now: datetime, qc: User, *, confirm: bool
) -> bool:
    """The customer called back, then the decision; True when the case was confirmed."""
    texts = _texts(case)
    at = case.created_at + timedelta(hours=rng.randint(1, 8))
    decide = at + timedelta(days=rng.randint(1, 3))
    stays_open = rng.random() < 0.3
    if at > now:
        return False
    complaint_workflow.assign(case, assignee=qc, by=qc, now=at)
    complaint_workflow.log_contact(case, summary=texts["poaching_contact"], by=qc, now=at)
    if decide > now:
        return False
    technician = case.technician
    if (
        confirm
        and technician is not None
        and technician.role == TechnicianRole.MECHANIC
        and not technician.is_blocked
    ):
        poaching.confirm(case, note=texts["poaching_confirmed"], by=qc, now=decide)
        return True
    if stays_open and decide > now - timedelta(days=14):
        return False  # still under review
    poaching.not_confirmed(case, reason=texts["poaching_not_confirmed"], by=qc, now=decide)
    return False
