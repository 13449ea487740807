"""Admin → Clients → a client → Emails to customers: the client's email in each language, with
a preview filled with sample values. The rules (placeholders known, {message} present) are
``services.customer_emails``'; a refused text is shown next to its field (422)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import Length

from console.access import roles_required
from console.admin import bp
from console.extensions import db
from console.forms import ConfirmForm, show_refusal
from console.models import Client, Role, utcnow
from console.services import customer_emails
from console.services.customer_emails import TextRefused

PAGE = "admin/clients/customer_emails.html"


class CustomerEmailTemplateForm(FlaskForm):
    subject = StringField(_l("Subject"), validators=[Length(max=customer_emails.SUBJECT_MAX)])
    body = TextAreaField(
        _l("Text"), validators=[Length(max=customer_emails.TEXT_MAX)], render_kw={"rows": 10}
    )


def _form_for(client: Client, locale: str, posted: bool = False) -> CustomerEmailTemplateForm:
    if posted:
        return CustomerEmailTemplateForm(prefix=locale)
    subject, body, _own = customer_emails.texts_for(client.id, locale)
    return CustomerEmailTemplateForm(
        formdata=None, prefix=locale, data={"subject": subject, "body": body}
    )


def _page(client: Client, forms: dict[str, CustomerEmailTemplateForm], **extra) -> str:
    previews = {}
    for locale, form in forms.items():
        sample = customer_emails.sample_values(client, locale)
        if any(form.errors.values()):
            previews[locale] = None
            continue
        previews[locale] = (
            " ".join(customer_emails.fill(form.subject.data or "", sample).split()),
            customer_emails.fill(form.body.data or "", sample),
        )
    return render_template(
        PAGE,
        client=client,
        forms=forms,
        previews=previews,
        own={locale: customer_emails.template_of(client.id, locale) for locale in forms},
        placeholders=customer_emails.PLACEHOLDERS,
        confirm=ConfirmForm(),
        **extra,
    )


def _locale_or_404(locale: str) -> str:
    if locale not in customer_emails.languages():
        abort(404)
    return locale


@bp.get("/clients/<int:client_id>/customer-emails")
@roles_required(Role.ADMIN)
def client_customer_emails(client_id: int):
    client = db.get_or_404(Client, client_id)
    forms = {locale: _form_for(client, locale) for locale in customer_emails.languages()}
    return _page(client, forms)


@bp.post("/clients/<int:client_id>/customer-emails/<locale>")
@roles_required(Role.ADMIN)
def client_customer_email_save(client_id: int, locale: str):
    """Save one language's email, or only preview it (the Preview button): nothing stored."""
    client = db.get_or_404(Client, client_id)
    locale = _locale_or_404(locale)
    forms = {
        code: _form_for(client, code, posted=code == locale) for code in customer_emails.languages()
    }
    form = forms[locale]
    previewing = request.form.get("do") == "preview"
    if form.validate_on_submit():
        try:
            customer_emails.check_template(form.subject.data, form.body.data)
            if previewing:
                return _page(client, forms, open_locale=locale)
            changed = customer_emails.save_template(
                client,
                locale,
                subject=form.subject.data,
                body=form.body.data,
                by=current_user,
                now=utcnow(),
            )
        except TextRefused as error:
            db.session.rollback()
            show_refusal(form, error.message, error.field)
        else:
            db.session.commit()
            language = customer_emails.language_name(locale)
            if changed:
                flash(_("The email in %(language)s is saved.", language=language), "success")
            else:
                flash(_("Nothing changed."), "info")
            return redirect(
                url_for("admin.client_customer_emails", client_id=client.id, _anchor=locale), 303
            )
    return _page(client, forms, open_locale=locale), 422


@bp.post("/clients/<int:client_id>/customer-emails/<locale>/reset")
@roles_required(Role.ADMIN)
def client_customer_email_reset(client_id: int, locale: str):
    client = db.get_or_404(Client, client_id)
    locale = _locale_or_404(locale)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    customer_emails.reset_template(client, locale, by=current_user)
    db.session.commit()
    flash(
        _(
            "The email in %(language)s is the console's default text again.",
            language=customer_emails.language_name(locale),
        ),
        "success",
    )
    return redirect(
        url_for("admin.client_customer_emails", client_id=client.id, _anchor=locale), 303
    )
