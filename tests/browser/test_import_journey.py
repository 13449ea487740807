"""In a real browser: an admin uploads a shop's own export (Windows-1251, ";", Russian headers,
one bad row), checks the columns the console guessed, watches the import run to the end, reads
"line N, field: message" and downloads the rejected row to fix it. axe-core checks each page."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from console.models import Client, Order, Role, Technician, WorkType, utcnow
from tests.browser.conftest import screenshot
from tests.browser.journeys import CSRF_ON, assert_accessible, sign_in

pytestmark = pytest.mark.browser


def shop_export(path: Path) -> Path:
    """What the shop's program saves: Windows-1251, ";", its own headers, dates day first."""
    when = (utcnow() - timedelta(days=2)).strftime("%d.%m.%Y %H:%M")
    lines = [
        "Номер заказа;Клиент;Телефон;Вид работ;Мастер;Дата закрытия;Сумма;Госномер;Комментарий",
        f"Z-101;Иван Петров;8 (912) 345-67-89;Замена масла;GS-T01;{when};4 350,50;А123ВС77;",
        f"Z-102;Ольга Ли;12345;Замена масла;GS-T01;{when};900,00;;перезвонить вечером",
        f"Z-103;Борис Орлов;8 912 000-00-03;Замена масла;Sergey Orlov;{when};12 500;;",
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return path


@CSRF_ON
def test_admin_imports_a_shops_export_and_downloads_the_rejected_row(
    page,
    live_server,
    db,
    make_user,
    tmp_path,
    app_config,
):
    garage = Client(key="garage", name="Garage-Service", timezone="Europe/Moscow", country="RU")
    db.session.add_all(
        [
            garage,
            WorkType(key="oil", name="Замена масла"),  # as the shop's export names the work
            Technician(client=garage, external_id="GS-T01", name="Sergey Orlov"),
        ]
    )
    db.session.commit()
    admin = make_user(Role.ADMIN, name="Alex Admin", timezone="Europe/Moscow")
    sign_in(page, live_server, admin, "Overview")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", level=1, name="Import orders")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("CSV or XLSX file").set_input_files(str(shop_export(tmp_path / "заказы.csv")))
    page.get_by_label("Client").select_option(label="Garage-Service (garage)")
    page.get_by_role("button", name="Upload and choose columns").click()

    # The columns, guessed from the shop's own headers; the comment is read as the work done.
    expect(page.get_by_role("heading", level=1, name="Choose the columns")).to_be_visible()
    expect(page.get_by_label("Телефон")).to_have_value("phone")
    expect(page.get_by_label("Дата закрытия")).to_have_value("completed_at")
    expect(page.get_by_label("Клиент", exact=True)).to_have_value("customer_name")
    expect(page.get_by_label("Комментарий")).to_have_value("description")
    expect(page.get_by_role("cell", name="перезвонить вечером").first).to_be_visible()
    assert_accessible(page)
    screenshot(page, "orders-import-columns")
    page.get_by_role("button", name="Import", exact=True).click()

    # The job runs (a thread: no Redis here) while the page polls its progress.
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import of заказы.csv")
    expect(page.locator("#import-bar")).to_have_attribute("value", "100", timeout=20_000)
    expect(page.locator("#import-created")).to_have_text("2")
    expect(page.locator("#import-rejected")).to_have_text("1")
    expect(page.locator("#import-errors")).to_have_text(
        "line 3, Телефон: 12345 is not a valid phone number"
    )
    assert_accessible(page)
    screenshot(page, "orders-import-done")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the 1 rejected row (CSV)").click()
    rows = Path(download.value.path()).read_bytes().decode("cp1251").splitlines()
    assert rows[0].endswith(";Комментарий;error")
    assert rows[1].startswith("Z-102;Ольга Ли;12345;")
    assert rows[1].endswith("line 3, Телефон: 12345 is not a valid phone number")
    assert download.value.suggested_filename == "заказы-rejected.csv"

    db.session.rollback()  # end the test's old read snapshot: see what the job wrote
    stored = {o.external_id: o for o in db.session.scalars(select(Order))}
    assert sorted(stored) == ["Z-101", "Z-103"]
    assert stored["Z-103"].technician.external_id == "GS-T01"
    assert page.console_errors == []
