import email_validator
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from console.extensions import db
from console.labels import ROLES
from console.models import User
from console.services.auth import normalise_email

# Staff addresses on an internal domain (".local", ".test") are normal for an in-house console.
email_validator.SPECIAL_USE_DOMAIN_NAMES[:] = [
    d for d in email_validator.SPECIAL_USE_DOMAIN_NAMES if d not in {"local", "test"}
]

ROLE_CHOICES = [SelectChoice(role.value, name) for role, name in ROLES.items()]


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
