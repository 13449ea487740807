"""Attachments on the complaint page: upload (several files at once), see (photos inline, other
files as downloads) and remove. The card is ``templates/qc/_complaint_attachments.html``, in the
page's work area: an upload or a removal answers like the page's other actions (htmx: the work
area and the header; without JavaScript: a redirect back to the card).

The rules are ``services.complaints.attachments``; the files are in ``services.storage``.
A file is served only to the roles that open the complaint page, only through its complaint's
address, with its detected type and headers that keep a browser from running anything in it.
"""

from __future__ import annotations

import logging

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from jinja2_fragments.flask import render_blocks
from werkzeug.exceptions import RequestEntityTooLarge

from console.access import roles_required
from console.bad_input import accepts_large_body
from console.errors import render_error
from console.extensions import db, htmx
from console.forms import ConfirmForm
from console.models import Complaint, ComplaintAttachment, utcnow
from console.qc import bp
from console.qc import complaint as page
from console.services import storage
from console.services.complaints import attachments

log = logging.getLogger(__name__)

# Headers of a served file: its type is the detected one and the browser must not guess
# another; opened on its own, it runs nothing (sandbox, no sources) and goes to no shared cache.
FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; img-src 'self'; sandbox",
    "Cache-Control": "private, no-cache",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


class AttachForm(FlaskForm):
    files = MultipleFileField(_l("Add photos or PDFs"))


def new_attach_form() -> AttachForm:
    return AttachForm(formdata=None, prefix="attach")


def file_size(size: int) -> str:
    """1 KB upwards, in the reader's own number format."""
    if size < 1024 * 1024:
        return _("%(size)s KB", size=format_decimal(max(1, round(size / 1024))))
    return _("%(size)s MB", size=format_decimal(round(size / (1024 * 1024), 1)))


def _shown(attachment: ComplaintAttachment) -> bool:
    kind = attachments.BY_CONTENT_TYPE.get(attachment.content_type)
    return kind is not None and kind.shown


@bp.app_context_processor
def _attachment_helpers() -> dict:
    """What the attachments card reads, wherever the complaint page's work area is rendered."""
    return {
        "attachments_of": attachments.visible,
        "new_attach_form": new_attach_form,
        "attachment_limits": attachments.limits,
        "attachment_accept": attachments.ACCEPT,
        "attachment_shown": _shown,
        "file_size": file_size,
    }


# --- answering ---------------------------------------------------------------------------------


def _done(complaint_id: int, message: str):
    if htmx:
        return page._done(complaint_id, message)
    flash(message, "success")
    return redirect(url_for(".complaint", complaint_id=complaint_id, _anchor="attachments"), 303)


def _refused(found: Complaint, form: AttachForm, status: int = 422):
    """The page (htmx: its work area) with the upload form and its errors."""
    now = utcnow()
    forms = page._forms(found)
    if htmx:
        context = page._context(found, forms, now=now, full=False) | {"attach_form": form}
        return render_blocks(page.PAGE, ["work"], **context), status
    context = page._context(found, forms, now=now) | {"attach_form": form, "oob": False}
    return render_template(page.PAGE, **context), status


# --- routes ------------------------------------------------------------------------------------


@bp.post("/complaints/<int:complaint_id>/attachments")
@roles_required(*page.ACTING)
@accepts_large_body(lambda: attachments.limits().body_bytes)
def attachments_upload(complaint_id: int):
    found = page._complaint(complaint_id)
    form = AttachForm(prefix="attach")
    if form.validate():
        files = [attachments.Incoming(f.filename, f.stream) for f in form.files.data or []]
        try:
            added = attachments.add(found, files, by=current_user, now=utcnow())
        except attachments.AttachmentsRefused as refused:
            db.session.rollback()
            form.files.errors = [str(message) for message in refused.messages]
        except storage.StorageError:
            db.session.rollback()
            log.exception("attachment store failed for complaint %s", complaint_id)
            form.files.errors = [_("The files could not be stored just now. Try again.")]
            return _refused(found, form, 503)
        else:
            try:
                db.session.commit()
            except BaseException:
                db.session.rollback()
                attachments.discard(added)
                raise
            message = ngettext("%(num)s file attached.", "%(num)s files attached.", len(added))
            return _done(complaint_id, message)
    return _refused(found, form)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(error: RequestEntityTooLarge):
    """An upload over the whole request's limit is refused before its files are read: said
    next to the file field, with the limits, rather than as a bare "too large" page."""
    if request.endpoint != "qc.attachments_upload":
        return render_error(413)
    complaint_id = (request.view_args or {}).get("complaint_id")
    found = page.complaint_detail.load(complaint_id) if complaint_id else None
    if found is None:
        return render_error(413)
    form = new_attach_form()
    form.files.errors = [str(attachments.too_large_message(attachments.limits()))]
    return _refused(found, form, 413)


@bp.get("/complaints/<int:complaint_id>/attachments/<int:attachment_id>")
@roles_required(*page.ACTING)
def attachment_file(complaint_id: int, attachment_id: int):
    found = attachments.find(complaint_id, attachment_id)
    if found is None:
        abort(404)
    if found.sha256 in request.if_none_match:
        response = Response(status=304)
        response.set_etag(found.sha256)
    else:
        try:
            response = storage.named(found.storage).send(
                found.storage_key,
                mimetype=found.content_type,
                as_attachment=not _shown(found),
                download_name=found.file_name,
                etag=found.sha256,
            )
        except storage.StoredFileMissing:
            log.error("attachment %s: no file under %s", found.id, found.storage_key)
            abort(404)
        except storage.StorageError:
            log.exception("attachment %s could not be read", found.id)
            abort(503)
    for name, value in FILE_HEADERS.items():
        response.headers[name] = value
    return response


@bp.post("/complaints/<int:complaint_id>/attachments/<int:attachment_id>/remove")
@roles_required(*page.ACTING)
def attachment_remove(complaint_id: int, attachment_id: int):
    found = page._complaint(complaint_id)
    attachment = attachments.find(complaint_id, attachment_id)
    if attachment is None:
        abort(404)
    if not ConfirmForm().validate():
        abort(400)
    attachments.remove(found, attachment, by=current_user, now=utcnow())
    db.session.commit()
    return _done(
        complaint_id, _("“%(name)s” removed from the complaint.", name=attachment.file_name)
    )
