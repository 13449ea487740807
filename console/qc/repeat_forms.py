"""Forms of the repeat-repair review. None of them carries the repeat-repair state: the flag is
the system's (DOMAIN.md, 000); a reviewer only confirms, rejects or reopens it, and the rules of
each step are in ``services.orders.repeat_repairs``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import Length, Optional, ValidationError

from console.ids import optional_id
from console.qc.forms import CAUSE_LABELS

TEXT = 2000


def cause_label(cause: str | None):
    return CAUSE_LABELS.get(cause, cause) if cause else ""


class ConfirmRepeatForm(FlaskForm):
    cause = SelectField(_l("Cause"), choices=[], validate_choice=False)
    responsible = SelectField(_l("Responsible technician"), choices=[], validate_choice=False)
    note = TextAreaField(
        _l("Note (optional)"),
        validators=[Optional(), Length(max=TEXT)],
        render_kw={"rows": 2},
    )

    def fill(self, causes: list[str], technicians, default_responsible=None):
        self.cause.choices = [("", _l("— choose —"))] + [(c, cause_label(c)) for c in causes]
        self.responsible.choices = [("", _l("— choose —"))] + [
            (str(t.id), t.name + (" ⛔" if t.is_blocked else "")) for t in technicians
        ]
        if not self.is_submitted() and default_responsible is not None:
            self.responsible.data = str(default_responsible.id)
        return self

    def validate_responsible(self, field):
        if field.data and optional_id(field.data) is None:
            raise ValidationError(_l("Choose a technician from the list."))


class RejectRepeatForm(FlaskForm):
    # Required by the service (which names the field): the form only bounds the length.
    note = TextAreaField(
        _l("Why it is not a repeat repair"), validators=[Length(max=TEXT)], render_kw={"rows": 2}
    )


class ReopenRepeatForm(FlaskForm):
    note = TextAreaField(_l("Why the decision is reopened"), validators=[Length(max=TEXT)])


class HandleFlaggedOrderForm(FlaskForm):
    """An order that arrived for a blocked technician has been followed up."""

    note = TextAreaField(_l("What was done"), validators=[Length(max=TEXT)], render_kw={"rows": 2})
