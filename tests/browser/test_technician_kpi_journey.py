"""In a real browser: a supervisor opens Reports -> Technicians for last month, sees each
technician's KPI and bonus, opens one technician's explanation, and downloads the KPI for
payroll as CSV. axe-core checks each page."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from console.models import RepeatRepairState, Role, TechnicianRole, utcnow
from tests.browser.journeys import assert_accessible, sign_in
from tests.reports.test_kpi import survey, technician, version  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser


def test_a_supervisor_reads_last_months_kpi_and_downloads_it(
    page,
    live_server,
    make_user,
    make_order,
    technician,  # noqa: F811
    survey,  # noqa: F811
):
    last_month = utcnow().replace(day=1) - timedelta(days=12)  # mid last month
    master = technician("Pyotr Master", TechnicianRole.SHOP_MASTER)
    mechanic = technician("Max Mechanic", TechnicianRole.MECHANIC)
    survey(make_order(technician=master), {"overall": ["good"]}, last_month)
    survey(make_order(technician=mechanic), {"overall": ["mostly"], "price": ["fair"]}, last_month)
    make_order(
        technician=master,
        repeat_repair_state=RepeatRepairState.CONFIRMED,
        repeat_repair_responsible_id=master.id,
        repeat_repair_reviewed_at=last_month,
    )
    supervisor = make_user(Role.SUPERVISOR, timezone="Europe/Moscow")

    sign_in(page, live_server, supervisor, heading="Live board")
    page.goto(live_server + "/reports/technicians")
    expect(page.get_by_role("heading", level=1, name="Technicians")).to_be_visible()
    master_row = page.locator(f'tr[data-technician="{master.id}"]')
    expect(master_row.locator('[data-col="score"]')).to_have_text("100")
    expect(master_row.locator('[data-col="bonus"]')).to_have_text("5 %")
    mechanic_row = page.locator(f'tr[data-technician="{mechanic.id}"]')
    expect(mechanic_row.locator('[data-col="score"]')).to_have_text("65")
    expect(mechanic_row.locator('[data-col="bonus"]')).to_have_text("10 %")
    assert_accessible(page)

    mechanic_row.get_by_role("link", name="Max Mechanic").click()
    expect(page.get_by_role("heading", level=1, name="Max Mechanic")).to_be_visible()
    lost = page.locator('tr[data-question="overall"] [data-col="lost"]')
    expect(lost).to_have_text("30")  # 3 × (1 − 3/5) ÷ 4 × 100
    expect(page.locator('[data-tier="current"]')).to_have_text("0 → 10 %")
    assert_accessible(page)

    page.get_by_role("link", name="All technicians").click()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV").click()
    text = Path(download.value.path()).read_bytes().decode("utf-8-sig")
    rows = {r["technician"]: r for r in csv.DictReader(io.StringIO(text))}
    assert rows["Pyotr Master"]["role"] == "shop_master"
    assert rows["Pyotr Master"]["bonus_percent"] == "5"
    assert rows["Max Mechanic"]["score"] == "65.00"
    assert page.console_errors == []
