"""Technicians for admins: who is blocked (anti-poaching, DOMAIN.md 003) or under review, what
was charged to them, the orders that still arrived while blocked; lifting a block, with the
reason (``services.complaints.poaching.unblock_technician``: admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.access import roles_required
from console.admin import bp
from console.admin.forms import UnblockForm
from console.extensions import db
from console.models import Role, Technician, TechnicianStatus, utcnow
from console.services import technicians as technician_service
from console.services.complaints import poaching
from console.services.complaints.workflow import WorkflowError

FILTERS = {"all": None, "blocked": TechnicianStatus.BLOCKED, "active": TechnicianStatus.ACTIVE}


def _page(*, show: str, failed: tuple[int, UnblockForm] | None = None, status: int = 200):
    rows = technician_service.technicians_overview(status=FILTERS[show])
    forms = {
        row.technician.id: UnblockForm(formdata=None, prefix=f"t{row.technician.id}")
        for row in rows
        if row.technician.is_blocked
    }
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    html = render_template(
        "admin/technicians.html",
        rows=rows,
        forms=forms,
        show=show,
        filters=list(FILTERS),
        blocking={
            row.technician.id: technician_service.blocking_complaint(row.technician)
            for row in rows
            if row.technician.is_blocked
        },
    )
    return html, status


@bp.get("/technicians")
@roles_required(Role.ADMIN)
def technicians():
    show = request.args.get("show", "all")
    if show not in FILTERS:
        show = "all"
    return _page(show=show)


@bp.post("/technicians/<int:technician_id>/unblock")
@roles_required(Role.ADMIN)
def technician_unblock(technician_id: int):
    technician = db.get_or_404(Technician, technician_id)
    form = UnblockForm(prefix=f"t{technician.id}")
    if not form.validate():
        abort(400)
    try:
        poaching.unblock_technician(
            technician, by=current_user, now=utcnow(), reason=form.reason.data
        )
    except WorkflowError as error:
        db.session.rollback()
        form.reason.errors = [*form.reason.errors, error.message]
        return _page(show="all", failed=(technician.id, form), status=422)
    db.session.commit()
    flash(_("%(name)s is unblocked and can get orders again.", name=technician.name), "success")
    return redirect(url_for("admin.technicians"), 303)
