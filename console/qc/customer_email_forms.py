"""Forms for writing to the customer: the email from the complaint page, and a canned reply.
They check the shape of the input; the rules are ``services.customer_emails``'."""

from __future__ import annotations

from uuid import uuid4

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Email, InputRequired, Length, NumberRange, Optional

from console.qc.forms import TEXT
from console.services import customer_emails


class CustomerEmailForm(FlaskForm):
    """To whom, in which language, what QC writes; ``send_key`` is minted with the form, so
    sending it twice records one email."""

    address = EmailField(
        _l("To"),
        validators=[
            InputRequired(_l("Enter the customer's email address.")),
            Email(_l("Enter an email address such as name@example.com.")),
            Length(max=254),
        ],
    )
    locale = SelectField(_l("Language"))
    message = TextAreaField(_l("Message"), validators=[Length(max=TEXT)])
    send_key = HiddenField(default=lambda: uuid4().hex)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.locale.choices = [SelectChoice(c, n) for c, n in customer_emails.language_choices()]


class CannedReplyForm(FlaskForm):
    title = StringField(
        _l("Title"), validators=[Length(max=customer_emails.TITLE_MAX)], render_kw={"size": 40}
    )
    locale = SelectField(_l("Language"))
    client = SelectField(_l("Client"))
    position = IntegerField(
        _l("Order in the list"),
        default=0,
        validators=[Optional(), NumberRange(min=0, max=9999)],
        render_kw={"inputmode": "numeric"},
    )
    active = BooleanField(_l("Offered on the complaint page"), default=True)
    body = TextAreaField(
        _l("Text"), validators=[Length(max=customer_emails.TEXT_MAX)], render_kw={"rows": 6}
    )

    def set_choices(self, clients) -> None:
        self.locale.choices = [SelectChoice(c, n) for c, n in customer_emails.language_choices()]
        self.client.choices = [SelectChoice("", _l("Every client"))] + [
            SelectChoice(str(c.id), c.name) for c in clients
        ]

    def values(self) -> customer_emails.ReplyValues:
        client = self.client.data or ""
        return customer_emails.ReplyValues(
            title=self.title.data or "",
            body=self.body.data or "",
            locale=self.locale.data or "",
            client_id=int(client) if client.isdigit() else None,
            active=bool(self.active.data),
            position=self.position.data or 0,
        )
