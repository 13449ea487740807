"""The admin's overview and users: adding, editing, a one-time password link, deactivating and
reactivating (the rules: ``services.users`` and ``services.password_reset``)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from console.access import roles_required
from console.admin import bp
from console.admin.forms import UserEditForm, UserForm
from console.extensions import db
from console.forms import ConfirmForm
from console.models import Client, Order, Role, Technician, TechnicianStatus, User, WorkType, utcnow
from console.services import auth as auth_service
from console.services import password_reset
from console.services import users as user_service

log = logging.getLogger(__name__)


@bp.get("/")
@roles_required(Role.ADMIN)
def home():
    count = lambda model, *where: db.session.scalar(  # noqa: E731
        select(func.count()).select_from(model).where(*where)
    )
    stats = {
        "clients": count(Client),
        "work_types": count(WorkType),
        "technicians": count(Technician),
        "blocked": count(Technician, Technician.status == TechnicianStatus.BLOCKED),
        "orders": count(Order),
        "users": count(User),
    }
    return render_template("admin/home.html", stats=stats)


@bp.route("/users", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def users():
    form = UserForm()
    if form.validate_on_submit():
        user = auth_service.create_user(
            email=form.email.data,
            name=form.name.data,
            password=form.password.data,
            role=Role(form.role.data),
            by=current_user,
        )
        db.session.commit()
        flash(_("User %(email)s added.", email=user.email), "success")
        return redirect(url_for("admin.users"))
    people = db.session.scalars(select(User).order_by(User.active.desc(), User.name)).all()
    status = 422 if form.is_submitted() else 200
    return render_template(
        "admin/users.html", form=form, people=people, confirm=ConfirmForm()
    ), status


def _edit_page(user: User, form: UserEditForm, *, status: int = 200, link=None, mailed=None):
    html = render_template(
        "admin/users_edit.html",
        person=user,
        form=form,
        confirm=ConfirmForm(),
        link=link,
        mailed=mailed,
        mail_configured=password_reset.mail_configured(),
        open_link=password_reset.open_link(user, utcnow()),
        link_hours=password_reset.LINK_HOURS,
    )
    return html, status


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: int):
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user)
    if not form.is_submitted():
        form.locale.data = user.locale or ""
        return _edit_page(user, form)
    if not form.validate():
        return _edit_page(user, form, status=422)
    try:
        changed = user_service.update_user(
            user,
            name=form.name.data,
            email=form.email.data,
            role=form.role.data,
            locale=form.locale.data,
            timezone=form.timezone.data,
            by=current_user,
        )
    except user_service.UserChangeRefused as refused:
        db.session.rollback()
        for name, message in refused.errors.items():
            form[name].errors = [*form[name].errors, message]
        return _edit_page(user, form, status=422)
    db.session.commit()
    if changed:
        flash(_("%(name)s is saved.", name=user.name), "success")
    else:
        flash(_("Nothing was changed."), "info")
    return redirect(url_for("admin.user_edit", user_id=user.id), 303)


def _external_url(endpoint: str, **values) -> str:
    """An address to give someone: on ``CONSOLE_BASE_URL`` when set (behind a proxy the
    request's own host may be an inside one), else on the request's."""
    base = current_app.config.get("CONSOLE_BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build(endpoint, values, force_external=True)


@bp.post("/users/<int:user_id>/password-link")
@roles_required(Role.ADMIN)
def user_password_link(user_id: int):
    """A one-time link to set a new password, shown here once for the admin to pass on, and
    emailed to the person when mail is configured."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    form = UserEditForm(obj=user, formdata=None)
    form.locale.data = user.locale or ""
    if not user.active:
        flash(
            _("Reactivate %(name)s first: a deactivated account gets no link.", name=user.name),
            "error",
        )
        return redirect(url_for("admin.user_edit", user_id=user.id), 303)
    issued = password_reset.issue(user, by=current_user, now=utcnow())
    db.session.commit()
    url = _external_url("auth.reset_password", token=issued.token)
    mailed = None
    if password_reset.mail_configured():
        try:
            password_reset.email_link(user, url, issued.reset.expires_at)
            mailed = True
        except Exception as exc:  # the admin still has the link: say so, never fail the page
            log.warning("password link for user %s not emailed: %s", user.id, exc)
            mailed = False
    return _edit_page(user, form, link=url, mailed=mailed)


@bp.post("/users/<int:user_id>/active/<any(on,off):state>")
@roles_required(Role.ADMIN)
def set_user_active(user_id: int, state: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    if state == "on":
        user_service.reactivate(user, by=current_user)
    else:
        try:
            user_service.deactivate(user, by=current_user, now=utcnow())
        except user_service.UserChangeRefused as refused:
            db.session.rollback()
            flash(str(refused.errors["active"]), "error")
            return redirect(url_for("admin.users"))
    db.session.commit()
    if state == "on":
        flash(_("%(name)s can sign in again.", name=user.name), "success")
    else:
        flash(_("%(name)s is deactivated and signed out everywhere.", name=user.name), "success")
    return redirect(url_for("admin.users"))
