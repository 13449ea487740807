"""The complaint page (SCREENS.md, "QC: the complaint page") and one POST per action.

Left: the frozen order snapshot, the answers that opened the complaint, the call and its
recording, the customer's history. Right: the action forms above the timeline. Each action is
a form that works as a plain POST (redirect back to the page) and, with htmx, swaps the work
area (forms and timeline) and, out of band, the header with its deadline badge.

The rules are in ``services.complaints.workflow`` and ``services.complaints.poaching``; a refused
step comes back as ``WorkflowError`` and is shown next to the field it names (422).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from flask_wtf import FlaskForm
from jinja2_fragments.flask import render_blocks

from console.access import roles_required
from console.extensions import db, htmx
from console.forms import show_refusal
from console.labels import CALL_OUTCOMES
from console.models import (
    ActionKind,
    Complaint,
    ComplaintKind,
    ComplaintStatus,
    Role,
    Technician,
    User,
    Validity,
    utcnow,
)
from console.money import format_money
from console.qc import bp
from console.qc import forms as qc_forms
from console.qc.customer_email_forms import CustomerEmailForm
from console.services import customers
from console.services.complaints import detail as complaint_detail
from console.services.complaints import poaching
from console.services.complaints import workflow as complaint_workflow
from console.services.complaints.inbox import assignable_users
from console.services.complaints.workflow import WorkflowError

PAGE = "qc/complaint.html"
ACTING = (Role.QC, Role.SUPERVISOR)

FORMS: dict[str, type[FlaskForm]] = {
    "assign": qc_forms.AssignForm,
    "note": qc_forms.NoteForm,
    "contact": qc_forms.ContactForm,
    "classify": qc_forms.ClassifyForm,
    "cause": qc_forms.CauseForm,
    "action": qc_forms.ActionForm,
    "finish": qc_forms.FinishForm,
    "reopen": qc_forms.ReopenForm,
    "wait": qc_forms.WaitForm,
    "merge": qc_forms.MergeForm,
    "decide": qc_forms.DecideForm,
    "email": CustomerEmailForm,
}

PANEL_LABELS = {
    "assign": _l("Assign / hand over"),
    "note": _l("Note"),
    "contact": _l("Customer contact"),
    "email": _l("Email the customer"),
    "classify": _l("Valid or invalid"),
    "cause": _l("Cause"),
    "action": _l("Action"),
    "finish": _l("Resolve / close"),
    "decide": _l("Decide the case"),
    "wait": _l("Wait for customer"),
    "merge": _l("Merge"),
    "reopen": _l("Reopen"),
}


# --- building the page -------------------------------------------------------------------------


def _complaint(complaint_id: int) -> Complaint:
    complaint = complaint_detail.load(complaint_id)
    if complaint is None:
        abort(404)
    return complaint


def panels(complaint: Complaint) -> list[str]:
    """The action forms this complaint offers now, in the order of the work."""
    status = complaint.status
    if status == ComplaintStatus.MERGED:
        return ["note"]
    if status == ComplaintStatus.CLOSED:
        return ["note", "contact", "email", "reopen"]
    if status == ComplaintStatus.RESOLVED:
        return ["assign", "note", "contact", "email", "finish", "reopen"]
    if complaint.kind == ComplaintKind.POACHING:
        return ["assign", "contact", "email", "decide", "note", "wait", "merge"]
    shown = ["assign", "contact", "email", "classify"]
    if complaint.validity == Validity.VALID:
        shown.append("cause")
    return [*shown, "action", "finish", "note", "wait", "merge"]


def _forms(complaint: Complaint, bound: str | None = None) -> dict[str, FlaskForm]:
    """Every action form; ``bound`` is the one that reads the posted data."""
    classes = FORMS | {"classify": qc_forms.classify_form_for(complaint)}
    forms = {
        name: cls(prefix=name) if name == bound else cls(formdata=None, prefix=name)
        for name, cls in classes.items()
    }
    config = current_app.config
    assign = forms["assign"]
    assign.set_choices(assignable_users(), config["COMPLAINT_DEPARTMENTS"], complaint.department)
    cause = forms["cause"]
    cause.set_choices(
        config["COMPLAINT_CAUSES"],
        complaint_detail.technicians_for(complaint),
        complaint_detail.staff(),
    )
    forms["merge"].set_choices(
        complaint_detail.merge_candidates(complaint), current_app.jinja_env.filters["label"]
    )
    if bound != "assign":
        assign.assignee.data = str(complaint.assignee_id or "")
        assign.department.data = complaint.department or ""
    if bound != "cause":
        cause.cause.data = complaint.cause_category or ""
        if complaint.responsible_technician_id:
            cause.responsible.data = f"t:{complaint.responsible_technician_id}"
        elif complaint.responsible_user_id:
            cause.responsible.data = f"u:{complaint.responsible_user_id}"
    if bound != "classify" and complaint.validity is not None:
        forms["classify"].validity.data = complaint.validity.value
    if bound != "classify" and len(complaint.categories) > 1:
        for row in complaint.categories:
            value = row.validity.value if row.validity is not None else ""
            forms["classify"][qc_forms.category_field(row)].data = value
    if bound != "action" and complaint.validity != Validity.VALID:
        forms["action"].kind.data = ActionKind.GOODWILL.value
    return forms


def _money(complaint: Complaint) -> Callable:
    """The complaint's amounts in its order's currency, as every page shows money."""
    code = complaint_workflow.currency(complaint)
    return lambda amount: format_money(amount, code)


def _parse_time(value: str | None) -> datetime | None:
    """A time the snapshot or an event stored as ISO text."""
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _context(
    complaint: Complaint,
    forms: dict[str, FlaskForm],
    *,
    now: datetime,
    open_panel: str | None = None,
    full: bool = True,
) -> dict:
    context = {
        "complaint": complaint,
        "forms": forms,
        "panels": panels(complaint),
        "panel_labels": PANEL_LABELS,
        "open_panel": open_panel,
        "missing": complaint_workflow.missing_to_resolve(complaint),
        "now": now,
        "money": _money(complaint),
        "order_amount": complaint_workflow.order_amount(complaint),
        "labels": {
            "cause": qc_forms.CAUSE_LABELS,
            "department": qc_forms.DEPARTMENT_LABELS,
            "channel": qc_forms.CHANNEL_LABELS,
            "action": qc_forms.ACTION_LABELS,
            "validity": qc_forms.VALIDITY_LABELS,
        },
        "parse_time": _parse_time,
        "outcome_names": CALL_OUTCOMES,
        "events": sorted(complaint.events, key=lambda e: (e.at, e.id), reverse=True),
        "flagged_orders": (
            poaching.flagged_orders(complaint.technician)
            if complaint.kind == ComplaintKind.POACHING
            and complaint.technician is not None
            and complaint.technician.is_blocked
            else []
        ),
    }
    if full:
        context["call"] = complaint_detail.the_call(complaint)
        context["history"] = customers.customer_history(complaint.customer_id, limit=10)
        context["customer_stats"] = customers.complaint_stats(complaint.customer, now)
    return context


@bp.get("/complaints/<int:complaint_id>")
@roles_required(*ACTING)
def complaint(complaint_id: int):
    found = _complaint(complaint_id)
    now = utcnow()
    html = render_template(PAGE, **_context(found, _forms(found), now=now))
    if htmx.boosted:
        # A boosted link (the inbox's) may carry the target and history settings of the page it
        # came from: this is a whole page, so it replaces the whole body, at its own address.
        return htmx_response(
            html,
            retarget="body",
            reswap="innerHTML",
            push_url=url_for(".complaint", complaint_id=complaint_id),
        )
    return html


# --- acting ------------------------------------------------------------------------------------


class AskFirst(Exception):
    """The step was checked and would be taken, but it cannot be undone: the page asks first
    (the form again, with its "Yes" button), and nothing is changed yet."""


def _act(
    complaint_id: int,
    name: str,
    run: Callable[[Complaint, FlaskForm, datetime], str],
    *,
    fields: dict[str, str] | None = None,
):
    """Validate the posted form, run the step, commit once; answer with the updated work area
    (htmx) or a redirect to the page; a refused step comes back with its message, 422; a step
    that asks first (``AskFirst``) comes back with its question, changing nothing."""
    found = _complaint(complaint_id)
    forms = _forms(found, bound=name)
    form = forms[name]
    now = utcnow()
    if form.validate():
        try:
            blocked_before = _technician_blocked(found)
            message = run(found, form, now)
        except AskFirst:
            db.session.rollback()
            return _ask(found, forms, name, now)
        except WorkflowError as error:
            db.session.rollback()
            _show_error(form, error, fields or {})
        else:
            facts = _technician_blocked(found) != blocked_before
            db.session.commit()
            return _done(complaint_id, message, facts=facts)
    return _refused(found, forms, name, now)


def _technician_blocked(complaint: Complaint) -> bool:
    return complaint.technician is not None and complaint.technician.is_blocked


def _show_error(form: FlaskForm, error: WorkflowError, fields: dict[str, str]) -> None:
    show_refusal(form, error.message, fields.get(error.field, error.field))


def _done(complaint_id: int, message: str, *, facts: bool = False):
    """``facts``: the step changed what the left column shows (the technician got blocked)."""
    if htmx:
        found = _complaint(complaint_id)
        now = utcnow()
        context = _context(found, _forms(found), now=now, full=facts) | {"oob": True}
        html = render_blocks(
            PAGE, ["work", "header", "facts"] if facts else ["work", "header"], **context
        )
        return htmx_response(html, trigger="complaint-updated")
    flash(message, "success")
    return redirect(url_for(".complaint", complaint_id=complaint_id, _anchor="timeline"), 303)


def _refused(found: Complaint, forms: dict[str, FlaskForm], name: str, now: datetime):
    """The form again with its errors, its panel open. A form this complaint no longer offers
    (a colleague closed or merged it meanwhile) can't show them: they go above the forms."""
    extra: dict = {"open_panel": name}
    blocks = ["work"]
    if name not in panels(found):
        form = forms[name]
        problems = [*form.form_errors, *(e for errs in form.errors.values() for e in errs)]
        extra = {"open_panel": None, "notice": problems or [_("This action is not possible now.")]}
        extra["oob"] = True
        blocks = ["work", "header"]
    if htmx:
        context = _context(found, forms, now=now, full=False) | extra
        return render_blocks(PAGE, blocks, **context), 422
    context = _context(found, forms, now=now) | extra | {"oob": False}
    return render_template(PAGE, **context), 422


def _ask(found: Complaint, forms: dict[str, FlaskForm], name: str, now: datetime):
    """The form again, its panel open, with the question of its last step."""
    if htmx:
        context = _context(found, forms, now=now, open_panel=name, full=False)
        return render_blocks(PAGE, ["work"], **context, asking=name)
    return render_template(PAGE, **_context(found, forms, now=now, open_panel=name), asking=name)


def _user(value: str | None) -> User | None:
    return db.session.get(User, int(value)) if value else None


@bp.post("/complaints/<int:complaint_id>/assign")
@roles_required(*ACTING)
def complaint_assign(complaint_id: int):
    def run(c: Complaint, f: qc_forms.AssignForm, now: datetime) -> str:
        complaint_workflow.hand_over(
            c,
            assignee=_user(f.assignee.data),
            department=f.department.data,
            note=f.note.data,
            by=current_user,
            now=now,
        )
        return _("Assigned.")

    return _act(complaint_id, "assign", run)


@bp.post("/complaints/<int:complaint_id>/note")
@roles_required(*ACTING)
def complaint_note(complaint_id: int):
    def run(c: Complaint, f: qc_forms.NoteForm, now: datetime) -> str:
        complaint_workflow.note(c, body=f.body.data, by=current_user, now=now)
        return _("Note added.")

    return _act(complaint_id, "note", run)


@bp.post("/complaints/<int:complaint_id>/contact")
@roles_required(*ACTING)
def complaint_contact(complaint_id: int):
    def run(c: Complaint, f: qc_forms.ContactForm, now: datetime) -> str:
        complaint_workflow.log_contact(
            c,
            summary=f.summary.data,
            channel=f.channel.data,
            at=f.at_utc(current_user.timezone),
            by=current_user,
            now=now,
        )
        return _("Contact with the customer logged.")

    return _act(complaint_id, "contact", run)


@bp.post("/complaints/<int:complaint_id>/classify")
@roles_required(*ACTING)
def complaint_classify(complaint_id: int):
    def run(c: Complaint, f: qc_forms.ClassifyForm, now: datetime) -> str:
        validity = Validity(f.validity.data)
        try:
            complaint_workflow.classify(
                c,
                validity=validity,
                reason=f.reason.data,
                categories=f.category_choices(c),
                by=current_user,
                now=now,
            )
        except WorkflowError as error:
            # The service names a category by its key, the form by its row.
            names = {f"category:{r.category}": qc_forms.category_field(r) for r in c.categories}
            error.field = names.get(error.field, error.field)
            raise
        return _("Classified as %(validity)s.", validity=qc_forms.VALIDITY_LABELS[validity])

    return _act(complaint_id, "classify", run)


@bp.post("/complaints/<int:complaint_id>/cause")
@roles_required(*ACTING)
def complaint_cause(complaint_id: int):
    def run(c: Complaint, f: qc_forms.CauseForm, now: datetime) -> str:
        ref = f.responsible_ref
        technician = db.session.get(Technician, ref[1]) if ref and ref[0] == "t" else None
        user = db.session.get(User, ref[1]) if ref and ref[0] == "u" else None
        complaint_workflow.set_cause(
            c, cause=f.cause.data, technician=technician, user=user, by=current_user, now=now
        )
        return _("Cause and responsible person recorded.")

    return _act(complaint_id, "cause", run)


@bp.post("/complaints/<int:complaint_id>/action")
@roles_required(*ACTING)
def complaint_action(complaint_id: int):
    def run(c: Complaint, f: qc_forms.ActionForm, now: datetime) -> str:
        kind = ActionKind(f.kind.data)
        complaint_workflow.add_action(
            c, kind=kind, amount=f.amount.data, note=f.note.data, by=current_user, now=now
        )
        return _("Action recorded: %(action)s.", action=qc_forms.ACTION_LABELS[kind])

    return _act(complaint_id, "action", run)


@bp.post("/complaints/<int:complaint_id>/resolve")
@roles_required(*ACTING)
def complaint_resolve(complaint_id: int):
    def run(c: Complaint, f: qc_forms.FinishForm, now: datetime) -> str:
        complaint_workflow.resolve(c, note=f.note.data, by=current_user, now=now)
        return _("Resolved.")

    return _act(complaint_id, "finish", run)


@bp.post("/complaints/<int:complaint_id>/close")
@roles_required(*ACTING)
def complaint_close(complaint_id: int):
    def run(c: Complaint, f: qc_forms.FinishForm, now: datetime) -> str:
        complaint_workflow.close(c, note=f.note.data, by=current_user, now=now)
        return _("Closed.")

    return _act(complaint_id, "finish", run)


@bp.post("/complaints/<int:complaint_id>/reopen")
@roles_required(*ACTING)
def complaint_reopen(complaint_id: int):
    def run(c: Complaint, f: qc_forms.ReopenForm, now: datetime) -> str:
        complaint_workflow.reopen(c, reason=f.reason.data, by=current_user, now=now)
        return _("Reopened.")

    return _act(complaint_id, "reopen", run)


@bp.post("/complaints/<int:complaint_id>/wait")
@roles_required(*ACTING)
def complaint_wait(complaint_id: int):
    def run(c: Complaint, f: qc_forms.WaitForm, now: datetime) -> str:
        complaint_workflow.wait_for_customer(c, note=f.note.data, by=current_user, now=now)
        return _("Waiting for the customer: the deadlines are paused.")

    return _act(complaint_id, "wait", run)


@bp.post("/complaints/<int:complaint_id>/resume")
@roles_required(*ACTING)
def complaint_resume(complaint_id: int):
    def run(c: Complaint, f: qc_forms.WaitForm, now: datetime) -> str:
        complaint_workflow.resume(c, note=f.note.data, by=current_user, now=now)
        return _("Back to work: the deadlines run again.")

    return _act(complaint_id, "wait", run)


@bp.post("/complaints/<int:complaint_id>/merge")
@roles_required(*ACTING)
def complaint_merge(complaint_id: int):
    def run(c: Complaint, f: qc_forms.MergeForm, now: datetime) -> str:
        if not f.into.data:
            raise WorkflowError(_l("Choose the complaint to keep."), "into")
        into = complaint_detail.load(int(f.into.data))
        complaint_workflow.merge(c, into, note=f.note.data, by=current_user, now=now)
        return _("Merged into #%(id)s.", id=into.id)

    return _act(complaint_id, "merge", run)


@bp.post("/complaints/<int:complaint_id>/confirm")
@roles_required(*ACTING)
def complaint_confirm(complaint_id: int):
    def run(c: Complaint, f: qc_forms.DecideForm, now: datetime) -> str:
        if not f.sure.data:
            poaching.check_confirm(c, note=f.text.data)
            raise AskFirst
        poaching.confirm(c, by=current_user, now=now, note=f.text.data)
        return _("Poaching confirmed: the customer is refunded and the technician blocked.")

    return _act(complaint_id, "decide", run, fields={"note": "text"})


@bp.post("/complaints/<int:complaint_id>/not-confirmed")
@roles_required(*ACTING)
def complaint_not_confirmed(complaint_id: int):
    def run(c: Complaint, f: qc_forms.DecideForm, now: datetime) -> str:
        poaching.not_confirmed(c, by=current_user, now=now, reason=f.text.data)
        return _("Not confirmed: the case is closed.")

    return _act(complaint_id, "decide", run, fields={"reason": "text"})
