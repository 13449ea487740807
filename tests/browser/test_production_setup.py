"""In Chromium, against the console as it is deployed: gunicorn with 2 workers x 4 threads,
``CONSOLE_ENV=production`` over TLS (a certificate made for the test), the default SQLite, and a
Redis that is configured but unreachable. An admin sets a business up in the browser: a client
(calling hours per weekday, a holiday), a work type, a technician, a user moved to the phones; an
API token, shown once and used over HTTPS to send an order; then the shop's own export
(Windows-1251, ";", Russian headers, one bad row) through Admin → Orders → Import: the columns,
the job in a gunicorn worker, its progress polled from whichever worker answers, "line N, field:
message" and the rejected row as a CSV. The call list is filled as the README says (`flask calls
generate`, what the scheduler runs), and the person the admin moved sees the calls.

Every POST passes Flask-WTF's strict Referer check over HTTPS; axe-core checks each page.

The import once stayed at "waiting" here for as long as Redis was down (its job was handed to a
queue nobody could reach), which no test with Redis unset or up showed.
"""

from __future__ import annotations

import re
import ssl
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from console import ROOT
from tests.browser.journeys import assert_accessible, sign_in
from tests.deployed import BIN, environment, free_port, migrate, seed, serve

pytestmark = [pytest.mark.browser, pytest.mark.deployed]

MOSCOW = ZoneInfo("Europe/Moscow")
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
# Which worker answered what: the access log names the process.
ACCESS_LOG = "--access-logformat 'pid=%(p)s \"%(r)s\" %(s)s'"
STILL_POLLING = re.compile(r'<section id="import-progress"[^>]*hx-get')  # not done yet
MONTH_OF_ORDERS = 8_000  # 8 batches of the import


@pytest.fixture
def production(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(database_url)
    people = seed(database_url, operators=0, qc=1, calls=0)
    settings = {
        "CONSOLE_ENV": "production",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
    }
    with serve(
        tmp_path, database_url, tls=True, GUNICORN_CMD_ARGS=ACCESS_LOG, **settings
    ) as deployed:
        yield deployed, people, settings


def shot(page, name: str) -> None:
    page.screenshot(path=f"/tmp/prodsetup-{name}.png", full_page=True)  # noqa: S108 (asked for)


def shop_export(path: Path, completed: datetime) -> Path:
    """What the shop's program saves: Windows-1251, ";", its own headers, dates day first; a
    month of orders after the three the test looks at, so the import runs long enough (a few
    batches) for its progress to be asked for while it runs."""
    when = completed.astimezone(MOSCOW).strftime("%d.%m.%Y %H:%M")
    lines = [
        "Номер заказа;Клиент;Телефон;Вид работ;Мастер;Дата закрытия;Сумма;Госномер;Комментарий",
        f"Z-101;Иван Петров;8 (912) 345-67-89;Замена масла;GS-T01;{when};4 350,50;А123ВС77;",
        f"Z-102;Ольга Ли;12345;Замена масла;GS-T01;{when};900,00;;перезвонить вечером",
        f"Z-103;Борис Орлов;8 912 000-00-03;Замена масла;Sergey Orlov;{when};12 500;;",
        *(
            f"M-{n};Клиент {n};8 913 1{n:06d};Замена масла;GS-T01;{when};1 000;;"
            for n in range(MONTH_OF_ORDERS)
        ),
    ]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode("cp1251"))
    return path


def served_by(log: Path, request_line: str) -> list[str]:
    """The worker processes that answered requests starting with ``request_line``."""
    pattern = re.compile(r'^pid=<(\d+)> "' + re.escape(request_line))
    return [m.group(1) for line in log.read_text().splitlines() if (m := pattern.match(line))]


def test_an_admin_sets_a_business_up_on_the_deployed_console(tab, browser, production, tmp_path):
    deployed, people, settings = production
    page = tab
    url = deployed.url
    tls = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))  # trust the test's CA
    health = httpx.get(url + "/healthz", verify=tls, timeout=10).json()
    assert (health["status"], health["queue"]) == ("degraded", "down")

    sign_in(page, url, people.admin, "Overview")
    nav = page.get_by_role("navigation", name="Main")
    assert_accessible(page)

    # --- a client: round the clock but one weekday 10:00–16:00, and a holiday ----------------
    today = datetime.now(MOSCOW).date()
    short_day = today + timedelta(days=3)  # never the day the calls are taken (a minute on)
    nav.get_by_role("link", name="Clients").click()
    page.get_by_role("link", name="Add a client").click()
    expect(page.get_by_role("heading", level=1, name="New client")).to_be_visible()
    page.get_by_label("Name", exact=True).fill("Автосервис Север")
    page.get_by_label("Key").fill("sever")
    page.get_by_label("Country").select_option("RU")
    page.get_by_label("Currency").select_option("RUB")
    page.get_by_label("Time zone").select_option("Europe/Moscow")
    for weekday, name in enumerate(WEEKDAYS):
        if weekday != short_day.weekday():
            page.get_by_label(f"{name}: calls", exact=True).select_option("all_day")
    short_name = WEEKDAYS[short_day.weekday()]
    page.get_by_label(f"{short_name}: calls from", exact=True).fill("10:00")
    page.get_by_label(f"{short_name}: calls until", exact=True).fill("16:00")
    assert_accessible(page)
    page.get_by_role("button", name="Add client").click()
    expect(page.get_by_role("heading", level=1, name="Автосервис Север")).to_be_visible()
    expect(page.get_by_text("Client Автосервис Север added.")).to_be_visible()

    holiday = today + timedelta(days=10)
    holidays = page.locator("#holidays")
    holidays.get_by_label("Date").fill(holiday.isoformat())
    holidays.get_by_label("Name (optional)").fill("День города")
    holidays.get_by_role("button", name="Add holiday").click()
    expect(page.get_by_text(f"Holiday {holiday.isoformat()} added.")).to_be_visible()
    assert_accessible(page)
    shot(page, "client")
    page.get_by_role("link", name="All clients").click()
    row = page.locator('tr[data-client="sever"]')
    expect(row).to_contain_text(f"{short_name[:3]} 10:00–16:00")
    expect(row).to_contain_text("round the clock")
    expect(row).to_contain_text("1 holiday")
    assert_accessible(page)

    # --- a work type, a technician, a user moved to the phones --------------------------------
    nav.get_by_role("link", name="Work types").click()
    page.get_by_label("Name", exact=True).fill("Замена масла")
    page.get_by_label("Key").fill("oil")
    page.get_by_label("Follow-up delay (days)").fill("1")
    page.get_by_label("Share of orders called (%)").fill("100")
    page.get_by_role("button", name="Add work type").click()
    expect(page.get_by_text("Work type Замена масла added.")).to_be_visible()
    assert_accessible(page)

    nav.get_by_role("link", name="Technicians").click()
    page.get_by_role("link", name="Add a technician").click()
    page.get_by_label("Name").fill("Sergey Orlov")
    page.get_by_label("Client").select_option(label="Автосервис Север")
    page.get_by_label("External id").fill("GS-T01")
    page.get_by_label("Role").select_option(label="Shop master")
    page.get_by_label("Phone").fill("8 912 345-67-00")
    assert_accessible(page)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#notices")).to_contain_text("Sergey Orlov is added.")
    expect(page.locator("tr", has_text="Sergey Orlov")).to_contain_text("+7 912 345-67-00")
    assert_accessible(page)

    nav.get_by_role("link", name="Users").click()
    page.get_by_role("link", name="Edit qc0").click()
    expect(page.get_by_role("heading", level=1, name="qc0")).to_be_visible()
    page.get_by_label("Name").fill("Vera Volkova")
    page.get_by_label("Role").select_option(label="Operator")
    page.get_by_label("Time zone").select_option("Europe/Moscow")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#notices")).to_contain_text("Vera Volkova is saved.")
    assert_accessible(page)
    shot(page, "user")

    # --- an API token, shown once, sends an order over HTTPS ----------------------------------
    nav.get_by_role("link", name="API tokens").click()
    page.get_by_label("Name").fill("Shop system")
    page.get_by_label(re.compile("orders:write")).check()
    page.get_by_role("button", name="Make the token").click()
    secret = page.get_by_label("The token").input_value()
    assert len(secret) > 30
    assert_accessible(page)
    shot(page, "token")
    nav.get_by_role("link", name="API tokens").click()  # shown once: not again
    expect(page.get_by_label("The token")).to_have_count(0)
    assert secret not in page.content()

    completed = datetime.now(UTC) - timedelta(days=2)
    order = {
        "client": "sever",
        "external_id": "API-1",
        "phone": "+79125550001",
        "work_type": "oil",
        "technician": "GS-T01",
        "completed_at": completed.isoformat(),
        "amount": "3200.00",
        "customer_name": "Анна Смирнова",
    }
    sent = httpx.post(
        url + "/api/v1/orders",
        json={"orders": [order]},
        headers={"Authorization": f"Bearer {secret}"},
        verify=tls,
        timeout=15,
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["results"][0]["status"] == "created"
    page.reload()
    expect(page.locator("tr", has_text="Shop system")).not_to_contain_text("never")

    # --- the shop's export through Orders → Import ----------------------------------------------
    nav.get_by_role("link", name="Orders").click()
    expect(page.get_by_role("heading", level=1, name="Import orders")).to_be_visible()
    assert_accessible(page)
    export = shop_export(tmp_path / "заказы.csv", completed)
    page.get_by_label("CSV or XLSX file").set_input_files(str(export))
    page.get_by_label("Client").select_option(label="Автосервис Север (sever)")
    page.get_by_role("button", name="Upload and choose columns").click()
    expect(page.get_by_role("heading", level=1, name="Choose the columns")).to_be_visible()
    expect(page.get_by_label("Телефон")).to_have_value("phone")
    expect(page.get_by_label("Дата закрытия")).to_have_value("completed_at")
    expect(page.get_by_label("Мастер")).to_have_value("technician")
    assert_accessible(page)
    shot(page, "columns")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Import of заказы.csv")
    run_path = re.search(r"/admin/orders/import/\d+$", page.url).group(0)

    # The import runs in a thread of the worker that queued it (Redis is unreachable), while the
    # page asks for its progress; behind a load balancer any worker answers. Asked over new
    # connections, both workers tell the same story as it goes.
    cookies = {
        "session": next(c for c in page.context.cookies() if c["name"] == "session")["value"]
    }
    probes: list[tuple[int, bool]] = []  # (rows read, finished) as each probe was answered
    deadline = time.monotonic() + 30
    while not probes or not probes[-1][1]:
        with httpx.Client(cookies=cookies, verify=tls, timeout=15) as fresh:
            answer = fresh.get(
                f"{url}{run_path}?probe={len(probes)}", headers={"HX-Request": "true"}
            )
        assert answer.status_code == 200
        read = re.search(r"(\d[\d,]*) (?:of about [\d,]+ rows|rows? read)", answer.text)
        probes.append((int(read.group(1).replace(",", "")), not STILL_POLLING.search(answer.text)))
        assert time.monotonic() < deadline, f"the import did not end: {probes[-3:]}"
        time.sleep(0.05)
    rows_read = [read for read, _done in probes]
    assert rows_read == sorted(rows_read) and rows_read[-1] == MONTH_OF_ORDERS + 3
    importer = served_by(deployed.log, f"POST {run_path}/columns ")
    assert len(importer) == 1
    assert (
        f"import run {run_path.rsplit('/', 1)[1]} runs in this process" in deployed.log.read_text()
    )
    # Which worker answered each probe (from the access log, written once the answer is out).
    answered = {}
    for _attempt in range(50):
        answered = {
            int(m.group(2)): m.group(1)
            for m in re.finditer(
                r'^pid=<(\d+)> "GET \S+\?probe=(\d+) ', deployed.log.read_text(), re.M
            )
        }
        if len(answered) == len(probes):
            break
        time.sleep(0.1)
    during = {answered[i] for i, (_read, done) in enumerate(probes) if not done}
    assert during - set(importer), (
        f"no probe reached the other worker while the import ran: {probes}"
    )

    expect(page.locator("#import-bar")).to_have_attribute("value", "100", timeout=20_000)
    expect(page.locator("#import-created")).to_have_text(f"{MONTH_OF_ORDERS + 2:,}")
    expect(page.locator("#import-rejected")).to_have_text("1")
    bad_row = "line 3, Телефон: 12345 is not a valid phone number"
    expect(page.locator("#import-errors")).to_have_text(bad_row)
    assert_accessible(page)
    shot(page, "import-done")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the 1 rejected row (CSV)").click()
    rows = Path(download.value.path()).read_bytes().decode("cp1251").splitlines()
    assert rows[1].startswith("Z-102;Ольга Ли;12345;") and rows[1].endswith(bad_row)

    # Done, the result and the rejected rows read the same from either worker.
    workers: set[str] = set()
    for _attempt in range(40):
        with httpx.Client(cookies=cookies, verify=tls, timeout=15) as fresh:
            result = fresh.get(url + run_path)
            rejected = fresh.get(url + run_path + "/rejected.csv")
        assert result.status_code == 200 and bad_row in result.text
        assert rejected.content.decode("cp1251").splitlines()[1].endswith(bad_row)
        workers = set(served_by(deployed.log, f"GET {run_path} "))
        if len(workers) == 2:
            break
    assert len(workers) == 2, deployed.log_tail()

    # --- the call list -----------------------------------------------------------------------
    # The scheduler adds calls every 5 minutes: the web process's own without Redis, `flask
    # cron` through the queue with it (down here, so nothing would until it is back). What an
    # admin does not to wait: the same command by hand (README, "Call scripts").
    generated = subprocess.run(
        [str(BIN / "flask"), "calls", "generate"],
        cwd=ROOT,
        env=environment(deployed.database_url, **settings),
        check=True,
        capture_output=True,
        text=True,
    )
    calls = MONTH_OF_ORDERS + 3  # the API's order and the file's good rows
    assert generated.stdout.startswith(f"{calls} calls added to the list"), generated.stdout

    context = browser.new_context(locale="en-GB", ignore_https_errors=True)
    try:
        vera = context.new_page()
        sign_in(vera, url, people.qc[0], "Calls")  # now an operator
        expect(vera.locator(".start-due")).to_have_text(f"{calls:,} calls are due now")
        assert_accessible(vera)
        shot(vera, "calls")
        vera.get_by_role("button", name="Next call").click()
        customers = re.compile(r"Анна Смирнова|Иван Петров|Борис Орлов|Клиент \d+")
        expect(vera.get_by_role("heading", level=1)).to_have_text(customers)
        expect(vera.get_by_text("Автосервис Север").first).to_be_visible()
        shot(vera, "call")
    finally:
        context.close()

    assert page.console_errors == []
    engine = sa.create_engine(deployed.database_url)
    with engine.connect() as db:
        orders = set(db.scalars(sa.text("SELECT external_id FROM orders")))
    engine.dispose()
    assert len(orders) == calls and {"API-1", "Z-101", "Z-103"} <= orders
    log = deployed.log.read_text()
    assert "Traceback" not in log
    posts = re.findall(r'^pid=<\d+> "POST (\S+) [^"]*" (\d+)$', log, re.MULTILINE)
    assert len(posts) == 12 and [p for p in posts if int(p[1]) >= 400] == []  # CSRF passed
    assert not re.search(r'" 5\d\d$', log, re.MULTILINE)
