"""Admin → Clients and Work types (issue 12 "Self-serve setup"): list, add, edit, deactivate
and reactivate clients, their holidays; list, add and edit work types. The rules and the audit
are ``services.clients``'; each request commits once (``_submit``: the steps of every form
here)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_number, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from console.access import roles_required
from console.admin import bp
from console.admin.client_forms import (
    CancelCallsForm,
    ClientForm,
    HolidayForm,
    WorkTypeForm,
    initial_data,
    new_client_data,
    short_weekday_names,
    weekday_names,
)
from console.extensions import db
from console.forms import ConfirmForm
from console.models import Client, ClientHoliday, Role, WorkType, utcnow
from console.services import calling_hours
from console.services import clients as client_service
from console.services.clients import CatalogRefused, ClientBusy


def _defaults() -> dict:
    return {"default_delay": current_app.config["CALL_DELAY_DAYS"]}


class Done(NamedTuple):
    """What a form's step did: the message to flash, and the page to go to."""

    message: str
    to: str
    category: str = "success"


def _saved(changed, message: str, to: str) -> Done:
    """An edit's outcome: ``message`` when it changed something, else "Nothing changed."."""
    return Done(message, to) if changed else Done(_("Nothing changed."), to, "info")


def _submit(
    form: FlaskForm,
    step: Callable[[], Done],
    *,
    page: Callable[[], str],
    refuse: Callable[[CatalogRefused], None] | None = None,
):
    """The steps of every form here: validate the posted form, run the service's ``step``,
    commit once, flash what it did and go where it says (303). A refusal of the service is
    rolled back and put on its field (``refuse``, else the form's own ``refuse``); the form is
    then shown again by ``page``, as it is with its own errors (422), or on a GET (200)."""
    if form.validate_on_submit():
        try:
            done = step()
        except CatalogRefused as error:
            db.session.rollback()
            (refuse or form.refuse)(error)
        else:
            db.session.commit()
            flash(done.message, done.category)
            return redirect(done.to, 303)
    return page(), 422 if request.method == "POST" else 200


# --- clients --------------------------------------------------------------------------------


@bp.get("/clients")
@roles_required(Role.ADMIN)
def clients():
    rows = client_service.clients_overview()
    return render_template(
        "admin/clients/list.html",
        clients=rows,
        hours={c.id: calling_hours.grouped(c.calling_hours) for c in rows},
        days=short_weekday_names(),
        **_defaults(),
    )


@bp.route("/clients/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def client_new():
    form = ClientForm(data=new_client_data() if request.method == "GET" else None)

    def create() -> Done:
        client = client_service.create_client(form.values(), by=current_user)
        return Done(
            _("Client %(name)s added. Add its holidays here.", name=client.name),
            url_for("admin.client_edit", client_id=client.id),
        )

    return _submit(form, create, page=lambda: _form_page(form, client=None))


@bp.route("/clients/<int:client_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def client_edit(client_id: int):
    client = db.get_or_404(Client, client_id)
    form = ClientForm(
        data=initial_data(client) if request.method == "GET" else None,
        current_zone=client.timezone,
    )

    def update() -> Done:
        changed = client_service.update_client(client, form.values(), by=current_user)
        return _saved(
            changed,
            _("Client %(name)s saved.", name=client.name),
            url_for("admin.client_edit", client_id=client.id),
        )

    return _submit(form, update, page=lambda: _form_page(form, client=client))


def _form_page(form: ClientForm, *, client: Client | None, **extra) -> str:
    """The client's page: its form and, for an existing client, holidays, state and scripts."""
    context = {
        "form": form,
        "client": client,
        "days": weekday_names(),
        "short_days": short_weekday_names(),
        **_defaults(),
    }
    if client is not None:
        context |= {
            "holiday_form": extra.pop("holiday_form", None)
            or HolidayForm(formdata=None, prefix="holiday"),
            "cancel_form": extra.pop("cancel_form", None)
            or CancelCallsForm(formdata=None, prefix="cancel"),
            "confirm": ConfirmForm(),
            "work": client_service.open_work(client),
            "scripts": client_service.scripts_for(client=client),
            "refusal": extra.pop("refusal", None),
        }
    return render_template("admin/clients/form.html", **context)


def _client_page(client: Client, **extra) -> str:
    form = ClientForm(formdata=None, data=initial_data(client), current_zone=client.timezone)
    return _form_page(form, client=client, **extra)


def _holidays_of(client: Client) -> str:
    return url_for("admin.client_edit", client_id=client.id, _anchor="holidays")


@bp.post("/clients/<int:client_id>/holidays")
@roles_required(Role.ADMIN)
def client_holiday_add(client_id: int):
    client = db.get_or_404(Client, client_id)
    holiday_form = HolidayForm(prefix="holiday")

    def add() -> Done:
        holiday = client_service.add_holiday(
            client, holiday_form.day.data, holiday_form.name.data, by=current_user
        )
        return Done(_("Holiday %(day)s added.", day=holiday.day.isoformat()), _holidays_of(client))

    return _submit(
        holiday_form,
        add,
        page=lambda: _client_page(client, holiday_form=holiday_form),
        refuse=lambda error: holiday_form.day.errors.append(error.message),
    )


@bp.post("/clients/<int:client_id>/holidays/<int:holiday_id>/remove")
@roles_required(Role.ADMIN)
def client_holiday_remove(client_id: int, holiday_id: int):
    client = db.get_or_404(Client, client_id)
    holiday = db.get_or_404(ClientHoliday, holiday_id)
    if holiday.client_id != client.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    client_service.remove_holiday(client, holiday, by=current_user)
    db.session.commit()
    flash(_("Holiday %(day)s removed.", day=holiday.day.isoformat()), "success")
    return redirect(_holidays_of(client), 303)


@bp.post("/clients/<int:client_id>/active/<any(on,off):state>")
@roles_required(Role.ADMIN)
def client_set_active(client_id: int, state: str):
    client = db.get_or_404(Client, client_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        client_service.set_client_active(client, state == "on", by=current_user)
    except ClientBusy as error:
        db.session.rollback()
        return _client_page(client, refusal=error.message), 409
    db.session.commit()
    if state == "on":
        flash(_("%(name)s is active again: its customers are called.", name=client.name), "success")
    else:
        flash(
            _("%(name)s is deactivated: its customers are no longer called.", name=client.name),
            "success",
        )
    return redirect(url_for("admin.client_edit", client_id=client.id), 303)


@bp.post("/clients/<int:client_id>/cancel-pending-calls")
@roles_required(Role.ADMIN)
def client_cancel_calls(client_id: int):
    client = db.get_or_404(Client, client_id)
    cancel_form = CancelCallsForm(prefix="cancel")
    if not cancel_form.validate_on_submit():
        work = client_service.open_work(client)
        refusal = work.message() if work else None
        return _client_page(client, cancel_form=cancel_form, refusal=refusal), 422
    count = client_service.cancel_pending_calls(client, by=current_user, now=utcnow())
    db.session.commit()
    flash(
        ngettext(
            "%(count)s pending call cancelled.",
            "%(count)s pending calls cancelled.",
            count,
            count=format_number(count),
        ),
        "success",
    )
    return redirect(url_for("admin.client_edit", client_id=client.id), 303)


# --- work types -----------------------------------------------------------------------------


@bp.route("/work-types", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def work_types():
    form = WorkTypeForm()

    def create() -> Done:
        work_type = client_service.create_work_type(form.values(), by=current_user)
        return Done(
            _("Work type %(name)s added.", name=work_type.name), url_for("admin.work_types")
        )

    def page() -> str:
        return render_template(
            "admin/clients/work_types.html",
            rows=client_service.work_types_overview(),
            form=form,
            **_defaults(),
        )

    return _submit(form, create, page=page)


@bp.route("/work-types/<int:work_type_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def work_type_edit(work_type_id: int):
    work_type = db.get_or_404(WorkType, work_type_id)
    form = WorkTypeForm(obj=work_type if request.method == "GET" else None)

    def update() -> Done:
        changed = client_service.update_work_type(work_type, form.values(), by=current_user)
        return _saved(
            changed,
            _("Work type %(name)s saved.", name=work_type.name),
            url_for("admin.work_types"),
        )

    def page() -> str:
        return render_template(
            "admin/clients/work_type.html",
            work_type=work_type,
            form=form,
            scripts=client_service.scripts_for(work_type=work_type),
            **_defaults(),
        )

    return _submit(form, update, page=page)
