"""Complaint tickets: opened from a call's answers (or by QC by hand), each with a frozen copy of
the parent order, and handed to the QC department."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from flask import current_app

from console.extensions import db
from console.models import (
    Complaint,
    ComplaintCategory,
    ComplaintEvent,
    ComplaintKind,
    ComplaintSource,
    NotificationKind,
    Order,
    Response,
    User,
)
from console.services import audit
from console.services.complaints import sla
from console.services.notify import notifications


def order_snapshot(order: Order, answers: list[dict] | None = None) -> dict:
    """What the complaint keeps of the order, as it was when the complaint was opened."""
    customer = order.customer
    snapshot = {
        "order": {
            "id": order.id,
            "external_id": order.external_id,
            "completed_at": order.completed_at.isoformat(),
            "amount": str(order.amount),
            "currency": order.client.currency,
            "description": order.description,
            "qc_breakin_advice": order.qc_breakin_advice,
            "qc_declined_repairs": order.qc_declined_repairs,
        },
        "client": {"id": order.client_id, "key": order.client.key, "name": order.client.name},
        "customer": {
            "id": customer.id,
            "name": customer.name,
            "phones": [p.e164 for p in customer.phones],
            "order_phone": order.phone,
        },
        "work_type": {"key": order.work_type.key, "name": order.work_type.name},
        "technician": (
            {"id": order.technician.id, "name": order.technician.name} if order.technician else None
        ),
    }
    if order.vehicle_plate or order.vehicle_vin or order.vehicle_make_model:
        snapshot["vehicle"] = {
            "make_model": order.vehicle_make_model,
            "plate": order.vehicle_plate,
            "vin": order.vehicle_vin,
            "mileage_km": order.vehicle_mileage_km,
        }
    if order.address:
        snapshot["address"] = order.address
    if answers is not None:
        snapshot["answers"] = answers
    return snapshot


def first_answer_due(created_at: datetime, client=None) -> datetime:
    """Every customer is answered within 12 hours (DOMAIN.md, 001), counted on the client's
    clock (working time only when it asks for that: console.services.complaints.sla)."""
    if client is None:
        return created_at + timedelta(hours=current_app.config["COMPLAINT_ANSWER_HOURS"])
    return sla.deadlines(client, created_at)[0]


def resolution_due(created_at: datetime, client=None) -> datetime:
    """``COMPLAINT_RESOLUTION_DAYS`` later: working days for a working-time client."""
    if client is None:
        return created_at + timedelta(days=current_app.config["COMPLAINT_RESOLUTION_DAYS"])
    return sla.deadlines(client, created_at)[1]


def open_complaint(
    order: Order,
    *,
    categories: Sequence[str] | None = None,
    category: str | None = None,
    question_keys: dict[str, str] | None = None,
    kind: ComplaintKind = ComplaintKind.COMPLAINT,
    source: ComplaintSource,
    snapshot: dict,
    now: datetime,
    response: Response | None = None,
    by: User | None = None,
    summary: str | None = None,
) -> Complaint:
    """One complaint about every category in ``categories`` (in that order; ``category`` for
    just one), the first being its main category (``Complaint.category``). ``question_keys``:
    the question whose answer raised each category, for a complaint from a call."""
    keys = list(dict.fromkeys([*(categories or ()), *([category] if category else [])]))
    if not keys:
        raise ValueError("a complaint needs a category")
    question_keys = question_keys or {}
    complaint = Complaint(
        kind=kind,
        category=keys[0],
        source=source,
        order=order,
        client_id=order.client_id,
        customer_id=order.customer_id,
        technician_id=order.technician_id,
        response=response,
        snapshot=snapshot,
        summary=summary,
        created_at=now,
        created_by_id=by.id if by is not None else None,
        first_answer_due_at=first_answer_due(now, order.client),
        resolution_due_at=resolution_due(now, order.client),
    )
    db.session.add(complaint)
    for key in keys:
        db.session.add(
            ComplaintCategory(
                complaint=complaint, category=key, question_key=question_keys.get(key)
            )
        )
    data = {"source": source.value, "category": keys[0], "kind": kind.value}
    if len(keys) > 1:
        data["categories"] = keys
    db.session.add(
        ComplaintEvent(
            complaint=complaint,
            at=now,
            actor_id=by.id if by is not None else None,
            kind="created",
            body=summary,
            data=data,
        )
    )
    db.session.flush()
    audit.record(
        f"complaint.opened.{kind.value}",
        actor=by,
        entity=complaint,
        details={"category": keys[0], "categories": keys, "order": order.external_id},
    )
    # The stored English title (email, webhook) names the keys; the in-app notice names the
    # categories in its reader's language (``notifications.notice_text``).
    named = ", ".join(keys)
    notifications.complaint_event(
        NotificationKind.NEW_COMPLAINT,
        complaint,
        now=now,
        title=f"New {kind.value} #{complaint.id}: {named}",
        body=summary,
    )
    return complaint
