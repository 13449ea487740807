"""Saved views of the QC inbox: a person's named filter and sort, back in one click.

Who sees what: everyone on the QC desk sees their own views and the shared ones. Who changes
what: a view's owner, and a supervisor (who alone shares a view with the team, or stops
sharing it). A view holds the inbox's query string as ``InboxFilter.args()`` gives it, checked
by the caller (the inbox filter form) before it gets here.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from console.extensions import db
from console.models import Role, SavedInboxView, User
from console.models.saved_views import VIEW_NAME_MAX
from console.services.complaints.inbox import InboxFilter

# Enough for every client and deadline a person works, few enough to stay a short list.
VIEWS_PER_USER = 20
NAME_MAX = VIEW_NAME_MAX


class SavedViewError(Exception):
    """A refused change; ``field`` names the form field it is about."""

    def __init__(self, message, field: str = "name"):
        super().__init__(message)
        self.message = message
        self.field = field


def normalised_query(args) -> dict[str, str]:
    """The filter and sort of ``args`` as the inbox reads them, defaults and page left out,
    every value a string (as stored and as compared)."""
    return {k: str(v) for k, v in InboxFilter.from_args(args).args().items()}


def visible_to(user: User) -> list[SavedInboxView]:
    """The user's own views, then the team's shared ones, each by name."""
    views = db.session.scalars(
        select(SavedInboxView)
        .options(joinedload(SavedInboxView.owner))
        .where(or_(SavedInboxView.owner_id == user.id, SavedInboxView.shared.is_(True)))
    )
    return sorted(views, key=lambda v: (v.owner_id != user.id, v.name.casefold(), v.id))


def find_visible(view_id: int, user: User) -> SavedInboxView | None:
    view = db.session.get(SavedInboxView, view_id)
    if view is None or not (view.owner_id == user.id or view.shared):
        return None
    return view


def can_change(view: SavedInboxView, user: User) -> bool:
    return view.owner_id == user.id or user.role == Role.SUPERVISOR


def can_share(user: User) -> bool:
    return user.role == Role.SUPERVISOR


def _clean_name(name: str | None) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise SavedViewError(_l("Give the view a name."))
    if len(name) > NAME_MAX:
        raise SavedViewError(_l("At most %(n)s characters.", n=NAME_MAX))
    return name


def _name_taken(owner_id: int, name: str, *, other_than: int | None = None) -> bool:
    query = select(SavedInboxView.id).where(
        SavedInboxView.owner_id == owner_id,
        func.lower(SavedInboxView.name) == name.lower(),
    )
    if other_than is not None:
        query = query.where(SavedInboxView.id != other_than)
    return db.session.scalar(query.limit(1)) is not None


def save(owner: User, name: str, query: dict[str, str]) -> SavedInboxView:
    """A new view of ``owner``'s; the name is unique among their views (case aside)."""
    name = _clean_name(name)
    count = db.session.scalar(
        select(func.count()).select_from(SavedInboxView).where(SavedInboxView.owner_id == owner.id)
    )
    if count >= VIEWS_PER_USER:
        raise SavedViewError(
            _l(
                "You have %(n)s saved views, the most there can be: delete one first.",
                n=VIEWS_PER_USER,
            )
        )
    if _name_taken(owner.id, name):
        raise SavedViewError(_l("You already have a view of that name."))
    view = SavedInboxView(owner_id=owner.id, name=name, query=dict(query), shared=False)
    db.session.add(view)
    db.session.flush()
    return view


def rename(view: SavedInboxView, name: str, *, by: User) -> None:
    _may_change(view, by)
    name = _clean_name(name)
    if _name_taken(view.owner_id, name, other_than=view.id):
        raise SavedViewError(_l("There is already a view of that name."))
    view.name = name


def delete(view: SavedInboxView, *, by: User) -> None:
    _may_change(view, by)
    db.session.delete(view)


def share(view: SavedInboxView, shared: bool, *, by: User) -> None:
    if not can_share(by):
        raise PermissionError("only a supervisor shares views")
    view.shared = shared


def _may_change(view: SavedInboxView, user: User) -> None:
    if not can_change(view, user):
        raise PermissionError("only the owner or a supervisor changes a view")
