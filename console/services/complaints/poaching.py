"""The anti-poaching process (DOMAIN.md, 003): a technician who left the customer personal
contacts, to do later jobs privately, is found out by the follow-up call.

The case is opened by the contacts question of the call (``services.calls.submit``), which puts
the technician "under review". Then fixed steps, each in the case's timeline and the audit log:

1. QC calls the customer back and logs what they said (``complaint_workflow.log_contact``),
   on the Contact tab or in the decision itself: what the customer said, written with the
   decision when no contact was logged yet, is logged as that contact, through the same step.
2. Confirmed (:func:`confirm`): the customer is refunded the full cost of the order, recorded as
   a deduction from the technician's pay; the technician is blocked (no new orders, shown as
   blocked everywhere) and the case is resolved.
   Not confirmed (:func:`not_confirmed`): the case is closed and the technician's "under review"
   mark is cleared (unless another open case holds it).
3. Orders that still arrive for a blocked technician are flagged for QC by the order intake
   (``services.orders.intake``); :func:`flagged_orders` lists them.

Blocking itself is ``services.technicians``; only an admin lifts a block
(:func:`unblock_technician`), with a reason.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from console.extensions import db
from console.models import (
    ActionKind,
    Complaint,
    ComplaintAction,
    ComplaintEvent,
    ComplaintKind,
    ComplaintStatus,
    Order,
    Role,
    Technician,
    TechnicianStatus,
    User,
    Validity,
)
from console.services import audit, technicians
from console.services.complaints.status import OPEN
from console.services.complaints.workflow import (
    NotAllowed,
    WorkflowError,
    add_event,
    clean_text,
    finish_waiting,
    log_contact,
    order_amount,
    record_action,
    record_step,
    require_open,
)


def _require_case(case: Complaint) -> None:
    if case.kind != ComplaintKind.POACHING:
        raise WorkflowError(_l("This is not an anti-poaching case."))


def _require_call_back(case: Complaint, said: str | None, field: str) -> None:
    """Step 1 comes first: nothing is decided before the customer was called back. What they
    said, written with the decision, is that call back when none was logged yet."""
    if case.first_answered_at is None and said is None:
        raise WorkflowError(
            _l(
                "Call the customer back first, and write here what they said: it is logged "
                "as the contact with the customer."
            ),
            field,
        )


def _log_call_back(case: Complaint, said: str, *, by: User, now: datetime) -> None:
    """The decision's text as the customer contact, when none was logged: the Contact tab's
    own step, so it meets the first-answer deadline and shows in the timeline the same way."""
    if case.first_answered_at is None:
        log_contact(case, summary=said, channel="phone", by=by, now=now)


def check_confirm(case: Complaint, *, note: str | None = None) -> None:
    """Everything :func:`confirm` checks, changing nothing: the page asks "refund and block?"
    only for a decision that would be taken."""
    _require_case(case)
    require_open(case)
    if case.technician is None:
        raise WorkflowError(_l("This order has no technician: the case cannot be confirmed."))
    _require_call_back(case, clean_text(note), "note")


def confirm(
    case: Complaint, *, by: User, now: datetime, note: str | None = None
) -> ComplaintAction:
    """The customer confirms the technician left contacts: refund the full order cost, charged
    to the technician; block the technician; resolve the case. Confirming again (after a
    reopen) adds no second refund. Every check comes before the first change."""
    check_confirm(case, note=note)
    technician = case.technician
    text = clean_text(note)
    if text is not None:
        _log_call_back(case, text, by=by, now=now)
    case.validity = Validity.VALID
    case.validity_reason = text
    record_step(
        case,
        "poaching_confirmed",
        by=by,
        now=now,
        body=text,
        data={"technician": technician.id, "technician_name": technician.name},
    )
    refund = next((a for a in case.actions if a.kind == ActionKind.REFUND), None)
    if refund is None:
        refund = record_action(
            case,
            kind=ActionKind.REFUND,
            amount=order_amount(case),
            charged=technician,
            note=None,  # the timeline says it: the order's cost, charged to the technician
            by=by,
            now=now,
        )
    if not technician.is_blocked:
        record_action(
            case, kind=ActionKind.BLOCK, amount=None, charged=technician, note=text, by=by, now=now
        )
        technicians.block_technician(
            technician,
            by=by,
            now=now,
            reason=text,  # the case that blocked them is shown beside it
            complaint=case,
        )
    technician.under_review_since = None
    finish_waiting(case, now)
    case.status = ComplaintStatus.RESOLVED
    case.resolved_at = now
    record_step(case, "resolved", by=by, now=now)
    return refund


def not_confirmed(case: Complaint, *, by: User, now: datetime, reason: str) -> ComplaintEvent:
    """The customer does not confirm it: the case is closed and the technician is no longer
    under review (unless another open case against them holds the mark)."""
    _require_case(case)
    require_open(case)
    text = clean_text(reason)
    _require_call_back(case, text, "reason")
    if text is None:
        raise WorkflowError(_l("Say what the customer told you."), "reason")
    _log_call_back(case, text, by=by, now=now)
    case.validity = Validity.INVALID
    case.validity_reason = text
    finish_waiting(case, now)
    case.status = ComplaintStatus.CLOSED
    case.resolved_at = now
    case.closed_at = now
    technician = case.technician
    cleared = False
    under_review = technician is not None and technician.under_review_since is not None
    if under_review and not _other_open_cases(technician, case):
        technician.under_review_since = None
        cleared = True
    return record_step(
        case,
        "poaching_not_confirmed",
        by=by,
        now=now,
        body=text,
        data={
            "technician": technician.id if technician is not None else None,
            "technician_name": technician.name if technician is not None else None,
            "review_cleared": cleared,
        },
    )


def _other_open_cases(technician: Technician, case: Complaint) -> bool:
    return (
        db.session.scalar(
            select(func.count(Complaint.id)).where(
                Complaint.kind == ComplaintKind.POACHING,
                Complaint.technician_id == technician.id,
                Complaint.status.in_(OPEN),
                Complaint.id != case.id,
            )
        )
        > 0
    )


# --- lifting a block --------------------------------------------------------------------------


def unblock_technician(technician: Technician, *, by: User, now: datetime, reason: str) -> None:
    """An admin lifts the block, with the reason; the case that blocked them says so too."""
    if by is None or not by.has_role(Role.ADMIN):
        raise NotAllowed(_l("Only an admin can unblock a technician."))
    if not technician.is_blocked:
        raise WorkflowError(_l("%(name)s is not blocked.", name=technician.name))
    text = clean_text(reason)
    if text is None:
        raise WorkflowError(_l("Say why the block is lifted."), "reason")
    before = {
        "blocked_at": technician.blocked_at.isoformat() if technician.blocked_at else None,
        "blocked_by": technician.blocked_by_id,
        "blocked_reason": technician.blocked_reason,
    }
    technician.status = TechnicianStatus.ACTIVE
    technician.blocked_at = None
    technician.blocked_by_id = None
    technician.blocked_reason = None
    audit.record(
        "technician.unblocked",
        actor=by,
        entity=technician,
        details={"reason": text, "before": before},
    )
    case = technicians.blocking_complaint(technician)
    if case is not None:
        add_event(
            case,
            "technician_unblocked",
            by=by,
            now=now,
            body=text,
            data={"technician": technician.id, "technician_name": technician.name},
        )


# --- orders still arriving for a blocked technician -------------------------------------------


def flagged_orders(technician: Technician, limit: int = 20) -> list[Order]:
    return list(
        db.session.scalars(
            select(Order)
            .where(Order.technician_id == technician.id, Order.blocked_technician_flag.is_(True))
            .order_by(Order.completed_at.desc())
            .limit(limit)
        )
    )


def handle_flagged_order(order: Order, *, note: str, by: User, now: datetime) -> None:
    """QC has followed up an order that arrived for a blocked technician (told the client,
    moved the job to another technician...): it leaves the to-do list, with what was done."""
    if not order.blocked_technician_flag:
        raise WorkflowError(_l("This order is not flagged."), "note")
    if order.blocked_flag_handled_at is not None:
        raise WorkflowError(_l("This order was already handled."), "note")
    note = (note or "").strip()
    if not note:
        raise WorkflowError(_l("Say what was done about it."), "note")
    order.blocked_flag_handled_at = now
    order.blocked_flag_handled_by_id = by.id
    order.blocked_flag_note = note
    audit.record(
        "order.blocked_flag_handled",
        actor=by,
        entity=order,
        details={"technician": order.technician_id, "note": note},
    )
