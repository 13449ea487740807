"""The overview's tables: the data of each chart as the page shows it under the chart and as
it downloads (CSV headers are stable ASCII keys, the page and XLSX show the labels).

``TABLES`` names every table; ``build(name, period, filters, now)`` counts only that one
figure, so a download does not compute the whole page.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import lazy_gettext as _l

from console.services.complaints.categories import category_label
from console.services.reports import overview, totals
from console.services.reports.exports import Column, Table
from console.services.reports.periods import Period


@dataclass(frozen=True)
class Figure(Column):
    """A column and how its values read: text, date, count, share (0-1), score, seconds,
    rate (a plain decimal)."""

    kind: str = "count"


def share(value: float | None) -> float | None:
    """A share (0-1) as the page, the charts and the downloads all give it: to a tenth of a
    percent, half up, rounded once. (Rounding to four places first and then to a tenth of a
    percent showed 5 of 11 as 45.4 % in the table and 45.5 % on the chart.)"""
    if value is None:
        return None
    return float(Decimal(value).quantize(Decimal("0.001"), ROUND_HALF_UP))


WEEK = Figure("week_start", _l("Week from"), "date")
MONTH = Figure("month", _l("Month"), "date")

STEP_LABELS = {
    "orders": _l("Orders completed"),
    "call_tasks": _l("With a call task"),
    "reached": _l("Customer reached"),
    "surveyed": _l("Surveyed"),
    "complaint": _l("With a complaint"),
    "resolved": _l("Complaints resolved"),
}


def _name(period: Period, what: str) -> str:
    return f"overview-{what}-{period.start.isoformat()}-{period.end.isoformat()}"


def satisfaction_table(period: Period, weeks: list[overview.SatisfactionWeek]) -> Table:
    return Table(
        _name(period, "satisfaction"),
        [
            WEEK,
            Figure("completed_calls", _l("Completed calls")),
            Figure("dissatisfied", _l("Dissatisfied")),
            Figure("dissatisfied_share", _l("Dissatisfied, share"), "share"),
            Figure("average_score", _l("Average score"), "score"),
        ],
        [
            (w.start, w.calls, w.dissatisfied, share(w.dissatisfied_share), w.average_score)
            for w in weeks
        ],
    )


def stacked_table(period: Period, stacked: overview.Stacked, by: str, labels: dict) -> Table:
    """One row per week, one column per category (or cause), and the week's total."""
    columns = [WEEK]
    for key in stacked.keys:
        columns.append(Figure(f"{by}_{key or 'none'}", labels.get(key, key)))
    columns.append(Figure("total", _l("Total")))
    rows = []
    for n, start in enumerate(stacked.starts):
        rows.append((start, *(stacked.counts[k][n] for k in stacked.keys), stacked.week_total(n)))
    return Table(_name(period, f"complaints-by-{by}"), columns, rows)


def category_labels(keys) -> dict:
    return {key: category_label(key) for key in keys}


def top_table(period: Period, problems: list[overview.Problem]) -> Table:
    return Table(
        _name(period, "top-problems"),
        [
            Figure("rank", _l("Rank")),
            Figure("category", _l("Category"), "text"),
            Figure("complaints", _l("Complaints")),
            Figure("previous_period", _l("Previous period")),
            Figure("change", _l("Change"), "change"),
            Figure("change_share", _l("Change, share"), "share"),
        ],
        [
            (
                n,
                category_label(p.category),
                p.count,
                p.previous,
                p.change,
                share(p.change_share),
            )
            for n, p in enumerate(problems, 1)
        ],
    )


def quality_table(period: Period, months: list[overview.QualityMonth]) -> Table:
    return Table(
        _name(period, "first-time-fix"),
        [
            MONTH,
            Figure("orders", _l("Orders completed")),
            Figure("repeat_repairs", _l("Confirmed repeat repairs")),
            Figure("first_time_fix_share", _l("First-time fix"), "share"),
            Figure("completed_calls", _l("Completed calls")),
            Figure("poaching_cases", _l("Poaching cases")),
            Figure("poaching_per_1000_calls", _l("Poaching per 1,000 calls"), "rate"),
        ],
        [
            (
                m.start,
                m.orders,
                m.repeat_repairs,
                share(m.first_time_fix),
                m.calls,
                m.poaching,
                m.poaching_per_1000,
            )
            for m in months
        ],
    )


def deadline_table(period: Period, weeks: list[overview.DeadlineWeek]) -> Table:
    return Table(
        _name(period, "deadlines"),
        [
            WEEK,
            Figure("opened", _l("Complaints opened")),
            Figure("answered_on_time", _l("Answered on time")),
            Figure("answered_late", _l("Answered late")),
            Figure("not_answered_overdue", _l("Not answered, overdue")),
            Figure("on_time_share", _l("On time, share"), "share"),
        ],
        [(w.start, w.opened, w.on_time, w.late, w.missed, share(w.on_time_share)) for w in weeks],
    )


def operators_table(period: Period, lines: list[overview.OperatorLine]) -> Table:
    return Table(
        _name(period, "operators"),
        [
            Figure("operator", _l("Operator"), "text"),
            Figure("dials", _l("Dials")),
            Figure("hours_dialling", _l("Hours dialling")),
            Figure("calls_per_hour", _l("Calls per hour"), "rate"),
            Figure("contact_rate", _l("Contact rate"), "share"),
            Figure("completion_rate", _l("Completion rate"), "share"),
            Figure("average_handle_seconds", _l("Average handle time, s"), "seconds"),
            Figure("callbacks_due", _l("Callbacks due")),
            Figure("callbacks_kept", _l("Callbacks kept")),
            Figure("callbacks_kept_share", _l("Callbacks kept, share"), "share"),
        ],
        [
            (
                line.user.name,
                line.dials,
                line.hours,
                line.calls_per_hour,
                share(line.contact_rate),
                share(line.completion_rate),
                line.average_handle_seconds,
                line.callbacks_due,
                line.callbacks_kept,
                share(line.callbacks_kept_share),
            )
            for line in lines
        ],
    )


def funnel_table(period: Period, steps: list[overview.Step]) -> Table:
    return Table(
        _name(period, "funnel"),
        [
            Figure("step", _l("Step"), "text"),
            Figure("count", _l("Count")),
            Figure("conversion", _l("From the step before"), "share"),
        ],
        [(STEP_LABELS[s.key], s.count, share(s.of_previous)) for s in steps],
    )


def loyalty_table(period: Period, figures: overview.Loyalty) -> Table:
    return Table(
        _name(period, "nps-csat"),
        [
            Figure("measure", _l("Measure"), "text"),
            Figure("value", _l("Value"), "rate"),
            Figure("answers", _l("Answers")),
        ],
        [
            (_l("NPS"), figures.nps, figures.answers),
            (_l("CSAT, %"), figures.csat, figures.satisfied_answers),
        ],
    )


Builder = Callable[..., Table]


def _complaints(by: str) -> Builder:
    def build(period, filters, now, cause_names):
        stacked = overview.stacked(overview.complaint_counts(period, filters, now=now), by)
        if by == "category":
            labels = category_labels(stacked.keys)
        else:
            labels = cause_labels(stacked.keys, cause_names)
        return stacked_table(period, stacked, by, labels)

    return build


def cause_labels(keys, names: dict) -> dict:
    """The causes' names (QC's list, given by the caller); for none, whether the complaint is
    finished (found not valid) or not classified yet."""
    found = {}
    for key in keys:
        if key == overview.NO_CAUSE_FINISHED:
            found[key] = _l("finished without a cause (not valid)")
        else:
            found[key] = names.get(key, key) if key else _l("not classified yet")
    return found


TABLES: dict[str, Builder] = {
    "satisfaction": lambda p, f, now, names: satisfaction_table(p, overview.satisfaction(p, f)),
    "complaints-by-category": _complaints("category"),
    "complaints-by-cause": _complaints("cause"),
    "top-problems": lambda p, f, now, names: top_table(p, overview.top_problems(p, f)),
    "nps-csat": lambda p, f, now, names: loyalty_table(p, overview.loyalty(p, f)),
    "first-time-fix": lambda p, f, now, names: quality_table(p, overview.quality_by_month(p, f)),
    "deadlines": lambda p, f, now, names: deadline_table(
        p, overview.deadlines_by_week(p, f, now=now)
    ),
    "operators": lambda p, f, now, names: operators_table(p, overview.operators(p, f)),
    "funnel": lambda p, f, now, names: funnel_table(p, overview.funnel(p, f)),
}


def build(
    name: str, period: Period, filters: overview.Filters, now: datetime, *, cause_names: dict
) -> Table:
    """One named table (a ``KeyError`` for a name not in ``TABLES``)."""
    return TABLES[name](period, filters, now, cause_names)


@dataclass
class OverviewPage:
    """Every figure of the overview and its table (by the names of ``TABLES``)."""

    satisfaction: list[overview.SatisfactionWeek]
    satisfaction_total: overview.SatisfactionWeek
    by_category: overview.Stacked
    by_cause: overview.Stacked
    top: list[overview.Problem]
    loyalty: overview.Loyalty
    quality: list[overview.QualityMonth]
    deadlines: list[overview.DeadlineWeek]
    operators: list[overview.OperatorLine]
    funnel: list[overview.Step]
    category_names: dict
    cause_names: dict
    tables: dict[str, Table]
    # since when changes wait to be added to the running totals the figures were read from
    counting_since: datetime | None = None


def page(
    period: Period, filters: overview.Filters, now: datetime, *, cause_names: dict
) -> OverviewPage:
    weeks = overview.satisfaction(period, filters)
    complaints = overview.complaint_counts(period, filters, now=now)
    by_category = overview.stacked(complaints, "category")
    by_cause = overview.stacked(complaints, "cause")
    found = OverviewPage(
        satisfaction=weeks,
        satisfaction_total=overview.satisfaction_total(weeks, period),
        by_category=by_category,
        by_cause=by_cause,
        top=overview.top_problems(period, filters, counts=complaints),
        loyalty=overview.loyalty(period, filters),
        quality=overview.quality_by_month(period, filters),
        deadlines=overview.deadlines(complaints),
        operators=overview.operators(period, filters),
        funnel=overview.funnel(period, filters),
        category_names=category_labels(by_category.keys),
        cause_names=cause_labels(by_cause.keys, cause_names),
        tables={},
        counting_since=(
            totals.waiting_since(period.starts_at, period.ends_at)
            if totals.uses_totals(period.starts_at, period.ends_at, filters)
            else None
        ),
    )
    found.tables = {
        "satisfaction": satisfaction_table(period, weeks),
        "complaints-by-category": stacked_table(
            period, by_category, "category", found.category_names
        ),
        "complaints-by-cause": stacked_table(period, by_cause, "cause", found.cause_names),
        "top-problems": top_table(period, found.top),
        "nps-csat": loyalty_table(period, found.loyalty),
        "first-time-fix": quality_table(period, found.quality),
        "deadlines": deadline_table(period, found.deadlines),
        "operators": operators_table(period, found.operators),
        "funnel": funnel_table(period, found.funnel),
    }
    return found
