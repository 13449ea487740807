"""The form of the public page that sets a new password through a one-time link
(``services.password_reset``)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, SubmitField
from wtforms.validators import DataRequired, EqualTo, Length

from console.services.password_reset import MIN_PASSWORD_LENGTH


class SetPasswordForm(FlaskForm):
    password = PasswordField(
        _l("New password"),
        validators=[
            DataRequired(),
            Length(
                min=MIN_PASSWORD_LENGTH,
                message=_l("At least %(n)s characters.", n=MIN_PASSWORD_LENGTH),
            ),
            # Longer is refused before any hashing work is spent on it.
            Length(max=1024, message=_l("At most %(n)s characters.", n=1024)),
        ],
        render_kw={"autocomplete": "new-password", "autofocus": True},
    )
    confirm = PasswordField(
        _l("The same password again"),
        validators=[
            DataRequired(),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Set the password"))
