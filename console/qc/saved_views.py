"""Saved views of the inbox, and "a colleague has this complaint open" on the complaint page.

Saved views: the inbox's filter and sort under a name (``templates/qc/_saved_views.html``, above
the inbox). Opening one is a link (``/qc/views/<id>``) that checks the stored filter against what
the filters offer today and redirects to the inbox with it, saying what it had to leave out.
Saving, renaming, deleting and sharing are plain forms that come back to the inbox; a refusal
is the inbox again with the error by its field (422).

Presence: the complaint page posts ``/presence`` every ~15 s while its tab is visible
(``static/complaint_presence.js``) and shows the answer, ``templates/qc/_complaint_presence.html``:
who else has the page open, whether they are typing, and whether one of them changed the
complaint since this page was loaded. Leaving the page posts ``/presence/leave``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_time
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from console.access import roles_required
from console.extensions import db
from console.forms import show_refusal
from console.ids import optional_id
from console.models import Complaint, Role, SavedInboxView, utcnow
from console.qc import bp
from console.qc.inbox import INBOX, QC_DESK
from console.qc.inbox import _context as inbox_context
from console.qc.saved_view_forms import (
    FILTER_FIELDS,
    DeleteViewForm,
    InboxFilterForm,
    PresenceForm,
    RenameViewForm,
    SaveViewForm,
    ShareViewForm,
)
from console.services.complaints import inbox as inbox_queries
from console.services.complaints import presence
from console.services.complaints import saved_views as views
from console.services.complaints.inbox import InboxFilter
from console.services.complaints.saved_views import SavedViewError

# --- the list above the inbox ------------------------------------------------------------------


@dataclass
class Shelf:
    """What ``qc/_saved_views.html`` shows: the views, which one is open, the forms."""

    views: list[SavedInboxView]
    active_id: int | None
    save_form: SaveViewForm
    current: dict[str, str]
    can_share: bool
    full: bool
    errors: dict[int, list[str]] = field(default_factory=dict)
    open_manage: bool = False

    def pairs(self, view: SavedInboxView) -> str:
        """The view's filter as JSON pairs in the inbox's order (static/saved_views.js compares
        them with the address bar's)."""
        pairs = [[k, view.query[k]] for k in FILTER_FIELDS if k in view.query]
        return json.dumps(pairs, separators=(",", ":"), ensure_ascii=False)  # as JSON.stringify

    def editable(self) -> list[SavedInboxView]:
        return [v for v in self.views if views.can_change(v, current_user)]

    def href(self, view: SavedInboxView) -> str:
        return url_for("qc.open_view", view_id=view.id)


@bp.app_template_global("saved_inbox_views")
def saved_inbox_views(f: InboxFilter, **extra) -> Shelf:
    """The shelf of saved views for the inbox page showing ``f``."""
    found = views.visible_to(current_user)
    current = {k: str(v) for k, v in f.args().items()}
    # The view just opened (its id in the address), even with part of its filter left out;
    # else the first whose filter is the one shown.
    wanted = optional_id(request.args.get("view"))
    opened = [v for v in found if v.id == wanted and current.items() <= v.query.items()]
    matching = opened or [v for v in found if v.query == current]
    active = matching[0] if matching else None
    form = extra.pop("save_form", None)
    if form is None:
        form = SaveViewForm(formdata=None, data=current)
    own = sum(1 for v in found if v.owner_id == current_user.id)
    return Shelf(
        views=found,
        active_id=active.id if active else None,
        save_form=form,
        current=current,
        can_share=views.can_share(current_user),
        full=own >= views.VIEWS_PER_USER,
        **extra,
    )


def _inbox_again(args: dict, status: int = 422, **shelf):
    """The inbox at ``args`` with the views' forms showing what was refused."""
    db.session.rollback()
    f = InboxFilter.from_args(args)
    now = utcnow()
    return render_template(
        INBOX,
        **inbox_context(f, now),
        version=inbox_queries.inbox_version(now),
        saved_shelf=shelf,
    ), status


def _back_args() -> dict:
    """The inbox view a form came from (its query string, kept in ``back``)."""
    raw = (request.form.get("back") or "")[:2000]
    return dict(parse_qsl(raw, keep_blank_values=False))


def _back(args: dict | None = None, **extra):
    args = dict(args if args is not None else _back_args())
    args.update({k: v for k, v in extra.items() if v is not None})
    return redirect(url_for(".inbox") + ("?" + urlencode(args) if args else ""), 303)


def _view_or_404(view_id: int) -> SavedInboxView:
    view = views.find_visible(view_id, current_user)
    if view is None:
        abort(404)
    return view


def _changeable_or_403(view_id: int) -> SavedInboxView:
    view = _view_or_404(view_id)
    if not views.can_change(view, current_user):
        abort(403)
    return view


# --- routes: saved views -----------------------------------------------------------------------


@bp.get("/views/<int:view_id>")
@roles_required(*QC_DESK)
def open_view(view_id: int):
    """The inbox with the view's filter; what no longer fits today's filters is left out, and
    the page says what."""
    view = _view_or_404(view_id)
    form = InboxFilterForm(formdata=MultiDict(view.query), meta={"csrf": False}).fill()
    form.validate()
    dropped = [name for name in FILTER_FIELDS if getattr(form, name).errors]
    if dropped:
        problems = "; ".join(
            f"{getattr(form, name).label.text}: {getattr(form, name).errors[0]}" for name in dropped
        )
        flash(
            _(
                "Part of the view “%(name)s” no longer applies and was left out: %(problems)s",
                name=view.name,
                problems=problems,
            ),
            "warning",
        )
    args = views.normalised_query(form.filter_args(leave_out=dropped))
    return _back(args, view=view.id)


@bp.post("/views")
@roles_required(*QC_DESK)
def save_view():
    """Save the inbox's current filter and sort under a name."""
    form = SaveViewForm().fill()
    if not form.validate():
        return _inbox_again(form.filter_args(leave_out=form.errors.keys()), save_form=form)
    query = views.normalised_query(form.filter_args())
    try:
        view = views.save(current_user, form.name.data, query)
    except SavedViewError as error:
        show_refusal(form, error.message, error.field)
        return _inbox_again(query, save_form=form)
    db.session.commit()
    flash(_("View “%(name)s” saved.", name=view.name), "success")
    return _back(query, view=view.id)


@bp.post("/views/<int:view_id>/rename")
@roles_required(*QC_DESK)
def rename_view(view_id: int):
    view = _changeable_or_403(view_id)
    form = RenameViewForm()
    back = _back_args()
    problems = [*form.name.errors] if not form.validate() else []
    if not problems:
        try:
            views.rename(view, form.name.data, by=current_user)
        except SavedViewError as error:
            problems = [error.message]
    if problems:
        return _inbox_again(back, errors={view.id: problems}, open_manage=True)
    db.session.commit()
    flash(_("View renamed to “%(name)s”.", name=view.name), "success")
    return _back(back)


@bp.post("/views/<int:view_id>/delete")
@roles_required(*QC_DESK)
def delete_view(view_id: int):
    view = _changeable_or_403(view_id)
    if not DeleteViewForm().validate():
        abort(400)
    name = view.name
    views.delete(view, by=current_user)
    db.session.commit()
    flash(_("View “%(name)s” deleted.", name=name), "success")
    return _back()


@bp.post("/views/<int:view_id>/share")
@roles_required(Role.SUPERVISOR)
def share_view(view_id: int):
    """Share a view with the whole QC team, or stop sharing it."""
    view = _changeable_or_403(view_id)
    form = ShareViewForm()
    if not form.validate():
        abort(400)
    views.share(view, bool(form.shared.data), by=current_user)
    db.session.commit()
    if view.shared:
        flash(_("View “%(name)s” is shared with the QC team.", name=view.name), "success")
    else:
        flash(_("View “%(name)s” is no longer shared.", name=view.name), "success")
    return _back()


# --- routes: who has the complaint open --------------------------------------------------------


def _complaint_exists(complaint_id: int) -> None:
    if db.session.scalar(select(Complaint.id).where(Complaint.id == complaint_id)) is None:
        abort(404)


@bp.post("/complaints/<int:complaint_id>/presence")
@roles_required(*QC_DESK)
def complaint_presence(complaint_id: int):
    """Still here (typing or not): one short write, committed at once; then who else is."""
    _complaint_exists(complaint_id)
    form = PresenceForm()
    if not form.validate():
        abort(400)
    now = utcnow()
    presence.here(complaint_id, current_user.id, typing=bool(form.typing.data), now=now)
    db.session.commit()
    seen = form.seen_event.data
    if seen is None:  # the page was just brought up to date: from now on
        seen = presence.latest_event_id(complaint_id)
    change = presence.changed_by_others(complaint_id, current_user.id, after_event=seen)
    viewers = presence.others(complaint_id, current_user.id, now=now)
    return render_template(
        "qc/_complaint_presence.html",
        complaint_id=complaint_id,
        viewers=viewers,
        change=change,
        seen_event=seen,
        format_time=format_time,
        polled=True,
    )


@bp.post("/complaints/<int:complaint_id>/presence/leave")
@roles_required(*QC_DESK)
def complaint_presence_leave(complaint_id: int):
    """The page was closed (navigator.sendBeacon on pagehide): gone at once, not in a minute."""
    if not PresenceForm().validate():
        abort(400)
    presence.leave(complaint_id, current_user.id)
    db.session.commit()
    return "", 204
