"""In-app notices: the bell in the top bar (a fragment the layout polls every 20 s), the list of
one's notices, and marking them read. Each notice is worded in its reader's language when shown
(``services.notify.notifications.notice_text``)."""

from __future__ import annotations

from flask import abort, redirect, render_template, request, url_for
from flask_htmx import make_response as htmx_response
from flask_login import current_user

from console.access import signed_in
from console.extensions import db, htmx
from console.forms import ConfirmForm
from console.ids import db_id
from console.models import Notification, utcnow
from console.notifications import bp
from console.services.notify import notifications as notification_service

PER_PAGE = 30


@bp.app_template_global("notice_text")
def _notice_text(notice: Notification):
    return notification_service.notice_text(notice)


def complaint_link(complaint_id: int | None) -> str | None:
    """Where a notice leads: the complaint page (the QC desk), else nowhere."""
    if complaint_id is None:
        return None
    return url_for("qc.complaint", complaint_id=complaint_id)


def _bell_context():
    return {
        "unread": notification_service.unread_count(current_user),
        "recent": notification_service.latest(current_user, limit=5),
    }


@bp.get("/bell")
@signed_in
def bell():
    """The top-bar bell: unread count and the latest unread notices (polled by htmx)."""
    response = htmx_response(render_template("notifications/_bell.html", **_bell_context()))
    response.headers["Cache-Control"] = "no-store"
    response.vary.add("HX-Request")
    return response


@bp.get("/")
@signed_in
def index():
    page = request.args.get("page", 1, type=db_id)
    notices, total = notification_service.notices_page(current_user, page, PER_PAGE)
    return render_template(
        "notifications/index.html",
        notices=notices,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
        total=total,
        unread=notification_service.unread_count(current_user),
    )


@bp.post("/<int:notice_id>/read")
@signed_in
def mark_read(notice_id: int):
    notice = _read_own(notice_id)
    if htmx:
        return _bell_or_row(notice)
    return redirect(request.referrer or url_for("notifications.index"))


def _read_own(notice_id: int) -> Notification:
    """Mark one of the signed-in user's notices read (commits); someone else's is a 404."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notice = db.session.get(Notification, notice_id)
    if notice is None or notice.user_id != current_user.id:
        abort(404)
    notification_service.mark_read(current_user, notice_id, now=utcnow())
    db.session.commit()
    return notice


def _bell_or_row(notice: Notification):
    """From the list page, the row again (read now) plus the bell out of band; from the bell,
    the bell."""
    db.session.refresh(notice)
    if htmx.target and htmx.target.startswith("notice-"):
        html = render_template("notifications/_row.html", n=notice) + render_template(
            "notifications/_bell.html", oob=True, **_bell_context()
        )
        return htmx_response(html, trigger="notices-changed")
    return htmx_response(
        render_template("notifications/_bell.html", **_bell_context()), trigger="notices-changed"
    )


@bp.post("/<int:notice_id>/open")
@signed_in
def open_notice(notice_id: int):
    """Follow a notice: it is read now, and its complaint opens."""
    notice = _read_own(notice_id)
    return redirect(complaint_link(notice.complaint_id) or url_for("notifications.index"))


@bp.post("/read-all")
@signed_in
def mark_all_read():
    if not ConfirmForm().validate_on_submit():
        abort(400)
    notification_service.mark_read(current_user, None, now=utcnow())
    db.session.commit()
    if htmx and htmx.target == "notice-bell":
        return htmx_response(
            render_template("notifications/_bell.html", **_bell_context()),
            trigger="notices-changed",
        )
    return redirect(url_for("notifications.index"))
