"""Complaints that come in by other ways than a call, and handing complaints out from the inbox.

* **Registered by hand** (:func:`register_manual_complaint`): the customer called or wrote in,
  and QC records the complaint against the order, with the same frozen copy of the order as a
  complaint from a call (DOMAIN.md: "a ticket created from a negative answer (or by hand),
  carrying the data of the parent order"; 003, 002).
* **Handed out in bulk** (:func:`assign_selected`): the inbox gives several complaints to one
  person or department in one go, each through ``complaint_workflow.assign`` (timeline, audit,
  notice), all in the caller's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import joinedload

from console.extensions import db
from console.models import (
    AnswerOption,
    CallScript,
    Client,
    Complaint,
    ComplaintKind,
    ComplaintSource,
    CustomerPhone,
    Order,
    Question,
    ScriptStatus,
    User,
)
from console.services.complaints import opening as complaints
from console.services.complaints import workflow as complaint_workflow
from console.services.complaints.categories import OTHER, POACHING, category_label
from console.services.complaints.inbox import phone_candidates
from console.services.complaints.status import OPEN

SUMMARY_MAX = 4000

# How the customer reached us (kept in the complaint's snapshot under "intake").
CHANNELS = {
    "phone": _l("Phone call"),
    "email": _l("Email"),
    "sms": _l("SMS"),
    "messenger": _l("Messenger"),
    "in_person": _l("In person"),
}


class IntakeError(ValueError):
    """The complaint cannot be registered as asked; ``field`` names the form field at fault."""

    def __init__(self, message, field: str | None = None):
        super().__init__(str(message))
        self.message = message
        self.field = field


class DuplicateComplaint(IntakeError):
    """An open complaint of the same category on the same order exists already."""

    def __init__(self, existing: Complaint, category: str | None = None):
        super().__init__(
            _l(
                "Complaint #%(id)s about %(category)s on this order is still open.",
                id=existing.id,
                category=category_label(category or existing.category),
            ),
            "category",
        )
        self.existing = existing


def script_categories() -> list[str]:
    """The complaint categories the scripts in use can raise: the current published version of
    every active script, files and constructor alike, read now (a script published by another
    process counts at once). In the scripts' order (by key), "poaching" where one asks about it."""
    rows = db.session.execute(
        select(AnswerOption.complaint_category, AnswerOption.poaching)
        .join(Question, Question.id == AnswerOption.question_id)
        .join(CallScript, CallScript.current_version_id == Question.version_id)
        .where(
            CallScript.status == ScriptStatus.ACTIVE,
            or_(AnswerOption.complaint_category.is_not(None), AnswerOption.poaching.is_(True)),
        )
        .order_by(CallScript.key, Question.position, AnswerOption.position)
    )
    found: dict[str, None] = {}
    for category, poaching in rows:
        if category:
            found[category] = None
        if poaching:
            found[POACHING] = None
    return list(found)


def manual_categories() -> list[str]:
    """What a complaint registered by hand can be about: the categories the call scripts in use
    raise (with "poaching" when a script asks about it), then "other"."""
    return [*(c for c in script_categories() if c != OTHER), OTHER]


# --- finding the order -------------------------------------------------------------------------


def find_orders(text: str, *, limit: int = 20) -> list[Order]:
    """Orders matching what the customer gave: an order number (exact, in any client), or a
    phone number (that customer's orders, latest first)."""
    text = " ".join((text or "").split())
    if not text:
        return []
    clients = db.session.execute(select(Client.id, Client.country)).all()
    client_ids = [c.id for c in clients]
    found: list[Order] = []
    options = (
        joinedload(Order.client),
        joinedload(Order.customer),
        joinedload(Order.technician),
        joinedload(Order.work_type),
    )
    if client_ids and len(text) <= 64:
        found += db.session.scalars(
            select(Order)
            .options(*options)
            .where(Order.client_id.in_(client_ids), Order.external_id.in_({text, text.upper()}))
            .order_by(Order.completed_at.desc())
            .limit(limit)
        ).all()
    phones = phone_candidates(text, {c.country for c in clients if c.country})
    if phones:
        customers = select(CustomerPhone.customer_id).where(CustomerPhone.e164.in_(phones))
        found += db.session.scalars(
            select(Order)
            .options(*options)
            .where(Order.customer_id.in_(customers))
            .order_by(Order.completed_at.desc(), Order.id.desc())
            .limit(limit)
        ).all()
    unique = list(dict.fromkeys(found))
    return unique[:limit]


def open_complaints_of(order: Order) -> list[Complaint]:
    return list(
        db.session.scalars(
            select(Complaint)
            .where(Complaint.order_id == order.id, Complaint.status.in_(OPEN))
            .order_by(Complaint.id)
        )
    )


# --- registering ---------------------------------------------------------------------------------


def register_manual_complaint(
    order: Order,
    *,
    category: str,
    summary: str,
    by: User,
    now: datetime,
    channel: str | None = None,
    allow_duplicate: bool = False,
) -> Complaint:
    """Open a complaint by hand on ``order`` (source: manual), with the order's snapshot, under
    the same deadlines and notices as one from a call. "poaching" opens an anti-poaching case
    and puts the technician under review, as the call's contacts question does.

    Refused: an unknown category, an empty summary, and - unless ``allow_duplicate`` - a second
    open complaint about the same category on the same order, among its categories (the customer
    calling again about the same thing belongs on the existing one). The complaint is written with
    its one category row (``ComplaintCategory``), as a call's complaint is with its several."""
    if category not in manual_categories():
        raise IntakeError(_l("Choose what the complaint is about."), "category")
    summary = (summary or "").strip()
    if not summary:
        raise IntakeError(_l("Write down what the customer said."), "summary")
    if len(summary) > SUMMARY_MAX:
        raise IntakeError(_l("Keep it under %(n)s characters.", n=f"{SUMMARY_MAX:,}"), "summary")
    if channel is not None and channel not in CHANNELS:
        raise IntakeError(_l("Choose how the customer reached us."), "channel")
    if not allow_duplicate:
        for existing in open_complaints_of(order):
            if category in existing.category_keys:  # one of its categories, not only the main
                raise DuplicateComplaint(existing, category)

    snapshot = complaints.order_snapshot(order)
    snapshot["intake"] = {"channel": channel, "registered_by": by.name}
    poaching = category == POACHING
    complaint = complaints.open_complaint(
        order,
        category=category,
        kind=ComplaintKind.POACHING if poaching else ComplaintKind.COMPLAINT,
        source=ComplaintSource.MANUAL,
        snapshot=snapshot,
        now=now,
        by=by,
        summary=summary,
    )
    technician = order.technician
    if poaching and technician is not None and technician.under_review_since is None:
        technician.under_review_since = now
    return complaint


# --- handing out in bulk -------------------------------------------------------------------------


@dataclass
class BulkResult:
    assigned: list[Complaint]
    skipped: list[Complaint]  # finished (resolved, closed, merged): left as they are


def assign_selected(
    selected: list[Complaint],
    *,
    assignee: User | None,
    department: str | None = None,
    note: str | None = None,
    by: User,
    now: datetime,
) -> BulkResult:
    """Give each open complaint of ``selected`` to ``assignee`` (and/or ``department``) through
    ``complaint_workflow.assign``: one timeline line, audit entry and notice per complaint, in
    the caller's one transaction. Finished complaints are skipped; so is one that already has
    exactly this assignee and department (nothing would change)."""
    if assignee is None and not department:
        raise IntakeError(_l("Choose a person or a department."), "assignee")
    note = (note or "").strip() or None
    result = BulkResult([], [])
    for complaint in selected:
        unchanged = complaint.assignee_id == (assignee.id if assignee else None) and (
            not department or complaint.department == department
        )
        if complaint.status not in OPEN or unchanged:
            result.skipped.append(complaint)
            continue
        complaint_workflow.assign(
            complaint, assignee=assignee, department=department, note=note, by=by, now=now
        )
        result.assigned.append(complaint)
    db.session.flush()
    return result
