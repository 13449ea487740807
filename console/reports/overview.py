"""Reports → Overview: dissatisfaction, complaints and their top three, NPS/CSAT, first-time
fix and poaching, deadlines, operators and the funnel over a period, each chart with its table;
every table downloads (``?table=<name>&format=csv|xlsx``). The figures are counted in
``console.services.reports.overview``."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import abort, render_template, request
from flask_babel import format_date, format_decimal, format_percent
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from console.access import roles_required
from console.extensions import db
from console.ids import db_id
from console.models import Role, Technician, User, WorkType, utcnow
from console.qc.forms import CAUSE_LABELS
from console.reports import bp, charts
from console.services import catalog
from console.services.reports import exports, overview_tables, periods
from console.services.reports.overview import DISSATISFIED_BELOW, Filters


@bp.get("/")
@roles_required(Role.SUPERVISOR, Role.ADMIN)
def overview():
    tz = ZoneInfo(current_user.timezone)
    now = utcnow()
    period, errors = periods.parse(request.args, tz=tz, today=now.astimezone(tz).date())
    filters = Filters(
        client_id=request.args.get("client", type=db_id),
        work_type_id=request.args.get("work_type", type=db_id),
        technician_id=request.args.get("technician", type=db_id),
        operator_id=request.args.get("operator", type=db_id),
    )
    name = request.args.get("table")
    if name is not None:
        fmt = request.args.get("format", "csv")
        if name not in overview_tables.TABLES or fmt not in exports.FORMATS:
            abort(404)
        table = overview_tables.build(name, period, filters, now, cause_names=CAUSE_LABELS)
        table.tz = tz
        return exports.download(table, fmt)
    found = overview_tables.page(period, filters, now, cause_names=CAUSE_LABELS)
    return render_template(
        "reports/overview.html",
        period=period,
        errors=errors,
        filters=filters,
        page=found,
        charts=_charts(found),
        cell=_cell,
        choices=_choices(filters),
        download_args={**period.args(), **_filter_args(filters)},
        dissatisfied_below=DISSATISFIED_BELOW,
    )


def _filter_args(filters: Filters) -> dict:
    names = {
        "client": filters.client_id,
        "work_type": filters.work_type_id,
        "technician": filters.technician_id,
        "operator": filters.operator_id,
    }
    return {k: v for k, v in names.items() if v}


def _choices(filters: Filters) -> dict:
    technicians = select(Technician).order_by(Technician.name)
    if filters.client_id:
        technicians = technicians.where(Technician.client_id == filters.client_id)
    return {
        "clients": catalog.clients(),
        "work_types": db.session.scalars(select(WorkType).order_by(WorkType.name)).all(),
        "technicians": db.session.scalars(technicians).all(),
        "operators": db.session.scalars(
            select(User).where(User.role == Role.OPERATOR).order_by(User.name)
        ).all(),
    }


def _cell(value, kind: str) -> str:
    """A table cell as the page shows it."""
    if value is None:
        return "—"
    if kind == "date":
        return format_date(value, "d MMM yyyy")
    if kind == "share":
        return format_percent(overview_tables.share(value), "#,##0.0%")
    if kind == "change":
        return ("+" if value > 0 else "") + format_decimal(value)
    if kind in ("count", "rate", "score", "seconds"):
        return format_decimal(value)
    return str(value)


def _day(day) -> str:
    return format_date(day, "d MMM")


def _percent(value: float) -> str:
    """A 0-100 value as the tables write a share (one decimal, the reader's language)."""
    return _cell(value / 100, "share")


def _charts(page: overview_tables.OverviewPage) -> dict:
    weeks = [_day(w.start) for w in page.satisfaction]
    months = [format_date(m.start, "LLL yyyy") for m in page.quality]

    def count_text(series, x, n):
        return _("%(series)s, week from %(week)s: %(n)s", series=series, week=x, n=n)

    def stacked(chart_id, title, stacked, names):
        return charts.stacked_bars(
            chart_id,
            title,
            _("Complaints per week, stacked; the numbers are in the table below."),
            [_day(d) for d in stacked.starts],
            stacked.keys,
            names,
            stacked.counts,
            count_text,
        )

    def pct(share):  # the table's share, on the charts' 0-100 scale
        share = overview_tables.share(share)
        return None if share is None else share * 100

    return {
        "satisfaction": charts.lines(
            "chart-satisfaction",
            _("Dissatisfied customers and the average score, per week"),
            _("Two lines from 0 to 100; the numbers are in the table below."),
            weeks,
            [
                (
                    "dissatisfied",
                    _("Dissatisfied, %"),
                    [pct(w.dissatisfied_share) for w in page.satisfaction],
                ),
                ("score", _("Average score"), [w.average_score for w in page.satisfaction]),
            ],
            top=100,
            fmt=format_decimal,
        ),
        "by_category": stacked(
            "chart-categories", _("Complaints by category"), page.by_category, page.category_names
        ),
        "by_cause": stacked(
            "chart-causes", _("Complaints by cause"), page.by_cause, page.cause_names
        ),
        "first_time_fix": charts.bars(
            "chart-ftf",
            _("First-time fix, per month"),
            _("Share of the orders not confirmed as a repeat repair; the table below has it."),
            months,
            [pct(m.first_time_fix) for m in page.quality],
            top=100,
            fmt=_percent,
        ),
        "poaching": charts.bars(
            "chart-poaching",
            _("Poaching cases per 1,000 calls, per month"),
            _("Cases per 1,000 completed calls; the table below has it."),
            months,
            [m.poaching_per_1000 for m in page.quality],
            fmt=lambda v: format_decimal(v),
        ),
        "deadlines": charts.bars(
            "chart-deadlines",
            _("First answers within the deadline, per week"),
            _("Share of the complaints answered within 12 hours; the table below has it."),
            weeks,
            [pct(w.on_time_share) for w in page.deadlines],
            top=100,
            fmt=_percent,
        ),
        "funnel": charts.funnel(
            "chart-funnel",
            _("From orders to resolved complaints"),
            _("Each step's count and its conversion from the step before."),
            [
                (
                    str(overview_tables.STEP_LABELS[s.key]),
                    s.count,
                    format_decimal(s.count)
                    + (f" ({_cell(s.of_previous, 'share')})" if s.of_previous is not None else ""),
                )
                for s in page.funnel
            ],
        ),
    }
