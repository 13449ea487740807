from zoneinfo import available_timezones

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectChoice, SelectField, SubmitField
from wtforms.validators import DataRequired, Length

LANGUAGES = [
    SelectChoice("", _l("Same as the browser")),
    SelectChoice("en", "English"),
    SelectChoice("ru", "Русский"),
]


class LoginForm(FlaskForm):
    email = EmailField(
        # No format check at sign-in: an unknown address simply fails like a wrong password.
        _l("Email"),
        validators=[DataRequired(), Length(max=254)],
        render_kw={"autocomplete": "username", "autofocus": True},
    )
    password = PasswordField(
        # Longer is refused here, before any hashing work is spent on it.
        _l("Password"),
        validators=[DataRequired(), Length(max=1024)],
        render_kw={"autocomplete": "current-password"},
    )
    submit = SubmitField(_l("Sign in"))


def _timezone_choices():
    return [
        SelectChoice(tz, tz.replace("_", " ")) for tz in sorted(available_timezones()) if "/" in tz
    ]


class ProfileForm(FlaskForm):
    locale = SelectField(_l("Language"), choices=LANGUAGES)
    timezone = SelectField(_l("Time zone"), choices=[])
    submit = SubmitField(_l("Save"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone.choices = _timezone_choices()
