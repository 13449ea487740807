"""Repeat repairs (DOMAIN.md, 000) and orders that arrived for blocked technicians.

* ``/qc/repeats``: the review queue, each possible repeat repair beside the earlier visit, with
  confirm (cause, responsible technician) and reject (reason) forms. A decision swaps the row for
  a one-line result (htmx), or redirects back (a plain form post).
* ``/qc/repeats/board``: confirmed repeat repairs per ISO week of the confirmation, in the
  viewer's time zone, with the causes per responsible technician.
* ``/qc/orders/flagged``: orders still arriving for a blocked technician (anti-poaching, 003).

The views parse and call ``services.orders.repeat_repairs``; the rules are there.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _
from flask_login import current_user
from jinja2_fragments.flask import render_block

from console.access import roles_required
from console.extensions import db, htmx
from console.ids import db_id
from console.models import Order, Role, Technician, utcnow
from console.qc import bp
from console.qc.repeat_forms import (
    ConfirmRepeatForm,
    HandleFlaggedOrderForm,
    RejectRepeatForm,
    ReopenRepeatForm,
    cause_label,
)
from console.services import catalog
from console.services.complaints import poaching
from console.services.complaints.workflow import WorkflowError
from console.services.orders import repeat_repairs
from console.services.orders.repeat_repairs import ReviewRefused

QUEUE = "qc/repeats_queue.html"
BOARD = "qc/repeats_board.html"
BOARD_WEEKS = (4, 8, 13, 26)


def _client_filter() -> int | None:
    return request.args.get("client", type=db_id)


def _order(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        abort(404)
    return order


def _forms(order: Order, data=None) -> tuple[ConfirmRepeatForm, RejectRepeatForm]:
    """The two review forms of one row, prefixed by the order so many share a page."""
    earlier = repeat_repairs.earlier_visit(order)
    default = earlier.technician if earlier is not None else order.technician
    confirm = ConfirmRepeatForm(formdata=data, prefix=f"c{order.id}")
    confirm.fill(repeat_repairs.causes(), repeat_repairs.responsible_choices(order), default)
    reject = RejectRepeatForm(formdata=data, prefix=f"r{order.id}")
    return confirm, reject


def _row_context(order: Order, **kw) -> dict:
    confirm, reject = kw.pop("forms", None) or _forms(order)
    return {
        "row": repeat_repairs.QueueRow(order, repeat_repairs.earlier_visit(order)),
        "confirm_form": confirm,
        "reject_form": reject,
        "cause_label": cause_label,
        **kw,
    }


@bp.get("/repeats")
@roles_required(Role.QC, Role.SUPERVISOR)
def repeats_queue():
    """Possible repeat repairs waiting for the commission, the longest waiting first."""
    client_id = _client_filter()
    page = repeat_repairs.review_queue(
        client_id=client_id, page=request.args.get("page", 1, type=db_id)
    )
    forms = {row.order.id: _forms(row.order) for row in page.rows}
    return render_template(
        QUEUE,
        page=page,
        forms=forms,
        clients=catalog.clients(),
        client_id=client_id,
        cause_label=cause_label,
    )


def _decided(order: Order, message: str):
    db.session.commit()
    if htmx:
        return render_template(
            "qc/_repeat_decided.html", order=order, message=message, cause_label=cause_label
        )
    flash(message, "success")
    return redirect(url_for("qc.repeats_queue"), 303)


def _refused(order: Order, forms, error: ReviewRefused, which: str):
    """Show the service's refusal next to the field it names, in the row (422)."""
    db.session.rollback()
    confirm, reject = forms
    form = confirm if which == "confirm" else reject
    target = getattr(form, error.field or "", None)
    if target is not None:
        target.errors = [*target.errors, str(error)]
    context = _row_context(order, forms=forms, row_error=None if target else str(error))
    if htmx:
        return render_block(QUEUE, "row", **context), 422
    flash(str(error), "error")
    return redirect(url_for("qc.repeats_queue"), 303)


@bp.post("/repeats/<int:order_id>/confirm")
@roles_required(Role.QC, Role.SUPERVISOR)
def repeat_confirm(order_id: int):
    order = _order(order_id)
    forms = _forms(order, request.form)
    confirm, _reject = forms
    if not confirm.validate():
        return _invalid(order, forms)
    technician = None
    if confirm.responsible.data:
        technician = db.session.get(Technician, int(confirm.responsible.data))
    try:
        repeat_repairs.confirm(
            order,
            cause=confirm.cause.data or "",
            responsible_technician=technician,
            note=confirm.note.data,
            by=current_user,
            now=utcnow(),
        )
    except ReviewRefused as error:
        return _refused(order, forms, error, "confirm")
    return _decided(order, _("Order %(id)s: repeat repair confirmed.", id=order.external_id))


@bp.post("/repeats/<int:order_id>/reject")
@roles_required(Role.QC, Role.SUPERVISOR)
def repeat_reject(order_id: int):
    order = _order(order_id)
    forms = _forms(order, request.form)
    _confirm, reject = forms
    if not reject.validate():
        return _invalid(order, forms)
    try:
        repeat_repairs.reject(order, note=reject.note.data, by=current_user, now=utcnow())
    except ReviewRefused as error:
        return _refused(order, forms, error, "reject")
    return _decided(order, _("Order %(id)s: not a repeat repair.", id=order.external_id))


def _invalid(order: Order, forms):
    if htmx:
        return render_block(QUEUE, "row", **_row_context(order, forms=forms)), 422
    flash(_("Please check the form."), "error")
    return redirect(url_for("qc.repeats_queue"), 303)


@bp.post("/repeats/<int:order_id>/reopen")
@roles_required(Role.QC, Role.SUPERVISOR)
def repeat_reopen(order_id: int):
    """Back to the queue: a decision taken by mistake, or new facts."""
    order = _order(order_id)
    form = ReopenRepeatForm(request.form, prefix=f"o{order.id}")
    back = request.form.get("next") or url_for("qc.repeats_board")
    if not back.startswith("/") or back.startswith("//"):
        back = url_for("qc.repeats_board")
    if form.validate():
        try:
            repeat_repairs.reopen(order, note=form.note.data, by=current_user, now=utcnow())
        except ReviewRefused as error:
            db.session.rollback()
            flash(str(error), "error")
            return redirect(back, 303)
        db.session.commit()
        flash(_("Order %(id)s is back in the review queue.", id=order.external_id), "success")
    else:
        flash(_("Please check the form."), "error")
    return redirect(back, 303)


@bp.get("/repeats/board")
@roles_required(Role.QC, Role.SUPERVISOR, Role.ADMIN)
def repeats_board():
    """The weekly board of confirmed repeat repairs (DOMAIN.md, 000: "post confirmed ones
    weekly"), with the statistics of causes per responsible technician."""
    weeks = request.args.get("weeks", 8, type=int)
    if weeks not in BOARD_WEEKS:
        weeks = 8
    client_id = _client_filter()
    board = repeat_repairs.weekly_board(
        timezone=current_user.timezone, weeks=weeks, client_id=client_id, now=utcnow()
    )
    return render_template(
        BOARD,
        board=board,
        weeks=weeks,
        week_choices=BOARD_WEEKS,
        clients=catalog.clients(),
        client_id=client_id,
        cause_label=cause_label,
        format_date=format_date,
        can_reopen=current_user.role in (Role.QC, Role.SUPERVISOR),
        waiting=repeat_repairs.waiting_count(),
    )


@bp.get("/orders/flagged")
@roles_required(Role.QC, Role.SUPERVISOR)
def flagged_orders():
    """Orders that arrived for a technician who is blocked: the client still sends them work."""
    client_id = _client_filter()
    handled = request.args.get("show") == "handled"
    page = repeat_repairs.blocked_technician_orders(
        client_id=client_id, handled=handled, page=request.args.get("page", 1, type=db_id)
    )
    return render_template(
        "qc/flagged_orders.html",
        page=page,
        clients=catalog.clients(),
        client_id=client_id,
        handled=handled,
        form=HandleFlaggedOrderForm(formdata=None),
    )


@bp.post("/orders/flagged/<int:order_id>/handled")
@roles_required(Role.QC, Role.SUPERVISOR)
def flagged_order_handled(order_id: int):
    order = db.session.get(Order, order_id) or abort(404)
    form = HandleFlaggedOrderForm()
    if not form.validate():
        abort(400)
    try:
        poaching.handle_flagged_order(order, note=form.note.data, by=current_user, now=utcnow())
    except WorkflowError as error:
        flash(_("Order %(id)s: %(why)s", id=order.external_id, why=error.message), "error")
    else:
        db.session.commit()
        flash(_("Order %(id)s is handled.", id=order.external_id), "success")
    return redirect(url_for(".flagged_orders", client=request.args.get("client")), 303)
