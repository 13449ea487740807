"""``GET /api/v1/technicians/kpi``: the technicians' KPI for payroll's programs, with the
``reports:read`` scope; the same figures as the page's payroll CSV for the same period, taken in
whole UTC days; bad periods and clients refused by field, in English."""

from __future__ import annotations

import csv
import html
import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from jsonschema import Draft202012Validator

from console.models import (
    ActionKind,
    Client,
    ComplaintAction,
    Role,
    TechnicianRole,
    Validity,
    utcnow,
)
from console.services.reports import kpi_export
from tests.api.conftest import bearer
from tests.helpers import on_both_databases
from tests.reports.test_kpi import (  # noqa: F401 (fixtures)
    _confirm_repeat,
    survey,
    technician,
    version,
)

URL = "/api/v1/technicians/kpi"
NOVEMBER = {"from": "2026-11-01", "to": "2026-11-30"}
MID_NOV = datetime(2026, 11, 15, 9, 0, tzinfo=UTC)


def _validator(client, name: str) -> Draft202012Validator:
    """A validator for one of the document's schemas, its references resolved in it."""
    document = client.get("/api/v1/openapi.json").json
    return Draft202012Validator(
        {"$ref": f"#/components/schemas/{name}", "components": document["components"]}
    )


@pytest.fixture
def reports_token(make_token):
    return bearer(make_token("reports:read", name="Payroll"))


# --- who may read it ---------------------------------------------------------------------------


def test_no_token_is_401_and_a_token_without_reports_read_is_403(client, make_token):
    refused = client.get(URL)
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert refused.json["error"]
    for scope in ("complaints:read", "orders:write", "telephony"):
        other = client.get(URL, headers=bearer(make_token(scope)))
        assert other.status_code == 403, scope
        assert "reports:read" in other.json["error"]  # names the scope it needs
    # The KPI token reads the KPI and nothing else.
    payroll = bearer(make_token("reports:read"))
    assert client.get(URL, headers=payroll).status_code == 200
    assert client.get("/api/v1/complaints", headers=payroll).status_code == 403
    assert client.post("/api/v1/orders", json={"orders": []}, headers=payroll).status_code == 403


def test_the_scope_is_given_out_by_the_cli_and_the_admin_page(runner, client, login_as, make_user):
    help_text = runner.invoke(args=["api-token", "create", "--help"]).output
    assert "reports:read" in help_text and "/api/v1/technicians/kpi" in help_text
    made = runner.invoke(args=["api-token", "create", "Payroll", "--scope", "reports:read"])
    assert made.exit_code == 0, made.output
    secret = made.output.strip().splitlines()[-1]
    assert client.get(URL, headers=bearer(secret)).status_code == 200

    for locale, label in (
        ("en", "Read reports: technicians' KPI (payroll)"),
        ("ru", "Читать отчёты: KPI мастеров (расчёт зарплаты)"),
    ):
        login_as(make_user(Role.ADMIN, locale=locale))
        page = html.unescape(client.get("/admin/api-tokens").get_data(as_text=True))
        assert 'value="reports:read"' in page and label in page, locale
        client.post("/logout")


# --- the figures -------------------------------------------------------------------------------


@pytest.fixture
def november(db, technician, make_order, survey, open_complaint):  # noqa: F811
    """November 2026 with answers worked out by hand (the script of tests/reports/test_kpi.py:
    overall weight 3, price 1, extras 2)."""
    beta = Client(key="beta", name="Beta Service", timezone="Europe/Berlin", currency="EUR")
    db.session.add(beta)
    petr = technician("Petr Master", TechnicianRole.SHOP_MASTER, external_id="M-1")
    max_ = technician("Max Mechanic", TechnicianRole.MECHANIC, external_id="T-2")
    bea = technician("Bea Beta", TechnicianRole.MECHANIC, beta)

    # Petr: overall good (3 of 3); overall mostly (1.8 of 3) and price fair (0.8 of 1):
    # 5.6 ÷ 7 = 80.00. The evening of 31 October UTC is the month before (60.00), though it is
    # already 1 November in Moscow; 1 December 00:30 UTC is after the period.
    petr_order = make_order(technician=petr)
    survey(petr_order, {"overall": ["good"]}, MID_NOV)
    survey(petr_order, {"overall": ["mostly"], "price": ["fair"]}, MID_NOV + timedelta(days=1))
    survey(petr_order, {"overall": ["mostly"]}, datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    survey(petr_order, {"overall": ["bad"]}, datetime(2026, 12, 1, 0, 30, tzinfo=UTC))
    _confirm_repeat(make_order, petr, MID_NOV)  # a shop master with 1: 5 %
    quality = open_complaint(
        order=make_order(technician=petr), category="quality", created_at=MID_NOV
    )
    quality.validity = Validity.VALID
    open_complaint(order=make_order(technician=petr), category="punctuality", created_at=MID_NOV)
    db.session.add(
        ComplaintAction(
            complaint=quality,
            kind=ActionKind.FINE,
            amount=Decimal("1500.50"),
            charged_technician=petr,
            created_at=MID_NOV,
        )
    )
    # Max: overall bad (0 of 3), extras tidy + quick (2 of 2): 2 ÷ 5 = 40.00; no repeat: 10 %.
    survey(make_order(technician=max_), {"overall": ["bad"], "extras": ["tidy", "quick"]}, MID_NOV)
    # Bea (Beta, in euros): 100.00, two repeat repairs (a mechanic's 0 %), a refund.
    bea_order = make_order(technician=bea, client=beta)
    survey(bea_order, {"overall": ["good"]}, MID_NOV)
    _confirm_repeat(make_order, bea, MID_NOV)
    _confirm_repeat(make_order, bea, MID_NOV + timedelta(days=2))
    refunded = open_complaint(order=bea_order, category="quality", created_at=MID_NOV)
    db.session.add(
        ComplaintAction(
            complaint=refunded,
            kind=ActionKind.REFUND,
            amount=Decimal("200"),
            charged_technician=bea,
            created_at=MID_NOV,
        )
    )
    db.session.commit()
    return petr, max_, bea


@on_both_databases
def test_a_constructed_month_gives_the_figures_worked_out_by_hand(client, reports_token, november):
    petr, max_, bea = november
    response = client.get(URL, query_string=NOVEMBER, headers=reports_token)
    assert response.status_code == 200
    body = response.json
    assert body["period"] == {
        "from": "2026-11-01",
        "to": "2026-11-30",
        "time_zone": "UTC",
        "previous": {"from": "2026-10-01", "to": "2026-10-31"},
    }
    assert [t["technician"] for t in body["technicians"]] == [
        "Bea Beta",
        "Petr Master",
        "Max Mechanic",
    ]
    by_id = {t["technician_id"]: t for t in body["technicians"]}
    assert by_id[petr.id] == {
        "technician": "Petr Master",
        "client": "Acme Auto",
        "role": "shop_master",
        "surveys": 2,
        "score": 80.0,
        "rank": 2,
        "score_change": 20.0,
        "complaints_opened": 2,
        "complaints_valid": 1,
        "repeat_repairs": 1,
        "bonus_percent": 5,
        "fines": "1500.50",
        "refunds": "0.00",
        "currency": "RUB",
        "technician_id": petr.id,
        "technician_external_id": "M-1",
        "client_key": "acme",
        "previous_score": 60.0,
        "previous_rank": 1,
        "rank_change": -1,
        "complaints_by_category": {
            "punctuality": {"opened": 1, "valid": 0},
            "quality": {"opened": 1, "valid": 1},
        },
    }
    mx = by_id[max_.id]
    assert (mx["score"], mx["rank"], mx["bonus_percent"], mx["surveys"]) == (40.0, 3, 10, 1)
    assert (mx["score_change"], mx["previous_score"], mx["rank_change"]) == (None, None, None)
    assert (mx["technician_external_id"], mx["complaints_by_category"]) == ("T-2", {})
    b = by_id[bea.id]
    assert (b["score"], b["rank"], b["repeat_repairs"], b["bonus_percent"]) == (100.0, 1, 2, 0)
    assert (b["refunds"], b["fines"], b["currency"]) == ("200.00", "0.00", "EUR")
    assert (b["client"], b["client_key"], b["technician_external_id"]) == (
        "Beta Service",
        "beta",
        None,
    )
    assert _validator(client, "TechnicianKpiReport").is_valid(body)


@on_both_databases
def test_the_api_gives_what_the_payroll_csv_gives_for_the_same_period(
    client, reports_token, november, login_as, make_user
):
    login_as(make_user(Role.SUPERVISOR, timezone="UTC"))
    download = client.get("/reports/technicians", query_string={**NOVEMBER, "format": "csv"})
    assert download.status_code == 200
    rows = list(csv.DictReader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert tuple(rows[0]) == kpi_export.PAYROLL_KEYS
    client.post("/logout")
    api = client.get(URL, query_string=NOVEMBER, headers=reports_token).json["technicians"]
    assert len(api) == len(rows) == 3

    def same(csv_value: str, api_value) -> bool:
        if api_value is None:
            return csv_value == ""
        if isinstance(api_value, str):
            return csv_value == api_value
        return Decimal(csv_value) == Decimal(str(api_value))

    for line, row in zip(api, rows, strict=True):
        assert all(same(row[key], line[key]) for key in kpi_export.PAYROLL_KEYS), (row, line)


def test_without_dates_it_is_last_month_in_utc(client, reports_token):
    today = utcnow().date()
    last = today.replace(day=1) - timedelta(days=1)
    period = client.get(URL, headers=reports_token).json["period"]
    assert (period["from"], period["to"]) == (last.replace(day=1).isoformat(), last.isoformat())


def test_the_client_filter_keeps_its_technicians_and_their_ranks_among_all(
    client, reports_token, november
):
    _petr, _max, bea = november
    beta = client.get(URL, query_string={**NOVEMBER, "client": "beta"}, headers=reports_token)
    assert [t["technician_id"] for t in beta.json["technicians"]] == [bea.id]
    acme = client.get(URL, query_string={**NOVEMBER, "client": "acme"}, headers=reports_token)
    assert [(t["technician"], t["rank"]) for t in acme.json["technicians"]] == [
        ("Petr Master", 2),
        ("Max Mechanic", 3),
    ]


# --- refused queries ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "fields"),
    [
        ({"from": "yesterday", "to": "2026-11-30"}, {"from"}),
        ({"from": "2026-11-31", "to": "2026-12-01"}, {"from"}),
        ({"from": "2026-11-30", "to": "2026-11-01"}, {"to"}),
        ({"from": "2025-01-01", "to": "2026-11-30"}, {"to"}),  # longer than 366 days
        ({"from": "2026-11-01"}, {"to"}),
        ({"to": "2026-11-30"}, {"from"}),
        ({"from": "0001-01-01", "to": "0001-01-31"}, {"from", "to"}),
        ({"from": "9999-12-31", "to": "9999-12-31"}, {"from", "to"}),
        ({**NOVEMBER, "client": "nobody"}, {"client"}),
        ({**NOVEMBER, "client": " "}, {"client"}),
        ({"from": "x", "to": "y", "client": "k" * 65}, {"from", "to", "client"}),
    ],
)
def test_bad_periods_and_clients_are_400_naming_each_field_in_english(
    client, reports_token, db, query, fields
):
    db.session.add(Client(key="acme", name="Acme Auto", timezone="Europe/Moscow"))
    db.session.commit()
    headers = {**reports_token, "Accept-Language": "ru"}
    response = client.get(URL, query_string=query, headers=headers)
    assert response.status_code == 400
    assert response.json["error"] == "Some query parameters could not be read."
    assert set(response.json["fields"]) == fields
    assert all(message.isascii() for message in response.json["fields"].values())


@pytest.mark.parametrize(
    "query",
    [
        {"from": "9" * 100_000, "to": "2026-11-30"},
        {"from": "2026-11-01", "to": "2026-11-30", "client": "ä" * 50_000},
        {"from": "２０２６-１１-０１", "to": "2026-11-30"},
        {"from": "2026-11-01T00:00:00", "to": "2026-11-30"},
        {"from": "-2026-11-01", "to": "+2026-11-30"},
        {"from": "2026-11-01\x00", "to": "2026-11-30"},
        {"from": "1900-01-01", "to": "1900-01-01"},  # its previous period is in 1899
        {"from": "9998-12-31", "to": "9998-12-31"},
        {"client": "'; DROP TABLE technicians; --"},
    ],
)
@on_both_databases
def test_huge_and_odd_queries_are_answered_without_a_server_error(client, reports_token, query):
    response = client.get(URL, query_string=query, headers=reports_token)
    assert response.status_code in (200, 400), response.get_data(as_text=True)[:300]
    assert response.is_json and ("technicians" in response.json or "error" in response.json)


def test_the_documents_example_is_an_answer_of_this_api(client):
    document = client.get("/api/v1/openapi.json").json
    operation = document["paths"]["/technicians/kpi"]["get"]
    assert operation["security"] == [{"bearer": ["reports:read"]}]
    example = operation["responses"]["200"]["content"]["application/json"]["example"]
    assert _validator(client, "TechnicianKpiReport").is_valid(example)
    assert set(kpi_export.PAYROLL_KEYS) < set(example["technicians"][0])
    assert "`reports:read`" in document["components"]["securitySchemes"]["bearer"]["description"]
    page = html.unescape(client.get("/api/v1/docs").get_data(as_text=True))
    assert '"bonus_percent": 5' in page and '"fields": {' in page
