"""Generating the call list: one follow-up call per completed order (DOMAIN.md, 001, 003, 004).

Run by a periodic job, by ``flask calls generate`` and, in the embedded default, by the web
process's scheduler thread. Idempotent: an order gets its task once (enforced by the unique
``(order_id, purpose)`` key), so running it twice, or on two processes at once, creates nothing new.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import exists, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from console.database import is_sqlite, read_only, unit_of_work
from console.extensions import db
from console.models import (
    CallOutcome,
    CallTask,
    Client,
    Customer,
    Order,
    TaskStatus,
    WorkType,
    utcnow,
)
from console.services.reports import totals


@dataclass
class Generated:
    created: int = 0
    not_sampled: int = 0
    do_not_call: int = 0

    def __str__(self) -> str:
        return (
            f"{self.created} calls added to the list, {self.not_sampled} orders outside the "
            f"sample, {self.do_not_call} customers who asked not to be called"
        )


def in_sample(order_key: str, percent: int) -> bool:
    """Deterministic: the same order is always in or out, so reruns give the same set."""
    if percent >= 100:
        return True
    digest = hashlib.sha256(order_key.encode()).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def delay_days(work_type: WorkType, client: Client, default: int) -> int:
    """The work type says when the result shows (brakes: a week); else the client's habit."""
    for value in (work_type.call_delay_days, client.call_delay_days):
        if value is not None:
            return value
    return default


def generate_due_calls(now: datetime | None = None, *, batch: int = 5000) -> Generated:
    """Add a follow-up task for every recently completed order that has none. Commits per batch."""
    now = now or utcnow()
    config = current_app.config
    oldest = now - timedelta(days=config["CALL_MAX_AGE_DAYS"])
    default_delay = config["CALL_DELAY_DAYS"]
    max_attempts = config["CALL_MAX_ATTEMPTS"]
    result = Generated()
    last_id = 0
    while True:
        # Read without the write lock (operators keep saving meanwhile), then insert under it:
        # the insert skips orders that got their task in between.
        with read_only():
            rows = db.session.execute(
                select(
                    Order.id,
                    Order.external_id,
                    Order.client_id,
                    Order.customer_id,
                    Order.completed_at,
                    Customer.do_not_call,
                    WorkType,
                    Client,
                )
                .join(Customer, Customer.id == Order.customer_id)
                .join(WorkType, WorkType.id == Order.work_type_id)
                .join(Client, Client.id == Order.client_id)
                .where(
                    Order.id > last_id,
                    Order.completed_at >= oldest,
                    Order.completed_at <= now,
                    ~exists().where(CallTask.order_id == Order.id, CallTask.purpose == "follow_up"),
                )
                .order_by(Order.id)
                .limit(batch)
            ).all()
            if not rows:
                break
            last_id = rows[-1][0]
            values = [_task_values(row, now, default_delay, max_attempts, result) for row in rows]
        insert = sqlite_insert if is_sqlite() else pg_insert
        with unit_of_work():
            db.session.execute(
                insert(CallTask).on_conflict_do_nothing(index_elements=["order_id", "purpose"]),
                values,
            )
            totals.mark_orders(v["order_id"] for v in values)
    return result


def _task_values(row, now: datetime, default_delay: int, max_attempts: int, counts: Generated):
    """The new task of one order: due after the delay, or closed at once for a customer who
    asked not to be called or an order outside the work type's sample."""
    order_id, external_id, client_id, customer_id, completed_at, dnc, wt, client = row
    task = {
        "order_id": order_id,
        "purpose": "follow_up",
        "client_id": client_id,
        "customer_id": customer_id,
        "due_at": completed_at + timedelta(days=delay_days(wt, client, default_delay)),
        "max_attempts": max_attempts,
        "status": TaskStatus.PENDING,
        "outcome": None,
        "closed_at": None,
        "created_at": now,
    }
    if dnc:
        task |= {"status": TaskStatus.DONE, "outcome": CallOutcome.DO_NOT_CALL, "closed_at": now}
        counts.do_not_call += 1
    elif not in_sample(f"{client_id}:{external_id}", wt.sample_percent):
        task |= {"status": TaskStatus.DONE, "outcome": CallOutcome.NOT_SAMPLED, "closed_at": now}
        counts.not_sampled += 1
    else:
        counts.created += 1
    return task
