"""Notifications about complaints: in-app notices for the people concerned, and the same news by
email and webhook with retries — a far end that fails loses nothing: the delivery waits, is
retried, is marked failed with its error for the admins, and can still be sent later."""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from console.jobs.notifications import send_due
from console.models import (
    ComplaintSource,
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationKind,
    Role,
    utcnow,
)
from console.services.complaints.opening import open_complaint, order_snapshot
from console.services.notify import notifications

pytest_plugins = ["tests.qc.fake_endpoints"]  # smtp_server, webhook, refused_port

pytestmark = pytest.mark.usefixtures("quiet_mail")


@pytest.fixture
def app_config():
    return {
        "SMTP_STARTTLS": False,
        "SMTP_TIMEOUT": 3,
        "NOTIFY_WEBHOOK_TIMEOUT": 3,
        "NOTIFY_MAX_ATTEMPTS": 3,
        "NOTIFY_RETRY_MINUTES": [1, 5],
    }


@pytest.fixture
def quiet_mail(app):
    """No far end unless a test names one."""
    app.config.update(SMTP_HOST="", NOTIFY_WEBHOOK_URL="")


@pytest.fixture
def complain(db, make_order):
    def complain(**kw):
        order = make_order()
        complaint = open_complaint(
            order,
            category="quality",
            source=ComplaintSource.MANUAL,
            snapshot=order_snapshot(order),
            now=kw.pop("now", None) or utcnow(),
            summary="Oil leak after the service",
            **kw,
        )
        return complaint

    return complain


def deliveries(db, channel=None):
    query = select(NotificationDelivery).order_by(NotificationDelivery.id)
    if channel is not None:
        query = query.where(NotificationDelivery.channel == channel)
    return list(db.session.scalars(query))


def test_a_new_complaint_tells_the_qc_team_in_app_by_email_and_by_webhook(
    app, db, make_user, complain, smtp_server, webhook
):
    qc1, qc2 = make_user(Role.QC), make_user(Role.QC)
    make_user(Role.OPERATOR)
    smtp_server.refuse = False
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, NOTIFY_WEBHOOK_URL=webhook.url
    )

    complaint = complain()
    db.session.commit()
    assert smtp_server.messages == [] and webhook.received == []  # the job sends them
    assert send_due() == 3  # two emails and one webhook message

    notices = db.session.scalars(select(Notification).order_by(Notification.user_id)).all()
    assert [n.user_id for n in notices] == [qc1.id, qc2.id]
    assert all(d.status == DeliveryStatus.SENT for d in deliveries(db))
    assert sorted(d.target for d in deliveries(db, DeliveryChannel.EMAIL)) == sorted(
        [qc1.email, qc2.email]
    )
    assert len(smtp_server.messages) == 2
    assert f"#{complaint.id}" in smtp_server.messages[0]
    assert "Oil leak after the service" in smtp_server.messages[0]
    [posted] = webhook.received
    assert posted["type"] == "application/json"
    assert posted["json"]["event"] == "new_complaint"
    assert posted["json"]["complaint"]["id"] == complaint.id
    assert f"#{complaint.id}" in posted["json"]["text"]  # what a team chat shows


def test_nothing_is_sent_for_a_complaint_that_was_rolled_back(
    app, db, make_user, complain, webhook
):
    make_user(Role.QC)
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url)
    complain()
    db.session.rollback()
    assert send_due() == 0
    assert deliveries(db) == [] and webhook.received == []


def test_messages_sent_by_a_job_link_to_the_complaint_on_the_base_url(
    app, db, make_user, complain, webhook
):
    """The deadline job has no request to take an address from: CONSOLE_BASE_URL gives it."""
    make_user(Role.QC)
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url, CONSOLE_BASE_URL="https://qc.example.com/")
    complaint = complain()
    db.session.commit()
    send_due()
    [posted] = webhook.received
    link = f"https://qc.example.com/qc/complaints/{complaint.id}"
    assert posted["json"]["url"] == link
    assert link in posted["json"]["text"]


def test_a_message_caused_by_a_person_links_to_the_address_they_used(
    app, db, client, make_user, login_as, complain, webhook
):
    """Without CONSOLE_BASE_URL, the request that recorded the message gives the address."""
    colleague = make_user(Role.QC)
    complaint = complain()
    db.session.commit()
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url, CONSOLE_BASE_URL="")
    login_as(Role.QC)
    response = client.post(
        f"/qc/complaints/{complaint.id}/assign",
        data={"assign-assignee": str(colleague.id), "assign-department": "", "assign-note": ""},
    )
    assert response.status_code < 400
    assert send_due() == 1
    [posted] = webhook.received
    assert posted["json"]["event"] == "assigned"
    assert posted["json"]["url"] == f"http://localhost/qc/complaints/{complaint.id}"


def test_each_person_gets_the_email_in_their_own_language(app, db, make_user, complain):
    make_user(Role.QC, email="elena@example.com", locale="ru")
    make_user(Role.QC, email="quinn@example.com")  # no language chosen: the team's
    app.config.update(SMTP_HOST="127.0.0.1", NOTIFY_LANGUAGE="en")
    complaint = complain()
    db.session.commit()
    subjects = {d.target: d.subject for d in deliveries(db, DeliveryChannel.EMAIL)}
    assert subjects == {
        "elena@example.com": f"Новая жалоба #{complaint.id}: качество",
        "quinn@example.com": f"New complaint #{complaint.id}: quality",
    }


def test_without_smtp_host_or_webhook_url_only_in_app_notices_are_made(db, make_user, complain):
    make_user(Role.QC)
    complain()
    db.session.commit()
    assert deliveries(db) == []
    assert db.session.scalar(select(Notification.id)) is not None


def test_a_failing_webhook_is_retried_later_and_then_sent(app, db, make_user, complain, webhook):
    make_user(Role.QC)
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url)
    webhook.statuses = [500]  # then 200
    start = utcnow().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        complain(now=start)
        db.session.commit()
        send_due()
    [delivery] = deliveries(db)
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1
    assert "500" in delivery.last_error
    assert delivery.next_attempt_at == start + timedelta(minutes=1)

    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        assert send_due() == 0  # not due yet: nothing is attempted
    db.session.refresh(delivery)
    assert delivery.attempts == 1

    with time_machine.travel(start + timedelta(minutes=1), tick=False):
        assert send_due() == 1
    db.session.refresh(delivery)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2
    assert delivery.sent_at is not None and delivery.next_attempt_at is None
    assert len(webhook.received) == 2  # the same message, twice: nothing lost


def test_every_attempt_at_a_webhook_carries_the_same_delivery_id(
    app, db, make_user, complain, webhook
):
    """At-least-once delivery sends a message again after a failure the receiver may have
    acted on: the id lets the receiver drop the second copy. Each message has its own."""
    make_user(Role.QC)
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url, NOTIFY_RETRY_MINUTES=[0])
    webhook.statuses = [500]  # then 200
    complain()
    complain()
    db.session.commit()
    send_due()
    assert send_due() == 1
    first, second, retried = webhook.received
    assert retried["json"] == first["json"]
    ids = [posted["headers"]["X-Console-Delivery"] for posted in (first, second, retried)]
    assert ids[0] == ids[2] != ids[1]
    assert [posted["json"]["delivery_id"] for posted in (first, second, retried)] == ids


def test_a_signed_webhook_verifies_with_the_secret_and_its_timestamp(
    app, db, make_user, complain, webhook
):
    make_user(Role.QC)
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url, NOTIFY_WEBHOOK_SECRET="s3cret")
    sent_at = utcnow().replace(microsecond=0)
    with time_machine.travel(sent_at, tick=False):
        complain(now=sent_at)
        db.session.commit()
        send_due()
    [posted] = webhook.received
    headers = posted["headers"]
    assert headers["X-Console-Timestamp"] == str(int(sent_at.timestamp()))

    def signature(secret: bytes, timestamp: str, body: bytes) -> str:
        digest = hmac.new(secret, timestamp.encode() + b"." + body, hashlib.sha256)
        return "sha256=" + digest.hexdigest()

    assert headers["X-Console-Signature"] == signature(
        b"s3cret", headers["X-Console-Timestamp"], posted["body"]
    )
    # A receiver refuses a body or a timestamp that was changed, and another sender's secret.
    changed = posted["body"].replace(b"quality", b"price")
    assert headers["X-Console-Signature"] != signature(
        b"s3cret", headers["X-Console-Timestamp"], changed
    )
    later = str(int(sent_at.timestamp()) + 600)
    assert headers["X-Console-Signature"] != signature(b"s3cret", later, posted["body"])
    assert headers["X-Console-Signature"] != signature(
        b"other", headers["X-Console-Timestamp"], posted["body"]
    )


def test_without_a_secret_a_webhook_is_not_signed(app, db, make_user, complain, webhook):
    make_user(Role.QC)
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url, NOTIFY_WEBHOOK_SECRET="")
    complain()
    db.session.commit()
    send_due()
    [posted] = webhook.received
    assert "X-Console-Signature" not in posted["headers"]
    assert posted["headers"]["X-Console-Delivery"] == posted["json"]["delivery_id"]


def test_a_refused_smtp_connection_fails_after_the_last_attempt_with_its_error_kept(
    app,
    db,
    make_user,
    complain,
    refused_port,
):
    make_user(Role.QC)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=refused_port)
    start = utcnow().replace(microsecond=0)
    complain(now=start)
    db.session.commit()
    [delivery] = deliveries(db)

    waits = []
    moment = start
    for _ in range(3):  # NOTIFY_MAX_ATTEMPTS
        assert notifications.deliver(delivery.id, now=moment) is not None
        db.session.refresh(delivery)
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - moment)
            moment = delivery.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=5)]
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == 3
    assert "ConnectionRefusedError" in delivery.last_error
    assert delivery.next_attempt_at is None
    # A failed delivery is not attempted again by the clock.
    assert notifications.deliver(delivery.id, now=moment + timedelta(days=1)) is None
    assert notifications.due_delivery_ids(moment + timedelta(days=1)) == []


def test_an_smtp_server_answering_451_is_recorded_then_a_later_success_sends_it(
    app, db, make_user, complain, smtp_server
):
    make_user(Role.QC)
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port)
    start = utcnow()
    complain(now=start)
    db.session.commit()
    [delivery] = deliveries(db)
    assert notifications.deliver(delivery.id, now=start) == DeliveryStatus.PENDING
    db.session.refresh(delivery)
    assert "451" in delivery.last_error and smtp_server.messages == []

    smtp_server.refuse = False
    later = delivery.next_attempt_at
    assert notifications.deliver(delivery.id, now=later) == DeliveryStatus.SENT
    assert len(smtp_server.messages) == 1


def test_a_delivery_is_sent_once_even_when_two_processes_reach_for_it(
    app, db, make_user, complain, webhook
):
    make_user(Role.QC)
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url)
    now = utcnow()
    complain(now=now)
    db.session.commit()
    [delivery] = deliveries(db)
    assert notifications.claim(delivery.id, now) is not None
    assert notifications.claim(delivery.id, now) is None  # already taken for this attempt
    assert notifications.deliver(delivery.id, now=now) is None
    assert webhook.received == []


@pytest.mark.redis
def test_with_redis_a_worker_sends_what_was_committed(
    build_app, database_url, redis_url, make_user, webhook
):
    """At scale the sender runs on the queue (flask cron enqueues it), in a worker."""
    from rq import Queue

    from console import jobs
    from console.extensions import db as _db
    from console.models import Client, Customer, CustomerPhone, Order, WorkType

    queued_app = build_app(database_url, REDIS_URL=redis_url, NOTIFY_WEBHOOK_URL=webhook.url)
    with queued_app.app_context():
        make_user(Role.QC)
        client = Client(key="rq", name="RQ client")
        customer = Customer(client=client, name="Ann")
        customer.phones.append(CustomerPhone(e164="+79120000001", is_primary=True))
        order = Order(
            client=client,
            external_id="Q-1",
            customer=customer,
            phone="+79120000001",
            work_type=WorkType(key="rq-oil", name="Oil"),
            amount=100,
            completed_at=utcnow(),
        )
        _db.session.add(order)
        _db.session.commit()
        complaint = open_complaint(
            order,
            category="quality",
            source=ComplaintSource.MANUAL,
            snapshot=order_snapshot(order),
            now=utcnow(),
        )
        _db.session.commit()
        assert jobs.enqueue("console.jobs.notifications.send_due") is not None
        assert Queue(jobs.DEFAULT_QUEUE, connection=queued_app.redis).count == 1
        result = queued_app.test_cli_runner().invoke(args=["worker", "--burst"])
        assert result.exit_code == 0, result.output
        [delivery] = _db.session.scalars(select(NotificationDelivery)).all()
        assert delivery.status == DeliveryStatus.SENT
        [posted] = webhook.received
        assert posted["json"]["complaint"]["id"] == complaint.id


def test_an_admin_sees_the_failure_and_retries_it(
    app, db, client, make_user, login_as, complain, webhook
):
    make_user(Role.QC)
    app.config.update(NOTIFY_WEBHOOK_URL=webhook.url, NOTIFY_MAX_ATTEMPTS=1)
    webhook.statuses = [503]
    complain()
    db.session.commit()
    send_due()
    [delivery] = deliveries(db)
    assert delivery.status == DeliveryStatus.FAILED

    login_as(Role.ADMIN)
    page = client.get("/admin/notifications").get_data(as_text=True)
    assert f'id="delivery-{delivery.id}"' in page
    assert "HTTP Error 503" in page
    assert "Retry" in page

    response = client.post(f"/admin/notifications/{delivery.id}/retry?status=failed")
    assert response.status_code == 302
    response.close()
    assert send_due() == 1
    delivery = db.session.get(NotificationDelivery, delivery.id)
    assert delivery.status == DeliveryStatus.SENT
    assert delivery.attempts == 2
    first, again = webhook.received
    assert again["headers"]["X-Console-Delivery"] == first["headers"]["X-Console-Delivery"]
    sent_page = client.get("/admin/notifications?status=sent").get_data(as_text=True)
    assert f'id="delivery-{delivery.id}"' in sent_page


def test_only_admins_see_the_deliveries(client, login_as):
    login_as(Role.QC)
    assert client.get("/admin/notifications").status_code == 403


# --- in-app notices ------------------------------------------------------------------------------


def test_the_bell_shows_unread_notices_in_the_readers_words(
    db, client, make_user, login_as, complain
):
    qc = make_user(Role.QC)
    complaint = complain()
    db.session.commit()
    notice = db.session.scalar(select(Notification).where(Notification.user_id == qc.id))
    notice.title = "stored English fallback"
    db.session.commit()

    login_as(qc)
    bell = client.get("/notices/bell", headers={"HX-Request": "true"})
    html = bell.get_data(as_text=True)
    assert 'data-unread="1"' in html
    assert f"New complaint #{complaint.id}: quality" in html  # worded when shown
    assert "stored English fallback" not in html
    assert 'hx-trigger="every 20s' in html

    response = client.post(f"/notices/{notice.id}/read", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert 'data-unread="0"' in response.get_data(as_text=True)
    listing = client.get("/notices/").get_data(as_text=True)
    assert f"New complaint #{complaint.id}" in listing and "0 unread of 1" in listing


def test_a_notice_opens_its_complaint_and_is_read_then(db, client, make_user, login_as, complain):
    qc = make_user(Role.QC)
    complain()
    db.session.commit()
    notice = db.session.scalar(select(Notification))
    login_as(qc)
    response = client.post(f"/notices/{notice.id}/open")
    assert response.status_code == 302
    assert f"/{notice.complaint_id}" in response.headers["Location"]
    db.session.refresh(notice)
    assert notice.read_at is not None


def test_nobody_reads_or_marks_someone_elses_notices(db, client, make_user, login_as, complain):
    owner = make_user(Role.QC)
    complain()
    db.session.commit()
    notice = db.session.scalar(select(Notification).where(Notification.user_id == owner.id))
    login_as(Role.SUPERVISOR)
    assert client.post(f"/notices/{notice.id}/read").status_code == 404
    assert client.post(f"/notices/{notice.id}/open").status_code == 404
    assert f"#{notice.complaint_id}" not in client.get("/notices/").get_data(as_text=True)
    db.session.refresh(notice)
    assert notice.read_at is None


def test_mark_all_read(db, client, make_user, login_as, complain):
    qc = make_user(Role.QC)
    complain()
    complain()
    db.session.commit()
    login_as(qc)
    assert notifications.unread_count(qc) == 2
    client.post("/notices/read-all")
    assert notifications.unread_count(qc) == 0


def test_the_layout_loads_the_bell_for_qc_but_not_for_operators(client, make_user, login_as):
    login_as(Role.SUPERVISOR)
    page = client.get("/reports/deadlines").get_data(as_text=True)
    assert 'id="notice-bell"' in page and "/notices/bell" in page

    client.post("/logout")
    login_as(Role.OPERATOR)
    page = client.get("/operator/").get_data(as_text=True)
    assert 'id="notice-bell"' not in page


def test_notice_kinds_have_their_own_words(app, db, make_user, complain):
    qc = make_user(Role.QC)
    complaint = complain()
    db.session.commit()
    when = utcnow()
    due_soon = Notification(
        user_id=qc.id,
        kind=NotificationKind.DUE_SOON,
        complaint=complaint,
        title="x",
        created_at=when,
    )
    with app.test_request_context():
        assert notifications.notice_text(due_soon)[0] == (
            f"#{complaint.id}: the first answer is due soon"
        )
        complaint.first_answered_at = when - timedelta(minutes=1)
        assert notifications.notice_text(due_soon)[0] == (
            f"#{complaint.id}: the resolution is due soon"
        )
