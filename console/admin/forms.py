import email_validator
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from sqlalchemy import select
from wtforms import (
    EmailField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import DataRequired, Email, Length, ValidationError

from console.auth.forms import LANGUAGES
from console.extensions import db
from console.labels import ROLES, TECHNICIAN_ROLES
from console.models import User
from console.services.auth import normalise_email
from console.services.users import timezone_names

# Staff addresses on an internal domain (".local", ".test") are normal for an in-house console.
email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = [
    d for d in email_validator.SPECIAL_USE_DOMAIN_NAMES if d not in {"local", "test"}
]

ROLE_CHOICES = [SelectChoice(role.value, name) for role, name in ROLES.items()]
TECHNICIAN_ROLE_CHOICES = [
    SelectChoice(role.value, name) for role, name in TECHNICIAN_ROLES.items()
]


class UserForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    password = PasswordField(_l("Initial password"), validators=[DataRequired(), Length(min=8)])
    submit = SubmitField(_l("Add user"))

    def validate_email(self, field):
        if db.session.scalar(select(User.id).where(User.email == normalise_email(field.data))):
            raise ValidationError(_l("A user with this email already exists."))


class UnblockForm(FlaskForm):
    """Lift a technician's block (anti-poaching, DOMAIN.md 003): admins only, with the reason."""

    reason = StringField(_l("Reason"), validators=[Length(max=2000)])


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


class UserEditForm(FlaskForm):
    """An admin edits a person (the rules: ``services.users.update_user``)."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(), Email(), Length(max=254)],
        filters=[_stripped],
    )
    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    locale = SelectField(_l("Language"), choices=LANGUAGES)
    timezone = SelectField(_l("Time zone"), choices=[])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = [SelectChoice(z, z.replace("_", " ")) for z in timezone_names()]


class TechnicianForm(FlaskForm):
    """Add or edit a technician. The rules (a name, an external id unique within the client, a
    phone of the client's country...) are the service's, ``services.technicians``: it names
    every bad field at once. ``client`` is a client's id, or "" for an independent master."""

    name = StringField(_l("Name"))
    client = SelectField(_l("Client"), choices=[])
    external_id = StringField(_l("External id"))
    role = SelectField(_l("Role"), choices=TECHNICIAN_ROLE_CHOICES)
    phone = StringField(_l("Phone"), render_kw={"inputmode": "tel"})
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, clients=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.client.choices = [SelectChoice("", _l("Independent (no client)"))] + [
            SelectChoice(str(c.id), c.name) for c in clients
        ]


# What the technicians' import reads (``services.orders.files``, as the order import does).
TECHNICIAN_FILE_EXTENSIONS = ("csv", "xlsx")


class TechnicianImportForm(FlaskForm):
    file = FileField(
        _l("CSV or XLSX file"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(TECHNICIAN_FILE_EXTENSIONS, _l("Choose a CSV or XLSX file.")),
        ],
        render_kw={"accept": ",".join(f".{e}" for e in TECHNICIAN_FILE_EXTENSIONS)},
    )
    submit = SubmitField(_l("Import"))
