"""Reports -> Technicians: each technician's KPI and repeat-repair bonus for a period, what
each figure is made of, and the table for payroll as CSV or XLSX (``?format=csv|xlsx``)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from console.access import roles_required
from console.extensions import db
from console.ids import db_id
from console.models import Client, Role, utcnow
from console.money import format_money
from console.qc.repeat_forms import cause_label
from console.reports import bp
from console.services import catalog
from console.services.reports import exports, kpi, kpi_export, periods

# The payroll table's headings; its keys and values are ``kpi_export``'s, shared with the API.
LABELS = {
    "technician": _l("Technician"),
    "client": _l("Client"),
    "role": _l("Role"),
    "surveys": _l("Surveys"),
    "score": _l("Score"),
    "rank": _l("Rank"),
    "score_change": _l("Score change"),
    "complaints_opened": _l("Complaints opened"),
    "complaints_valid": _l("Complaints found valid"),
    "repeat_repairs": _l("Confirmed repeat repairs"),
    "bonus_percent": _l("Repeat-repair bonus, %"),
    "fines": _l("Fines"),
    "refunds": _l("Refunds"),
    "currency": _l("Currency"),
    "technician_id": _l("Technician number"),
}
COLUMNS = [exports.Column(key, LABELS[key]) for key in kpi_export.PAYROLL_KEYS]


def _period() -> tuple[periods.Period, dict[str, str], ZoneInfo]:
    tz = ZoneInfo(current_user.timezone or "UTC")
    period, errors = periods.parse(request.args, tz=tz, today=utcnow().astimezone(tz).date())
    return period, errors, tz


def _money(amount, currency: str) -> str:
    return format_money(amount, currency)


def _table(rows: list[kpi.TechnicianKpi], period: periods.Period, tz: ZoneInfo) -> exports.Table:
    """The payroll table: stable keys and role values, plain decimals."""
    return exports.Table(
        name=f"technician-kpi-{period.start.isoformat()}-{period.end.isoformat()}",
        columns=COLUMNS,
        rows=[
            [line[key] for key in kpi_export.PAYROLL_KEYS]
            for line in map(kpi_export.payroll_line, rows)
        ],
        tz=tz,
    )


@bp.get("/technicians")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def technicians():
    period, errors, tz = _period()
    client_id = request.args.get("client", type=db_id)
    client = db.session.get(Client, client_id) if client_id else None
    rows = kpi.technician_kpi(period, client_id=client.id if client else None)
    fmt = request.args.get("format")
    if fmt in exports.FORMATS:
        return exports.download(_table(rows, period, tz), fmt)
    return render_template(
        "reports/technicians.html",
        rows=rows,
        period=period,
        errors=errors,
        args=request.args,
        clients=catalog.clients(),
        client=client,
        query={**period.args(), **({"client": client.id} if client else {})},
        money=_money,
    )


@bp.get("/technicians/<int:technician_id>")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def technician_kpi(technician_id: int):
    period, errors, _tz = _period()
    explanation = kpi.explain(technician_id, period)
    if explanation is None:
        abort(404)
    return render_template(
        "reports/technicians_explain.html",
        x=explanation,
        row=explanation.kpi,
        period=period,
        errors=errors,
        money=_money,
        cause_label=cause_label,
        explain_limit=kpi.EXPLAIN_LIMIT,
    )
