"""Admin → API tokens: the tokens other systems use for ``/api/v1`` (``services.api_tokens``).

A new token is shown once, on the page that answers its form (never put in a redirect, a flash
message or the session: the session cookie is signed, not encrypted). Revoking asks first, on a
page of its own, since whatever uses the token stops working at once. Both are audited.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from console.access import roles_required
from console.admin import bp
from console.extensions import db
from console.forms import ConfirmForm
from console.models import ApiToken, Role, utcnow
from console.services import api_tokens

SCOPE_LABELS = {
    api_tokens.ORDERS_WRITE: _l("Send orders (a shop's or marketplace's system)"),
    api_tokens.COMPLAINTS_READ: _l("Read complaints (payroll, CRM)"),
    api_tokens.TELEPHONY: _l("Report calls and recordings (telephony provider)"),
    api_tokens.REPORTS_READ: _l("Read reports: technicians' KPI (payroll)"),
}


class TokenForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Say what will use the token.")), Length(max=100)],
    )
    scopes = SelectMultipleField(
        _l("What it may do"),
        choices=[SelectChoice(scope, SCOPE_LABELS[scope]) for scope in api_tokens.ISSUABLE],
        validators=[DataRequired(_l("Choose at least one."))],
    )


def _page(form: TokenForm, *, created=None, confirm: ApiToken | None = None, status=200):
    html = render_template(
        "admin/api_tokens.html",
        tokens=api_tokens.all_tokens(),
        form=form,
        created=created,
        confirm=confirm,
        confirm_form=ConfirmForm() if confirm is not None else None,
        scope_labels=SCOPE_LABELS,
    )
    return html, status


@bp.get("/api-tokens")
@roles_required(Role.ADMIN)
def api_tokens_page():
    return _page(TokenForm(formdata=None))


@bp.post("/api-tokens")
@roles_required(Role.ADMIN)
def api_token_create():
    form = TokenForm()
    if not form.validate():
        return _page(form, status=422)
    try:
        made = api_tokens.create_token(
            form.name.data, form.scopes.data, by=current_user, now=utcnow()
        )
    except api_tokens.TokenRefused as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, str(exc)]
        return _page(form, status=422)
    db.session.commit()
    # Shown here, once: the page is not cached (Cache-Control: no-store on every page).
    return _page(TokenForm(formdata=None), created=made)


@bp.get("/api-tokens/<int:token_id>/revoke")
@roles_required(Role.ADMIN)
def api_token_confirm_revoke(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if token.revoked_at is not None:
        return redirect(url_for("admin.api_tokens_page"), 303)
    return _page(TokenForm(formdata=None), confirm=token)


@bp.post("/api-tokens/<int:token_id>/revoke")
@roles_required(Role.ADMIN)
def api_token_revoke(token_id: int):
    token = db.get_or_404(ApiToken, token_id)
    if not ConfirmForm().validate():
        abort(400)
    if api_tokens.revoke(token, by=current_user, now=utcnow()):
        db.session.commit()
        flash(
            _("Token %(prefix)s… (%(name)s) is revoked.", prefix=token.prefix, name=token.name),
            "success",
        )
    return redirect(url_for("admin.api_tokens_page"), 303)
