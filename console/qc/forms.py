"""Forms of the complaint page: one per action, each with its own prefix (they share a page).

The forms check the shape of the input; the rules (what the complaint's state allows, what is
required for which action) are in ``services.complaints.workflow`` and
``services.complaints.poaching``, whose errors the views show next to the field they name.
"""

from __future__ import annotations

from datetime import UTC
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    DecimalField,
    RadioField,
    SelectChoice,
    SelectField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from console.ids import optional_id
from console.models import ActionKind, Validity
from console.services.complaints.categories import category_label

TEXT = 4000  # the longest note, contact summary or reason

DEPARTMENT_LABELS = {
    "qc": _l("Quality control"),
    "service": _l("Service"),
    "sales": _l("Sales"),
    "accounting": _l("Accounting"),
    "management": _l("Management"),
}

CAUSE_LABELS = {
    "workmanship": _l("Workmanship"),
    "parts": _l("Parts"),
    "diagnosis": _l("Diagnosis"),
    "communication": _l("Communication"),
    "delay": _l("Delay"),
    "pricing": _l("Pricing"),
    "customer_misuse": _l("Customer misuse"),
    "other": _l("Other"),
}

CHANNEL_LABELS = {
    "phone": _l("Phone call"),
    "email": _l("Email"),
    "sms": _l("SMS"),
    "messenger": _l("Messenger"),
    "in_person": _l("In person"),
}

ACTION_LABELS = {
    ActionKind.FINE: _l("Fine the technician"),
    ActionKind.REFUND: _l("Refund the customer"),
    ActionKind.GOODWILL: _l("Goodwill gesture"),
    ActionKind.REDO: _l("Re-do the work"),
    ActionKind.BLOCK: _l("Block the technician"),
}

VALIDITY_LABELS = {Validity.VALID: _l("Valid"), Validity.INVALID: _l("Invalid")}


def label_of(labels: dict, key):
    return labels.get(key, key)


def _note(label=None):
    label = label if label is not None else _l("Note (optional)")
    return TextAreaField(label, validators=[Optional(), Length(max=TEXT)])


def _text(label):
    # "Required" is the service's rule (it names the field); the form only bounds the length.
    return TextAreaField(label, validators=[Length(max=TEXT)])


class AssignForm(FlaskForm):
    """Give the complaint to a person, hand it over to a department, or both (DOMAIN.md, 002)."""

    assignee = SelectField(_l("Person"))
    department = SelectField(_l("Department"))
    note = _note()

    def set_choices(self, people, departments, current_department: str | None):
        self.assignee.choices = [SelectChoice("", _l("— nobody —"))] + [
            SelectChoice(str(u.id), u.name) for u in people
        ]
        self.department.choices = [SelectChoice("", _l("— none —"))] + [
            SelectChoice(d, label_of(DEPARTMENT_LABELS, d)) for d in departments
        ]
        if current_department and current_department not in departments:
            self.department.choices.append(SelectChoice(current_department, current_department))


class NoteForm(FlaskForm):
    body = _text(_l("Internal note"))


class ContactForm(FlaskForm):
    """What was said to the customer and when (in the user's own time zone)."""

    channel = SelectField(
        _l("How"),
        choices=[SelectChoice(k, v) for k, v in CHANNEL_LABELS.items()],
        default="phone",
    )
    at = DateTimeLocalField(
        _l("When (your time; empty: now)"), validators=[Optional()], format="%Y-%m-%dT%H:%M"
    )
    summary = _text(_l("What was said"))

    def at_utc(self, timezone: str):
        if self.at.data is None:
            return None
        return self.at.data.replace(tzinfo=ZoneInfo(timezone)).astimezone(UTC)


class ClassifyForm(FlaskForm):
    validity = RadioField(
        _l("The complaint is"),
        choices=[SelectChoice(v.value, label) for v, label in VALIDITY_LABELS.items()],
        validators=[InputRequired(_l("Choose valid or invalid."))],
    )
    reason = _text(_l("Reason"))

    def category_choices(self, complaint) -> dict[str, str | None] | None:
        """``{category: "valid" | "invalid" | None}`` from the per-category choices (None: the
        same as the complaint), or None when the complaint has just one category."""
        if len(complaint.categories) < 2:
            return None
        return {
            row.category: self[category_field(row)].data or None for row in complaint.categories
        }


CATEGORY_VALIDITY_LABELS = {
    "": _l("Same as the complaint"),
    Validity.VALID.value: _l("Valid"),
    Validity.INVALID.value: _l("Invalid"),
}


def category_field(row) -> str:
    """The name of a category's choice in the classify form (by its row, whatever its key)."""
    return f"category_{row.id}"


def classify_form_for(complaint) -> type[ClassifyForm]:
    """The classify form of this complaint: with one choice per category (the same as the
    complaint, valid or invalid) when it is about more than one."""
    if len(complaint.categories) < 2:
        return ClassifyForm
    choices = [SelectChoice(value, label) for value, label in CATEGORY_VALIDITY_LABELS.items()]
    fields = {
        category_field(row): SelectField(category_label(row.category), choices=choices, default="")
        for row in complaint.categories
    }
    return type("ClassifyCategoriesForm", (ClassifyForm,), fields)


class CauseForm(FlaskForm):
    cause = SelectField(_l("Cause"))
    responsible = SelectField(_l("Responsible person"))

    def set_choices(self, causes, technicians, staff):
        self.cause.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(c, label_of(CAUSE_LABELS, c)) for c in causes
        ]
        blocked, technicians_group, staff_group = _l("blocked"), _l("Technicians"), _l("Staff")
        self.responsible.choices = (
            [SelectChoice("", _l("— choose —"))]
            + [
                SelectChoice(
                    f"t:{t.id}",
                    f"{t.name} ({blocked})" if t.is_blocked else t.name,
                    optgroup=str(technicians_group),
                )
                for t in technicians
            ]
            + [SelectChoice(f"u:{u.id}", u.name, optgroup=str(staff_group)) for u in staff]
        )

    @property
    def responsible_ref(self) -> tuple[str, int] | None:
        """("t", id) for a technician, ("u", id) for a member of staff."""
        value = self.responsible.data or ""
        kind, _, ident = value.partition(":")
        if kind in ("t", "u") and optional_id(ident):
            return kind, int(ident)
        return None


class AmountField(DecimalField):
    """Money as people type it: "1 500,50" (Russian) as well as "1500.50"."""

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [
                v.replace("\u00a0", "").replace(" ", "").replace(",", ".") for v in valuelist
            ]
        super().process_formdata(valuelist)


class ActionForm(FlaskForm):
    kind = SelectField(
        _l("Action"), choices=[SelectChoice(k.value, v) for k, v in ACTION_LABELS.items()]
    )
    amount = AmountField(
        _l("Amount"),
        places=2,
        validators=[
            Optional(),
            NumberRange(min=0, message=_l("The amount cannot be negative.")),
        ],
    )
    note = _note(_l("Note (the reason, for a block)"))


class FinishForm(FlaskForm):
    """Resolve or close, with an optional note."""

    note = _note(_l("Solution (optional)"))


class ReopenForm(FlaskForm):
    reason = _text(_l("Why reopen"))


class WaitForm(FlaskForm):
    note = _note()


class MergeForm(FlaskForm):
    into = SelectField(_l("The complaint to keep"))
    note = _note()

    def set_choices(self, candidates, status_label):
        self.into.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(
                str(c.id), f"#{c.id} · {category_label(c.category)} · {status_label(c.status)}"
            )
            for c in candidates
        ]


class DecideForm(FlaskForm):
    """The anti-poaching decision after the call back: confirmed, or not confirmed."""

    text = _text(_l("What the customer said"))
    # "Yes: refund and block", the second step of Confirmed: the page asks first, after the
    # decision was checked. Sent by that button only (never a hidden input of the form).
    sure = BooleanField()
