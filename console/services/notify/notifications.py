"""Tell people about complaints: an in-app notice for each recipient (shown without reloading),
and the same news by email and webhook, sent by a background job with retries.

Everything is recorded in the caller's transaction (``Notification`` and ``NotificationDelivery``
rows, a delivery due at once); the caller commits. Nothing is handed over at the commit: the
job ``console.jobs.notifications.send_due``, which runs every few seconds (``flask cron`` with
Redis, the web process's scheduler without), attempts every pending delivery that is due, new or
retried. So a delivery goes out only once its transaction committed (before that no other
session sees its row), never for a rolled-back one (there is no row), and a lost job or a Redis
outage only delays it. The price is a few seconds before an email leaves; the complaint's
deadlines are hours, and the in-app notice is there at once.

A delivery is claimed with a conditional UPDATE before it is sent, so two processes running the
job never send it twice at once. A failed attempt waits ``NOTIFY_RETRY_MINUTES`` before the
next; after ``NOTIFY_MAX_ATTEMPTS`` the delivery is FAILED with its last error kept, until an
admin retries.

Links in messages lead to the complaint on ``CONSOLE_BASE_URL``, else on the address of the
request whose unit of work recorded them (:func:`link_from`, called by the app once per
request); a job's messages without ``CONSOLE_BASE_URL`` carry no link.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import smtplib
import time
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from types import SimpleNamespace
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, update

from console.database import unit_of_work
from console.extensions import db
from console.models import (
    Complaint,
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    NotificationDelivery,
    NotificationKind,
    Role,
    User,
)
from console.models.base import utcnow
from console.services import audit
from console.services.complaints.categories import category_label

log = logging.getLogger(__name__)

_REQUEST_BASE_URL = "notify.request_base_url"  # Session.info key, see link_from()


def qc_team() -> list[User]:
    """Who hears about a complaint nobody holds yet: every active QC user."""
    return list(
        db.session.scalars(
            select(User).where(User.role == Role.QC, User.active.is_(True)).order_by(User.id)
        )
    )


def supervisors() -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.SUPERVISOR, User.active.is_(True))
            .order_by(User.id)
        )
    )


def recipients_for(complaint: Complaint) -> list[User]:
    """The assignee, or the QC team when the complaint is unassigned."""
    if complaint.assignee is not None and complaint.assignee.active:
        return [complaint.assignee]
    return qc_team()


def complaint_event(
    kind: NotificationKind,
    complaint: Complaint,
    *,
    now: datetime,
    title: str,
    body: str | None = None,
    recipients: list[User] | None = None,
) -> list[Notification]:
    """Record the notices for ``kind`` about ``complaint``, and its email and webhook
    deliveries (the caller commits; they are sent once it has). ``title`` is the English text
    used by email and webhook; the in-app notice is worded in its reader's language when shown
    (see :func:`notice_text`)."""
    users = recipients if recipients is not None else recipients_for(complaint)
    notices = [
        Notification(
            user_id=user.id,
            kind=kind,
            complaint_id=complaint.id,
            title=title[:200],
            body=body,
            created_at=now,
        )
        for user in users
    ]
    db.session.add_all(notices)
    _record_deliveries(kind, complaint, now=now, title=title, body=body, users=users)
    return notices


# --- deliveries --------------------------------------------------------------------------------


def link_from(base_url: str | None) -> None:
    """Messages recorded in this unit of work (the session) link to complaints on ``base_url``
    when ``CONSOLE_BASE_URL`` is not set: the app passes the address of the request."""
    db.session.info[_REQUEST_BASE_URL] = base_url


def _complaint_url(complaint_id: int) -> str | None:
    """A link for the email / chat message (see the module's docstring)."""
    base = current_app.config.get("CONSOLE_BASE_URL") or db.session.info.get(_REQUEST_BASE_URL)
    if not base:
        return None
    parts = urlsplit(base)
    adapter = current_app.url_map.bind(
        parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https"
    )
    return adapter.build("qc.complaint", {"complaint_id": complaint_id}, force_external=True)


def _record_deliveries(
    kind: NotificationKind,
    complaint: Complaint,
    *,
    now: datetime,
    title: str,
    body: str | None,
    users: list[User],
) -> list[NotificationDelivery]:
    config = current_app.config
    if complaint.id is None:
        db.session.flush()
    url = _complaint_url(complaint.id)
    deliveries = []
    if config.get("SMTP_HOST"):
        for user in users:
            if user.email:
                # Each person reads it in their own language (the team's when they chose none).
                subject, text = _message(kind, complaint, title, body, url, user.locale, now)
                deliveries.append(
                    NotificationDelivery(
                        channel=DeliveryChannel.EMAIL,
                        target=user.email,
                        kind=kind,
                        complaint_id=complaint.id,
                        subject=subject[:300],
                        payload={"to": user.email, "name": user.name, "text": text},
                        created_at=now,
                        next_attempt_at=now,
                    )
                )
    if config.get("NOTIFY_WEBHOOK_URL"):
        title, _text = _message(kind, complaint, title, body, url, None, now)
        deliveries.append(
            NotificationDelivery(
                channel=DeliveryChannel.WEBHOOK,
                target=config["NOTIFY_WEBHOOK_URL"][:500],
                kind=kind,
                complaint_id=complaint.id,
                subject=title[:300],
                # A delivery id of its own, stored with the body: every retry of this delivery
                # carries the same one, so a receiver can drop the duplicates it gets.
                payload={"delivery_id": str(uuid.uuid4())}
                | webhook_payload(
                    kind, complaint, title=title, body=body, url=url, users=users, now=now
                ),
                created_at=now,
                next_attempt_at=now,
            )
        )
    db.session.add_all(deliveries)
    return deliveries


def _message(kind, complaint, title, body, url, locale: str | None, now) -> tuple[str, str]:
    """Subject and text of an email or chat message, in ``locale`` or ``NOTIFY_LANGUAGE``."""
    language = locale or current_app.config.get("NOTIFY_LANGUAGE") or "en"
    notice = SimpleNamespace(kind=kind, complaint=complaint, title=title, body=body, created_at=now)
    with force_locale(language):
        subject, text_body = notice_text(notice)
    return subject, "\n\n".join(part for part in (subject, text_body, url) if part)


def webhook_payload(
    kind: NotificationKind,
    complaint: Complaint,
    *,
    title: str,
    body: str | None,
    url: str | None,
    users: list[User],
    now: datetime,
) -> dict:
    """The JSON posted to the webhook. ``text`` is what a team chat's incoming webhook
    (Slack, Mattermost, Rocket.Chat) shows; the rest is for programs."""
    return {
        "text": "\n".join(part for part in (title, body, url) if part),
        "event": kind.value,
        "at": now.isoformat(),
        "title": title,
        "body": body,
        "url": url,
        "complaint": {
            "id": complaint.id,
            "kind": complaint.kind.value if complaint.kind else None,
            "category": complaint.category,
            "status": complaint.status.value if complaint.status else None,
            "client_id": complaint.client_id,
            "first_answer_due_at": _iso(complaint.first_answer_due_at),
            "resolution_due_at": _iso(complaint.resolution_due_at),
        },
        "recipients": [u.name for u in users],  # names only: a chat channel is wider
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def retry_delay(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt (the last interval repeats)."""
    minutes = current_app.config["NOTIFY_RETRY_MINUTES"]
    return timedelta(minutes=minutes[min(max(attempts, 1), len(minutes)) - 1])


@dataclass(frozen=True)
class Outgoing:
    """One claimed attempt: what to send, where."""

    id: int
    channel: DeliveryChannel
    target: str
    subject: str
    payload: dict


def claim(delivery_id: int, now: datetime) -> Outgoing | None:
    """Take a due, pending delivery for one attempt, or None when it isn't due or another
    process has just taken it. The claim counts the attempt and pushes ``next_attempt_at`` past
    the send's timeout, so a worker that dies mid-send leaves it to be retried, not lost."""
    config = current_app.config
    hold = timedelta(seconds=max(config["SMTP_TIMEOUT"], config["NOTIFY_WEBHOOK_TIMEOUT"]) * 3)
    with unit_of_work() as session:
        result = session.execute(
            update(NotificationDelivery)
            .where(
                NotificationDelivery.id == delivery_id,
                NotificationDelivery.status == DeliveryStatus.PENDING,
                or_(
                    NotificationDelivery.next_attempt_at.is_(None),
                    NotificationDelivery.next_attempt_at <= now,
                ),
            )
            .values(
                attempts=NotificationDelivery.attempts + 1,
                next_attempt_at=now + max(hold, timedelta(minutes=1)),
            )
            .execution_options(synchronize_session=False)
        )
        claimed = result.rowcount == 1
    if not claimed:
        return None
    delivery = db.session.get(NotificationDelivery, delivery_id)
    db.session.refresh(delivery)
    # What to send, read now: no transaction stays open while the far end is slow.
    outgoing = Outgoing(
        id=delivery.id,
        channel=delivery.channel,
        target=delivery.target,
        subject=delivery.subject,
        payload=dict(delivery.payload or {}),
    )
    db.session.commit()
    return outgoing


def deliver(delivery_id: int, now: datetime | None = None) -> DeliveryStatus | None:
    """One attempt at one delivery: SENT, or PENDING with the next attempt scheduled, or FAILED
    after the last attempt. Never raises for a send error: the error is kept on the row."""
    now = now or utcnow()
    outgoing = claim(delivery_id, now)
    if outgoing is None:
        return None
    error = None
    try:
        send(outgoing)
    except Exception as exc:  # any failure of the far end is recorded, never lost
        error = f"{exc.__class__.__name__}: {exc}"[:2000]
        log.warning("delivery %s (%s) failed: %s", delivery_id, outgoing.channel, error)
    with unit_of_work():
        delivery = db.session.get(NotificationDelivery, delivery_id)
        if error is None:
            delivery.status = DeliveryStatus.SENT
            delivery.sent_at = utcnow()
            delivery.next_attempt_at = None
        else:
            delivery.last_error = error
            if delivery.attempts >= current_app.config["NOTIFY_MAX_ATTEMPTS"]:
                delivery.status = DeliveryStatus.FAILED
                delivery.next_attempt_at = None
            else:
                delivery.next_attempt_at = now + retry_delay(delivery.attempts)
        status = delivery.status
    return status


def due_delivery_ids(now: datetime, limit: int = 200) -> list[int]:
    return list(
        db.session.scalars(
            select(NotificationDelivery.id)
            .where(
                NotificationDelivery.status == DeliveryStatus.PENDING,
                NotificationDelivery.next_attempt_at <= now,
            )
            .order_by(NotificationDelivery.next_attempt_at, NotificationDelivery.id)
            .limit(limit)
        )
    )


def retry(delivery: NotificationDelivery, *, by: User, now: datetime) -> None:
    """An admin sends a failed delivery again: one more attempt, due now (the caller commits;
    the job sends it like any new delivery)."""
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = now
    audit.record(
        "notification.delivery.retried",
        actor=by,
        entity=delivery,
        details={"channel": delivery.channel.value, "attempts": delivery.attempts},
    )


# --- the far ends ------------------------------------------------------------------------------


def send(delivery: Outgoing | NotificationDelivery) -> None:
    if delivery.channel == DeliveryChannel.EMAIL:
        send_email(delivery)
    elif delivery.channel == DeliveryChannel.WEBHOOK:
        send_webhook(delivery)
    else:  # pragma: no cover - the enum has two members
        raise ValueError(f"unknown channel {delivery.channel}")


def send_email(delivery: Outgoing | NotificationDelivery) -> None:
    config = current_app.config
    if not config.get("SMTP_HOST"):
        raise RuntimeError("SMTP_HOST is not set")
    message = EmailMessage()
    message["From"] = config["SMTP_SENDER"]
    message["To"] = delivery.target
    message["Subject"] = delivery.subject
    message.set_content(delivery.payload.get("text") or delivery.subject)
    with smtplib.SMTP(
        config["SMTP_HOST"], config["SMTP_PORT"], timeout=config["SMTP_TIMEOUT"]
    ) as smtp:
        if config.get("SMTP_STARTTLS"):
            smtp.starttls()
        if config.get("SMTP_USERNAME"):
            smtp.login(config["SMTP_USERNAME"], config["SMTP_PASSWORD"])
        smtp.send_message(message)


def send_webhook(delivery: Outgoing | NotificationDelivery) -> None:
    """POST the JSON; any answer other than 2xx (or no answer) is a failure."""
    if not delivery.target.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {delivery.target}")
    body = json.dumps(delivery.payload).encode()
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        delivery.target,
        data=body,
        headers=webhook_headers(
            delivery, body, secret=current_app.config.get("NOTIFY_WEBHOOK_SECRET")
        ),
        method="POST",
    )
    timeout = current_app.config["NOTIFY_WEBHOOK_TIMEOUT"]
    with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
        if not 200 <= response.status < 300:
            raise RuntimeError(f"HTTP {response.status}")


def webhook_headers(
    delivery: Outgoing | NotificationDelivery,
    body: bytes,
    *,
    secret: str | None,
) -> dict[str, str]:
    """The delivery id (the same on every attempt; deliveries recorded before it existed use
    their row's id) and, with a secret, ``X-Console-Signature: sha256=<hex>``: the HMAC-SHA256
    of ``"<X-Console-Timestamp>.<body>"``, so a receiver can check the sender and refuse an old
    message played again."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "qc-console",
        "X-Console-Delivery": str((delivery.payload or {}).get("delivery_id") or delivery.id),
    }
    if secret:
        timestamp = str(int(time.time()))
        signed = timestamp.encode() + b"." + body
        digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
        headers["X-Console-Timestamp"] = timestamp
        headers["X-Console-Signature"] = f"sha256={digest}"
    return headers


# --- what a notice says, in its reader's language ----------------------------------------------


def notice_text(notice: Notification) -> tuple[str, str | None]:
    """The title and body of an in-app notice in the current locale, from its kind and its
    complaint; the stored English title is the fallback."""
    complaint = notice.complaint
    if complaint is None:
        return notice.title, notice.body
    number, body = complaint.id, notice.body
    if notice.kind == NotificationKind.NEW_COMPLAINT:
        if complaint.kind is not None and complaint.kind.value == "poaching":
            title = _(
                "New poaching case #%(n)s: %(category)s",
                n=number,
                category=", ".join(category_label(k) for k in complaint.category_keys),
            )
        else:
            title = _(
                "New complaint #%(n)s: %(category)s",
                n=number,
                category=", ".join(category_label(k) for k in complaint.category_keys),
            )
    elif notice.kind == NotificationKind.ASSIGNED:
        title = _("#%(n)s was assigned to you", n=number)
    elif notice.kind in (NotificationKind.DUE_SOON, NotificationKind.OVERDUE):
        # The stored body is English with a UTC time; the notice list shows the live badge.
        body = None
        # Which deadline it was about: the answer, as long as none had been given then.
        answered = complaint.first_answered_at
        about_answer = answered is None or answered > notice.created_at
        if notice.kind == NotificationKind.DUE_SOON:
            title = (
                _("#%(n)s: the first answer is due soon", n=number)
                if about_answer
                else _("#%(n)s: the resolution is due soon", n=number)
            )
        else:
            title = (
                _("#%(n)s: the first answer is overdue", n=number)
                if about_answer
                else _("#%(n)s: the resolution is overdue", n=number)
            )
    else:
        title = notice.title
    return title, body


def notices_page(user: User, page: int, per_page: int) -> tuple[list[Notification], int]:
    """One page of a person's notices, newest first, and how many they have in all."""
    mine = select(Notification).where(Notification.user_id == user.id)
    total = db.session.scalar(select(func.count()).select_from(mine.subquery()))
    notices = db.session.scalars(
        mine.order_by(Notification.id.desc()).limit(per_page).offset((page - 1) * per_page)
    ).all()
    return list(notices), total


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
    )


def latest(user: User, *, limit: int = 5, unread_only: bool = True) -> list[Notification]:
    query = select(Notification).where(Notification.user_id == user.id)
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    return list(db.session.scalars(query.order_by(Notification.id.desc()).limit(limit)))


def mark_read(user: User, notice_id: int | None, *, now: datetime) -> int:
    """Mark one notice (or, with None, all of them) of ``user`` read; returns how many."""
    query = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None)
    )
    if notice_id is not None:
        query = query.where(Notification.id == notice_id)
    result = db.session.execute(
        query.values(read_at=now).execution_options(synchronize_session=False)
    )
    return result.rowcount


# --- the admins' view of deliveries ------------------------------------------------------------


def delivery_counts() -> dict[DeliveryStatus, int]:
    rows = db.session.execute(
        select(NotificationDelivery.status, func.count()).group_by(NotificationDelivery.status)
    )
    counts = dict.fromkeys(DeliveryStatus, 0)
    for status, count in rows:
        counts[DeliveryStatus(status)] = count
    return counts


def deliveries(
    status: DeliveryStatus | None, *, page: int = 1, per_page: int = 50
) -> tuple[list[NotificationDelivery], int]:
    """Deliveries newest first (only ``status`` when given), and how many there are."""
    query = select(NotificationDelivery)
    if status is not None:
        query = query.where(NotificationDelivery.status == status)
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    rows = db.session.scalars(
        query.order_by(NotificationDelivery.id.desc())
        .limit(per_page)
        .offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(rows), total
