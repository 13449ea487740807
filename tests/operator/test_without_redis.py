"""Redis down, the console still works: operators sign in, take, save and submit calls; the
notifications those calls cause wait as rows and go out once jobs run again; ``/healthz`` keeps
the instance in service, saying it is degraded."""

from __future__ import annotations

import logging
import re
from datetime import time, timedelta

import pytest
from redis import Redis
from rq import Queue
from sqlalchemy import select

from console import jobs
from console.models import (
    Client,
    Complaint,
    DeliveryStatus,
    NotificationDelivery,
    Response,
    Role,
    utcnow,
)
from console.models.catalog import calling_hours_every_day

pytest_plugins = ["tests.qc.fake_endpoints"]  # webhook, refused_port

ANSWERS = {"q-quality": "bad", "q-what_wrong": "late", "q-price": "yes", "q-contacts": "no"}
OUTAGE = "job queue (Redis) unreachable"


@pytest.fixture
def app_config(refused_port):
    return {"REDIS_URL": f"redis://127.0.0.1:{refused_port}/0"}


@pytest.fixture
def round_the_clock(db):
    """The orders' client takes calls at any hour (the tests run at any hour)."""
    client = Client(
        key="acme",
        name="Acme Auto",
        timezone="Europe/Moscow",
        calling_hours=calling_hours_every_day(time(0), time(0)),  # round the clock
    )
    db.session.add(client)
    db.session.commit()


def deliveries(db) -> list[NotificationDelivery]:
    db.session.rollback()  # see what the requests and jobs committed
    return list(db.session.scalars(select(NotificationDelivery).order_by(NotificationDelivery.id)))


def take_and_submit_a_call(client, db) -> int:
    """Sign-in done: "Next call", one autosave, submit with two complaints' answers."""
    screen = client.post("/operator/next")
    assert screen.status_code == 200
    task_id = int(re.search(r'data-url="/operator/call/(\d+)"', screen.get_data(True)).group(1))
    token = re.search(r'name="token"[^>]*value="([^"]+)"', screen.get_data(True)).group(1)
    submit_key = re.search(r'name="submit_key"[^>]*value="([^"]+)"', screen.get_data(True))
    saved = client.post(
        f"/operator/call/{task_id}/autosave",
        data={"token": token, "seq": 1, **ANSWERS},
        headers={"Accept": "application/json"},
    )
    assert saved.status_code == 200 and saved.json["stored"] is True
    done = client.post(
        f"/operator/call/{task_id}/submit",
        data={"token": token, "submit_key": submit_key.group(1), **ANSWERS},
    )
    assert done.status_code in (200, 303), done.status_code  # the next call, or the start page
    return task_id


def test_without_redis_calls_are_taken_and_submitted_and_notifications_wait(
    app, client, db, login_as, make_user, make_task, round_the_clock, webhook, caplog
):
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url)
    make_user(Role.QC)  # who hears about the complaints
    make_task(due_at=utcnow() - timedelta(hours=1))
    caplog.set_level(logging.WARNING, logger="console.jobs")

    login_as(Role.OPERATOR)  # through the sign-in form: a 302, not a 500
    task_id = take_and_submit_a_call(client, db)

    assert db.session.scalar(select(Response).where(Response.task_id == task_id)) is not None
    [complaint] = db.session.scalars(select(Complaint)).all()  # one, with both categories
    assert len(complaint.categories) == 2
    waiting = deliveries(db)
    assert len(waiting) == 1  # one webhook message per new complaint
    assert all(d.status == DeliveryStatus.PENDING for d in waiting)
    assert webhook.received == []

    for _ in range(2):
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.get_json()["status"] == "degraded"
        assert health.get_json()["queue"] == "down"
    assert caplog.text.count(OUTAGE) == 1  # once for the outage, not per request

    # The periodic sender (flask cron's, once Redis runs again) sends what waited.
    assert jobs.run_inline("console.jobs.notifications.send_due") == 1
    assert all(d.status == DeliveryStatus.SENT for d in deliveries(db))
    assert len(webhook.received) == 1


@pytest.mark.redis
def test_once_redis_is_back_what_waited_is_sent_by_the_worker(
    app, client, db, login_as, make_user, make_task, round_the_clock, webhook, redis_url
):
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url, REDIS_RETRY_SECONDS=0)
    make_user(Role.QC)
    make_task(due_at=utcnow() - timedelta(hours=1))
    login_as(Role.OPERATOR)
    take_and_submit_a_call(client, db)  # one complaint, two categories: one message
    assert [d.status for d in deliveries(db)] == [DeliveryStatus.PENDING]

    # Redis comes back (here: at another address), and flask cron enqueues the sender.
    app.redis = Redis.from_url(redis_url)
    app.task_queue = Queue(jobs.DEFAULT_QUEUE, connection=app.redis)
    assert client.get("/healthz").get_json() == {"status": "ok", "db": "ok", "queue": "ok"}
    assert jobs.enqueue("console.jobs.notifications.send_due") is not None
    result = app.test_cli_runner().invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output

    assert [d.status for d in deliveries(db)] == [DeliveryStatus.SENT]
    assert len(webhook.received) == 1
