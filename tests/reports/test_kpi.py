"""The technicians' KPI for a period: the pooled score, complaints, confirmed repeat repairs and
the bonus tier they put each role in, fines and refunds charged, rank and change against the
previous period; the page, its explanation and the payroll download."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from console.models import (
    ActionKind,
    CallOutcome,
    CallTask,
    Client,
    ComplaintAction,
    ComplaintKind,
    ComplaintStatus,
    RepeatRepairState,
    Response,
    ResponseAnswer,
    Role,
    ScriptVersion,
    TaskStatus,
    Technician,
    TechnicianRole,
    Validity,
    utcnow,
)
from console.scripts import scoring
from console.scripts.definition import normalise
from console.services.complaints import poaching, workflow
from console.services.reports import kpi
from console.services.reports.periods import Period
from console.services.scripts import library as script_service
from tests.admin.test_clients import client_form
from tests.helpers import on_both_databases
from tests.qc.complaint_fixtures import open_complaint, qc_user  # noqa: F401 (fixtures)

MSK = ZoneInfo("Europe/Moscow")
NOVEMBER = Period(date(2026, 11, 1), date(2026, 11, 30), MSK)
MID_NOV = datetime(2026, 11, 15, 9, 0, tzinfo=UTC)
MID_OCT = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)

SCRIPT = {
    "key": "kpi",
    "name": "KPI test script",
    "questions": [
        {
            "key": "overall",
            "text": "How satisfied are you?",
            "kind": "single",
            "weight": 3,
            "options": [
                {"key": "good", "label": "Satisfied", "points": 5},
                {"key": "mostly", "label": "Mostly", "points": 3},
                {"key": "bad", "label": "Not satisfied", "points": 0},
            ],
        },
        {
            "key": "price",
            "text": "Was the price fair?",
            "kind": "single",
            "weight": 1,
            "options": [
                {"key": "great", "label": "Great", "points": 5},
                {"key": "fair", "label": "Fair", "points": 4},
                {"key": "high", "label": "High", "points": 0},
            ],
        },
        {
            "key": "extras",
            "text": "What did they do well?",
            "kind": "multi",
            "weight": 2,
            "options": [
                {"key": "tidy", "label": "Tidy", "points": 2},
                {"key": "quick", "label": "Quick", "points": 3},
                {"key": "none", "label": "Nothing", "points": 0},
            ],
        },
        {"key": "remarks", "text": "Anything else?", "kind": "text", "weight": 1, "options": []},
    ],
}


@pytest.fixture
def version(db):
    script_service.publish_definition(normalise(SCRIPT))
    db.session.commit()
    return db.session.scalar(sa.select(ScriptVersion))


@pytest.fixture
def survey(db, version, make_user):
    """``survey(order, {"overall": ["mostly"], ...}, at)`` -> Response, scored and stored as a
    submitted call stores it: the shown, answered questions' ticked options."""
    operator = make_user(Role.OPERATOR)
    definition = script_service.definition_of(version)
    counter = iter(range(1, 100_000))

    def make(order, ticks: dict[str, list[str]], at: datetime, text: str | None = None):
        n = next(counter)
        answers = {key: {"options": options} for key, options in ticks.items()}
        if text:
            answers["remarks"] = {"options": [], "text": text}
        evaluation = scoring.evaluate(definition, answers)
        task = CallTask(
            order=order,
            client=order.client,
            customer=order.customer,
            due_at=at - timedelta(hours=1),
            status=TaskStatus.DONE,
            outcome=CallOutcome.COMPLETED,
            closed_at=at,
            purpose=f"kpi-{n}",
        )
        response = Response(
            submit_key=f"kpi-{n}",
            task=task,
            order=order,
            technician_id=order.technician_id,
            script_version=version,
            operator_id=operator.id,
            submitted_at=at,
            score=evaluation.score.score,
            score_weight=evaluation.score.weight,
            score_breakdown=[row.as_json() for row in evaluation.score.breakdown],
        )
        questions = {q.key: q for q in version.questions}
        for key in evaluation.visible:
            question, given = questions[key], answers.get(key)
            if not given:
                continue
            options = {o.key: o for o in question.options}
            for option_key in given["options"]:
                response.answers.append(
                    ResponseAnswer(question=question, option=options[option_key])
                )
            if given.get("text"):
                response.answers.append(ResponseAnswer(question=question, text=given["text"]))
        db.session.add_all([task, response])
        db.session.commit()
        return response

    return make


@pytest.fixture
def technician(db):
    def make(name, role=TechnicianRole.MECHANIC, client=None, **kw):
        if client is None:
            client = db.session.scalar(sa.select(Client).where(Client.key == "acme"))
            if client is None:
                client = Client(key="acme", name="Acme Auto", timezone="Europe/Moscow")
        tech = Technician(name=name, role=role, client=client or None, **kw)
        db.session.add(tech)
        db.session.commit()
        return tech

    return make


def _row(rows, tech) -> kpi.TechnicianKpi:
    return next(r for r in rows if r.technician_id == tech.id)


def _confirm_repeat(make_order, tech, at, state=RepeatRepairState.CONFIRMED):
    return make_order(
        technician=tech,
        client=tech.client,
        repeat_repair_state=state,
        repeat_repair_responsible_id=tech.id,
        repeat_repair_reviewed_at=at,
        repeat_repair_cause="workmanship",
    )


# --- the bonus tiers ---------------------------------------------------------------------------


def test_bonus_tiers_for_0_1_2_repeat_repairs_of_each_role_and_a_clients_own(
    db, technician, make_order
):
    acme = Client(key="acme", name="Acme Auto", timezone="Europe/Moscow")
    own = Client(
        key="own",
        name="Own Tiers Ltd",
        timezone="Europe/Moscow",
        repeat_bonus_tiers={"mechanic": [15, 5, 0], "shop_master": [20, 10, 5, 0]},
    )
    db.session.add_all([acme, own])
    expected = {}
    for client, tiers in (
        (acme, {"mechanic": [10, 0, 0], "shop_master": [10, 5, 0]}),
        (own, {"mechanic": [15, 5, 0], "shop_master": [20, 10, 5]}),
    ):
        for role in TechnicianRole:
            for count in (0, 1, 2):
                tech = technician(f"{client.key} {role.value} {count}", role, client)
                for n in range(count):
                    _confirm_repeat(make_order, tech, MID_NOV + timedelta(days=n))
                expected[tech.id] = (count, tiers[role.value][count])
    # Only repeat repairs confirmed in the period, with them as responsible, count.
    counted = technician("Counted once", TechnicianRole.SHOP_MASTER, acme)
    _confirm_repeat(make_order, counted, MID_NOV)
    _confirm_repeat(make_order, counted, MID_OCT)  # the month before
    _confirm_repeat(make_order, counted, MID_NOV, state=RepeatRepairState.REJECTED)
    _confirm_repeat(make_order, counted, MID_NOV, state=RepeatRepairState.POSSIBLE)
    expected[counted.id] = (1, 5)
    # An independent technician is paid by the defaults.
    independent = technician("Independent", TechnicianRole.MECHANIC, client=False)
    _confirm_repeat(make_order, independent, MID_NOV)
    expected[independent.id] = (1, 0)

    rows = kpi.technician_kpi(NOVEMBER)
    found = {r.technician_id: (r.repeat_repairs, r.bonus_percent) for r in rows}
    assert found == expected


# --- the score ---------------------------------------------------------------------------------


@on_both_databases
def test_the_score_pools_every_scored_answer_of_the_period(db, technician, make_order, survey):
    tech = technician("Sergey Orlov")
    order = make_order(technician=tech)
    # (3 × 3/5 + 1 × 4/5) ÷ 4 = 65.00
    first = survey(order, {"overall": ["mostly"], "price": ["fair"]}, MID_NOV)
    # overall bad (0 of 3), extras tidy + quick (5 of 5, weight 2): 2 ÷ 5 = 40.00
    second = survey(order, {"overall": ["bad"], "extras": ["tidy", "quick"]}, MID_NOV)
    assert (first.score, second.score) == (Decimal("65.00"), Decimal("40.00"))
    survey(order, {}, MID_NOV, text="Only words")  # a call with nothing scored: no score
    survey(order, {"overall": ["good"]}, MID_OCT)  # the month before

    row = _row(kpi.technician_kpi(NOVEMBER), tech)
    assert row.surveys == 3
    # Σ(weight × points ÷ max) ÷ Σ weight = (1.8 + 0.8 + 0 + 2) ÷ (4 + 5) = 51.11, not the
    # mean of the calls' scores (52.50).
    assert row.score == Decimal("51.11")
    assert row.previous_score == Decimal("100.00")
    assert row.score_change == Decimal("-48.89")

    explanation = kpi.explain(tech.id, NOVEMBER)
    lost = {line.key: (line.answered, line.lost) for line in explanation.lost_by_question}
    # overall: (3 + 3 − 1.8 − 0) ÷ 9 = 46.67; price: (1 − 0.8) ÷ 9 = 2.22; extras: nothing lost.
    assert lost == {
        "overall": (2, Decimal("46.67")),
        "price": (1, Decimal("2.22")),
        "extras": (1, Decimal("0.00")),
    }
    assert 100 - sum(v for _, v in lost.values()) == row.score
    assert [c.response.id for c in explanation.calls] == [second.id, first.id]
    assert explanation.calls[0].lost == [("How satisfied are you?", Decimal("60.00"))]
    assert (explanation.calls_total, explanation.calls_full_score, explanation.calls_unscored) == (
        3,
        0,
        1,
    )


def test_ranks_by_score_ties_by_name_and_the_change_against_the_month_before(
    db, technician, make_order, survey
):
    anna, boris, vera = technician("Anna"), technician("Boris"), technician("Vera")
    idle = technician("Idle")
    for tech, november, october in (
        (vera, ["good"], ["mostly"]),  # 100, was 60
        (boris, ["mostly"], ["good"]),  # 60, was 100
        (anna, ["mostly"], None),  # 60, no score before
    ):
        order = make_order(technician=tech)
        survey(order, {"overall": november}, MID_NOV)
        if october:
            survey(order, {"overall": october}, MID_OCT)

    rows = kpi.technician_kpi(NOVEMBER)
    assert [(r.name, r.rank) for r in rows] == [
        ("Vera", 1),
        ("Anna", 2),  # 60 too: the tie goes by name
        ("Boris", 3),
        ("Idle", None),  # active, no calls: listed, not ranked
    ]
    by_name = {r.name: r for r in rows}
    assert (by_name["Vera"].rank_change, by_name["Vera"].score_change) == (1, Decimal("40.00"))
    assert (by_name["Boris"].rank_change, by_name["Boris"].score_change) == (-2, Decimal("-40.00"))
    assert by_name["Anna"].rank_change is None and by_name["Anna"].previous_rank is None
    assert idle.id in {r.technician_id for r in rows}


# --- complaints, fines and refunds ---------------------------------------------------------------


@on_both_databases
def test_complaints_by_category_and_the_fines_and_refunds_charged(
    db,
    technician,
    make_order,
    open_complaint,  # noqa: F811
    qc_user,  # noqa: F811
):
    tech = technician("Oleg Fined")
    other = technician("Someone Else")

    def complaint(category, at, validity=None, status=None, kind=ComplaintKind.COMPLAINT):
        c = open_complaint(
            order=make_order(technician=tech), category=category, created_at=at, kind=kind
        )
        c.validity = validity
        if status:
            c.status = status
        db.session.commit()
        return c

    fined = complaint("quality", MID_NOV, Validity.VALID)
    complaint("quality", MID_NOV, Validity.INVALID)
    complaint("punctuality", MID_NOV)
    complaint("quality", MID_NOV, Validity.VALID, status=ComplaintStatus.MERGED)  # a duplicate
    complaint("quality", MID_OCT, Validity.VALID)  # the month before

    def charge(c, kind, amount, at, who=tech):
        db.session.add(
            ComplaintAction(
                complaint=c,
                kind=kind,
                amount=Decimal(amount),
                charged_technician=who,
                created_at=at,
            )
        )
        db.session.commit()

    charge(fined, ActionKind.FINE, "1500.50", MID_NOV)
    charge(fined, ActionKind.FINE, "499.50", MID_NOV + timedelta(days=1))
    charge(fined, ActionKind.FINE, "700.00", MID_OCT)  # the month before
    charge(fined, ActionKind.FINE, "300.00", MID_NOV, who=other)
    charge(fined, ActionKind.GOODWILL, "100.00", MID_NOV)  # not charged to pay
    # The anti-poaching case confirmed: the order's full cost refunded from their pay.
    case = complaint("poaching", MID_NOV, kind=ComplaintKind.POACHING)
    case.first_answered_at = MID_NOV + timedelta(hours=1)
    refund = poaching.confirm(case, by=qc_user, now=MID_NOV + timedelta(hours=2))
    db.session.commit()
    assert refund.amount == Decimal("12500.00")

    row = _row(kpi.technician_kpi(NOVEMBER), tech)
    assert row.by_category == {"poaching": [1, 1], "punctuality": [1, 0], "quality": [2, 1]}
    assert (row.complaints_opened, row.complaints_valid) == (4, 2)
    assert (row.fines, row.refunds) == (Decimal("2000.00"), Decimal("12500.00"))
    assert _row(kpi.technician_kpi(NOVEMBER), other).fines == Decimal("300.00")

    explanation = kpi.explain(tech.id, NOVEMBER)
    assert {c.category for c in explanation.complaints} == {"quality", "punctuality", "poaching"}
    assert sorted(a.amount for a in explanation.charges) == [
        Decimal("499.50"),
        Decimal("1500.50"),
        Decimal("12500.00"),
    ]


@on_both_databases
def test_a_complaint_about_two_categories_counts_under_each_with_its_own_decision(
    client,
    db,
    login_as,
    technician,
    make_order,
    open_complaint,  # noqa: F811
    qc_user,  # noqa: F811
):
    """Valid for the work's quality, not for the price: the price counts as not valid on the
    KPI by category (and its page); the complaint counts once, valid, in the totals."""
    tech = technician("Two Things")
    both = open_complaint(
        order=make_order(technician=tech), categories=["quality", "price"], created_at=MID_NOV
    )
    open_complaint(order=make_order(technician=tech), category="quality", created_at=MID_NOV)
    workflow.classify(
        both,
        validity=Validity.VALID,
        reason="The door was scratched; the price was as agreed.",
        categories={"price": Validity.INVALID},
        by=qc_user,
        now=MID_NOV + timedelta(hours=2),
    )
    db.session.commit()

    row = _row(kpi.technician_kpi(NOVEMBER), tech)
    assert row.by_category == {"price": [1, 0], "quality": [2, 1]}
    assert (row.complaints_opened, row.complaints_valid) == (2, 1)  # each complaint once

    login_as(Role.SUPERVISOR)
    page = client.get(f"/reports/technicians/{tech.id}?from=2026-11-01&to=2026-11-30")
    html = page.get_data(as_text=True)
    assert "price: 1 opened, 0 valid" in html and "quality: 2 opened, 1 valid" in html
    assert f'data-complaint="{both.id}"' in html and "quality, price" in html  # listed with both


# --- the page and the downloads ------------------------------------------------------------

KEYS = [
    "technician",
    "client",
    "role",
    "surveys",
    "score",
    "rank",
    "score_change",
    "complaints_opened",
    "complaints_valid",
    "repeat_repairs",
    "bonus_percent",
    "fines",
    "refunds",
    "currency",
    "technician_id",
]


@pytest.fixture
def month(technician, make_order, survey):
    """Two technicians with calls in November 2026, seen from 3 December."""
    master = technician("Мастер Пётр", TechnicianRole.SHOP_MASTER)
    mechanic = technician("Mechanic Max", TechnicianRole.MECHANIC)
    survey(make_order(technician=master), {"overall": ["good"]}, MID_NOV)
    survey(make_order(technician=mechanic), {"overall": ["mostly"]}, MID_NOV)
    _confirm_repeat(make_order, master, MID_NOV)
    return master, mechanic


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].endswith('.csv"')
    return list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))


def test_the_payroll_csv_has_the_same_columns_and_role_values_in_russian(
    client, login_as, make_user, month
):
    master, mechanic = month
    login_as(make_user(Role.SUPERVISOR, locale="ru", timezone="Europe/Moscow"))
    page = client.get("/reports/technicians?from=2026-11-01&to=2026-11-30")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Мастер Пётр" in html and f"/reports/technicians/{master.id}?" in html

    rows = _csv(client.get("/reports/technicians?from=2026-11-01&to=2026-11-30&format=csv"))
    assert rows[0] == KEYS
    by_name = {r[0]: dict(zip(KEYS, r, strict=True)) for r in rows[1:]}
    assert by_name["Мастер Пётр"]["role"] == "shop_master"
    assert by_name["Mechanic Max"]["role"] == "mechanic"
    assert by_name["Мастер Пётр"]["bonus_percent"] == "5"  # shop master, 1 repeat repair
    assert by_name["Mechanic Max"]["bonus_percent"] == "10"
    assert by_name["Mechanic Max"]["score"] == "60.00"
    assert by_name["Mechanic Max"]["fines"] == "0.00"  # plain decimals, no currency sign

    xlsx = client.get("/reports/technicians?from=2026-11-01&to=2026-11-30&format=xlsx")
    assert xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(xlsx.data)).active
    assert sheet.max_row == 3 and sheet.max_column == len(KEYS)
    assert {sheet.cell(row=n, column=1).value for n in (2, 3)} == {"Мастер Пётр", "Mechanic Max"}


def test_the_period_is_whole_days_in_the_viewers_zone(
    client, login_as, make_user, technician, make_order, survey
):
    tech = technician("Night Owl")
    order = make_order(technician=tech)
    survey(order, {"overall": ["good"]}, datetime(2026, 10, 31, 21, 30, tzinfo=UTC))  # 1 Nov MSK
    survey(order, {"overall": ["mostly"]}, datetime(2026, 11, 30, 21, 30, tzinfo=UTC))  # 1 Dec MSK
    url = "/reports/technicians?from=2026-11-01&to=2026-11-30&format=csv"
    surveys, score = KEYS.index("surveys"), KEYS.index("score")

    login_as(make_user(Role.SUPERVISOR, timezone="Europe/Moscow"))
    assert _csv(client.get(url))[1][surveys : score + 1] == ["1", "100.00"]
    client.post("/logout")
    login_as(make_user(Role.SUPERVISOR, timezone="UTC"))
    assert _csv(client.get(url))[1][surveys : score + 1] == ["1", "60.00"]
    both = _csv(client.get(url.replace("2026-11-01", "2026-10-31")))
    assert both[1][surveys : score + 1] == ["2", "80.00"]


def test_the_explanation_page_and_who_may_see_it(client, login_as, make_user, month):
    master, _ = month
    login_as(Role.OPERATOR)
    assert client.get("/reports/technicians").status_code == 403
    assert client.get(f"/reports/technicians/{master.id}").status_code == 403
    client.post("/logout")
    login_as(Role.SUPERVISOR)
    page = client.get(f"/reports/technicians/{master.id}?from=2026-11-01&to=2026-11-30")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-tier="current"' in html and "1 → 5 %" in html
    assert client.get("/reports/technicians/99999").status_code == 404
    assert client.get("/reports/technicians/99999999999999999999").status_code == 404
    bad = client.get("/reports/technicians?from=yesterday&to=2026-11-30")
    assert bad.status_code == 200 and "YYYY-MM-DD" in bad.get_data(as_text=True)


# --- a client's own tiers, set in Admin -> Clients ---------------------------------------------


def test_an_admin_sets_a_clients_tiers_and_bad_ones_are_refused_by_field(
    client, db, login_as, technician, make_order
):
    login_as(Role.ADMIN)
    acme = Client(key="acme", name="Acme Auto", timezone="Europe/Moscow", country="RU")
    db.session.add(acme)
    db.session.commit()
    page = client.get(f"/admin/clients/{acme.id}").get_data(as_text=True)
    assert 'value="10, 0"' in page and 'value="10, 5, 0"' in page  # the defaults
    form = client_form(
        key="acme", name="Acme Auto", country="RU", currency="RUB", qc_contact_phone=""
    )
    form["timezone"] = "Europe/Moscow"

    for mechanic, message in (
        ("10, 20", "cannot pay more than the one before"),
        ("101, 0", "between 0 and 100"),
        ("ten", "Whole percents separated by commas"),
    ):
        refused = client.post(
            f"/admin/clients/{acme.id}", data={**form, "bonus_mechanic": mechanic}
        )
        assert refused.status_code == 422 and message in refused.get_data(as_text=True), mechanic
    db.session.expire_all()
    assert acme.repeat_bonus_tiers is None

    saved = client.post(
        f"/admin/clients/{acme.id}",
        data={**form, "bonus_mechanic": "15, 5, 0", "bonus_shop_master": "10, 5, 0"},
    )
    assert saved.status_code == 303, saved.get_data(as_text=True)[-3000:]
    db.session.expire_all()
    assert acme.repeat_bonus_tiers == {"mechanic": [15, 5, 0]}  # the shop master keeps defaults
    tech = technician("Paid by Acme", TechnicianRole.MECHANIC, acme)
    _confirm_repeat(make_order, tech, MID_NOV)
    assert _row(kpi.technician_kpi(NOVEMBER), tech).bonus_percent == 5


# --- the demo ----------------------------------------------------------------------------------


def test_the_demo_shows_every_tier_of_both_roles_and_weeks_of_calls(runner, db):
    assert runner.invoke(args=["seed-demo", "--orders", "400"]).exit_code == 0
    assert runner.invoke(args=["scripts", "load", "scripts_config/base.yaml"]).exit_code == 0
    assert runner.invoke(args=["calls", "generate"]).exit_code == 0
    result = runner.invoke(args=["seed-demo-activity", "--calls", "30"])
    assert result.exit_code == 0, result.output

    today = utcnow().date()
    last_90_days = Period(today - timedelta(days=89), today, ZoneInfo("UTC"))
    rows = kpi.technician_kpi(last_90_days)
    for role in TechnicianRole:
        counts = {min(r.repeat_repairs, 2) for r in rows if r.role == role.value}
        assert counts == {0, 1, 2}, role
    days = {r.submitted_at.date() for r in db.session.scalars(sa.select(Response))}
    assert max(days) - min(days) >= timedelta(weeks=3)
    assert any(r.score is not None for r in rows)
