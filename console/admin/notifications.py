"""Notification deliveries (email, webhook) for admins: what was sent, what is waiting for a
retry, what failed and why; a failed one can be sent again."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from console.access import roles_required
from console.admin import bp
from console.extensions import db
from console.forms import ConfirmForm
from console.ids import db_id
from console.models import DeliveryStatus, NotificationDelivery, Role, utcnow
from console.services.notify import notifications as notification_service

PER_PAGE = 50


@bp.get("/notifications")
@roles_required(Role.ADMIN)
def notification_deliveries():
    counts = notification_service.delivery_counts()
    shown = request.args.get("status")
    if shown is None:
        shown = DeliveryStatus.FAILED.value if counts[DeliveryStatus.FAILED] else "all"
    try:
        status = None if shown == "all" else DeliveryStatus(shown)
    except ValueError:
        abort(404)
    page = request.args.get("page", 1, type=db_id)
    rows, total = notification_service.deliveries(status, page=page, per_page=PER_PAGE)
    return render_template(
        "admin/notifications.html",
        rows=rows,
        total=total,
        counts=counts,
        shown=shown,
        page=page,
        pages=max(1, -(-total // PER_PAGE)),
    )


@bp.post("/notifications/<int:delivery_id>/retry")
@roles_required(Role.ADMIN)
def retry_notification_delivery(delivery_id: int):
    if not ConfirmForm().validate_on_submit():
        abort(400)
    delivery = db.get_or_404(NotificationDelivery, delivery_id)
    if delivery.status == DeliveryStatus.SENT:
        flash(_("Delivery %(n)s was already sent.", n=delivery.id), "info")
    else:
        notification_service.retry(delivery, by=current_user, now=utcnow())
        db.session.commit()
        flash(_("Delivery %(n)s will be sent again now.", n=delivery.id), "success")
    return redirect(
        url_for("admin.notification_deliveries", status=request.args.get("status") or None)
    )
