"""Forms of the script constructor.

The forms check the shape of what was typed (a number, a key, a length); whether the script makes
sense (show_if pointing back, placeholders, the contacts question) is for
``services.scripts.library.draft_problems``, shown next to the same fields.
"""

from __future__ import annotations

import re
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import NumberInput

from console.scripts.question_types import QUESTION_TYPES
from console.services.complaints.categories import category_label
from console.services.scripts import library as script_service

NEW_CATEGORY = "+new"  # the "New category…" choice: a category key never starts with "+"

# The same pattern as scripts_config/schema.json ("key").
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
KEY_MESSAGE = _l("Letters, digits, - and _ only, starting with a letter or digit.")

LANGUAGE_CHOICES = [SelectChoice("en", _l("English")), SelectChoice("ru", _l("Russian"))]


def kind_choices() -> list[SelectChoice]:
    return [SelectChoice(name, t.label) for name, t in QUESTION_TYPES.items()]


def _blank_to_none(value):
    return value.strip() or None if isinstance(value, str) else value


class NumberField(DecimalField):
    """A decimal shown without trailing zeros ("3", not "3.00")."""

    widget = NumberInput(step="any", min=0)

    def _value(self):
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):
            text = format(self.data.normalize(), "f")
            return text
        return "" if self.data is None else str(self.data)


def key_field(label):
    return StringField(
        label, validators=[InputRequired(), Regexp(KEY_PATTERN, message=KEY_MESSAGE)]
    )


def _assignment_fields():
    return (
        SelectField(_l("Client"), choices=[], validate_choice=True),
        SelectField(_l("Work type"), choices=[], validate_choice=True),
    )


class NewScriptForm(FlaskForm):
    key = key_field(_l("Key"))
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    client, work_type = _assignment_fields()
    submit = SubmitField(_l("Create script"))

    def set_assignment_choices(self, clients, work_types):
        _set_assignment_choices(self, clients, work_types)

    def validate_key(self, field):
        if script_service.key_taken(field.data):
            raise ValidationError(_l("A script with this key already exists."))


class CloneForm(FlaskForm):
    key = key_field(_l("Key of the copy"))
    name = StringField(_l("Name of the copy"), validators=[DataRequired(), Length(max=200)])
    submit = SubmitField(_l("Clone"))

    validate_key = NewScriptForm.validate_key


class SettingsForm(FlaskForm):
    """The script's settings in the editor; saved on every change (htmx sends the CSRF header)."""

    class Meta:
        csrf = False

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    client, work_type = _assignment_fields()
    language = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    intro = TextAreaField(_l("Intro (read aloud first)"))
    closing = TextAreaField(_l("Closing"))

    def set_assignment_choices(self, clients, work_types):
        _set_assignment_choices(self, clients, work_types)


def _set_assignment_choices(form, clients, work_types):
    form.client.choices = [SelectChoice("", _l("Any client"))] + [
        SelectChoice(str(c.id), c.name) for c in clients
    ]
    form.work_type.choices = [SelectChoice("", _l("Any work type"))] + [
        SelectChoice(str(w.id), w.name) for w in work_types
    ]


class NewQuestionForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind of the new question"), choices=kind_choices)


class QuestionForm(FlaskForm):
    """One question card. Its prefix (``q<id>``) keeps the names unique on the page."""

    class Meta:
        csrf = False

    key = key_field(_l("Key"))
    kind = SelectField(_l("Kind"), choices=kind_choices)
    text = TextAreaField(_l("Question"), validators=[InputRequired()])
    weight = NumberField(_l("Weight"), validators=[InputRequired(), NumberRange(0, 1000)])
    required = BooleanField(_l("Required"))
    show_if_question = SelectField(_l("Shown if"), choices=[])
    show_if_any_of = SelectMultipleField(_l("has one of"), choices=[], validate_choice=False)
    note = TextAreaField(_l("Note (read after the question)"))
    scale_low_label = StringField(_l("Low end label"), validators=[Length(max=120)])
    scale_high_label = StringField(_l("High end label"), validators=[Length(max=120)])
    role = SelectField(
        _l("In the reports"),
        choices=[
            SelectChoice("", _l("No role")),
            SelectChoice("recommend", _l("Recommend, 0–10 (NPS)")),
            SelectChoice("satisfaction", _l("Satisfaction scale (CSAT)")),
        ],
        # A card without the field (the contacts question, a text question) keeps no role.
        validate_choice=False,
        validators=[Optional(), AnyOf(("recommend", "satisfaction"))],
    )

    def set_show_if_choices(self, earlier, current_target, target_options):
        """``earlier``: the questions before this one, the only ones it may depend on; the
        current target stays listed even when it no longer is earlier (its problem is shown)."""
        choices = [SelectChoice("", _l("Always shown"))]
        keys = [q.key for q in earlier]
        for position, q in enumerate(earlier, start=1):
            choices.append(SelectChoice(q.key, f"{position}. {q.key}"))
        if current_target and current_target not in keys:
            choices.append(SelectChoice(current_target, current_target))
        self.show_if_question.choices = choices
        self.show_if_any_of.choices = target_options

    def fields_for_service(self, show_if_target_changed: bool) -> dict:
        """The values ``services.scripts.library.update_question`` takes (kind is changed apart)."""
        target = self.show_if_question.data or None
        any_of = [] if show_if_target_changed else list(self.show_if_any_of.data or [])
        return {
            "key": self.key.data.strip(),
            "text": self.text.data,
            "weight": self.weight.data,
            "required": bool(self.required.data),
            "show_if": {"question": target, "any_of": any_of} if target else None,
            "note": _blank_to_none(self.note.data),
            "scale_low_label": _blank_to_none(self.scale_low_label.data),
            "scale_high_label": _blank_to_none(self.scale_high_label.data),
            "role": self.role.data or None,
        }


class OptionForm(FlaskForm):
    """One answer option inside a question card (prefix ``o<id>``)."""

    class Meta:
        csrf = False

    key = key_field(_l("Key"))
    label = StringField(_l("Answer"), validators=[InputRequired()])
    points = NumberField(_l("Points"), validators=[InputRequired(), NumberRange(0, 1000)])
    complaint_category = SelectField(_l("Complaint category"), choices=[])
    new_category = StringField(_l("New category"))
    poaching = BooleanField(_l("Anti-poaching case"))
    repeat_repair = BooleanField(_l("Repeat repair"))
    comment_required = BooleanField(_l("Comment required"))

    def set_category_choices(self, offered: list[str]) -> None:
        """The known categories by name, the answer's own if it is not among them (a category
        added by hand into the draft's file), and "New category…", the deliberate action."""
        current = self.complaint_category.object_data
        choices = [SelectChoice("", _l("none"))]
        choices += [SelectChoice(c, category_label(c)) for c in offered]
        if current and current not in offered:
            choices.append(SelectChoice(current, category_label(current)))
        choices.append(SelectChoice(NEW_CATEGORY, _l("New category…")))
        self.complaint_category.choices = choices

    @property
    def adding_category(self) -> bool:
        return self.complaint_category.data == NEW_CATEGORY

    def validate_new_category(self, field):
        if not self.adding_category:
            return
        key = (field.data or "").strip()
        if not key:
            raise ValidationError(_l("Type the new category's key, or choose one from the list."))
        if not re.match(script_service.NEW_CATEGORY_PATTERN, key):
            raise ValidationError(_l("Small letters, digits and _ only, 2 to 32 of them."))

    def category(self) -> str | None:
        if self.adding_category:
            return self.new_category.data.strip()
        return self.complaint_category.data or None

    def fields_for_service(self) -> dict:
        return {
            "key": self.key.data.strip(),
            "label": self.label.data,
            "points": self.points.data,
            "complaint_category": self.category(),
            "poaching": bool(self.poaching.data),
            "repeat_repair": bool(self.repeat_repair.data),
            "comment_required": bool(self.comment_required.data),
        }


class PreviewForm(FlaskForm):
    class Meta:
        csrf = False

    order = SelectField(_l("Sample order"), choices=[], validate_choice=False)


class PublishForm(FlaskForm):
    note = TextAreaField(_l("Note (optional)"), validators=[Length(max=2000)])
    submit = SubmitField(_l("Publish"))
