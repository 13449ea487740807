"""Reports → Overview: each figure on a small set of calls, complaints and orders whose answer
is known, the page with its charts and tables, the downloads, and who may see it."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from console.models import (
    AnswerOption,
    CallOutcome,
    ComplaintKind,
    ComplaintStatus,
    Question,
    RepeatRepairState,
    Role,
)
from console.services.reports import overview, overview_tables
from console.services.reports.overview import Filters
from console.services.reports.periods import Period
from tests.helpers import on_both_databases
from tests.reports import overview_fixtures as data
from tests.reports.overview_fixtures import ARGS, BEFORE, PERIOD, UTC_ZONE, WEEK1, WEEK2

pytestmark = on_both_databases


@pytest.fixture
def app_config():
    return {"SMTP_HOST": "", "NOTIFY_WEBHOOK_URL": ""}


version, operator, call, complain = (
    data.version,
    data.operator,
    data.call,
    data.complain,
)


def test_dissatisfied_share_and_average_score_per_week(db, call, complain):
    call(WEEK1, score="90")
    call(WEEK1, score="50")  # below 60: dissatisfied
    complain(WEEK1, response=call(WEEK1, score="80"))  # opened a complaint: dissatisfied
    call(WEEK1)  # nothing scored: counted as a call, not in the average
    call(WEEK2, score="70")
    call(BEFORE, score="10")  # before the period

    weeks = overview.satisfaction(PERIOD, Filters())

    assert [w.start for w in weeks] == [date(2025, 3, 3), date(2025, 3, 10)]
    assert (weeks[0].calls, weeks[0].dissatisfied, weeks[0].average_score) == (4, 2, 73.3)
    assert weeks[0].dissatisfied_share == 0.5
    assert (weeks[1].calls, weeks[1].dissatisfied, weeks[1].average_score) == (1, 0, 70.0)
    total = overview.satisfaction_total(weeks, PERIOD)
    assert (total.calls, total.dissatisfied) == (5, 2)


def test_weeks_are_cut_in_the_viewers_zone(db, call):
    # Sunday 22:30 UTC is already Monday 01:30 in Moscow: the second week there.
    call(datetime(2025, 3, 9, 22, 30, tzinfo=UTC), score="40")
    utc = overview.satisfaction(PERIOD, Filters())
    moscow = overview.satisfaction(
        Period(PERIOD.start, PERIOD.end, ZoneInfo("Europe/Moscow")), Filters()
    )
    assert [w.calls for w in utc] == [1, 0]
    assert [w.calls for w in moscow] == [0, 1]


def test_top_three_problems_with_the_change_against_the_previous_period(db, complain):
    for category, now, before in (
        ("quality", 3, 1),
        ("price", 2, 4),
        ("service", 1, 0),
        ("damage", 1, 0),
    ):
        for _ in range(now):
            complain(WEEK1, category)
        for _ in range(before):
            complain(BEFORE, category)
    complain(WEEK2, "service", status=ComplaintStatus.MERGED)  # a duplicate: not again
    complain(WEEK2, "poaching", kind=ComplaintKind.POACHING)  # counted apart

    top = overview.top_problems(PERIOD, Filters())

    assert [(p.category, p.count, p.previous, p.change) for p in top] == [
        ("quality", 3, 1, 2),
        ("price", 2, 4, -2),
        ("damage", 1, 0, 1),  # ties by name: damage before service
    ]
    assert top[1].change_share == -0.5


def test_complaints_by_category_and_cause_per_week(db, complain):
    complain(WEEK1, "quality", cause_category="parts")
    complain(WEEK1, "quality")
    complain(WEEK2, "price", cause_category="pricing")
    complain(WEEK2, "price", status=ComplaintStatus.CLOSED)  # found not valid: no cause

    by_category = overview.complaints_by(PERIOD, Filters(), "category")
    by_cause = overview.complaints_by(PERIOD, Filters(), "cause")

    assert by_category.counts == {"quality": [2, 0], "price": [0, 2]}
    assert by_category.keys == ["price", "quality"]  # as many: by name
    assert by_cause.counts == {
        "parts": [1, 0],
        "": [1, 0],
        "pricing": [0, 1],
        overview.NO_CAUSE_FINISHED: [0, 1],
    }
    # finished without a cause, then not classified yet, after the causes
    assert by_cause.keys[-2:] == [overview.NO_CAUSE_FINISHED, ""]
    labels = overview_tables.cause_labels(by_cause.keys, {})
    assert str(labels[overview.NO_CAUSE_FINISHED]) == "finished without a cause (not valid)"
    assert str(labels[""]) == "not classified yet"


def test_funnel_counts_each_step_and_its_conversion(db, make_order, call, complain):
    completed = WEEK1 - timedelta(days=1)
    make_order(completed_at=completed)  # no call task
    call(WEEK1, order=make_order(completed_at=completed), outcome=CallOutcome.NO_ANSWER)
    call(WEEK1, order=make_order(completed_at=completed), outcome=CallOutcome.REFUSED)  # reached
    call(WEEK1, order=make_order(completed_at=completed), score="90")  # surveyed
    resolved = call(WEEK1, order=make_order(completed_at=completed), score="20")
    complain(WEEK1, response=resolved, status=ComplaintStatus.RESOLVED)
    still_open = call(WEEK1, order=make_order(completed_at=completed), score="20")
    complain(WEEK1, response=still_open)
    make_order(completed_at=BEFORE)  # outside the period

    steps = overview.funnel(PERIOD, Filters())

    assert [(s.key, s.count) for s in steps] == [
        ("orders", 6),
        ("call_tasks", 5),
        ("reached", 4),
        ("surveyed", 3),
        ("complaint", 2),
        ("resolved", 1),
    ]
    assert [round(s.of_previous, 3) if s.of_previous else None for s in steps] == [
        None,
        0.833,
        0.8,
        0.75,
        0.667,
        0.5,
    ]


def test_nps_and_csat_on_known_answers(db, call):
    for value in ("10", "9", "7", "3"):
        call(WEEK1, answers={"recommend": value})
    for value in ("5", "4", "2"):
        call(WEEK2, answers={"satisfied": value})

    figures = overview.loyalty(PERIOD, Filters())

    assert (figures.answers, figures.promoters, figures.detractors) == (4, 2, 1)
    assert figures.nps == 25.0  # 50 % promoters - 25 % detractors
    assert (figures.satisfied_answers, figures.satisfied) == (3, 2)
    assert figures.csat == 66.7


def test_first_time_fix_and_poaching_per_1000_calls_per_month(db, make_order, call, complain):
    period = Period(date(2025, 2, 1), date(2025, 3, 31), UTC_ZONE)
    for n in range(4):
        state = RepeatRepairState.CONFIRMED if n == 0 else RepeatRepairState.REJECTED
        make_order(completed_at=WEEK1, repeat_repair_state=state if n < 2 else None)
    for _ in range(3):
        call(BEFORE)  # three calls in February (their orders completed in February too)
    complain(BEFORE, "poaching", kind=ComplaintKind.POACHING)

    months = overview.quality_by_month(period, Filters())

    february, march = months
    assert (february.orders, february.repeat_repairs, february.first_time_fix) == (3, 0, 1.0)
    assert (march.orders, march.repeat_repairs, march.first_time_fix) == (4, 1, 0.75)
    assert (february.calls, february.poaching, february.poaching_per_1000) == (3, 1, 333.33)
    assert march.poaching_per_1000 is None  # no calls


def test_a_share_reads_the_same_in_the_table_on_the_chart_and_in_the_download(
    client, login_as, make_order
):
    # 5 of 11 orders fixed the first time: 45.45 %, which is 45.5 % to a tenth. Rounded twice
    # (to 0.4545, then half-even) the table said 45.4 % under a chart saying 45.5 %.
    for n in range(11):
        make_order(
            completed_at=WEEK1, repeat_repair_state=RepeatRepairState.CONFIRMED if n < 6 else None
        )
    login_as(Role.SUPERVISOR)
    html = client.get("/reports/", query_string=ARGS).get_data(as_text=True)
    chart = html[html.index('id="chart-ftf"') :]
    chart = chart[: chart.index("</svg>")]
    table = html[html.index('data-table="first-time-fix"') :]
    table = table[: table.index("</table>")]
    assert "45.5%" in chart and "45.5%" in table
    assert "45.4%" not in html

    csv_text = client.get(
        "/reports/", query_string={**ARGS, "table": "first-time-fix"}
    ).data.decode("utf-8-sig")
    assert "0.455" in csv_text


def test_operators_figures(db, call, make_user):
    anna = make_user(Role.OPERATOR, name="Anna")
    # Dials start five minutes before the call ends: at 10:05, 10:25 and 12:05.
    call(WEEK1 + timedelta(minutes=10), by=anna, score="90")
    call(WEEK1 + timedelta(minutes=30), by=anna, outcome=CallOutcome.NO_ANSWER)
    call(WEEK1 + timedelta(hours=2, minutes=10), by=anna, outcome=CallOutcome.REFUSED)

    (line,) = [x for x in overview.operators(PERIOD, Filters()) if x.user.id == anna.id]

    assert (line.dials, line.hours, line.calls_per_hour) == (3, 2, 1.5)
    assert round(line.contact_rate, 3) == 0.667
    assert round(line.completion_rate, 3) == 0.333
    assert line.average_handle_seconds == 300.0


def test_a_complaint_about_two_categories_counts_under_each_and_once_elsewhere(
    db, complain, make_order
):
    complain(WEEK1, categories=["quality", "price"], cause_category="parts")
    complain(WEEK1, "quality")
    complain(WEEK2, categories=["price", "damage"], status=ComplaintStatus.MERGED)  # a duplicate
    complain(BEFORE, categories=["service", "price"])

    by_category = overview.complaints_by(PERIOD, Filters(), "category")
    assert by_category.counts == {"quality": [2, 0], "price": [1, 0]}
    by_cause = overview.complaints_by(PERIOD, Filters(), "cause")
    assert by_cause.total == 2  # two complaints, whatever their categories
    [week1, _week2] = overview.deadlines_by_week(PERIOD, Filters(), now=WEEK2)
    assert week1.opened == 2
    top = overview.top_problems(PERIOD, Filters())
    assert [(p.category, p.count, p.previous) for p in top] == [("quality", 2, 0), ("price", 1, 1)]
    # The filters hold for the other categories too.
    elsewhere = Filters(client_id=make_order().client_id + 1000)
    assert overview.complaints_by(PERIOD, elsewhere, "category").counts == {}


def test_filters_narrow_every_figure(db, make_order, call, complain, make_user):
    other = make_user(Role.OPERATOR, name="Other")
    mine = call(WEEK1, score="20")
    complain(WEEK1, response=mine)
    call(WEEK1, by=other, score="20")
    only_other = Filters(operator_id=other.id)
    assert overview.satisfaction_total(overview.satisfaction(PERIOD, only_other), PERIOD).calls == 1
    assert overview.complaints_by(PERIOD, only_other, "category").total == 0
    by_client = Filters(client_id=mine.order.client_id + 1000)
    assert overview.funnel(PERIOD, by_client)[0].count == 0


# --- the page -------------------------------------------------------------------------------


def test_supervisor_sees_charts_each_with_its_table(client, login_as, call, complain):
    complain(WEEK1, "price", response=call(WEEK1, score="40"))
    login_as(Role.SUPERVISOR)
    response = client.get("/reports/", query_string=ARGS)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('<svg class="chart"') == 7
    for name in (
        "satisfaction",
        "top-problems",
        "complaints-by-category",
        "complaints-by-cause",
        "nps-csat",
        "first-time-fix",
        "deadlines",
        "operators",
        "funnel",
    ):
        assert f'data-table="{name}"' in html
        assert f"table={name}&amp;format=csv" in html
    assert "<caption>" in html
    assert 'data-category="price"' in html


def test_a_table_downloads_as_csv_and_xlsx(client, login_as, call):
    call(WEEK1, score="40")
    call(WEEK2, score="90")
    login_as(Role.SUPERVISOR)
    response = client.get("/reports/", query_string={**ARGS, "table": "satisfaction"})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    body = response.data
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == [
        "week_start",
        "completed_calls",
        "dissatisfied",
        "dissatisfied_share",
        "average_score",
    ]
    assert rows[1:] == [
        ["2025-03-03", "1", "1", "1.0", "40.0"],
        ["2025-03-10", "1", "0", "0.0", "90.0"],
    ]
    assert (
        'filename="overview-satisfaction-2025-03-03-2025-03-16.csv"'
        in (response.headers["Content-Disposition"])
    )

    response = client.get(
        "/reports/", query_string={**ARGS, "table": "satisfaction", "format": "xlsx"}
    )
    sheet = load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][1] == "Completed calls"
    assert values[2][1:] == (1, 0, 0, 90)


def test_unknown_table_or_format_is_not_found(client, login_as):
    login_as(Role.SUPERVISOR)
    assert client.get("/reports/?table=nope").status_code == 404
    assert client.get("/reports/?table=funnel&format=pdf").status_code == 404


def test_operator_may_not_open_reports(client, login_as):
    login_as(Role.OPERATOR)
    assert client.get("/reports/").status_code == 403
    assert client.get("/reports/?table=funnel&format=csv").status_code == 403


def test_bad_dates_say_which_field_and_show_last_month(client, login_as):
    login_as(Role.SUPERVISOR)
    response = client.get("/reports/", query_string={"from": "03/03/2025", "to": "2025-03-16"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="ov-from-error"' in html and "Enter a date as YYYY-MM-DD." in html
    assert 'id="ov-to-error"' not in html
    today = datetime.now(UTC).date()
    last = today.replace(day=1) - timedelta(days=1)
    assert 'name="to" value="2025-03-16"' in html  # what was typed stays in the form
    # The figures (and their downloads) are the last whole month's.
    assert f"from={last.replace(day=1).isoformat()}&amp;to={last.isoformat()}" in html


def test_question_role_is_kept_in_the_script(db, version):
    roles = {q.key: q.role for q in db.session.scalars(select(Question))}
    assert roles["recommend"] == "recommend"
    assert roles["satisfied"] == "satisfaction"
    assert db.session.scalar(select(AnswerOption).where(AnswerOption.key == "10")) is not None


def test_one_calendar_month_filtered_by_work_type_or_operator(client, login_as, call, complain):
    """One month is one bucket: the poaching count then selects a constant, and its joins for
    these filters still need the complaints beside them."""
    response = call(WEEK1, score="20")
    complain(WEEK1, response=response, kind=ComplaintKind.POACHING)
    login_as(Role.SUPERVISOR)
    month = {"from": "2025-03-01", "to": "2025-03-31"}
    for name, value in (
        ("work_type", response.order.work_type_id),
        ("operator", response.operator_id),
    ):
        page = client.get("/reports/", query_string={**month, name: value})
        assert page.status_code == 200
        table = client.get(
            "/reports/",
            query_string={**month, name: value, "table": "first-time-fix", "format": "csv"},
        )
        assert table.status_code == 200
        assert table.get_data(as_text=True).splitlines()[1].split(",")[5] == "1"  # poaching
