"""Technicians for admins: the list with its filters (client, role, status, a name), who is
blocked (anti-poaching, DOMAIN.md 003) or under review, what was charged to them, the orders
that still arrived while blocked; adding and editing one, importing many from a CSV or XLSX
file (``services.technicians``); lifting a block, with the reason
(``services.complaints.poaching.unblock_technician``: admins only). Blocking itself is QC's
decision and is not offered here."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.access import roles_required
from console.admin import bp
from console.admin.forms import TechnicianForm, TechnicianImportForm, UnblockForm
from console.extensions import db
from console.ids import optional_id
from console.models import Client, Role, Technician, TechnicianRole, utcnow
from console.services import catalog
from console.services import technicians as technician_service
from console.services.complaints import poaching
from console.services.complaints.workflow import WorkflowError


def _filters(args) -> dict:
    """The list's filters from the query string; anything unknown is no filter."""
    show = args.get("show", "all")
    if show not in technician_service.STATUS_FILTERS:
        show = "all"
    client = args.get("client", "")
    if client != technician_service.INDEPENDENT:
        client = optional_id(client)
    try:
        role = TechnicianRole(args.get("role", ""))
    except ValueError:
        role = None
    search = (args.get("q") or "").strip()[:100]
    return {"show": show, "client": client, "role": role, "q": search}


def _page(filters: dict, *, failed: tuple[int, UnblockForm] | None = None, status: int = 200):
    listing = technician_service.technicians_overview(
        status=filters["show"],
        client=filters["client"],
        role=filters["role"],
        search=filters["q"],
        page=optional_id(request.args.get("page")) or 1,
    )
    rows = listing.rows
    forms = {
        row.technician.id: UnblockForm(formdata=None, prefix=f"t{row.technician.id}")
        for row in rows
        if row.technician.is_blocked
    }
    if failed is not None and failed[0] in forms:
        forms[failed[0]] = failed[1]
    html = render_template(
        "admin/technicians.html",
        listing=listing,
        rows=rows,
        forms=forms,
        filters=filters,
        statuses=technician_service.STATUS_FILTERS,
        roles=list(TechnicianRole),
        clients=catalog.clients(),
        independent=technician_service.INDEPENDENT,
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
    return _page(_filters(request.args))


def _client_of(form: TechnicianForm) -> tuple[Client | None, dict]:
    """The client chosen in the form ("" is an independent master)."""
    if not form.client.data:
        return None, {}
    client = db.session.get(Client, optional_id(form.client.data) or 0)
    if client is None:
        return None, {"client": _("This client does not exist any more.")}
    return client, {}


def _form_page(form: TechnicianForm, technician: Technician | None, status: int = 200):
    history = technician is not None and technician_service.has_history(technician)
    html = render_template(
        "admin/technicians_form.html", form=form, technician=technician, history=history
    )
    return html, status


def _save(form: TechnicianForm, technician: Technician | None):
    """Validate, store through the service, or show every field's error."""
    if not form.validate():
        return None
    client, errors = _client_of(form)
    fields = {
        "name": form.name.data,
        "client": client,
        "external_id": form.external_id.data,
        "role": form.role.data,
        "phone": form.phone.data,
    }
    try:
        if errors:
            raise technician_service.TechnicianRejected(errors)
        if technician is None:
            return technician_service.add_technician(by=current_user, **fields), True
        changed = technician_service.update_technician(technician, by=current_user, **fields)
        return technician, bool(changed)
    except technician_service.TechnicianRejected as rejected:
        db.session.rollback()
        for name, message in rejected.errors.items():
            form[name].errors = [*form[name].errors, message]
        return None


@bp.route("/technicians/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def technician_new():
    form = TechnicianForm(clients=catalog.clients())
    if not form.is_submitted():
        return _form_page(form, None)
    saved = _save(form, None)
    if saved is None:
        return _form_page(form, None, 422)
    technician, _created = saved
    db.session.commit()
    flash(_("%(name)s is added.", name=technician.name), "success")
    return redirect(url_for("admin.technicians", q=technician.name), 303)


@bp.route("/technicians/<int:technician_id>/edit", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def technician_edit(technician_id: int):
    technician = db.get_or_404(Technician, technician_id)
    form = TechnicianForm(obj=technician, clients=catalog.clients())
    if not form.is_submitted():
        form.client.data = str(technician.client_id or "")
        form.phone.data = technician.phone or ""
        return _form_page(form, technician)
    saved = _save(form, technician)
    if saved is None:
        return _form_page(form, technician, 422)
    _technician, changed = saved
    db.session.commit()
    if changed:
        flash(_("%(name)s is saved.", name=technician.name), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("admin.technician_edit", technician_id=technician.id), 303)


@bp.route("/technicians/import", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def technician_import():
    form = TechnicianImportForm()
    report = None
    status = 200
    if form.validate_on_submit():
        report = technician_service.import_technicians_file(form.file.data.read(), by=current_user)
        db.session.commit()
    elif form.is_submitted():
        status = 422
    html = render_template(
        "admin/technicians_import.html",
        form=form,
        report=report,
        columns=technician_service.IMPORT_COLUMNS,
        required=technician_service.REQUIRED_IMPORT_COLUMNS,
    )
    return html, status


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
        blocked = _filters({"show": "blocked"})
        return _page(blocked, failed=(technician.id, form), status=422)
    db.session.commit()
    flash(_("%(name)s is unblocked and can get orders again.", name=technician.name), "success")
    return redirect(url_for("admin.technicians"), 303)
