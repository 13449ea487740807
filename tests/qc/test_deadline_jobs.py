"""The deadline watch (every minute): the assignee is warned before a deadline, supervisors are
told when it is missed — once each, in the complaint's timeline, even with several workers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from sqlalchemy import select

from console.extensions import db as _db
from console.models import (
    Client,
    Complaint,
    ComplaintEvent,
    ComplaintSource,
    ComplaintStatus,
    Notification,
    NotificationKind,
    Role,
)
from console.services.complaints import deadline_alerts, sla
from console.services.complaints.opening import open_complaint, order_snapshot
from tests.helpers import on_both_databases

pytest_plugins = ["tests.qc.fake_endpoints"]  # smtp_server, webhook, refused_port

CREATED = datetime(2024, 11, 26, 6, 0, tzinfo=UTC)  # answer due 18:00 UTC (calendar client)


@pytest.fixture
def app_config():
    return {"COMPLAINT_DUE_SOON_MINUTES": 120, "SMTP_HOST": "", "NOTIFY_WEBHOOK_URL": ""}


@pytest.fixture
def people(make_user):
    return {
        "anna": make_user(Role.QC, name="Anna"),
        "boris": make_user(Role.QC, name="Boris"),
        "sam": make_user(Role.SUPERVISOR, name="Sam"),
    }


@pytest.fixture
def complain(db, make_order):
    def complain(*, assignee=None, created=CREATED):
        client = db.session.scalar(select(Client).where(Client.key == "calendar"))
        if client is None:
            client = Client(key="calendar", name="Calendar Co", timezone="Europe/Moscow")
            db.session.add(client)
        order = make_order(client=client)
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
        db.session.commit()
        return complaint

    return complain


def run_job_at(moment: datetime) -> str:
    from console.jobs.complaints import warn_deadlines

    with time_machine.travel(moment, tick=False):
        return warn_deadlines()


def notices(db, kind: NotificationKind) -> list[tuple[str, int]]:
    rows = db.session.execute(
        select(Notification.user_id, Notification.complaint_id)
        .where(Notification.kind == kind)
        .order_by(Notification.user_id)
    )
    return [tuple(r) for r in rows]


def timeline(db, complaint) -> list[str]:
    return list(
        db.session.scalars(
            select(ComplaintEvent.kind)
            .where(ComplaintEvent.complaint_id == complaint.id)
            .order_by(ComplaintEvent.id)
        )
    )


def test_the_assignee_is_warned_once_when_the_answer_is_due_soon(db, people, complain):
    complaint = complain(assignee=people["anna"])
    due = complaint.first_answer_due_at
    assert run_job_at(due - timedelta(hours=3)) == "warned 0, escalated 0"  # not yet

    assert run_job_at(due - timedelta(minutes=110)) == "warned 1, escalated 0"
    assert notices(db, NotificationKind.DUE_SOON) == [(people["anna"].id, complaint.id)]
    assert timeline(db, complaint)[-1] == deadline_alerts.WARNED
    db.session.refresh(complaint)
    assert complaint.answer_warned_at == due - timedelta(minutes=110)

    assert run_job_at(due - timedelta(minutes=100)) == "warned 0, escalated 0"  # once only
    assert len(notices(db, NotificationKind.DUE_SOON)) == 1


def test_nobody_holds_it_so_the_qc_team_is_warned(db, people, complain):
    complaint = complain()
    run_job_at(complaint.first_answer_due_at - timedelta(minutes=30))
    assert notices(db, NotificationKind.DUE_SOON) == [
        (people["anna"].id, complaint.id),
        (people["boris"].id, complaint.id),
    ]


def test_a_missed_answer_is_escalated_once_to_supervisors_and_the_assignee(db, people, complain):
    complaint = complain(assignee=people["anna"])
    due = complaint.first_answer_due_at
    run_job_at(due - timedelta(minutes=60))
    assert run_job_at(due + timedelta(minutes=1)) == "warned 0, escalated 1"
    assert notices(db, NotificationKind.OVERDUE) == [
        (people["anna"].id, complaint.id),
        (people["sam"].id, complaint.id),
    ]
    event = db.session.scalar(
        select(ComplaintEvent).where(ComplaintEvent.kind == deadline_alerts.MISSED)
    )
    assert event.actor_id is None and event.data["deadline"] == "answer"
    assert run_job_at(due + timedelta(hours=2)) == "warned 0, escalated 0"
    assert len(notices(db, NotificationKind.OVERDUE)) == 2


def test_a_complaint_found_overdue_is_escalated_without_a_late_warning(db, people, complain):
    complaint = complain(assignee=people["anna"])
    run_job_at(complaint.first_answer_due_at + timedelta(hours=1))  # the job was down before
    assert notices(db, NotificationKind.DUE_SOON) == []
    assert len(notices(db, NotificationKind.OVERDUE)) == 2
    db.session.refresh(complaint)
    assert complaint.answer_warned_at is not None and complaint.answer_escalated_at is not None


def test_after_the_first_answer_the_resolution_deadline_is_watched(db, people, complain):
    complaint = complain(assignee=people["anna"])
    complaint.first_answered_at = CREATED + timedelta(hours=2)
    db.session.commit()
    run_job_at(complaint.first_answer_due_at + timedelta(hours=1))
    assert notices(db, NotificationKind.OVERDUE) == []  # the answer was given in time

    run_job_at(complaint.resolution_due_at - timedelta(minutes=5))
    run_job_at(complaint.resolution_due_at + timedelta(minutes=5))
    db.session.refresh(complaint)
    assert complaint.resolution_warned_at is not None
    assert complaint.resolution_escalated_at is not None
    assert complaint.answer_warned_at is None
    events = db.session.scalars(
        select(ComplaintEvent.data).where(ComplaintEvent.kind.like("deadline_%"))
    ).all()
    assert [e["deadline"] for e in events] == ["resolution", "resolution"]


def test_a_complaint_waiting_for_the_customer_is_left_alone(db, people, complain):
    complaint = complain(assignee=people["anna"])
    complaint.status = ComplaintStatus.WAITING_CUSTOMER
    sla.pause(complaint, CREATED + timedelta(hours=1))
    db.session.commit()
    assert run_job_at(complaint.first_answer_due_at + timedelta(hours=5)) == (
        "warned 0, escalated 0"
    )


def test_resolved_complaints_are_left_alone(db, people, complain):
    complaint = complain(assignee=people["anna"])
    complaint.status = ComplaintStatus.RESOLVED
    complaint.resolved_at = CREATED + timedelta(hours=1)
    db.session.commit()
    assert run_job_at(complaint.resolution_due_at + timedelta(days=1)) == "warned 0, escalated 0"


@on_both_databases
def test_a_second_worker_with_a_stale_copy_does_not_warn_again(
    app, db, build_app, database_url, people, complain
):
    complaint = complain(assignee=people["anna"])
    moment = complaint.first_answer_due_at - timedelta(minutes=30)
    other = build_app(app.config["SQLALCHEMY_DATABASE_URI"])
    with other.app_context():
        stale = _db.session.get(Complaint, complaint.id)  # read before the first worker acts
        assert stale.answer_warned_at is None
        _db.session.expunge(stale)  # keep its stale values, end the read (SQLite would lock)
        _db.session.rollback()

        with app.app_context():
            assert deadline_alerts.check_deadlines(moment).warned == 1

        assert deadline_alerts.check_complaint(stale, moment) is None
        _db.session.commit()
        assert _db.session.scalar(
            select(Notification.id).where(Notification.kind == NotificationKind.DUE_SOON)
        )
        count = len(
            _db.session.scalars(
                select(ComplaintEvent.id).where(ComplaintEvent.kind == deadline_alerts.WARNED)
            ).all()
        )
        assert count == 1
    db.session.rollback()  # this test's own session: look past its old snapshot
    assert len(notices(db, NotificationKind.DUE_SOON)) == 1


def test_the_warning_goes_out_by_webhook_too(app, db, people, complain, webhook):
    app.config["NOTIFY_WEBHOOK_URL"] = webhook.url
    from console.jobs.notifications import send_due

    complaint = complain(assignee=people["anna"])
    send_due()
    webhook.received.clear()  # the "new complaint" message
    warned_at = complaint.first_answer_due_at - timedelta(minutes=10)
    run_job_at(warned_at)
    with time_machine.travel(warned_at, tick=False):
        assert send_due() == 1
    [message] = webhook.received
    assert message["json"]["event"] == "due_soon"
    assert message["json"]["complaint"]["id"] == complaint.id
    assert "due soon" in message["json"]["text"]


def test_the_check_runs_every_minute_and_its_messages_leave_within_seconds():
    from console.jobs import PERIODIC

    periodic = {p.func: p.interval for p in PERIODIC}
    assert periodic["console.jobs.complaints.warn_deadlines"] == 60
    assert periodic["console.jobs.notifications.send_due"] <= 15
