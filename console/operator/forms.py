"""Forms of the operator console.

The script's answers are not a WTForms form: their fields come from the script version
(``q-<key>`` / ``t-<key>``) and are read by ``console.scripts.rendering.answers_from_form``.
These forms carry what surrounds them: the lease token, the autosave counter, the outcome and
its callback time, what to do after the call, and the pause reason.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from console.models import CallOutcome, PauseReason
from console.services.calls.callback_times import FIELD_FORMAT, to_utc

PAUSE_LABELS = {
    PauseReason.BREAK: _l("Break"),
    PauseReason.TRAINING: _l("Training"),
    PauseReason.TECHNICAL: _l("Technical problem"),
}

# The outcome buttons of the call screen, in the order they are shown.
OUTCOME_LABELS = {
    CallOutcome.NO_ANSWER: _l("No answer"),
    CallOutcome.BUSY: _l("Busy"),
    CallOutcome.VOICEMAIL: _l("Voicemail"),
    CallOutcome.WRONG_NUMBER: _l("Wrong number"),
    CallOutcome.REFUSED: _l("Refused"),
    CallOutcome.CALLBACK: _l("Call back…"),
    CallOutcome.DO_NOT_CALL: _l("Do not call"),
}

NEXT_CALL = "next"


class LeaseForm(FlaskForm):
    """Every request of the call screen proves it comes from the current claim."""

    class Meta:
        csrf = False  # CSRFProtect checks every POST already (header or field)

    token = HiddenField(validators=[DataRequired(), Length(max=64)])


class AutosaveForm(LeaseForm):
    # Grows with every change on the page; an older save arriving late is ignored.
    seq = IntegerField(validators=[InputRequired(), NumberRange(min=0, max=2**53)])


class AfterCallForm(LeaseForm):
    """What happens after this call: the next call at once, or a pause."""

    then = SelectField(
        _l("After this call"),
        choices=[SelectChoice(NEXT_CALL, _l("Take the next call"))]
        + [
            SelectChoice(reason.value, _l("Pause: %(reason)s", reason=label))
            for reason, label in PAUSE_LABELS.items()
        ],
        default=NEXT_CALL,
    )

    @property
    def pause_reason(self) -> PauseReason | None:
        return None if self.then.data in (None, NEXT_CALL) else PauseReason(self.then.data)


class SubmitCallForm(AfterCallForm):
    submit_key = HiddenField(validators=[DataRequired(), Length(max=64)])


class OutcomeForm(AfterCallForm):
    outcome = SelectField(
        choices=[SelectChoice(o.value, label) for o, label in OUTCOME_LABELS.items()],
        validators=[DataRequired()],
    )
    # Shown only by "Call back…": the time on the customer's clock (the client's time zone),
    # as the customer names it (services.calls.callback_times).
    callback_at = DateTimeLocalField(
        _l("Call back at (the customer's time)"), validators=[Optional()], format=FIELD_FORMAT
    )
    callback_for = RadioField(
        _l("Who calls back"),
        choices=[SelectChoice("me", _l("Only me")), SelectChoice("anyone", _l("Anyone"))],
        default="anyone",
    )
    note = StringField(_l("Note (optional)"), validators=[Optional(), Length(max=500)])

    def __init__(self, *args, timezone: str = "UTC", now: datetime | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.timezone = timezone
        self.now = now

    @property
    def chosen(self) -> CallOutcome:
        return CallOutcome(self.outcome.data)

    def callback_at_utc(self) -> datetime | None:
        """The callback time, typed on the customer's clock (``timezone``: the client's), in UTC."""
        if self.callback_at.data is None:
            return None
        return to_utc(self.callback_at.data, self.timezone)

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.outcome.data != CallOutcome.CALLBACK.value:
            return True
        # Only a callback needs a time; the field stays optional for the other buttons.
        if self.callback_at.data is None:
            self.callback_at.errors.append(_l("Choose when to call back."))
            return False
        if self.now is not None and self.callback_at_utc() <= self.now:
            self.callback_at.errors.append(_l("Choose a time in the future."))
            return False
        return True


class PauseForm(FlaskForm):
    reason = SelectField(
        _l("Pause for"),
        choices=[SelectChoice(reason.value, label) for reason, label in PAUSE_LABELS.items()],
        validators=[DataRequired()],
    )
