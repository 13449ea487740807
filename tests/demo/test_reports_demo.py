"""The demo as `make run` loads it shows every report with something in it: last month's
overview has weeks of calls, complaints of several categories and causes, the top three
against the month before, NPS and CSAT, operators with callbacks kept and missed; the
technicians' KPI has both roles with 0, 1 and 2+ repeat repairs, fines and refunds. And the
same seed on the same day makes the same calls."""

from __future__ import annotations

import hashlib
import shutil
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from console.demo import calls as demo_calls
from console.demo import seed as demo
from console.models import Role, TechnicianRole, User
from console.services.reports import kpi, overview
from console.services.reports.overview import Filters
from console.services.reports.periods import Period
from console.services.scripts.library import load_files
from tests.conftest import _build_app
from tests.scripts.conftest import SCRIPTS_CONFIG

TODAY = date(2025, 3, 14)  # a fixed day: the data, and so every figure below, do not move
NOW = datetime.combine(TODAY, time(16, 0), tzinfo=UTC)
BERLIN = ZoneInfo("Europe/Berlin")  # the demo supervisor's zone
FEBRUARY = Period(date(2025, 2, 1), date(2025, 2, 28), BERLIN)  # "last month"


def load_the_demo(db, orders: int = 600) -> str:
    """What `make run` does, on a fixed day: orders, the shipped scripts, the desk's calls."""
    demo.seed_demo(orders=orders, seed=1, today=TODAY, days=demo.DEMO_DAYS)
    db.session.commit()
    load_files(sorted(SCRIPTS_CONFIG.glob("*.yaml")))
    db.session.commit()
    return demo_calls.seed_activity(seed=1, now=NOW)


def test_last_months_reports_have_something_in_every_chart(app, db, client):
    summary = load_the_demo(db)
    assert "anti-poaching cases opened" in summary

    # Calls in every week of the month, and some dissatisfied customers among them.
    weeks = overview.satisfaction(FEBRUARY, Filters())
    assert all(w.calls >= 5 and w.average_score is not None for w in weeks), weeks
    total = overview.satisfaction_total(weeks, FEBRUARY)
    assert total.calls >= 80 and 0 < total.dissatisfied < total.calls / 3

    # Complaints of several categories and causes, and the top three against January.
    by_category = overview.complaints_by(FEBRUARY, Filters(), "category")
    by_cause = overview.complaints_by(FEBRUARY, Filters(), "cause")
    assert len(by_category.keys) >= 3
    assert len([k for k in by_cause.keys if k != overview.NO_CAUSE]) >= 3
    top = overview.top_problems(FEBRUARY, Filters())
    assert len(top) == 3 and all(p.previous > 0 for p in top)
    assert any(p.change != 0 for p in top)

    # NPS and CSAT from the questions the shipped scripts mark.
    loyalty = overview.loyalty(FEBRUARY, Filters())
    assert loyalty.answers >= 30 and loyalty.nps is not None
    assert 0 < loyalty.detractors < loyalty.promoters
    assert loyalty.satisfied_answers >= 15 and 50 < loyalty.csat < 100

    (month,) = overview.quality_by_month(FEBRUARY, Filters())
    assert 0.5 < month.first_time_fix < 1 and month.poaching_per_1000

    deadlines = overview.deadlines_by_week(FEBRUARY, Filters(), now=NOW)
    decided = sum(w.decided for w in deadlines)
    assert decided and 0 < sum(w.on_time for w in deadlines) < decided

    # Both operators dialled; not every dial reached the customer; callbacks kept and missed.
    lines = overview.operators(FEBRUARY, Filters())
    assert len(lines) == 2 and all(line.dials >= 30 for line in lines)
    assert all(line.contact_rate < 1 and line.average_handle_seconds for line in lines)
    due = sum(line.callbacks_due for line in lines)
    assert 0 < sum(line.callbacks_kept for line in lines) < due

    assert all(step.count > 0 for step in overview.funnel(FEBRUARY, Filters()))

    # The technicians: every bonus tier of both roles, fines and refunds, ranks that moved.
    rows = kpi.technician_kpi(FEBRUARY)
    for role in TechnicianRole:
        tiers = {min(r.repeat_repairs, 2) for r in rows if r.role == role.value}
        assert tiers == {0, 1, 2}, role
    assert any(r.fines for r in rows) and any(r.refunds for r in rows)
    assert any(r.rank_change for r in rows)
    last_90_days = kpi.technician_kpi(Period(TODAY - timedelta(days=89), TODAY, ZoneInfo("UTC")))
    for role in TechnicianRole:
        tiers = {min(r.repeat_repairs, 2) for r in last_90_days if r.role == role.value}
        assert tiers == {0, 1, 2}, role

    # The demo supervisor sees every chart drawn, none "Nothing to show".
    supervisor = db.session.scalar(sa.select(User).where(User.role == Role.SUPERVISOR))
    signed_in = client.post("/login", data={"email": supervisor.email, "password": "demo"})
    assert signed_in.status_code == 302
    html = client.get("/reports/?from=2025-02-01&to=2025-02-28").get_data(as_text=True)
    assert html.count('<svg class="chart"') == 7
    assert "Nothing to show for this period." not in html
    page = client.get("/reports/technicians?from=2025-02-01&to=2025-02-28")
    assert page.status_code == 200


def _fingerprint(db) -> str:
    """Every call, answer score, complaint and review decision, in order."""
    digest = hashlib.sha256()
    for query in (
        "SELECT task_id, operator_id, started_at, ended_at, outcome, callback_at"
        " FROM call_attempts ORDER BY id",
        "SELECT order_id, operator_id, submitted_at, score FROM responses ORDER BY id",
        "SELECT order_id, category, status, validity, cause_category, first_answered_at"
        " FROM complaints ORDER BY id",
        "SELECT external_id, repeat_repair_state, repeat_repair_reviewed_at"
        " FROM orders ORDER BY id",
    ):
        for row in db.session.execute(sa.text(query)):
            digest.update(repr(tuple(row)).encode())
    return digest.hexdigest()


def test_the_same_seed_on_the_same_day_makes_the_same_calls(app, db, database_url, tmp_path):
    twin = tmp_path / "twin.db"
    shutil.copyfile(database_url.removeprefix("sqlite:///"), twin)  # empty, with the schema

    summary = load_the_demo(db, orders=100)
    first = _fingerprint(db)

    other = _build_app(f"sqlite:///{twin}")
    with other.app_context():
        assert load_the_demo(db, orders=100) == summary
        assert _fingerprint(db) == first
        db.session.remove()
        db.engine.dispose()
