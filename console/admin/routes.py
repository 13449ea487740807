from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from console.access import roles_required
from console.admin import bp
from console.admin.forms import UserForm
from console.extensions import db
from console.forms import ConfirmForm
from console.models import Client, Order, Role, Technician, TechnicianStatus, User, WorkType
from console.services import auth as auth_service


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
    return render_template("admin/users.html", form=form, people=people, confirm=ConfirmForm())


@bp.post("/users/<int:user_id>/active/<any(on,off):state>")
@roles_required(Role.ADMIN)
def set_user_active(user_id: int, state: str):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    user = db.get_or_404(User, user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate yourself."), "error")
        return redirect(url_for("admin.users"))
    auth_service.set_active(user, state == "on", by=current_user)
    db.session.commit()
    if state == "on":
        flash(_("%(name)s can sign in again.", name=user.name), "success")
    else:
        flash(_("%(name)s is deactivated and signed out everywhere.", name=user.name), "success")
    return redirect(url_for("admin.users"))
