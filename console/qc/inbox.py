"""The complaint inbox of the QC department, bulk assignment, and registering a complaint by hand.

The inbox is one page whose filters are links and a GET form, so a filtered view can be
bookmarked and reloads without JavaScript. With htmx the links and the search swap only the
rows (``#inbox-rows``, the ``results`` block of ``qc/inbox.html``) and push the URL; every
such answer carries the counts beside the filters as an out-of-band swap. The rows region
re-polls itself (``static/inbox.js`` fires ``inbox-refresh`` every 15 s while the tab is
visible) so a colleague's work shows up without a reload; the ticked rows stay ticked.

The rules live in the services: what a filter selects, pages and counts in
``services.complaints.inbox``; bulk assignment and manual registration in
``services.complaints.intake``.
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_htmx import make_response as htmx_response
from flask_login import current_user
from jinja2_fragments.flask import render_blocks

from console.access import roles_required
from console.extensions import db, htmx
from console.ids import optional_id
from console.labels import COMPLAINT_STATUSES
from console.models import ComplaintKind, Order, Role, utcnow
from console.qc import bp
from console.qc.forms import DEPARTMENT_LABELS
from console.qc.inbox_forms import BulkAssignForm, NewComplaintForm
from console.services import catalog
from console.services.complaints import inbox as inbox_queries
from console.services.complaints import intake as complaint_intake
from console.services.complaints.categories import category_label
from console.services.complaints.inbox import InboxFilter
from console.services.complaints.intake import CHANNELS, DuplicateComplaint, IntakeError

INBOX = "qc/inbox.html"
NEW = "qc/new_complaint.html"
QC_DESK = (Role.QC, Role.SUPERVISOR)


def _departments() -> dict:
    return {d: DEPARTMENT_LABELS.get(d, d) for d in current_app.config["COMPLAINT_DEPARTMENTS"]}


def _status_tabs() -> list[tuple[str, str]]:
    return [
        ("open", _("Open")),
        ("new", _("New")),
        ("in_progress", _("In progress")),
        ("waiting_customer", _("Waiting for the customer")),
        ("resolved", _("Resolved")),
        ("closed", _("Closed")),
        ("merged", _("Merged")),
        ("all", _("All")),
    ]


def _sort_choices() -> list[tuple[str, str]]:
    return [
        ("deadline", _("Deadline: soonest first")),
        ("-deadline", _("Deadline: latest first")),
        ("age", _("Oldest first")),
        ("-age", _("Newest first")),
        ("-number", _("Number: highest first")),
        ("number", _("Number: lowest first")),
    ]


def _context(f: InboxFilter, now: datetime) -> dict:
    found = inbox_queries.inbox(f, me_id=current_user.id, now=now)
    page, counts = found.page, found.counts
    users = inbox_queries.assignable_users()
    clients = catalog.clients()
    # Categories: the scripts' ones and whatever the counted complaints carry.
    categories = list(
        dict.fromkeys(
            [
                *complaint_intake.manual_categories(),
                *counts.values("category"),
                *([f.category] if f.category else []),
            ]
        )
    )
    assignees = {u.id: u for u in users}
    missing = [int(v) for v in counts.values("assignee") if v.isdigit() and int(v) not in assignees]
    if f.assignee and f.assignee.isdigit():
        missing.append(int(f.assignee))
    assignees.update(inbox_queries.users_by_id(i for i in missing if i not in assignees))
    inbox_base = url_for(".inbox")
    complaint_base = url_for(".complaint", complaint_id=0)[:-1]
    return {
        # Links are built from a base once per page, not by url_for per link (a page has 90).
        "inbox_url": lambda args: inbox_base + ("?" + urlencode(args) if args else ""),
        "complaint_href": lambda complaint_id: f"{complaint_base}{complaint_id}",
        "f": f,
        "page": page,
        "counts": counts,
        "elsewhere": found.elsewhere,
        "now": now,
        "clients": clients,
        "categories": categories,
        "assignees": sorted(assignees.values(), key=lambda u: u.name),
        "status_tabs": _status_tabs(),
        "sort_choices": _sort_choices(),
        "kinds": [
            (ComplaintKind.COMPLAINT, _("Complaints")),
            (ComplaintKind.POACHING, _("Poaching cases")),
        ],
        "deadlines": [("overdue", _("Overdue")), ("due_soon", _("Due soon"))],
        "category_label": category_label,
        "status_labels": COMPLAINT_STATUSES,
        "departments": _departments(),
        "back": urlencode(f.page_args()),
        "bulk_users": users,
        "count_cap": inbox_queries.COUNT_CAP,
    }


def _rows_response(f: InboxFilter, now: datetime, **extra):
    """The rows region, with the counts (and any notice) swapped out of band."""
    blocks = ["results", "counts_oob"]
    if extra.get("notice"):
        blocks.append("notice_oob")
    return render_blocks(INBOX, blocks, **_context(f, now), **extra)


@bp.get("/")
@roles_required(*QC_DESK)
def inbox():
    """Complaints with their deadline state; filters, search, sort and pages in the URL."""
    f = InboxFilter.from_args(request.args)
    now = utcnow()
    version = inbox_queries.inbox_version(now)
    if htmx.target == "inbox-rows" and not htmx.history_restore_request:
        if request.args.get("seen") == version:
            return "", 204  # the rows' own refresh, and nothing changed: htmx leaves them be
        return _rows_response(f, now, version=version)
    return render_template(INBOX, **_context(f, now), version=version)


@bp.post("/assign")
@roles_required(*QC_DESK)
def bulk_assign():
    """Give the ticked complaints to one person and/or department, in one transaction."""
    users = inbox_queries.assignable_users()
    form = BulkAssignForm()
    form.fill(users, _departments())
    back = dict(parse_qsl(form.back.data or "", keep_blank_values=False))
    f = InboxFilter.from_args(back)
    now = utcnow()
    if not form.validate():
        return _bulk_refused(
            f, now, _("The form could not be read. Reload the page and try again.")
        )
    ids = form.complaint.data or []
    assignee = None
    if form.assignee.data:
        assignee = next((u for u in users if str(u.id) == form.assignee.data), None)
        if assignee is None:
            return _bulk_refused(f, now, _("That person cannot take complaints."))
    department = form.department.data or None
    if department is not None and department not in current_app.config["COMPLAINT_DEPARTMENTS"]:
        return _bulk_refused(f, now, _("Choose a department from the list."))
    if not ids:
        return _bulk_refused(f, now, _("Tick the complaints to assign first."))
    selected = inbox_queries.complaints_by_ids(ids)
    try:
        result = complaint_intake.assign_selected(
            selected,
            assignee=assignee,
            department=department,
            note=form.note.data,
            by=current_user,
            now=now,
        )
    except IntakeError as error:
        db.session.rollback()
        return _bulk_refused(f, now, str(error.message))
    db.session.commit()
    message = _bulk_message(result, assignee, department)
    category = "success" if result.assigned else "info"
    if htmx:
        version = inbox_queries.inbox_version(now)
        return _rows_response(
            f, now, notice=(message, category), clear_selection=True, version=version
        )
    flash(message, category)
    return redirect(url_for(".inbox", **f.page_args()), 303)


def _bulk_message(result, assignee, department) -> str:
    n = len(result.assigned)
    if not n:
        return _("Nothing changed: the ticked complaints are finished, or already there.")
    to = assignee.name if assignee else _departments().get(department, department)
    message = ngettext(
        "%(num)s complaint assigned to %(to)s.", "%(num)s complaints assigned to %(to)s.", n, to=to
    )
    if result.skipped:
        message += " " + ngettext(
            "%(num)s left as it was (finished, or already there).",
            "%(num)s left as they were (finished, or already there).",
            len(result.skipped),
        )
    return message


def _bulk_refused(f: InboxFilter, now: datetime, message: str):
    db.session.rollback()
    if htmx:
        response = htmx_response(
            render_template("errors/_notice.html", title=message, message="", status=422),
            422,
            retarget="#notices",
            reswap="innerHTML",
        )
        return response
    flash(message, "error")
    return redirect(url_for(".inbox", **f.page_args()), 303)


# --- registering a complaint by hand ----------------------------------------------------------


@bp.route("/complaints/new", methods=["GET", "POST"])
@roles_required(*QC_DESK)
def new_complaint():
    """Find the order (by its number or the customer's phone), then say what the complaint is
    about; the complaint gets the order's snapshot like one from a call."""
    find = (request.args.get("find") or "").strip()[:100]
    form = NewComplaintForm()
    form.fill(complaint_intake.manual_categories())
    chosen = request.args.get("order") or form.order.data
    order_id = optional_id(chosen)
    order = db.session.get(Order, order_id) if order_id else None
    if chosen and order is None:  # no such order (or a number no order can have)
        abort(404)
    if request.method == "GET" and order is not None:
        form.order.data = str(order.id)
    duplicate = None
    if request.method == "POST" and order is not None and form.validate():
        try:
            complaint = complaint_intake.register_manual_complaint(
                order,
                category=form.category.data,
                summary=form.summary.data,
                channel=form.channel.data,
                allow_duplicate=form.allow_duplicate.data,
                by=current_user,
                now=utcnow(),
            )
        except DuplicateComplaint as error:
            db.session.rollback()
            duplicate = error.existing
            form.category.errors = [*form.category.errors, str(error.message)]
        except IntakeError as error:
            db.session.rollback()
            field = getattr(form, error.field or "", None) or form.summary
            field.errors = [*field.errors, str(error.message)]
        else:
            db.session.commit()
            flash(
                _("Complaint #%(id)s registered.", id=complaint.id),
                "success",
            )
            return redirect(url_for(".complaint", complaint_id=complaint.id), 303)
    elif request.method == "POST" and order is None:
        abort(400)
    context = {
        "find": find,
        "found": complaint_intake.find_orders(find) if find and order is None else [],
        "order": order,
        "open_complaints": complaint_intake.open_complaints_of(order) if order else [],
        "form": form,
        "duplicate": duplicate,
        "category_label": category_label,
        "channels": CHANNELS,
    }
    status = 422 if request.method == "POST" else 200
    if htmx.target == "order-results":
        from jinja2_fragments.flask import render_block

        return render_block(NEW, "order_results", **context)
    return render_template(NEW, **context), status
