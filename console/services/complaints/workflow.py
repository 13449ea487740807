"""What QC does with a complaint, step by step: each step changes the complaint, adds a line to
its timeline and to the audit log, in the caller's transaction (the caller commits)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from flask import current_app
from flask_babel import LazyString
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from console.extensions import db
from console.labels import COMPLAINT_STATUSES
from console.models import (
    ActionKind,
    Complaint,
    ComplaintAction,
    ComplaintEvent,
    ComplaintKind,
    ComplaintStatus,
    NotificationKind,
    Technician,
    User,
    Validity,
)
from console.services import audit, technicians
from console.services.complaints import sla
from console.services.complaints.status import FINISHED, OPEN
from console.services.notify import notifications


def add_event(
    complaint: Complaint,
    kind: str,
    *,
    by: User | None,
    now: datetime,
    body: str | None = None,
    data: dict | None = None,
) -> ComplaintEvent:
    event = ComplaintEvent(
        complaint=complaint,
        at=now,
        actor_id=by.id if by is not None else None,
        kind=kind,
        body=body,
        data=data,
    )
    db.session.add(event)
    if complaint.updated_at is None or complaint.updated_at < now:
        complaint.updated_at = now
    return event


def assign(
    complaint: Complaint,
    *,
    assignee: User | None,
    department: str | None = None,
    note: str | None = None,
    by: User,
    now: datetime,
) -> None:
    """Give the complaint to a person and/or hand it over to a department, with a note."""
    before = {
        "assignee": complaint.assignee_id,
        "department": complaint.department,
    }
    complaint.assignee = assignee
    complaint.assignee_id = assignee.id if assignee is not None else None
    if department is not None:
        complaint.department = department or None
    if complaint.status == ComplaintStatus.NEW and assignee is not None:
        complaint.status = ComplaintStatus.IN_PROGRESS
    data = {
        "assignee": complaint.assignee_id,
        "assignee_name": assignee.name if assignee is not None else None,
        "department": complaint.department,
        "before": before,
    }
    add_event(complaint, "assigned", by=by, now=now, body=note, data=data)
    audit.record("complaint.assigned", actor=by, entity=complaint, details=data)
    if assignee is not None and assignee.id != by.id:
        notifications.complaint_event(
            NotificationKind.ASSIGNED,
            complaint,
            now=now,
            title=f"#{complaint.id} assigned to you",
            body=note,
            recipients=[assignee],
        )


# --- the other steps of the review (DOMAIN.md, 001 and 002) -----------------------------------
#
# Each step checks the complaint's state and its input, changes the complaint, and records a
# timeline event plus an audit entry. A step that cannot be taken raises ``WorkflowError`` with
# a message for the user and, when the message is about one input, the name of that input.

# How QC reached the customer (the contact log).
CONTACT_CHANNELS = ("phone", "email", "sms", "messenger", "in_person")

# Actions that answer a complaint found valid; a goodwill gesture may answer any (DOMAIN.md, 001).
NEEDS_VALID = (ActionKind.FINE, ActionKind.REFUND, ActionKind.REDO, ActionKind.BLOCK)
NEEDS_AMOUNT = (ActionKind.FINE, ActionKind.REFUND)
NO_AMOUNT = (ActionKind.REDO, ActionKind.BLOCK)
MAX_AMOUNT = Decimal("9999999999.99")  # what the Money column holds


class WorkflowError(ValueError):
    """A step the rules refuse. ``message`` is for the user; ``field`` names the input it is
    about (``"amount"``, ``"reason"``...), or None when it is about the complaint as a whole."""

    def __init__(self, message, field: str | None = None):
        # Kept lazy: translated when shown, in the language of whoever reads it.
        super().__init__(message)
        self.message = message
        self.field = field


class NotAllowed(WorkflowError):
    """The user's role does not allow this step (unblocking a technician: admins only)."""


def record_step(
    complaint: Complaint,
    kind: str,
    *,
    by: User | None,
    now: datetime,
    body: str | None = None,
    data: dict | None = None,
) -> ComplaintEvent:
    """A timeline event and the audit entry that goes with it."""
    event = add_event(complaint, kind, by=by, now=now, body=body, data=data)
    details = dict(data or {})
    if body:
        details["text"] = body
    audit.record(f"complaint.{kind}", actor=by, entity=complaint, details=details or None)
    return event


def clean_text(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _required(value: str | None, field: str, message) -> str:
    text = clean_text(value)
    if text is None:
        raise WorkflowError(message, field)
    return text


def require_open(complaint: Complaint) -> None:
    if complaint.status == ComplaintStatus.MERGED:
        raise WorkflowError(
            _l(
                "This complaint was merged into #%(id)s: work on that one.",
                id=complaint.merged_into_id,
            )
        )
    if complaint.status in FINISHED:
        raise WorkflowError(
            _l(
                "This complaint is %(status)s: reopen it first.",
                status=COMPLAINT_STATUSES[complaint.status],
            )
        )


def _not_poaching(complaint: Complaint) -> None:
    if complaint.kind == ComplaintKind.POACHING:
        raise WorkflowError(
            _l(
                "An anti-poaching case follows its own steps: call the customer back, then "
                "confirm it or close it as not confirmed."
            )
        )


def _start_work(complaint: Complaint) -> None:
    """Someone works on a new complaint: it is in progress from now on."""
    if complaint.status == ComplaintStatus.NEW:
        complaint.status = ComplaintStatus.IN_PROGRESS


def note(complaint: Complaint, *, body: str, by: User, now: datetime) -> ComplaintEvent:
    """An internal note: participants exchange messages on the complaint (DOMAIN.md, 002).
    Allowed whatever the status: a closed complaint can still be commented on."""
    text = _required(body, "body", _l("Write the note."))
    return record_step(complaint, "note", by=by, now=now, body=text)


def log_contact(
    complaint: Complaint,
    *,
    summary: str,
    by: User,
    now: datetime,
    at: datetime | None = None,
    channel: str = "phone",
) -> ComplaintEvent:
    """What was said to the customer, and when. The first contact is the first answer the
    customer got: it meets (or misses) the 12-hour deadline (DOMAIN.md, 001)."""
    if complaint.status == ComplaintStatus.MERGED:
        require_open(complaint)
    text = _required(summary, "summary", _l("Write what was said."))
    if channel not in CONTACT_CHANNELS:
        raise WorkflowError(_l("Choose how the customer was reached."), "channel")
    at = at or now
    if at > now + timedelta(minutes=1):
        raise WorkflowError(_l("A contact cannot be in the future."), "at")
    if at < complaint.created_at - timedelta(minutes=1):
        raise WorkflowError(_l("This is before the complaint was opened."), "at")
    first = complaint.first_answered_at is None
    if first:
        complaint.first_answered_at = at
    _start_work(complaint)
    return record_step(
        complaint,
        "contact",
        by=by,
        now=now,
        body=text,
        data={"channel": channel, "at": at.isoformat(), "first": first},
    )


def classify(
    complaint: Complaint,
    *,
    validity: Validity,
    reason: str,
    by: User,
    now: datetime,
    categories: dict[str, Validity | str | None] | None = None,
) -> ComplaintEvent:
    """Valid or invalid, always with the reason (DOMAIN.md, 001). It can be changed while the
    complaint is open, but not to invalid once fines, refunds or blocks answered it.

    The decision applies to every category of the complaint; ``categories`` (for a complaint
    about more than one) decides some of them differently: ``{category: validity}``, None (or
    the complaint's own) for "the same as the complaint". Not every one of them can differ (that
    is a different decision about the complaint). Refused input names the field
    ``category:<key>``. Left out (None), the categories keep their own decisions, those that
    now agree with the complaint's dropping theirs. The timeline records which differ."""
    _not_poaching(complaint)
    require_open(complaint)
    validity = Validity(validity)
    text = _required(reason, "reason", _l("Say why."))
    if validity == Validity.INVALID and any(a.kind in NEEDS_VALID for a in complaint.actions):
        raise WorkflowError(
            _l(
                "Fines, refunds, re-dos or blocks were recorded as if it were valid: "
                "it cannot be found invalid now."
            ),
            "validity",
        )
    rows = complaint.categories
    own = {row.category: row.validity for row in rows}
    if categories is not None:
        for key, value in categories.items():
            if key not in own:
                raise WorkflowError(_l("This complaint is not about that category."), "validity")
            try:
                own[key] = Validity(value) if value else None
            except ValueError:
                raise WorkflowError(
                    _l("Choose: as the complaint, valid or invalid."), f"category:{key}"
                ) from None
    differing = {key: v for key, v in own.items() if v is not None and v != validity}
    if rows and len(differing) == len(rows):
        raise WorkflowError(
            _l(
                "Every category is decided otherwise than the complaint: decide the complaint "
                "that way instead."
            ),
            f"category:{rows[0].category}",
        )
    before = complaint.validity.value if complaint.validity else None
    before_differing = {
        row.category: row.validity.value
        for row in rows
        if row.validity is not None and row.validity != complaint.validity
    }
    complaint.validity = validity
    complaint.validity_reason = text
    for row in rows:
        row.validity = differing.get(row.category)
        row.validity_reason = text if row.validity is not None else None
    _start_work(complaint)
    data = {"validity": validity.value, "before": before}
    if differing or before_differing:
        data["categories"] = {key: v.value for key, v in differing.items()}
        data["categories_before"] = before_differing
    return record_step(complaint, "classified", by=by, now=now, body=text, data=data)


def set_cause(
    complaint: Complaint,
    *,
    cause: str,
    technician: Technician | None = None,
    user: User | None = None,
    by: User,
    now: datetime,
) -> ComplaintEvent:
    """The cause category and the responsible person, a technician or a member of staff: valid
    complaints are traced to both (DOMAIN.md, 001)."""
    _not_poaching(complaint)
    require_open(complaint)
    if complaint.validity != Validity.VALID:
        raise WorkflowError(
            _l(
                "Classify the complaint as valid first: only valid complaints are traced to "
                "a cause."
            )
        )
    if cause not in current_app.config["COMPLAINT_CAUSES"]:
        raise WorkflowError(_l("Choose a cause from the list."), "cause")
    if (technician is None) == (user is None):
        raise WorkflowError(
            _l("Name one responsible person: a technician or a member of staff."), "responsible"
        )
    if technician is not None and technician.client_id not in (None, complaint.client_id):
        # The picker offers the client's own and the independent ones only
        # (``technicians.responsible_candidates``); a posted id is held to the same rule.
        raise WorkflowError(_l("This technician works for another client."), "responsible")
    before = {
        "cause": complaint.cause_category,
        "technician": complaint.responsible_technician_id,
        "user": complaint.responsible_user_id,
    }
    complaint.cause_category = cause
    complaint.responsible_technician = technician
    complaint.responsible_technician_id = technician.id if technician is not None else None
    complaint.responsible_user = user
    complaint.responsible_user_id = user.id if user is not None else None
    _start_work(complaint)
    return record_step(
        complaint,
        "cause",
        by=by,
        now=now,
        data={
            "cause": cause,
            "technician": technician.id if technician is not None else None,
            "user": user.id if user is not None else None,
            "responsible_name": (technician or user).name,
            "before": before,
        },
    )


def _amount(kind: ActionKind, amount: Decimal | None, complaint: Complaint) -> Decimal | None:
    if kind in NO_AMOUNT:
        if amount is not None:
            raise WorkflowError(_l("This action has no amount."), "amount")
        return None
    if amount is None:
        if kind in NEEDS_AMOUNT:
            raise WorkflowError(_l("Enter the amount."), "amount")
        return None
    amount = Decimal(amount)
    if amount <= 0 and kind in NEEDS_AMOUNT:
        raise WorkflowError(_l("The amount must be more than zero."), "amount")
    if amount < 0:
        raise WorkflowError(_l("The amount cannot be negative."), "amount")
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.01")):
        raise WorkflowError(_l("Enter an amount with at most two decimals."), "amount")
    if kind == ActionKind.REFUND and amount > order_amount(complaint):
        raise WorkflowError(_l("A refund cannot be more than the order cost."), "amount")
    return amount.quantize(Decimal("0.01"))


def order_amount(complaint: Complaint) -> Decimal:
    """The order's cost as the complaint froze it."""
    frozen = (complaint.snapshot or {}).get("order", {}).get("amount")
    return Decimal(frozen) if frozen is not None else complaint.order.amount


def currency(complaint: Complaint) -> str:
    return (complaint.snapshot or {}).get("order", {}).get("currency") or complaint.client.currency


def _technician_at_fault(complaint: Complaint) -> Technician:
    """The responsible technician; the order's technician when nobody was named yet."""
    if complaint.responsible_technician is not None:
        return complaint.responsible_technician
    if complaint.responsible_user_id is not None:
        raise WorkflowError(
            _l("A member of staff was named responsible: this action concerns a technician."),
            "kind",
        )
    if complaint.technician is None:
        raise WorkflowError(_l("This order has no technician."), "kind")
    return complaint.technician


def record_action(
    complaint: Complaint,
    *,
    kind: ActionKind,
    amount: Decimal | None,
    charged: Technician | None,
    note: str | None,
    by: User,
    now: datetime,
) -> ComplaintAction:
    """Store an action and its timeline line, without the checks of :func:`add_action` (the
    anti-poaching steps use it for their refund)."""
    action = ComplaintAction(
        complaint=complaint,
        kind=kind,
        amount=amount,
        charged_technician=charged,
        charged_technician_id=charged.id if charged is not None else None,
        note=note,
        created_at=now,
        created_by_id=by.id if by is not None else None,
    )
    db.session.add(action)
    db.session.flush()
    record_step(
        complaint,
        "action",
        by=by,
        now=now,
        body=note,
        data={
            "action": action.id,
            "kind": kind.value,
            "amount": str(amount) if amount is not None else None,
            "currency": currency(complaint),
            "technician": charged.id if charged is not None else None,
            "technician_name": charged.name if charged is not None else None,
        },
    )
    return action


def add_action(
    complaint: Complaint,
    *,
    kind: ActionKind,
    amount: Decimal | None = None,
    note: str | None = None,
    by: User,
    now: datetime,
) -> ComplaintAction:
    """Part of the solution: a fine (charged to the technician at fault), a refund to the
    customer, a goodwill gesture (possible even for an invalid complaint when cheap), a re-do of
    the work, or blocking the technician (DOMAIN.md, 001 and 003)."""
    _not_poaching(complaint)
    require_open(complaint)
    kind = ActionKind(kind)
    if kind in NEEDS_VALID and complaint.validity != Validity.VALID:
        raise WorkflowError(
            _l(
                "Classify the complaint as valid first: fines, refunds, re-dos and blocks "
                "answer valid complaints only."
            ),
            "kind",
        )
    amount = _amount(kind, amount, complaint)
    text = clean_text(note)
    charged = None
    if kind == ActionKind.FINE:
        charged = _technician_at_fault(complaint)
    elif kind == ActionKind.BLOCK:
        charged = _technician_at_fault(complaint)
        if charged.is_blocked:
            raise WorkflowError(_l("%(name)s is already blocked.", name=charged.name), "kind")
        if text is None:
            raise WorkflowError(_l("Say why the technician is blocked."), "note")
    _start_work(complaint)
    action = record_action(
        complaint, kind=kind, amount=amount, charged=charged, note=text, by=by, now=now
    )
    if kind == ActionKind.BLOCK:
        technicians.block_technician(charged, by=by, now=now, reason=text, complaint=complaint)
    return action


def missing_to_resolve(complaint: Complaint) -> list:
    """What still stands between the complaint and its resolution, in words for the user."""
    missing = []
    if complaint.first_answered_at is None:
        missing.append(_l("log the answer given to the customer"))
    if complaint.kind == ComplaintKind.POACHING:
        if complaint.status != ComplaintStatus.RESOLVED:
            missing.append(_l("confirm the case, or close it as not confirmed"))
        return missing
    if complaint.validity is None:
        missing.append(_l("classify it valid or invalid"))
    elif complaint.validity == Validity.VALID:
        if complaint.cause_category is None:
            missing.append(_l("name the cause and the responsible person"))
        if not complaint.actions:
            missing.append(_l("record what was done (an action)"))
    return missing


def _check_ready(complaint: Complaint) -> None:
    missing = missing_to_resolve(complaint)
    if missing:
        raise WorkflowError(
            LazyString(lambda: _("Not yet: %(steps)s.", steps="; ".join(map(str, missing))))
        )


def resolve(
    complaint: Complaint, *, note: str | None = None, by: User, now: datetime
) -> ComplaintEvent:
    """The solution is decided and done: the resolution deadline is met."""
    _not_poaching(complaint)
    require_open(complaint)
    _check_ready(complaint)
    finish_waiting(complaint, now)
    complaint.status = ComplaintStatus.RESOLVED
    complaint.resolved_at = now
    return record_step(complaint, "resolved", by=by, now=now, body=clean_text(note))


def close(
    complaint: Complaint, *, note: str | None = None, by: User, now: datetime
) -> ComplaintEvent:
    """Close the complaint: answered, decided and (when valid) acted upon. Closing an open one
    resolves it at the same time."""
    if complaint.status == ComplaintStatus.CLOSED:
        raise WorkflowError(_l("This complaint is already closed."))
    if complaint.status == ComplaintStatus.MERGED:
        require_open(complaint)
    _check_ready(complaint)
    finish_waiting(complaint, now)
    if complaint.resolved_at is None:
        complaint.resolved_at = now
    complaint.status = ComplaintStatus.CLOSED
    complaint.closed_at = now
    return record_step(complaint, "closed", by=by, now=now, body=clean_text(note))


def finish_waiting(complaint: Complaint, now: datetime) -> None:
    if complaint.sla_paused_at is not None or complaint.status == ComplaintStatus.WAITING_CUSTOMER:
        sla.resume(complaint, now)


def reopen(complaint: Complaint, *, reason: str, by: User, now: datetime) -> ComplaintEvent:
    """Back to work on a resolved or closed complaint, with the reason. An anti-poaching case
    puts its technician under review again (unless they are blocked)."""
    if complaint.status == ComplaintStatus.MERGED:
        require_open(complaint)
    if complaint.status not in FINISHED:
        raise WorkflowError(_l("This complaint is still open."))
    text = _required(reason, "reason", _l("Say why it is reopened."))
    before = complaint.status.value
    complaint.status = (
        ComplaintStatus.IN_PROGRESS if complaint.assignee_id is not None else ComplaintStatus.NEW
    )
    complaint.resolved_at = None
    complaint.closed_at = None
    technician = complaint.technician
    if (
        complaint.kind == ComplaintKind.POACHING
        and technician is not None
        and not technician.is_blocked
        and technician.under_review_since is None
    ):
        technician.under_review_since = now
    return record_step(complaint, "reopened", by=by, now=now, body=text, data={"before": before})


def merge(
    duplicate: Complaint, into: Complaint, *, note: str | None = None, by: User, now: datetime
) -> ComplaintEvent:
    """A duplicate (the same customer complaining again about the same thing) is merged into
    the complaint that carries the work; it keeps the link, and both timelines say so."""
    if duplicate.status == ComplaintStatus.MERGED:
        require_open(duplicate)
    if duplicate.status not in OPEN:
        raise WorkflowError(_l("Only an open complaint can be merged: reopen it first."))
    if into is None:
        raise WorkflowError(_l("There is no complaint with this number."), "into")
    if into.id == duplicate.id:
        raise WorkflowError(_l("A complaint cannot be merged into itself."), "into")
    if into.status == ComplaintStatus.MERGED:
        raise WorkflowError(
            _l(
                "#%(id)s was itself merged into #%(into)s: merge into that one.",
                id=into.id,
                into=into.merged_into_id,
            ),
            "into",
        )
    if into.customer_id != duplicate.customer_id:
        raise WorkflowError(_l("#%(id)s is another customer's complaint.", id=into.id), "into")
    if into.kind != duplicate.kind:
        raise WorkflowError(
            _l("A complaint and an anti-poaching case cannot be merged together."), "into"
        )
    finish_waiting(duplicate, now)
    duplicate.status = ComplaintStatus.MERGED
    duplicate.merged_into = into
    duplicate.merged_into_id = into.id
    text = clean_text(note)
    add_event(into, "merged_from", by=by, now=now, body=text, data={"from": duplicate.id})
    return record_step(duplicate, "merged", by=by, now=now, body=text, data={"into": into.id})


def wait_for_customer(
    complaint: Complaint, *, note: str | None = None, by: User, now: datetime
) -> ComplaintEvent:
    """The complaint waits for the customer (documents, a visit, an answer): the deadline
    clocks stand still until :func:`resume`."""
    require_open(complaint)
    if complaint.status == ComplaintStatus.WAITING_CUSTOMER:
        raise WorkflowError(_l("This complaint already waits for the customer."))
    before = complaint.status.value
    complaint.status = ComplaintStatus.WAITING_CUSTOMER
    sla.pause(complaint, now)
    return record_step(
        complaint, "waiting", by=by, now=now, body=clean_text(note), data={"before": before}
    )


def resume(
    complaint: Complaint, *, note: str | None = None, by: User, now: datetime
) -> ComplaintEvent:
    """The customer is back: the clocks run again, every open deadline moved on by the pause."""
    if complaint.status != ComplaintStatus.WAITING_CUSTOMER:
        raise WorkflowError(_l("This complaint is not waiting for the customer."))
    spent = sla.resume(complaint, now)
    complaint.status = (
        ComplaintStatus.IN_PROGRESS if complaint.assignee_id is not None else ComplaintStatus.NEW
    )
    return record_step(
        complaint,
        "resumed",
        by=by,
        now=now,
        body=clean_text(note),
        data={"paused_seconds": int(spent.total_seconds())},
    )


def hand_over(
    complaint: Complaint,
    *,
    assignee: User | None,
    department: str | None,
    note: str | None = None,
    by: User,
    now: datetime,
) -> None:
    """The assign form's step: checks, then :func:`assign`. A merged or closed complaint is not
    handed over, and a hand-over changes the person or the department."""
    if complaint.status in (ComplaintStatus.MERGED, ComplaintStatus.CLOSED):
        require_open(complaint)
    department = clean_text(department)
    known = (*current_app.config["COMPLAINT_DEPARTMENTS"], complaint.department)
    if department is not None and department not in known:
        raise WorkflowError(_l("Choose a department from the list."), "department")
    if complaint.assignee_id == (assignee.id if assignee else None) and (
        complaint.department == department
    ):
        raise WorkflowError(_l("Choose another person or department."), "assignee")
    assign(
        complaint,
        assignee=assignee,
        department=department or "",
        note=clean_text(note),
        by=by,
        now=now,
    )
