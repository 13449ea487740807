"""The deadline report (QC desk SLA): first answers within 12 hours, overdue now, by assignee."""

from __future__ import annotations

from flask import render_template, request

from console.access import roles_required
from console.extensions import db
from console.ids import db_id
from console.models import Client, Role, utcnow
from console.reports import bp
from console.services import catalog
from console.services.complaints import deadline_report

PERIODS = (7, 30, 90)


@bp.get("/deadlines")
@roles_required(Role.SUPERVISOR, Role.ADMIN, Role.QC)
def deadlines():
    days = request.args.get("days", 30, type=int)
    if days not in PERIODS:
        days = 30
    client_id = request.args.get("client", type=db_id)
    client = db.session.get(Client, client_id) if client_id else None
    now = utcnow()
    return render_template(
        "reports/deadlines.html",
        report=deadline_report.deadline_report(now=now, days=days, client=client),
        overdue=deadline_report.overdue_complaints(now=now, client=client),
        clients=catalog.clients(),
        client=client,
        days=days,
        periods=PERIODS,
        now=now,
    )
