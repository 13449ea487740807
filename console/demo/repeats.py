"""Demo activity: repeat repairs, through the real services (``services.orders.repeat_repairs``).

The demo's orders were written in bulk, past the order intake, so first the booking check
runs over them as the intake would have, each as of its completion (a visit within the window
of an earlier one at the same place). Then the commission decides the possible repeat repairs
(those and the ones the customers' answers raised), a few days after each: confirmed with a
cause and the technician responsible (the earlier visit's), or rejected.

The repeat-repair bonus tiers (DOMAIN.md, 000) need, for each role, technicians with 0, 1 and
2 or more confirmed repeat repairs, in the last 90 days and in last month (what Reports ->
Technicians opens on). So three technicians of each role are chosen (the first active ones):
the first keeps none (the commission rejects what would be theirs), the second exactly one and
the third at least two in last month (confirmed on their own orders of last month, flagged as
a customer's answer would).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from console.demo import data
from console.extensions import db
from console.models import (
    Order,
    RepeatRepairSource,
    RepeatRepairState,
    Role,
    Technician,
    TechnicianRole,
    TechnicianStatus,
    User,
)
from console.services.orders import repeat_repairs

CONFIRMED_SHARE = 0.55
REVIEW_CAUSES = ("workmanship", "parts", "diagnosis")
REJECTED = {
    "ru": "Другая неисправность: не повторный ремонт.",
    "en": "Another defect: not a repeat repair.",
}
_LANGUAGE = {spec.key: spec.language for spec in data.CLIENTS}


def _last_month(now: datetime) -> tuple[datetime, datetime]:
    first = now.date().replace(day=1)
    start = (first - timedelta(days=1)).replace(day=1)
    return (
        datetime.combine(start, time(0), tzinfo=UTC),
        datetime.combine(first, time(0), tzinfo=UTC),
    )


def _tier_technicians() -> dict[TechnicianRole, list[Technician]]:
    """For each role, the first three active technicians: to have 0, 1 and 2+ repeat repairs."""
    chosen = {}
    for role in TechnicianRole:
        chosen[role] = db.session.scalars(
            select(Technician)
            .where(Technician.role == role, Technician.status == TechnicianStatus.ACTIVE)
            .order_by(Technician.id)
            .limit(3)
        ).all()
    return chosen


def review(rng: random.Random, now: datetime, *, since: datetime) -> int:
    """The booking check of the orders completed since ``since`` (and the window before), the
    commission's decisions, and the tiers. Returns how many repeat repairs were confirmed."""
    qc = db.session.scalar(
        select(User).where(User.role == Role.QC, User.active.is_(True)).order_by(User.id)
    )
    if qc is None:
        return 0
    window_start = since - repeat_repairs.repeat_window()
    for order in db.session.scalars(
        select(Order).where(Order.completed_at >= window_start).order_by(Order.completed_at)
    ):
        repeat_repairs.check_repeat_repair(order, now=order.completed_at)
    db.session.flush()

    tiers = _tier_technicians()
    no_review = {t.id for crew in tiers.values() for t in crew[:2]}  # their tiers are set below
    confirmed = 0
    possible = db.session.scalars(
        select(Order)
        .where(Order.repeat_repair_state == RepeatRepairState.POSSIBLE)
        .order_by(Order.completed_at, Order.id)
    ).all()
    for order in possible:
        at = order.completed_at + timedelta(days=rng.randint(1, 4), hours=rng.randint(0, 8))
        confirm = rng.random() < CONFIRMED_SHARE
        cause = rng.choice(REVIEW_CAUSES)
        earlier = order.repeat_of.technician if order.repeat_of is not None else None
        responsible = earlier or order.technician
        if at > now or responsible is None:
            continue  # waiting for the commission
        if confirm and responsible.id not in no_review:
            repeat_repairs.confirm(
                order, cause=cause, responsible_technician=responsible, by=qc, now=at
            )
            confirmed += 1
        else:
            note = REJECTED[_LANGUAGE.get(order.client.key, "en")]
            repeat_repairs.reject(order, note=note, by=qc, now=at)
    return confirmed + _every_tier(tiers, now, qc)


def _every_tier(tiers: dict[TechnicianRole, list[Technician]], now: datetime, qc: User) -> int:
    """The second technician of each role gets one confirmed repeat repair in last month, the
    third at least two; the first keeps none."""
    start, end = _last_month(now)
    added = 0
    for crew in tiers.values():
        for technician, wanted in zip(crew[1:], (1, 2), strict=False):
            have = db.session.scalar(
                select(func.count())
                .select_from(Order)
                .where(
                    Order.repeat_repair_responsible_id == technician.id,
                    Order.repeat_repair_state == RepeatRepairState.CONFIRMED,
                    Order.repeat_repair_reviewed_at >= start,
                    Order.repeat_repair_reviewed_at < end,
                )
            )
            # Orders of the middle of the month: reviewed a day later, still inside it in
            # every viewer's time zone.
            orders = db.session.scalars(
                select(Order)
                .where(
                    Order.technician_id == technician.id,
                    Order.repeat_repair_state.is_(None),
                    Order.completed_at >= start + timedelta(days=2),
                    Order.completed_at < end - timedelta(days=3),
                )
                .order_by(Order.completed_at, Order.id)
                .limit(max(0, wanted - have))
            ).all()
            for order in orders:
                at = order.completed_at + timedelta(days=1)
                repeat_repairs.flag_possible(order, source=RepeatRepairSource.ANSWER, now=at)
                repeat_repairs.confirm(
                    order, cause="workmanship", responsible_technician=technician, by=qc, now=at
                )
                added += 1
    return added
