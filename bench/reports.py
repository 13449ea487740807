"""Reports -> Overview for last month at 1,000,000 orders, against a bare query per table that
reads the same rows.

Data: the run's working copy as the benchmarks before it left it: 1,000,000 orders over 60
days (``bench.data``), the inbox benchmark's complaints and the KPI benchmark's calls of last
month (about 780,000 responses with their answers at the full size). Run alone
(``--only reports``) it measures on whatever the working copy holds.

The data goes in with SQLAlchemy Core, past the marks the console's own writes leave for the
running totals (console/services/reports/totals.py), so the run first counts every hour again
(``flask reports recount``): ``recount_s`` beside the figure. ``job_hour_ms``: the periodic
job counting one marked hour of last month again (the median of a few), what each minute's
changes cost it.

``reports_overview_p95_ms``: every figure of the page for last month (UTC), no filter, as the
page asks for them (``overview_tables.page``: dissatisfaction and score per week, complaints
by category and by cause per week, the top three against the month before, NPS/CSAT, first-time
fix and poaching per month, deadline compliance per week, operators, the funnel) in an app
context, the 95th percentile of the measured rounds. ``floor``: one bare aggregate over each
table's rows of the month that the figures read (orders by completion, responses by
submission, complaints by creation, call attempts by start; ``count(*)`` and a ``sum`` of a
column, so the rows are read); ``ratio`` = value ÷ floor. The page's own HTML is not timed:
the figures are the cost; the tables and charts are at most a few hundred cells.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from bench.common import emit, log, make_app, percentile


def _floor(period) -> int:
    """The bare reads: every row the overview's figures read, summed once each."""
    from console.extensions import db
    from console.models import CallAttempt, Complaint, Order, Response

    read = 0
    for column, summed in (
        (Order.completed_at, Order.amount),
        (Response.submitted_at, Response.score),
        (Complaint.created_at, Complaint.id),
        (CallAttempt.started_at, CallAttempt.id),
    ):
        count, _ = db.session.execute(
            sa.select(sa.func.count(), sa.func.sum(summed)).where(
                column >= period.starts_at, column < period.ends_at
            )
        ).one()
        read += count
    return read


def run(dataset, *, rounds: int) -> dict:
    from console.extensions import db
    from console.services.reports import overview_tables, totals
    from console.services.reports.overview import Filters
    from console.services.reports.periods import last_month

    app = make_app(dataset.url)
    now = datetime.now(UTC)
    period = last_month(now.date(), ZoneInfo("UTC"))
    samples, floors, read = [], [], 0
    with app.app_context():
        started = time.perf_counter()
        hours = totals.recount()
        recount_s = round(time.perf_counter() - started, 1)
        log(f"{dataset.db}: running totals of {hours:,} hours counted in {recount_s} s")
        job_samples = []
        for n in range(5):
            totals.mark_hours([totals.hour_number(period.ends_at) - 1 - 24 * n])
            db.session.commit()
            started = time.perf_counter()
            totals.refresh()
            job_samples.append((time.perf_counter() - started) * 1000)
        for n in range(rounds + 1):  # the first round warms the caches
            started = time.perf_counter()
            page = overview_tables.page(period, Filters(), now, cause_names={})
            elapsed = (time.perf_counter() - started) * 1000
            db.session.remove()
            started = time.perf_counter()
            read = _floor(period)
            floor = (time.perf_counter() - started) * 1000
            db.session.remove()
            if n:
                samples.append(elapsed)
                floors.append(floor)
            log(f"{dataset.db}: overview {elapsed:.0f} ms, floor {floor:.0f} ms ({read:,} rows)")
    value = round(percentile(samples, 95), 1)
    floor = round(statistics.median(floors), 1)
    return emit(
        "reports_overview_p95_ms",
        value,
        "ms",
        dataset.db,
        floor=floor,
        ratio=round(value / floor, 1) if floor else None,
        median_ms=round(statistics.median(samples), 1),
        rows_read=read,
        recount_s=recount_s,
        job_hour_ms=round(statistics.median(job_samples), 1),
        calls=page.satisfaction_total.calls,
        orders=page.funnel[0].count,
        period=f"{period.start}..{period.end}",
        rounds=rounds,
        orders_in_data_set=dataset.orders,
    )
