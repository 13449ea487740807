"""The overview's running totals (console/services/reports/totals.py): every change marks its
hour, the job counts marked hours again, and what the totals say is what the rows say."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from console.models import (
    CallOutcome,
    Client,
    ComplaintStatus,
    ReportStaleHour,
    Role,
    WorkType,
    utcnow,
)
from console.services.calls.generate import generate_due_calls
from console.services.reports import facts, overview, totals
from console.services.reports.overview import Filters
from tests.helpers import on_both_databases
from tests.reports import overview_fixtures as data
from tests.reports.overview_fixtures import ARGS, PERIOD, WEEK1, WEEK2

pytestmark = on_both_databases

version, operator, call, complain = data.version, data.operator, data.call, data.complain


@pytest.fixture(autouse=True)
def _totals_counted():
    """Here the job runs only when a test says so (the reports' conftest runs it before every
    read)."""


def _stale_hours(db) -> set[int]:
    return set(db.session.scalars(select(ReportStaleHour.hour)))


def _both_ways(db, source, filters):
    """The source's figures per week from the totals and from the rows (a week whose figures
    are all 0 is the same as no week)."""
    edges = overview.weekly(PERIOD).edges
    args = (source, PERIOD.starts_at, PERIOD.ends_at, edges, filters)

    def read(query):
        rows = [tuple(map(float, row)) for row in db.session.execute(query)]
        return sorted(row for row in rows if any(row[1:]))

    return read(totals._from_totals(*args)), read(totals._from_rows(*args))


def test_totals_add_up_to_what_the_rows_say(db, make_order, call, complain, make_user):
    north = Client(key="north", name="North Garage", timezone="Europe/London")
    tyres = WorkType(key="tyres", name="Tyres")
    db.session.add_all([north, tyres])
    other = make_user(Role.OPERATOR, name="Other")
    for n, at in enumerate([WEEK1, WEEK1 + timedelta(hours=5), WEEK2, WEEK2 + timedelta(days=2)]):
        client = north if n % 2 else None
        order = make_order(completed_at=at - timedelta(days=2), client=client, work_type=tyres)
        answers = {"recommend": str(3 * n), "satisfied": str(n + 1)}
        response = call(at, score=str(40 + 15 * n), answers=answers, order=order, by=other)
        if n % 2 == 0:
            complain(at, response=response, status=ComplaintStatus.RESOLVED)
        call(at, order=make_order(completed_at=at - timedelta(days=1)), outcome=CallOutcome.BUSY)
    make_order(completed_at=WEEK2)  # no call yet

    assert totals.refresh() > 0
    assert _stale_hours(db) == set()
    for source in facts.SOURCES:
        for filters in (Filters(), Filters(client_id=north.id), Filters(work_type_id=tyres.id)):
            from_totals, from_rows = _both_ways(db, source, filters)
            assert from_totals == from_rows, (source.name, filters)
            assert from_totals, (source.name, filters)


def test_a_call_is_in_the_overview_once_the_job_has_counted_its_hour(db, call):
    call(WEEK1, score="90")
    assert totals.hour_number(WEEK1) in _stale_hours(db)
    assert overview.satisfaction_total(overview.satisfaction(PERIOD, Filters()), PERIOD).calls == 0

    totals.refresh()

    weeks = overview.satisfaction(PERIOD, Filters())
    assert (weeks[0].calls, weeks[0].average_score) == (1, 90.0)
    # A technician or an operator is not in the totals: their figures are read from the rows,
    # up to date at once.
    call(WEEK1, score="50")
    by_operator = Filters(operator_id=call(WEEK1, score="70").operator_id)
    assert overview.satisfaction(PERIOD, by_operator)[0].calls == 3


def test_hours_the_job_has_left_too_long_are_read_from_the_rows(db, call, client, login_as):
    """The job stopped (Redis down, say): after ``LAG`` the figures are exact without it."""
    call(WEEK1, score="90")
    call(WEEK2, score="40")
    db.session.execute(
        update(ReportStaleHour)
        .where(ReportStaleHour.hour == totals.hour_number(WEEK1))
        .values(marked_at=utcnow() - totals.LAG - timedelta(seconds=1))
    )
    db.session.commit()

    assert [w.calls for w in overview.satisfaction(PERIOD, Filters())] == [1, 0]
    login_as(Role.SUPERVISOR)
    page = client.get("/reports/", query_string=ARGS).get_data(as_text=True)
    assert 'id="ov-counting"' in page  # WEEK2's call is still waiting

    db.session.execute(update(ReportStaleHour).values(marked_at=utcnow() - timedelta(hours=1)))
    db.session.commit()
    assert [w.calls for w in overview.satisfaction(PERIOD, Filters())] == [1, 1]
    page = client.get("/reports/", query_string=ARGS).get_data(as_text=True)
    assert 'id="ov-counting"' not in page


def test_a_complaint_resolved_later_moves_the_funnel_of_its_orders_hour(
    db, make_order, call, complain
):
    completed = WEEK1 - timedelta(days=1)
    complaint = complain(WEEK1, response=call(WEEK1, order=make_order(completed_at=completed)))
    totals.refresh()
    assert [s.count for s in overview.funnel(PERIOD, Filters())][-2:] == [1, 0]

    complaint.status = ComplaintStatus.RESOLVED
    db.session.commit()
    assert _stale_hours(db) == {totals.hour_number(completed)}
    totals.refresh()

    assert [s.count for s in overview.funnel(PERIOD, Filters())][-2:] == [1, 1]


def test_a_complaint_opened_later_from_a_call_makes_that_call_dissatisfied(db, call, complain):
    response = call(WEEK1, score="90")
    totals.refresh()
    assert overview.satisfaction(PERIOD, Filters())[0].dissatisfied == 0

    complain(WEEK1 + timedelta(hours=2), response=response)
    assert totals.hour_number(WEEK1) in _stale_hours(db)
    totals.refresh()

    assert overview.satisfaction(PERIOD, Filters())[0].dissatisfied == 1


def test_call_tasks_made_by_the_call_list_job_are_counted(db, make_order):
    order = make_order(completed_at=WEEK2)
    totals.refresh()
    assert overview.funnel(PERIOD, Filters())[1].count == 0

    generate_due_calls(now=WEEK2 + timedelta(days=3))
    db.session.commit()
    assert totals.hour_number(order.completed_at) in _stale_hours(db)
    totals.refresh()

    assert overview.funnel(PERIOD, Filters())[1].count == 1


def test_a_change_while_its_hour_is_counted_keeps_the_hour_marked(db, call, monkeypatch):
    call(WEEK1, score="90")
    hour = totals.hour_number(WEEK1)
    count = totals._count_hours

    def count_while_another_call_arrives(first, last):
        rows = count(first, last)
        totals.mark_hours([hour])  # what a submit committing meanwhile does
        return rows

    monkeypatch.setattr(totals, "_count_hours", count_while_another_call_arrives)
    totals.refresh()
    assert _stale_hours(db) == {hour}

    monkeypatch.undo()
    totals.refresh()
    assert _stale_hours(db) == set()


def test_a_run_of_the_job_stops_after_its_time_newest_hours_first(db, call):
    call(WEEK1, score="90")
    call(WEEK2, score="40")  # the newest hour marked (its order was completed 3 days before)
    marked = _stale_hours(db)

    assert totals.refresh(seconds=0) == 1
    assert _stale_hours(db) == marked - {totals.hour_number(WEEK2)}
    assert [w.calls for w in overview.satisfaction(PERIOD, Filters())] == [0, 1]

    assert totals.refresh() == len(marked) - 1
    assert _stale_hours(db) == set()


def test_the_page_says_what_is_not_added_up_yet(client, login_as, call):
    login_as(Role.SUPERVISOR)
    call(WEEK1, score="90")

    waiting = client.get("/reports/", query_string=ARGS).get_data(as_text=True)
    assert 'id="ov-counting"' in waiting

    totals.refresh()
    counted = client.get("/reports/", query_string=ARGS).get_data(as_text=True)
    assert 'id="ov-counting"' not in counted


def test_recount_counts_everything_again(db, call, runner):
    call(WEEK1, score="90")
    call(WEEK2, score="40")
    totals.refresh()
    db.session.execute(totals.delete(totals.ReportHour))
    db.session.commit()

    result = runner.invoke(args=["reports", "recount"])

    assert result.exit_code == 0, result.output
    assert "hours counted" in result.output
    weeks = overview.satisfaction(PERIOD, Filters())
    assert [w.calls for w in weeks] == [1, 1]
