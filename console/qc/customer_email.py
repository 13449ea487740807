"""The complaint page's "Email the customer" panel and its canned replies.

Sending goes through the page's one way of acting (``complaint._act``): the form is checked,
``services.customer_emails.send`` records the email (a delivery the notification job sends)
and logs it as the customer contact, the request commits once, and the work area comes back
with the email on the timeline. The preview is the same form posted to its own address: the
filled subject and text, nothing recorded. Each email's line on the timeline shows its
delivery's state, and while it waits it asks again every few seconds.
"""

from __future__ import annotations

from datetime import datetime

from flask import abort, g, render_template
from flask_babel import gettext as _
from flask_login import current_user

from console.access import roles_required
from console.extensions import db, htmx
from console.models import Complaint, NotificationDelivery, NotificationKind, utcnow
from console.qc import bp
from console.qc.complaint import ACTING, _act, _ask, _complaint, _forms
from console.qc.customer_email_forms import CustomerEmailForm
from console.services import customer_emails

PANEL = "email"
PREVIEW = "qc/_customer_email_preview.html"
STATE = "qc/_customer_email_state.html"


# --- what the templates call -------------------------------------------------------------------


@bp.app_template_global()
def customer_email_panel(complaint: Complaint, form: CustomerEmailForm) -> dict:
    """What the panel shows besides its form; a form nobody posted starts with the customer's
    address and language."""
    if form.address.data is None:
        form.address.data = complaint.customer.email if complaint.customer else None
    if not form.locale.data or form.locale.data == "None":
        form.locale.data = customer_emails.customer_language(complaint)
    return {
        "can_send": customer_emails.can_send(),
        "preview": _preview(complaint, form),
        "known_address": complaint.customer.email if complaint.customer else None,
    }


def _preview(complaint: Complaint, form: CustomerEmailForm) -> customer_emails.Composed:
    locale = form.locale.data
    if locale not in customer_emails.languages():
        locale = customer_emails.customer_language(complaint)
    return customer_emails.compose(complaint, locale, form.message.data or "")


@bp.app_template_global()
def canned_replies(complaint: Complaint) -> list[customer_emails.Reply]:
    """The complaint's canned replies, read once per request (three pickers show them)."""
    cache = g.setdefault("canned_replies", {})
    if complaint.id not in cache:
        cache[complaint.id] = customer_emails.replies_for(complaint)
    return cache[complaint.id]


@bp.app_template_global()
def customer_email_delivery(complaint: Complaint, delivery_id) -> NotificationDelivery | None:
    cache = g.setdefault("customer_email_deliveries", {})
    if complaint.id not in cache:
        cache[complaint.id] = customer_emails.deliveries_of(complaint)
    return cache[complaint.id].get(delivery_id)


@bp.app_template_global()
def language_name(code: str) -> str:
    return customer_emails.language_name(code)


# --- the routes --------------------------------------------------------------------------------


@bp.post("/complaints/<int:complaint_id>/email")
@roles_required(*ACTING)
def complaint_email(complaint_id: int):
    def run(c: Complaint, f: CustomerEmailForm, now: datetime) -> str:
        email, again = customer_emails.send(
            c,
            to=f.address.data,
            locale=f.locale.data,
            message=f.message.data,
            send_key=f.send_key.data,
            by=current_user,
            now=now,
        )
        if again:
            return _("This email was already sent: it is on the timeline.")
        return _(
            "The email to %(address)s is on its way. It is logged as the customer contact.",
            address=email.target,
        )

    return _act(complaint_id, PANEL, run, fields={"summary": "message"})


@bp.post("/complaints/<int:complaint_id>/email/preview")
@roles_required(*ACTING)
def complaint_email_preview(complaint_id: int):
    """The email as it would be sent (htmx: the preview alone; else the page, panel open)."""
    found = _complaint(complaint_id)
    forms = _forms(found, bound=PANEL)
    form = forms[PANEL]
    form.validate()  # the errors of the fields are shown under them; nothing is recorded
    if htmx:
        return render_template(PREVIEW, preview=_preview(found, form))
    return _ask(found, forms, PANEL, utcnow())


@bp.get("/complaints/<int:complaint_id>/email/<int:delivery_id>")
@roles_required(*ACTING)
def complaint_email_state(complaint_id: int, delivery_id: int):
    """One email's line on the timeline asks here while it waits to be sent."""
    delivery = db.session.get(NotificationDelivery, delivery_id)
    if (
        delivery is None
        or delivery.complaint_id != complaint_id
        or delivery.kind != NotificationKind.CUSTOMER_EMAIL
    ):
        abort(404)
    return render_template(STATE, delivery=delivery, complaint_id=complaint_id)
