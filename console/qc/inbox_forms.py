"""Forms of the complaint inbox: bulk assignment and registering a complaint by hand.

The filters are not a form: they are plain GET parameters read by
``services.complaints.inbox.InboxFilter.from_args``, so a filtered view is a link.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    HiddenField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, Optional

from console.ids import db_id
from console.services.complaints.categories import category_label
from console.services.complaints.intake import CHANNELS, SUMMARY_MAX


class BulkAssignForm(FlaskForm):
    """The bar under the inbox table: the ticked rows go to one person and/or department."""

    complaint = SelectMultipleField(coerce=db_id, validate_choice=False)
    assignee = SelectField(_l("Assign to"), validate_choice=False)
    department = SelectField(_l("Department"), validate_choice=False)
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    # The inbox view to come back to (its query string), kept across the POST.
    back = HiddenField()

    def fill(self, users, departments: dict) -> BulkAssignForm:
        self.assignee.choices = [SelectChoice("", _l("— person —"))] + [
            SelectChoice(str(u.id), u.name) for u in users
        ]
        self.department.choices = [SelectChoice("", _l("— department —"))] + [
            SelectChoice(key, label) for key, label in departments.items()
        ]
        return self


class NewComplaintForm(FlaskForm):
    order = HiddenField(validators=[InputRequired()])
    category = SelectField(_l("What is it about?"), validators=[InputRequired()])
    channel = SelectField(
        _l("How did the customer reach us?"),
        choices=[SelectChoice(key, label) for key, label in CHANNELS.items()],
    )
    summary = TextAreaField(
        _l("What the customer said"),
        validators=[InputRequired(), Length(max=SUMMARY_MAX)],
        render_kw={"rows": 5},
    )
    allow_duplicate = BooleanField(_l("Register it anyway, as a separate complaint"))

    def fill(self, categories: list[str]) -> NewComplaintForm:
        self.category.choices = [SelectChoice("", _l("— choose —"))] + [
            SelectChoice(c, category_label(c)) for c in categories
        ]
        return self
