"""The deadline report: share of customers answered within the deadline (DOMAIN.md, 001: within
12 hours), what is overdue now, by assignee."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from console.models import Client, ComplaintSource, ComplaintStatus, Role, utcnow
from console.services.complaints import deadline_report, sla
from console.services.complaints.opening import open_complaint, order_snapshot


@pytest.fixture
def app_config():
    return {"SMTP_HOST": "", "NOTIFY_WEBHOOK_URL": ""}


@pytest.fixture
def complain(db, make_order):
    def complain(*, assignee=None, hours_ago=1.0, answered_after=None, client=None, **fields):
        order = make_order(client=client) if client else make_order()
        created = utcnow() - timedelta(hours=hours_ago)
        complaint = open_complaint(
            order,
            category="quality",
            source=ComplaintSource.MANUAL,
            snapshot=order_snapshot(order),
            now=created,
        )
        if assignee is not None:
            complaint.assignee_id = assignee.id
            complaint.status = ComplaintStatus.IN_PROGRESS
        if answered_after is not None:
            complaint.first_answered_at = created + timedelta(hours=answered_after)
        for name, value in fields.items():
            setattr(complaint, name, value)
        db.session.commit()
        return complaint

    return complain


@pytest.fixture
def team(make_user):
    return make_user(Role.QC, name="Anna"), make_user(Role.QC, name="Boris")


def test_on_time_share_and_overdue_now_by_assignee(db, team, complain):
    anna, boris = team
    complain(assignee=anna, hours_ago=30, answered_after=2)  # on time
    complain(assignee=anna, hours_ago=30, answered_after=13)  # late (12 h)
    complain(assignee=anna, hours_ago=20)  # no answer, 8 h overdue
    complain(assignee=anna, hours_ago=2)  # no answer, not due yet: not counted in the share
    complain(assignee=boris, hours_ago=10, answered_after=1)
    complain(hours_ago=14)  # nobody holds it, overdue
    complain(assignee=boris, hours_ago=24 * 40, answered_after=1)  # outside the 30 days

    report = deadline_report.deadline_report(now=utcnow(), days=30)
    by_name = {(r.user.name if r.user else None): r for r in report.rows}
    a, b, nobody = by_name["Anna"], by_name["Boris"], by_name[None]
    assert (a.opened, a.answered_on_time, a.answered_late, a.unanswered_overdue) == (4, 1, 1, 1)
    assert a.answered_on_time_share == pytest.approx(1 / 3)
    assert (a.open_now, a.overdue_now) == (4, 1)
    assert (b.opened, b.answered_on_time_share) == (1, 1.0)
    # Boris's old complaint is outside the period but still open: "open now" counts it, and
    # its resolution (3 days) is long overdue.
    assert (b.open_now, b.overdue_now) == (2, 1)
    assert (nobody.unanswered_overdue, nobody.overdue_now) == (1, 1)
    assert report.rows[-1] is nobody  # unassigned last
    assert report.rows[0] is a  # Anna and Boris tie on overdue; Anna's share is lower
    assert report.total.answered_on_time == 2 and report.total.overdue_now == 3


def test_a_paused_or_resolved_complaint_is_not_overdue_now(db, team, complain):
    anna, _ = team
    complain(
        assignee=anna,
        hours_ago=20,
        status=ComplaintStatus.WAITING_CUSTOMER,
        sla_paused_at=utcnow() - timedelta(hours=19),
    )
    complain(
        assignee=anna,
        hours_ago=20,
        status=ComplaintStatus.RESOLVED,
        resolved_at=utcnow() - timedelta(hours=1),
    )
    report = deadline_report.deadline_report(now=utcnow())
    assert report.total.overdue_now == 0
    assert deadline_report.overdue_complaints(now=utcnow()) == []


def test_the_report_calls_a_deadline_overdue_at_the_moment_the_badge_does(db, team, complain):
    anna, _ = team
    now = utcnow()
    due_now = complain(assignee=anna, hours_ago=1, first_answer_due_at=now)
    complain(assignee=anna, hours_ago=1, first_answer_due_at=now + timedelta(seconds=1))

    assert sla.deadline_state(due_now, now).state == sla.OVERDUE
    assert deadline_report.deadline_report(now=now).total.overdue_now == 1
    assert deadline_report.overdue_complaints(now=now) == [due_now]


def test_the_report_page_by_client(db, client, login_as, team, complain, make_order):
    anna, _ = team
    complain(assignee=anna, hours_ago=20)  # Acme: overdue
    other = Client(key="other", name="Other Co")
    db.session.add(other)
    db.session.commit()
    late = complain(client=other, hours_ago=15)

    login_as(Role.SUPERVISOR)
    page = client.get("/reports/deadlines").get_data(as_text=True)
    assert 'data-stat="overdue-now">2<' in page
    assert "Anna" in page and "Unassigned" in page
    assert "deadline-overdue" in page  # the badge in the overdue list

    only_other = client.get(f"/reports/deadlines?client={other.id}&days=7").get_data(as_text=True)
    assert 'data-stat="overdue-now">1<' in only_other
    assert f"#{late.id}" in only_other and "Anna" not in only_other
    assert 'value="7" selected' in only_other


def test_the_share_reads_as_a_percentage(db, client, login_as, team, complain):
    anna, _ = team
    complain(assignee=anna, hours_ago=30, answered_after=2)
    complain(assignee=anna, hours_ago=30, answered_after=20)
    login_as(Role.QC)
    page = client.get("/reports/deadlines").get_data(as_text=True)
    assert 'data-stat="answered-share">50%<' in page


def test_operators_cannot_see_the_report(client, login_as):
    login_as(Role.OPERATOR)
    assert client.get("/reports/deadlines").status_code == 403


def test_the_empty_report_says_so(client, login_as, db):
    login_as(Role.ADMIN)
    page = client.get("/reports/deadlines").get_data(as_text=True)
    assert "No complaints in this period." in page and "Nothing is overdue." in page
    assert db.session.scalar(select(Client.id)) is None


def test_an_overdue_complaint_is_listed_with_all_its_categories(db, client, login_as, make_order):
    order = make_order()
    open_complaint(
        order,
        categories=["quality", "price"],
        source=ComplaintSource.CALL,
        snapshot=order_snapshot(order),
        now=utcnow() - timedelta(hours=20),
    )
    db.session.commit()
    login_as(Role.SUPERVISOR)
    for url in ("/reports/deadlines", "/reports/live"):
        page = client.get(url).get_data(as_text=True)
        assert "<td>quality, price</td>" in page, url
