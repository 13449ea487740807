"""Forms of the inbox's saved views, and of the complaint page's "who has it open" poll.

``InboxFilterForm`` is the inbox's filter read strictly: the inbox itself ignores a value it
doesn't know (a bookmark outlives the option it names), but a view is only saved with values
that are offered now, each refused by its field. The same form tells what a stored view no
longer matches (a client removed since) when it is opened.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import Length, NumberRange, Optional, ValidationError

from console.models import ComplaintKind
from console.services import catalog
from console.services.complaints.inbox import (
    DEADLINE_CHOICES,
    SORT_CHOICES,
    STATUS_CHOICES,
    assignable_users,
)
from console.services.complaints.saved_views import NAME_MAX
from console.services.scripts.library import complaint_categories

# The filter's fields, in the order of InboxFilter.args().
FILTER_FIELDS = ("status", "category", "client", "assignee", "kind", "deadline", "q", "sort")


class Offered:
    """The value is empty or one of the field's choices now."""

    def __init__(self, message):
        self.message = message

    def __call__(self, form, field):
        if field.data in (None, ""):
            return
        if str(field.data) not in {str(value) for value, _label in field.choices}:
            raise ValidationError(self.message)


def _select(label, message) -> SelectField:
    return SelectField(label, validate_choice=False, validators=[Offered(message)])


class InboxFilterForm(FlaskForm):
    """The inbox's filter and sort, the GET parameters' names (``client``, ``assignee``...)."""

    status = _select(_l("Status"), _l("Not a status of the inbox."))
    category = _select(_l("Category"), _l("No complaint has this category any more."))
    client = _select(_l("Client"), _l("This client is no longer in the list."))
    assignee = _select(_l("Assignee"), _l("This person no longer takes complaints."))
    kind = _select(_l("Kind"), _l("Not a kind of complaint."))
    deadline = _select(_l("Deadline"), _l("Not a deadline filter."))
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100)])
    sort = _select(_l("Sort"), _l("Not an order of the inbox."))

    def fill(self) -> InboxFilterForm:
        """Today's choices (the labels don't matter here: the values are what is checked)."""
        self.status.choices = [(s, s) for s in STATUS_CHOICES]
        self.category.choices = [(c, c) for c in complaint_categories()]
        self.client.choices = [(str(c.id), c.name) for c in catalog.clients()]
        self.assignee.choices = [("me", "me"), ("none", "none")] + [
            (str(u.id), u.name) for u in assignable_users()
        ]
        self.kind.choices = [(k.value, k.value) for k in ComplaintKind]
        self.deadline.choices = [(d, d) for d in DEADLINE_CHOICES]
        self.sort.choices = [(s, s) for s in SORT_CHOICES]
        return self

    def filter_args(self, *, leave_out=()) -> dict[str, str]:
        return {
            name: getattr(self, name).data
            for name in FILTER_FIELDS
            if name not in leave_out and getattr(self, name).data not in (None, "")
        }


class SaveViewForm(InboxFilterForm):
    name = StringField(
        _l("Name of the view"),
        validators=[Length(max=NAME_MAX)],
        render_kw={"maxlength": NAME_MAX, "autocomplete": "off"},
    )


class RenameViewForm(FlaskForm):
    name = StringField(
        _l("New name"),
        validators=[Length(max=NAME_MAX)],
        render_kw={"maxlength": NAME_MAX, "autocomplete": "off"},
    )


class ShareViewForm(FlaskForm):
    shared = BooleanField(_l("Shared with the QC team"))


class DeleteViewForm(FlaskForm):
    pass


class PresenceForm(FlaskForm):
    """One poll of the complaint page: still here, typing or not, and the last timeline line
    the page shows (to tell whether a colleague changed the complaint since)."""

    typing = BooleanField()
    seen_event = IntegerField(validators=[Optional(), NumberRange(min=0, max=2**62)])
