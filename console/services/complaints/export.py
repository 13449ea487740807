"""Complaints as other systems read them (``GET /api/v1/complaints``): payroll, the shop's CRM.

Pages are keyset pages in id order (``after`` the last id of the previous page), so a page
costs the same wherever it is and nothing is skipped or repeated while complaints are added.
``updated_since`` keeps the complaints changed since then (``Complaint.updated_at``: opened, or
a line added to its timeline by a step of the work). A client that syncs asks for
``updated_since`` = the start of its previous sync and reads every page.

Times are UTC, ISO 8601 with ``Z``; money is a decimal string.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from console.extensions import db
from console.models import (
    Client,
    Complaint,
    ComplaintAction,
    ComplaintStatus,
)

DEFAULT_LIMIT = 100
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Page:
    complaints: list[dict]
    last_id: int | None  # the cursor of the next page; None: this was the last one


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _query():
    return select(Complaint).options(
        joinedload(Complaint.client),
        joinedload(Complaint.customer),
        joinedload(Complaint.order),
        joinedload(Complaint.assignee),
        joinedload(Complaint.technician),
        joinedload(Complaint.responsible_technician),
        joinedload(Complaint.responsible_user),
        selectinload(Complaint.actions).joinedload(ComplaintAction.charged_technician),
        selectinload(Complaint.categories),
    )


def complaints_page(
    *,
    after: int | None = None,
    limit: int = DEFAULT_LIMIT,
    updated_since: datetime | None = None,
    status: ComplaintStatus | None = None,
    client_key: str | None = None,
) -> Page:
    """Up to ``limit`` complaints after the id ``after``, oldest first, with the filters."""
    limit = max(1, min(limit, MAX_LIMIT))
    query = _query()
    if after is not None:
        query = query.where(Complaint.id > after)
    if status is not None:
        query = query.where(Complaint.status == status)
    if client_key is not None:
        client_id = select(Client.id).where(Client.key == client_key).scalar_subquery()
        query = query.where(Complaint.client_id == client_id)
    if updated_since is not None:
        query = query.where(Complaint.updated_at >= updated_since)
    found = db.session.scalars(query.order_by(Complaint.id).limit(limit + 1)).unique().all()
    more = len(found) > limit
    found = found[:limit]
    return Page([as_json(complaint) for complaint in found], found[-1].id if more else None)


def one(complaint_id: int) -> dict | None:
    found = db.session.scalars(_query().where(Complaint.id == complaint_id)).unique().first()
    return as_json(found) if found is not None else None


def _technician(technician) -> dict | None:
    if technician is None:
        return None
    return {"id": technician.id, "external_id": technician.external_id, "name": technician.name}


def categories_json(complaint: Complaint) -> list[dict]:
    """Every category of the complaint, the main one (``category``) first, with its effective
    decision: its own where QC decided it otherwise, else the complaint's."""
    return [
        {
            "category": key,
            "validity": validity.value if validity is not None else None,
        }
        for key, validity in (
            (key, complaint.category_validity(key)) for key in complaint.category_keys
        )
    ]


def as_json(complaint: Complaint) -> dict:
    snapshot = complaint.snapshot or {}
    order = complaint.order
    customer = complaint.customer
    phone = (snapshot.get("customer") or {}).get("order_phone") or (
        order.phone if order is not None else None
    )
    return {
        "id": complaint.id,
        "number": f"#{complaint.id}",
        "kind": complaint.kind.value,
        "source": complaint.source.value,
        "status": complaint.status.value,
        "category": complaint.category,
        "categories": categories_json(complaint),
        "client": complaint.client.key,
        "order_external_id": order.external_id if order is not None else None,
        "customer": {
            "name": customer.name if customer is not None else None,
            "phone": phone or (customer.primary_phone if customer is not None else None),
        },
        "technician": _technician(complaint.technician),
        "assignee": complaint.assignee.name if complaint.assignee is not None else None,
        "department": complaint.department,
        "created_at": iso(complaint.created_at),
        "updated_at": iso(complaint.updated_at),
        "first_answer_due_at": iso(complaint.first_answer_due_at),
        "first_answered_at": iso(complaint.first_answered_at),
        "resolution_due_at": iso(complaint.resolution_due_at),
        "resolved_at": iso(complaint.resolved_at),
        "closed_at": iso(complaint.closed_at),
        "decision": {
            "validity": complaint.validity.value if complaint.validity is not None else None,
            "reason": complaint.validity_reason,
            "cause": complaint.cause_category,
            "responsible_technician": _technician(complaint.responsible_technician),
            "responsible_user": (
                complaint.responsible_user.name if complaint.responsible_user is not None else None
            ),
        },
        "currency": complaint.client.currency,
        "actions": [
            {
                "kind": action.kind.value,
                "amount": str(action.amount) if action.amount is not None else None,
                "technician": _technician(action.charged_technician),
                "created_at": iso(action.created_at),
            }
            for action in complaint.actions
        ],
        "merged_into": complaint.merged_into_id,
    }
