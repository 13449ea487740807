"""QC → Canned replies: the ready texts the complaint page offers beside its text boxes (the
contact summary, a note, an email to the customer). Supervisors and admins keep the list:
add, edit, take out of use. The rules are ``services.customer_emails``'; a refused text is
shown next to its field (422)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from console.access import roles_required
from console.extensions import db
from console.forms import show_refusal
from console.models import CannedReply, Client, Role, utcnow
from console.qc import bp
from console.qc.customer_email_forms import CannedReplyForm
from console.services import customer_emails
from console.services.customer_emails import TextRefused

KEEPERS = (Role.SUPERVISOR, Role.ADMIN)


def _clients() -> list[Client]:
    return list(db.session.scalars(select(Client).order_by(Client.name, Client.id)))


def _form(reply: CannedReply | None = None) -> CannedReplyForm:
    if request.method == "POST":
        form = CannedReplyForm()
    elif reply is not None:
        form = CannedReplyForm(
            formdata=None,
            data={
                "title": reply.title,
                "body": reply.body,
                "locale": reply.locale,
                "client": str(reply.client_id or ""),
                "position": reply.position,
                "active": reply.active,
            },
        )
    else:
        form = CannedReplyForm(formdata=None)
    form.set_choices(_clients())
    return form


def _save(form: CannedReplyForm, reply: CannedReply | None) -> CannedReply | None:
    """The posted form saved, committed; None when refused (its errors are on the form)."""
    if not form.validate_on_submit():
        return None
    try:
        saved = customer_emails.save_reply(reply, form.values(), by=current_user, now=utcnow())
    except TextRefused as error:
        db.session.rollback()
        show_refusal(form, error.message, error.field)
        return None
    db.session.commit()
    return saved


def _list_page(form: CannedReplyForm) -> str:
    return render_template(
        "qc/canned_replies.html",
        replies=customer_emails.all_replies(),
        form=form,
        placeholders=customer_emails.REPLY_PLACEHOLDERS,
    )


@bp.route("/canned-replies", methods=["GET", "POST"])
@roles_required(*KEEPERS)
def canned_replies_page():
    form = _form()
    if request.method == "POST":
        saved = _save(form, None)
        if saved is not None:
            flash(_("Canned reply “%(title)s” added.", title=saved.title), "success")
            return redirect(url_for(".canned_replies_page"), 303)
        return _list_page(form), 422
    return _list_page(form)


@bp.route("/canned-replies/<int:reply_id>", methods=["GET", "POST"])
@roles_required(*KEEPERS)
def canned_reply_edit(reply_id: int):
    reply = db.get_or_404(CannedReply, reply_id)
    form = _form(reply)
    if request.method == "POST":
        saved = _save(form, reply)
        if saved is not None:
            flash(_("Canned reply “%(title)s” saved.", title=saved.title), "success")
            return redirect(url_for(".canned_replies_page"), 303)
    page = render_template(
        "qc/canned_reply.html",
        reply=reply,
        form=form,
        placeholders=customer_emails.REPLY_PLACEHOLDERS,
    )
    return page, 422 if request.method == "POST" else 200
