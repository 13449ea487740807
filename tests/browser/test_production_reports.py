"""In Chromium, against the console as it is deployed: gunicorn with 2 workers x 4 threads,
``CONSOLE_ENV=production`` over TLS (a certificate made for the test), the default SQLite, and a
Redis that is configured but unreachable. A supervisor opens Reports for last month: the
overview's top three problems and charts (each with its table) and its client filter (reload,
Back), the technicians' KPI with the repeat-repair bonus of every tier and its client filter,
one technician's explanation, and the KPI for payroll downloaded as CSV and XLSX through the
page's links; a Russian-speaking
supervisor gets the same payroll columns and role values; an operator is refused. Then many
requests for the overview and the downloads at once, while an operator submits calls: no 5xx,
no "database is locked". axe-core checks each page. The overview's work type and operator
filters over one month answer 500: an expected failure below, until they do not.

Last month's activity is made through the services a deployed console runs (calls claimed and
submitted, complaints classified and fined, repeat repairs confirmed, an anti-poaching case
confirmed), at last month's times.
"""

from __future__ import annotations

import contextlib
import csv
import io
import re
import ssl
import subprocess
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from openpyxl import load_workbook
from playwright.sync_api import expect

from console import ROOT, create_app
from console.models.catalog import calling_hours_every_day
from tests.browser.conftest import screenshot
from tests.browser.journeys import assert_accessible, sign_in
from tests.conftest import PASSWORD
from tests.deployed import (
    BASE_ANSWERS,
    BIN,
    SECRET,
    Deployed,
    Person,
    Seeded,
    autosave,
    environment,
    free_port,
    migrate,
    seed,
    serve,
    take_call,
)

pytestmark = [pytest.mark.browser, pytest.mark.deployed]

MOSCOW = ZoneInfo("Europe/Moscow")
ACCESS_LOG = "--access-logformat 'pid=%(p)s \"%(r)s\" %(s)s'"
PAYROLL_COLUMNS = [
    "technician",
    "client",
    "role",
    "surveys",
    "score",
    "complaints_valid",
    "repeat_repairs",
    "bonus_percent",
    "fines",
    "refunds",
]
# Names a spreadsheet would run as formulas if a download let it.
FORMULA = '=HYPERLINK("http://evil.example/pay","Pay")'
AT_NAME = "@evil"
SUPERVISOR = "supervisor@test.local"
RUSSIAN_SUPERVISOR = "nadzor@test.local"


@dataclass
class Reports:
    people: Seeded
    start: date  # last month, in the supervisors' zone (Moscow)
    end: date
    technicians: dict[str, int]  # name -> id
    north_id: int  # the second client
    service_id: int  # the work type of last month's orders
    operator_id: int  # who made last month's calls

    def query(self) -> str:
        return f"from={self.start.isoformat()}&to={self.end.isoformat()}"


def _answers(
    *,
    speed="5",
    service="good",
    quality="good",
    wrong=(),
    repeat="no",
    price="fair",
    contacts="no",
) -> dict:
    """The base script's answers as the call screen sends them to ``submit_call``."""
    answers = {
        "speed": {"options": [speed]},
        "service": {"options": [service]},
        "quality": {"options": [quality]},
        "repeat_visit": {"options": [repeat]},
        "price": {"options": [price]},
        "contacts": {"options": [contacts]},
    }
    if service == "bad":
        answers["service"]["text"] = "Shouted at me"
    if quality in ("mostly", "bad"):
        answers["what_wrong"] = {"options": list(wrong)}
    return answers


BEST = _answers()


def seed_last_month(database_url: str, people: Seeded) -> Reports:
    """Last month's calls (weeks 1-4 of it) and the month before's, through the services: each
    order completed four days before its call, the call claimed and submitted by the operator,
    QC's decisions a little later. A second client (roubles) for the filter. Two supervisors in
    Moscow, one reading in Russian; and calls due now, for an operator to work meanwhile."""
    from sqlalchemy import select

    from console.extensions import db
    from console.models import (
        ActionKind,
        Client,
        Complaint,
        ComplaintKind,
        Customer,
        CustomerPhone,
        Order,
        Role,
        Technician,
        TechnicianRole,
        User,
        Validity,
        WorkType,
        utcnow,
    )
    from console.services.calls import tasks
    from console.services.calls.generate import generate_due_calls
    from console.services.calls.submit import submit_call
    from console.services.complaints import poaching
    from console.services.complaints import workflow as qc_workflow
    from console.services.orders import repeat_repairs

    today = datetime.now(MOSCOW).date()
    end = today.replace(day=1) - timedelta(days=1)
    start = end.replace(day=1)
    before = (start - timedelta(days=1)).replace(day=15)

    def day(n: int) -> datetime:
        return datetime(start.year, start.month, n, 10, tzinfo=UTC)

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET})
    with app.app_context():
        password_hash = PasswordHasher().hash(PASSWORD)
        for email, locale in ((SUPERVISOR, None), (RUSSIAN_SUPERVISOR, "ru")):
            db.session.add(
                User(
                    email=email,
                    name=email.split("@")[0].title(),
                    password_hash=password_hash,
                    role=Role.SUPERVISOR,
                    timezone="Europe/Moscow",
                    locale=locale,
                )
            )
        garage = db.session.scalar(select(Client).where(Client.key == "garage"))
        north = Client(
            key="north",
            name="North Motors",
            country="RU",
            timezone="Europe/Moscow",
            currency="RUB",
            calling_hours=calling_hours_every_day(clock(0), clock(0)),  # round the clock
        )
        service = db.session.scalar(select(WorkType).where(WorkType.key == "service"))
        express = WorkType(key="express", name="Express", call_delay_days=0)
        crew = {"Ivan Petrov": db.session.get(Technician, people.technician_id)}
        for name, role, client in (
            ("Pyotr Master", TechnicianRole.SHOP_MASTER, garage),
            ("Olga Shop", TechnicianRole.SHOP_MASTER, garage),
            (FORMULA, TechnicianRole.MECHANIC, garage),
            (AT_NAME, TechnicianRole.SHOP_MASTER, garage),
            ("Сергей Орлов", TechnicianRole.MECHANIC, north),
        ):
            crew[name] = Technician(name=name, role=role, client=client)
        db.session.add_all([north, express, *crew.values()])
        db.session.commit()
        operator = db.session.scalar(select(User).where(User.email == people.operators[0]))
        qc = db.session.scalar(select(User).where(User.email == people.qc[0]))
        counter = iter(range(1000))

        def order(technician, completed, work_type=service, amount=Decimal("120.00")):
            n = next(counter)
            phone = f"+4420794699{n:02d}"
            customer = Customer(client=technician.client, name=f"Customer R{n}")
            customer.phones.append(CustomerPhone(e164=phone, is_primary=True))
            made = Order(
                client=technician.client,
                external_id=f"R-{n}",
                customer=customer,
                phone=phone,
                work_type=work_type,
                technician=technician,
                completed_at=completed,
                amount=amount,
            )
            db.session.add(made)
            db.session.commit()
            return made

        def call(name: str, at: datetime, answers: dict, amount=Decimal("120.00")):
            """One call about a new order of ``name``'s: its complaints."""
            made = order(crew[name], at - timedelta(days=4), amount=amount)
            generate_due_calls(now=at)
            task = tasks.claim_next_call(operator, now=at)
            assert task is not None and task.order_id == made.id
            submitted = submit_call(
                task.id,
                user=operator,
                lease_token=task.lease_token,
                submit_key=task.submit_key,
                answers=answers,
                now=at + timedelta(minutes=3),
            )
            db.session.commit()
            return made, submitted.complaints

        def confirm_repeat(made: Order, name: str, at: datetime) -> None:
            repeat_repairs.confirm(
                made, cause="workmanship", responsible_technician=crew[name], by=qc, now=at
            )
            db.session.commit()

        def fine(complaint: Complaint, name: str, amount: str, at: datetime) -> None:
            qc_workflow.classify(
                complaint, validity=Validity.VALID, reason="Confirmed.", by=qc, now=at
            )
            qc_workflow.set_cause(
                complaint, cause="workmanship", technician=crew[name], by=qc, now=at
            )
            qc_workflow.add_action(
                complaint, kind=ActionKind.FINE, amount=Decimal(amount), by=qc, now=at
            )
            db.session.commit()

        # The month before: price three times, quality and service once.
        for n, (name, answers) in enumerate(
            (
                ("Ivan Petrov", _answers(price="surprise")),
                ("Pyotr Master", _answers(price="surprise")),
                ("Olga Shop", _answers(price="surprise")),
                (AT_NAME, _answers(quality="bad")),
                ("Ivan Petrov", _answers(service="bad")),
            )
        ):
            call(name, datetime.combine(before, clock(10), UTC) + timedelta(hours=n), answers)

        # Last month: quality 4, price 3, punctuality 2, cleanliness 1, poaching 1.
        call("Ivan Petrov", day(3), BEST)
        call("Ivan Petrov", day(10), _answers(speed="1"))
        call("Ivan Petrov", day(17), BEST)
        call("Ivan Petrov", day(24) + timedelta(hours=1), BEST)
        made, (quality,) = call("Pyotr Master", day(3), _answers(quality="bad", repeat="yes"))
        confirm_repeat(made, "Pyotr Master", day(4))
        fine(quality, "Pyotr Master", "25.50", day(4))
        call("Pyotr Master", day(17), _answers(price="surprise"))
        made, _ = call(
            "Olga Shop", day(10), _answers(quality="mostly", wrong=["mess"], repeat="yes")
        )
        confirm_repeat(made, "Olga Shop", day(11))
        made, _ = call(
            "Olga Shop", day(24), _answers(quality="bad", wrong=["not_fixed"], repeat="yes")
        )
        confirm_repeat(made, "Olga Shop", day(25))
        made, (quality,) = call(FORMULA, day(17), _answers(quality="bad", repeat="yes"))
        confirm_repeat(made, FORMULA, day(18))
        fine(quality, FORMULA, "50.00", day(18))
        call(FORMULA, day(24), _answers(price="surprise"))
        call(AT_NAME, day(3) + timedelta(hours=1), BEST)
        call(AT_NAME, day(10) + timedelta(hours=1), BEST)
        call(AT_NAME, day(17) + timedelta(hours=1), _answers(speed="1", price="surprise"))
        made, _ = call("Сергей Орлов", day(3), _answers(quality="bad", repeat="yes"))
        confirm_repeat(made, "Сергей Орлов", day(4))
        made, made_complaints = call(
            "Сергей Орлов",
            day(24),
            _answers(repeat="yes", price="high", contacts="yes"),
            amount=Decimal("4350.50"),
        )
        confirm_repeat(made, "Сергей Орлов", day(25))
        (case,) = [c for c in made_complaints if c.kind == ComplaintKind.POACHING]
        qc_workflow.log_contact(
            case, summary="He did leave his number.", by=qc, now=day(24) + timedelta(hours=2)
        )
        poaching.confirm(case, by=qc, now=day(24) + timedelta(hours=3))
        db.session.commit()

        # Calls due now (this month), for the operator who works during the load.
        for _ in range(12):
            order(crew["Ivan Petrov"], utcnow() - timedelta(minutes=30), work_type=express)
        generate_due_calls()
        technicians = {name: t.id for name, t in crew.items()}
        ids = north.id, service.id, operator.id
    return Reports(people, start, end, technicians, *ids)


@dataclass
class Production:
    deployed: Deployed
    reports: Reports
    trust: ssl.SSLContext  # trusts the test's certificate
    settings: dict[str, str]  # the environment it runs with, for a `flask` command beside it

    def flask(self, *args: str) -> str:
        """A `flask` command in the console's folder with its environment, as an admin runs
        one on the server."""
        return subprocess.run(
            [str(BIN / "flask"), *args],
            cwd=ROOT,
            env=environment(self.deployed.database_url, **self.settings),
            check=True,
            capture_output=True,
            text=True,
        ).stdout


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    folder = tmp_path_factory.mktemp("production-reports")
    database_url = f"sqlite:///{folder / 'console.db'}"
    migrate(database_url)
    people = seed(database_url, operators=1, qc=1, calls=0)
    reports = seed_last_month(database_url, people)
    settings = {
        "CONSOLE_ENV": "production",
        "REDIS_URL": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
    }
    with serve(
        folder, database_url, tls=True, GUNICORN_CMD_ARGS=ACCESS_LOG, **settings
    ) as deployed:
        trust = ssl.create_default_context(cafile=str(folder / "cert.pem"))
        yield Production(deployed, reports, trust, settings)


@contextlib.contextmanager
def _people(deployed, trust: ssl.SSLContext, emails: list[str]):
    """Signed-in ``Person``s over HTTPS, one per email (their statuses and problems shared);
    their connections closed afterwards."""
    statuses, problems = Counter(), []
    people = [Person(deployed.url, statuses, problems, verify=trust) for _ in emails]
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(Person.sign_in, people, emails))
        assert problems == [], problems
        yield people, statuses, problems
    finally:
        for person in people:
            person.http.close()


def _log_since(deployed, offset: int) -> str:
    """What gunicorn logged since ``offset`` (the tests share one server)."""
    return deployed.log.read_text(errors="replace")[offset:]


def _csv_rows(body: bytes) -> list[dict]:
    assert body.startswith(b"\xef\xbb\xbf"), body[:20]  # the BOM: Excel reads it as UTF-8
    text = body.decode("utf-8-sig")
    assert "\r\n" in text  # RFC 4180 line ends
    return list(csv.DictReader(io.StringIO(text)))


def _xlsx_rows(body: bytes) -> tuple[list[str], list[list]]:
    """The sheet's header and rows; none of its cells is a formula (text is a string cell)."""
    sheet = load_workbook(io.BytesIO(body)).active
    formulas = [c.coordinate for row in sheet.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return rows[0], rows[1:]


def _same_rows(csv_rows: list[dict], header: list[str], xlsx_rows: list[list]) -> None:
    """The XLSX holds the CSV's rows: the same text (unescaped: a string cell never runs) and
    the same numbers."""
    assert len(header) == len(csv_rows[0]) and len(xlsx_rows) == len(csv_rows)
    for line, cells in zip(csv_rows, xlsx_rows, strict=True):
        for value, cell in zip(line.values(), cells, strict=True):
            if cell is None:
                assert value == ""
            elif isinstance(cell, str):
                escaped = "'" + cell if cell[:1] in ("=", "+", "-", "@") else cell
                assert value == escaped
            else:
                assert Decimal(value) == Decimal(str(cell)), (value, cell)


def test_a_supervisor_reads_last_months_reports_and_downloads_the_payroll(production, tab):
    deployed, reports = production.deployed, production.reports
    offset = len(deployed.log.read_text(errors="replace"))
    page = tab
    url = deployed.url
    ids = reports.technicians
    answered: list[tuple[str, str, int, bool]] = []
    page.on(
        "response",
        lambda r: answered.append(
            (r.request.method, r.url, r.status, "hx-request" in r.request.headers)
        ),
    )

    sign_in(page, url, SUPERVISOR, "Live board")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    expect(page.get_by_role("heading", level=1, name="Reports overview")).to_be_visible()
    page.get_by_role("textbox", name="From", exact=True).fill(reports.start.isoformat())
    page.get_by_role("textbox", name="To", exact=True).fill(reports.end.isoformat())
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(re.escape(reports.query())))

    # The call and order figures are running totals a periodic job adds up. With Redis
    # configured but down nothing runs it (`flask cron` queues it; the web process runs it only
    # without Redis): for two minutes the page says the figures wait, then it reads the hours
    # the job left from the rows; either way it never shows waiting figures as final.
    share = page.locator('[data-stat="dissatisfied-share"]')
    if share.inner_text() != "60.0%":
        expect(page.locator("#ov-counting")).to_be_visible()
        screenshot(page, "production-reports-overview-waiting")
    # What an admin does not to wait (README, "Reports"): count them by hand.
    assert "hours counted" in production.flask("reports", "recount")
    page.reload()
    expect(page.locator("#ov-counting")).to_have_count(0)

    # The top three problems of the month against the month before.
    top = page.locator("ol.top-problems > li")
    expect(top).to_have_count(3)
    expect(top.nth(0)).to_have_attribute("data-category", "quality")
    expect(top.nth(0)).to_contain_text("4")
    expect(top.nth(0)).to_contain_text("previous period: 1")
    expect(top.nth(1)).to_have_attribute("data-category", "price")
    expect(top.nth(1)).to_contain_text("previous period: 3")
    expect(top.nth(2)).to_have_attribute("data-category", "punctuality")
    expect(top.nth(2)).to_contain_text("+2")
    # Every chart is an SVG image with a name, and its figures are in a table beside it.
    charts = page.locator("svg.chart[role=img]")
    expect(charts).to_have_count(7)
    for n in range(7):
        chart = charts.nth(n)
        title = chart.locator("title").first.text_content()
        expect(page.get_by_role("img", name=title)).to_be_visible()
        table = chart.locator("xpath=ancestor::section[1]").locator("table[data-table]")
        expect(table.locator("caption")).not_to_be_empty()
        assert table.locator("tbody tr").count() > 0, title
    weeks = page.locator('table[data-table="satisfaction"] tbody tr')
    assert weeks.count() >= 4  # the month's weeks: the line has a shape
    # Nine of the month's fifteen calls opened a complaint (a poaching case is not one).
    expect(page.locator('[data-stat="dissatisfied-share"]')).to_have_text("60.0%")
    expect(page.locator(".report-stats")).to_contain_text("9 of 15 completed calls")
    assert_accessible(page)
    screenshot(page, "production-reports-overview")

    # The client filter: a GET form, so the address holds it (reload, Back, a link to share).
    page.get_by_label("Client").select_option(label="North Motors")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"client={reports.north_id}(&|$)"))
    expect(page.get_by_label("Client")).to_have_value(str(reports.north_id))
    expect(top).to_have_count(1)  # North's one quality complaint (its poaching case apart)
    expect(top.first).to_have_attribute("data-category", "quality")
    expect(share).to_have_text("50.0%")  # one of Сергей's two calls
    page.reload()
    expect(share).to_have_text("50.0%")
    assert_accessible(page)
    page.go_back()
    expect(share).to_have_text("60.0%")
    expect(page.get_by_label("Client")).to_have_value("")  # not the choice left behind

    # Technicians: the KPI and the bonus of each tier, for the same month.
    page.get_by_role("navigation", name="Reports").get_by_role("link", name="Technicians").click()
    expect(page.get_by_role("heading", level=1, name="Technicians")).to_be_visible()
    expect(page).to_have_url(re.compile(re.escape(reports.query())))
    expected = {  # name: (repeat repairs, bonus): every tier of both roles
        "Ivan Petrov": ("0", "10 %"),  # mechanic
        FORMULA: ("1", "0 %"),  # mechanic
        "Сергей Орлов": ("2", "0 %"),  # mechanic
        AT_NAME: ("0", "10 %"),  # shop master
        "Pyotr Master": ("1", "5 %"),  # shop master
        "Olga Shop": ("2", "0 %"),  # shop master
    }
    for name, (repeats, bonus) in expected.items():
        row = page.locator(f'tr[data-technician="{ids[name]}"]')
        expect(row.get_by_role("link", name=name, exact=True)).to_be_visible()
        expect(row.locator('[data-col="repeats"]')).to_have_text(repeats)
        expect(row.locator('[data-col="bonus"]')).to_have_text(bonus)
    ivan = page.locator(f'tr[data-technician="{ids["Ivan Petrov"]}"]')
    expect(ivan.locator('[data-col="score"]')).to_have_text("96.88")
    expect(ivan.locator("td").first).to_have_text("1")  # the best score of the month
    formula = page.locator(f'tr[data-technician="{ids[FORMULA]}"]')
    expect(formula.locator('[data-col="fines"]')).to_have_text("£50.00")
    assert_accessible(page)
    screenshot(page, "production-reports-technicians")

    # The client filter: a GET form, so the address holds it (reload, back, a link to share).
    page.get_by_label("Client").select_option(label="North Motors")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(rf"client={reports.north_id}(&|$)"))
    expect(page.get_by_label("Client")).to_have_value(str(reports.north_id))
    expect(page.locator("tr[data-technician]")).to_have_count(1)
    sergey = page.locator(f'tr[data-technician="{ids["Сергей Орлов"]}"]')
    expect(sergey.locator('[data-col="refunds"]')).to_contain_text("4,350.50")
    page.reload()
    expect(page.locator("tr[data-technician]")).to_have_count(1)
    assert_accessible(page)
    screenshot(page, "production-reports-technicians-north")
    page.go_back()
    expect(page.locator("tr[data-technician]")).to_have_count(len(ids))
    expect(page.get_by_label("Client")).to_have_value("")

    # One technician's explanation: the answers that cost points, the repeat repairs counted.
    page.get_by_role("link", name="Olga Shop", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Olga Shop")).to_be_visible()
    expect(page.locator('[data-stat="score"]')).to_contain_text("61.25")
    lost = page.locator("#score tbody tr")
    expect(page.locator('tr[data-question="quality"] [data-col="lost"]')).to_have_text("26.25")
    expect(page.locator('tr[data-question="repeat_visit"] [data-col="lost"]')).to_have_text("12.5")
    assert lost.count() >= 2
    calls = page.locator("#calls tbody tr")
    expect(calls).to_have_count(2)
    expect(calls.nth(0).locator("td").nth(2)).to_have_text("50")  # the worst call first
    expect(calls.nth(0)).to_contain_text("How satisfied are you with the quality of the work?")
    expect(page.locator("#repeats tbody tr")).to_have_count(2)
    expect(page.locator('[data-tier="current"]')).to_have_text("2 or more → 0 %")
    assert_accessible(page)
    screenshot(page, "production-reports-explanation")

    # The payroll download, through the page's links.
    page.get_by_role("link", name="All technicians").click()
    expect(page.get_by_role("heading", level=1, name="Technicians")).to_be_visible()
    stem = f"technician-kpi-{reports.start.isoformat()}-{reports.end.isoformat()}"
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    assert download.value.suggested_filename == f"{stem}.csv"
    csv_body = Path(download.value.path()).read_bytes()
    lines = _csv_rows(csv_body)
    assert set(PAYROLL_COLUMNS) <= set(lines[0])  # the documented columns, by key
    by_name = {line["technician"]: line for line in lines}
    assert "'" + FORMULA in by_name and "'" + AT_NAME in by_name  # shown, never run
    assert FORMULA not in by_name and AT_NAME not in by_name
    assert {line["role"] for line in lines} == {"mechanic", "shop_master"}
    for name, (repeats, bonus) in expected.items():
        line = by_name["'" + name if name in (FORMULA, AT_NAME) else name]
        assert (line["repeat_repairs"], line["bonus_percent"] + " %") == (repeats, bonus), name
    assert by_name["Ivan Petrov"]["score"] == "96.88"
    assert by_name["'" + FORMULA]["fines"] == "50.00"
    assert by_name["'" + FORMULA]["complaints_valid"] == "1"
    assert by_name["Pyotr Master"]["fines"] == "25.50"
    assert by_name["Сергей Орлов"]["refunds"] == "4350.50"  # the anti-poaching refund
    assert by_name["Сергей Орлов"]["client"] == "North Motors"

    with page.expect_download() as download:
        page.get_by_role("link", name="XLSX", exact=True).click()
    assert download.value.suggested_filename == f"{stem}.xlsx"
    header, cells = _xlsx_rows(Path(download.value.path()).read_bytes())
    assert header[:3] == ["Technician", "Client", "Role"]  # the page's labels
    _same_rows(lines, header, cells)

    # What the server said with them: an attachment that no shared cache keeps.
    for fmt, kind in (("csv", "text/csv; charset=utf-8"), ("xlsx", "spreadsheetml.sheet")):
        got = page.context.request.get(f"{url}/reports/technicians?{reports.query()}&format={fmt}")
        assert got.status == 200
        assert got.headers["content-disposition"] == f'attachment; filename="{stem}.{fmt}"'
        assert kind in got.headers["content-type"]
        assert "no-store" in got.headers["cache-control"]
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "max-age=" in got.headers["strict-transport-security"]

    top_csv = page.context.request.get(
        f"{url}/reports/?{reports.query()}&table=top-problems&format=csv"
    )
    assert "no-store" in top_csv.headers["cache-control"]
    top_rows = _csv_rows(top_csv.body())
    assert [(r["category"], r["complaints"]) for r in top_rows] == [
        ("quality", "4"),
        ("price", "3"),
        ("punctuality", "2"),
    ]

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    bad = [a for a in answered if a[2] >= 400]
    assert bad == [], bad
    htmx = [a for a in answered if a[3]]
    assert htmx and all(status == 200 for _m, _u, status, _h in htmx), htmx
    assert page.console_errors == []
    log = _log_since(deployed, offset)
    assert "Traceback" not in log
    posts = re.findall(r'^pid=<\d+> "POST (\S+) [^"]*" (\d+)$', log, re.MULTILINE)
    assert posts and all(status in ("302", "303") for _path, status in posts), posts


def test_the_overview_filters_last_month_by_work_type_and_operator(production):
    reports = production.reports
    with _people(production.deployed, production.trust, [SUPERVISOR]) as ((reader,), _, problems):
        for name, value in (("work_type", reports.service_id), ("operator", reports.operator_id)):
            reader.send("GET", f"/reports/?{reports.query()}&{name}={value}", (200,))
            reader.send(
                "GET",
                f"/reports/?{reports.query()}&{name}={value}&table=first-time-fix&format=csv",
                (200,),
            )
    assert [(path, status) for _m, path, status, _t in problems] == []


def test_the_payroll_columns_and_roles_are_the_same_in_russian(production):
    deployed, reports, trust = production.deployed, production.reports, production.trust
    with _people(deployed, trust, [RUSSIAN_SUPERVISOR]) as ((nadzor,), _statuses, problems):
        base = f"/reports/technicians?{reports.query()}"
        page = nadzor.page(base)
        assert '<html lang="ru"' in page and "Мастер цеха" in page  # the page is in Russian
        lines = _csv_rows(nadzor.send("GET", base + "&format=csv", (200,)).content)
        header, cells = _xlsx_rows(nadzor.send("GET", base + "&format=xlsx", (200,)).content)
    assert set(PAYROLL_COLUMNS) <= set(lines[0])
    assert {line["role"] for line in lines} == {"mechanic", "shop_master"}
    assert header[:3] == ["Мастер", "Заказчик", "Роль"]  # the XLSX shows the page's labels
    _same_rows(lines, header, cells)
    assert problems == [], problems


def test_an_operator_is_refused_the_reports_and_their_downloads(production):
    deployed, reports, trust = production.deployed, production.reports, production.trust
    with _people(deployed, trust, reports.people.operators) as ((operator,), _s, problems):
        for path in (
            "/reports/",
            f"/reports/?{reports.query()}&table=funnel&format=csv",
            f"/reports/technicians?{reports.query()}&format=csv",
            f"/reports/technicians?{reports.query()}&format=xlsx",
            f"/reports/technicians/{reports.technicians['Ivan Petrov']}?{reports.query()}",
        ):
            refused = operator.send("GET", path, (403,))
            assert "content-disposition" not in refused.headers, path
            assert "Ivan Petrov" not in refused.text
    assert problems == [], problems


def test_the_reports_hold_many_readers_at_once_beside_an_operator(production):
    deployed, reports, trust = production.deployed, production.reports, production.trust
    offset = len(deployed.log.read_text(errors="replace"))
    q = reports.query()
    paths = [
        f"/reports/?{q}",
        f"/reports/?{q}&client={reports.north_id}",  # from the running totals
        f"/reports/?{q}&technician={reports.technicians['Olga Shop']}",  # from the rows
        f"/reports/technicians?{q}&format=csv",
        f"/reports/technicians?{q}",
        f"/reports/?{q}&table=complaints-by-category&format=csv",
        f"/reports/technicians?{q}&format=xlsx",
        f"/reports/technicians/{reports.technicians['Olga Shop']}?{q}",
    ]
    reads = 12 * len(paths)
    done = threading.Event()
    submitted = Counter()
    timings: list[float] = []
    emails = [SUPERVISOR] * 4 + reports.people.operators
    with _people(deployed, trust, emails) as (people, statuses, problems):
        *readers, operator = people

        def work_calls() -> None:
            """An operator submits calls meanwhile: the writes the readers share SQLite with."""
            while not done.is_set():
                call = take_call(operator)
                if call is None:
                    return
                autosave(operator, call, 1, {"q-speed": "4"})
                operator.post(
                    call.submit_url,
                    (200, 303),
                    token=call.token,
                    submit_key=call.submit_key,
                    **BASE_ANSWERS,
                )
                submitted["calls"] += 1

        def read(n: int) -> None:
            person, path = readers[n % len(readers)], paths[n % len(paths)]
            began = time.monotonic()
            answer = person.send("GET", path, (200,))
            timings.append(time.monotonic() - began)
            if "format=csv" in path:
                assert answer.content.startswith(b"\xef\xbb\xbf")

        writer = threading.Thread(target=work_calls)
        writer.start()
        try:
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(read, range(reads), timeout=120))
        finally:
            done.set()
            writer.join(timeout=60)
    assert problems == [], problems[:3]
    assert statuses[200] >= reads and not any(code >= 500 for code in statuses), statuses
    assert submitted["calls"] >= 1
    log = _log_since(deployed, offset)
    assert "database is locked" not in log
    assert "Traceback" not in log
    assert not re.search(r'" 5\d\d$', log, re.MULTILINE)
    timings.sort()
    print(  # noqa: T201 (what the run measured, in -s output)
        f"reports under load: {len(timings)} requests, "
        f"median {timings[len(timings) // 2]:.2f} s, max {timings[-1]:.2f} s, "
        f"{submitted['calls']} calls submitted meanwhile"
    )
