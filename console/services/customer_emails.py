"""Writing to the customer from the complaint (issue 13): an email built from the client's
template in the customer's language, sent by the notification job, logged as the contact; and
the canned replies QC inserts into what they write.

**Placeholders.** Templates and canned replies are plain text with a fixed set of placeholders
(``{customer_name}``...). They are filled from a dict of the complaint's values, never by
``str.format``: a template can reach nothing but those values (no ``{x.__class__}``, no format
specs), and a placeholder that is not one of them is refused when the text is saved, named by
the field it is in. ``{{`` and ``}}`` write a brace.

**Sending.** The email is recorded as a ``NotificationDelivery`` (kind ``customer_email``) in
the request's transaction and sent by ``console.jobs.notifications.send_due`` with its retries,
like every notification. The same step logs the contact (channel email, the message as its
summary) through ``workflow.log_contact``: the first email is the customer's first answer.
Without an SMTP server nothing could ever leave, so nothing is recorded: the step is refused,
and no contact is counted for an email that cannot be sent.

**Language.** The customer's: the language of the last email sent to them; else the client's,
the first console language spoken officially in its country (Babel's CLDR data); else English.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from string import Formatter

from babel import Locale
from babel.languages import get_official_languages
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select

from console.extensions import db
from console.models import (
    CannedReply,
    Client,
    Complaint,
    CustomerEmail,
    CustomerEmailTemplate,
    DeliveryChannel,
    NotificationDelivery,
    NotificationKind,
    User,
)
from console.services import audit
from console.services.complaints import workflow
from console.services.complaints.workflow import WorkflowError

PLACEHOLDERS = ("customer_name", "complaint_number", "order_number", "client_name", "message")
# A canned reply is inserted into what QC writes: it has no {message} of its own.
REPLY_PLACEHOLDERS = PLACEHOLDERS[:-1]

SUBJECT_MAX = 300
TEXT_MAX = 8000
TITLE_MAX = 120


class TextRefused(ValueError):
    """A template or a canned reply that cannot be saved; ``field`` names the input."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


def languages() -> list[str]:
    return list(current_app.config["CONSOLE_LANGUAGES"])


def language_name(code: str) -> str:
    """A language by its own name ("English", "Русский"): what a speaker looks for."""
    name = Locale.parse(code).get_display_name(code) or code
    return name[:1].upper() + name[1:]


def language_choices() -> list[tuple[str, str]]:
    return [(code, language_name(code)) for code in languages()]


# --- placeholders ------------------------------------------------------------------------------


def _parts(text: str):
    return list(Formatter().parse(text))


def placeholder_problem(text: str | None, allowed=PLACEHOLDERS):
    """Why ``text`` cannot be filled (a message for the user), or None."""
    try:
        parts = _parts(text or "")
    except ValueError:
        return _l("A { or } alone: write {{ or }} for a brace, or a placeholder such as {name}.")
    unknown = []
    for _literal, name, spec, conversion in parts:
        if name is None:
            continue
        if name not in allowed or spec or conversion:
            shown = (
                "{"
                + name
                + (f"!{conversion}" if conversion else "")
                + (f":{spec}" if spec else "")
                + "}"
            )
            if shown not in unknown:
                unknown.append(shown)
    if unknown:
        return _l(
            "Unknown placeholder %(names)s. You can use: %(allowed)s.",
            names=", ".join(unknown),
            allowed=", ".join("{" + name + "}" for name in allowed),
        )
    return None


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with its placeholders replaced by ``values`` (a checked text has no others;
    anything else is left as it was written)."""
    try:
        parts = _parts(text)
    except ValueError:
        return text
    out = []
    for literal, name, spec, conversion in parts:
        out.append(literal)
        if name is None:
            continue
        if name in values and not spec and not conversion:
            out.append(str(values[name]))
        else:
            out.append("{" + name + (f"!{conversion}" if conversion else "") + "}")
    return "".join(out)


def complaint_values(complaint: Complaint, message: str = "") -> dict[str, str]:
    """What the placeholders stand for, for this complaint (the order as the complaint froze
    it; the customer's and the client's names as they are now)."""
    snapshot = complaint.snapshot or {}
    order = snapshot.get("order") or {}
    return {
        "customer_name": complaint.customer.name if complaint.customer else "",
        "complaint_number": str(complaint.id),
        "order_number": order.get("external_id") or (complaint.order.external_id or ""),
        "client_name": complaint.client.name if complaint.client else "",
        "message": message,
    }


def sample_values(client: Client, locale: str) -> dict[str, str]:
    """Made-up values for an admin's preview of a template, in the template's language."""
    with force_locale(locale):
        return {
            "customer_name": _("Ivan Petrov"),
            "complaint_number": "311",
            "order_number": "A-10482",
            "client_name": client.name,
            "message": _("What you write to the customer goes here."),
        }


# --- the client's templates --------------------------------------------------------------------


def default_texts(locale: str) -> tuple[str, str]:
    """The console's own email in ``locale``, used while a client has none of its own."""
    with force_locale(locale):
        subject = _("Your complaint #{complaint_number} about order {order_number}")
        body = _(
            "Dear {customer_name},\n\n{message}\n\nKind regards,\nThe quality team of {client_name}"
        )
    return subject, body


def template_of(client_id: int, locale: str) -> CustomerEmailTemplate | None:
    return db.session.scalar(
        select(CustomerEmailTemplate).where(
            CustomerEmailTemplate.client_id == client_id, CustomerEmailTemplate.locale == locale
        )
    )


def texts_for(client_id: int, locale: str) -> tuple[str, str, bool]:
    """Subject and body of the client's email in ``locale``, and whether they are its own."""
    template = template_of(client_id, locale)
    if template is not None:
        return template.subject, template.body, True
    return (*default_texts(locale), False)


def _check_locale(locale: str, field: str = "locale") -> None:
    if locale not in languages():
        raise TextRefused(_l("Choose a language from the list."), field)


def check_template(subject: str | None, body: str | None) -> tuple[str, str]:
    subject = (subject or "").strip()
    body = (body or "").strip()
    if not subject:
        raise TextRefused(_l("Write the subject."), "subject")
    if "\n" in subject or "\r" in subject:
        raise TextRefused(_l("The subject is one line."), "subject")
    if len(subject) > SUBJECT_MAX:
        raise TextRefused(_l("At most %(num)s characters.", num=SUBJECT_MAX), "subject")
    problem = placeholder_problem(subject)
    if problem:
        raise TextRefused(problem, "subject")
    if not body:
        raise TextRefused(_l("Write the text of the email."), "body")
    if len(body) > TEXT_MAX:
        raise TextRefused(_l("At most %(num)s characters.", num=TEXT_MAX), "body")
    problem = placeholder_problem(body)
    if problem:
        raise TextRefused(problem, "body")
    if "message" not in {part[1] for part in _parts(body)}:
        raise TextRefused(_l("Put {message} where what QC writes goes."), "body")
    return subject, body


def save_template(
    client: Client, locale: str, *, subject: str, body: str, by: User, now: datetime
) -> bool:
    """Store the client's email in ``locale``; returns whether anything changed."""
    _check_locale(locale)
    subject, body = check_template(subject, body)
    template = template_of(client.id, locale)
    if template is not None and (template.subject, template.body) == (subject, body):
        return False
    if template is None:
        template = CustomerEmailTemplate(client_id=client.id, locale=locale)
        db.session.add(template)
    template.subject, template.body = subject, body
    template.updated_at, template.updated_by_id = now, by.id
    audit.record(
        "client.customer_email_saved",
        actor=by,
        entity=client,
        details={"locale": locale, "subject": subject},
    )
    return True


def reset_template(client: Client, locale: str, *, by: User) -> bool:
    """Back to the console's default text in ``locale``; whether there was one to remove."""
    template = template_of(client.id, locale)
    if template is None:
        return False
    db.session.delete(template)
    audit.record("client.customer_email_reset", actor=by, entity=client, details={"locale": locale})
    return True


# --- the email from the complaint --------------------------------------------------------------


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    own_template: bool


def compose(complaint: Complaint, locale: str, message: str) -> Composed:
    subject, body, own = texts_for(complaint.client_id, locale)
    values = complaint_values(complaint, message.strip())
    # One line whatever a name holds: a header cannot carry a line break.
    filled_subject = " ".join(fill(subject, values).split())[:SUBJECT_MAX]
    return Composed(filled_subject, fill(body, values), own)


def client_language(client: Client) -> str:
    offered = languages()
    for code in get_official_languages(client.country or "", de_facto=True):
        if code in offered:
            return code
    return "en" if "en" in offered else offered[0]


def customer_language(complaint: Complaint) -> str:
    last = db.session.scalar(
        select(CustomerEmail.locale)
        .where(CustomerEmail.customer_id == complaint.customer_id)
        .order_by(CustomerEmail.id.desc())
        .limit(1)
    )
    if last in languages():
        return last
    return client_language(complaint.client)


def can_send() -> bool:
    """Whether an email can leave at all: an SMTP server is set (``SMTP_HOST``)."""
    return bool(current_app.config.get("SMTP_HOST"))


def sent_with(send_key: str | None) -> CustomerEmail | None:
    if not send_key:
        return None
    return db.session.scalar(select(CustomerEmail).where(CustomerEmail.send_key == send_key))


def send(
    complaint: Complaint,
    *,
    to: str,
    locale: str,
    message: str,
    send_key: str,
    by: User,
    now: datetime,
) -> tuple[CustomerEmail, bool]:
    """Record the email to the customer and log it as the contact (the caller commits; the job
    sends it). Returns the email and whether it had already been recorded with ``send_key`` (a
    second click, a resent form): then nothing new is recorded."""
    earlier = sent_with(send_key)
    if earlier is not None:
        return earlier, True
    if not can_send():
        raise WorkflowError(
            _l(
                "Email is not set up on this console (no SMTP server): nothing can be sent. "
                "Ask an admin to set it up; meanwhile, call the customer and log the contact."
            )
        )
    if locale not in languages():
        raise WorkflowError(_l("Choose a language from the list."), "locale")
    if not (message or "").strip():
        raise WorkflowError(_l("Write the message to the customer."), "message")
    to = (to or "").strip()
    if not to:
        raise WorkflowError(_l("Enter the customer's email address."), "address")
    # Sends on one complaint, one after another: a twin request waits here, then finds its
    # key recorded (PostgreSQL; SQLite's write lock already serializes the requests).
    db.session.execute(
        select(Complaint.id).where(Complaint.id == complaint.id).with_for_update()
    ).all()
    earlier = sent_with(send_key)
    if earlier is not None:
        return earlier, True

    composed = compose(complaint, locale, message or "")
    event = workflow.log_contact(complaint, summary=message, channel="email", by=by, now=now)
    customer = complaint.customer
    delivery = NotificationDelivery(
        channel=DeliveryChannel.EMAIL,
        target=to,
        kind=NotificationKind.CUSTOMER_EMAIL,
        complaint_id=complaint.id,
        subject=composed.subject,
        payload={"to": to, "name": customer.name, "text": composed.text},
        created_at=now,
        next_attempt_at=now,
    )
    db.session.add(delivery)
    db.session.flush()
    event.data = {**(event.data or {}), "delivery": delivery.id, "to": to, "locale": locale}
    audit.record(
        "complaint.customer_emailed",
        actor=by,
        entity=complaint,
        details={"to": to, "locale": locale, "delivery": delivery.id, "subject": composed.subject},
    )
    email = CustomerEmail(
        send_key=send_key,
        complaint_id=complaint.id,
        customer_id=customer.id,
        delivery_id=delivery.id,
        event_id=event.id,
        locale=locale,
        target=to,
        message=composed.text,
        sent_by_id=by.id,
        created_at=now,
    )
    db.session.add(email)
    if not customer.email:
        # The address QC found: the customer's from now on (the form offers it next time).
        customer.email = to
        audit.record("customer.email_added", actor=by, entity=customer, details={"email": to})
    db.session.flush()
    return email, False


def deliveries_of(complaint: Complaint) -> dict[int, NotificationDelivery]:
    """The complaint's emails to the customer, by delivery id (the timeline shows their state)."""
    rows = db.session.scalars(
        select(NotificationDelivery).where(
            NotificationDelivery.complaint_id == complaint.id,
            NotificationDelivery.kind == NotificationKind.CUSTOMER_EMAIL,
        )
    )
    return {row.id: row for row in rows}


# --- canned replies ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """A canned reply as the complaint page offers it: its text filled for the complaint."""

    id: int
    title: str
    locale: str
    text: str


def replies_for(complaint: Complaint) -> list[Reply]:
    """The active replies for every client and for the complaint's, filled for it."""
    rows = db.session.scalars(
        select(CannedReply)
        .where(
            CannedReply.active.is_(True),
            or_(CannedReply.client_id.is_(None), CannedReply.client_id == complaint.client_id),
        )
        .order_by(CannedReply.locale, CannedReply.position, CannedReply.title, CannedReply.id)
    )
    values = complaint_values(complaint)
    return [Reply(r.id, r.title, r.locale, fill(r.body, values)) for r in rows]


def all_replies() -> list[CannedReply]:
    return list(
        db.session.scalars(
            select(CannedReply).order_by(
                CannedReply.active.desc(),
                CannedReply.locale,
                CannedReply.position,
                CannedReply.title,
                CannedReply.id,
            )
        )
    )


@dataclass(frozen=True)
class ReplyValues:
    title: str
    body: str
    locale: str
    client_id: int | None
    active: bool
    position: int


def save_reply(
    reply: CannedReply | None, values: ReplyValues, *, by: User, now: datetime
) -> CannedReply:
    """Add (``reply`` None) or change a canned reply."""
    title = (values.title or "").strip()
    body = (values.body or "").strip()
    if not title:
        raise TextRefused(_l("Give it a title."), "title")
    if len(title) > TITLE_MAX:
        raise TextRefused(_l("At most %(num)s characters.", num=TITLE_MAX), "title")
    if not body:
        raise TextRefused(_l("Write the text."), "body")
    if len(body) > TEXT_MAX:
        raise TextRefused(_l("At most %(num)s characters.", num=TEXT_MAX), "body")
    problem = placeholder_problem(body, REPLY_PLACEHOLDERS)
    if problem:
        raise TextRefused(problem, "body")
    _check_locale(values.locale)
    if values.client_id is not None and db.session.get(Client, values.client_id) is None:
        raise TextRefused(_l("Choose a client from the list."), "client")
    new = reply is None
    if new:
        reply = CannedReply()
        db.session.add(reply)
    reply.title, reply.body, reply.locale = title, body, values.locale
    reply.client_id, reply.active, reply.position = values.client_id, values.active, values.position
    reply.updated_at, reply.updated_by_id = now, by.id
    db.session.flush()
    audit.record(
        "canned_reply.added" if new else "canned_reply.saved",
        actor=by,
        entity=reply,
        details={"title": title, "locale": values.locale, "active": values.active},
    )
    return reply
