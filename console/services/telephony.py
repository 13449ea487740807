"""A telephony provider's call events (``POST /api/v1/calls/events``) on the console's calls.

The provider reports ``started``, ``answered`` and ``ended`` (with the seconds talked and the
recording's address) for each of its calls. Each event is kept as it came, once per (provider
call id, event): a retried delivery changes nothing and is answered as a duplicate.

An event is attached to the call attempt it belongs to, found, in this order, by:

1. the provider's call id, when an earlier event of the same call was already attached;
2. the call id the console put on the call screen's dial link (``data-call-id``: the attempt's
   id), which the provider's click-to-call passes back;
3. the customer's phone (E.164) and the time: an attempt on a call of a customer with that
   number whose time brackets the event's, give or take ``MATCH_WINDOW`` (2 minutes). The
   console opens an attempt when the operator takes the call and closes it when they record
   the outcome, so the dial happens inside that interval; of several, the one that started
   closest to the event.

An event that fits no attempt yet is kept unattached; a later event of the same provider call
that does fit brings it along. What the events say is written on the attempt:
``provider_call_id``, ``answered_at``, ``talk_seconds`` and ``recording_url`` (https only: the
complaint page and the customer's history play it in an ``<audio>`` player).

Messages are English (the provider's system reads them). Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import phonenumbers
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError

from console.extensions import db
from console.ids import optional_id
from console.models import CallAttempt, CallEvent, CallTask, CustomerPhone, Order, utcnow

EVENTS = ("started", "answered", "ended")
MATCH_WINDOW = timedelta(minutes=2)
# An attempt left open (a claim never finished) does not catch calls made hours later.
LONGEST_ATTEMPT = timedelta(hours=3)
MAX_DURATION = 24 * 3600


class EventRejected(ValueError):
    """The event cannot be accepted; ``fields`` maps each bad field to what is wrong."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(fields)
        self.fields = fields


@dataclass(frozen=True, slots=True)
class Received:
    event_id: int
    duplicate: bool  # the same (provider call id, event) had already been received
    attempt_id: int | None  # the attempt it is attached to, if any

    def as_json(self) -> dict:
        return {
            "event_id": self.event_id,
            "duplicate": self.duplicate,
            "matched": self.attempt_id is not None,
            "call_id": str(self.attempt_id) if self.attempt_id is not None else None,
        }


@dataclass(frozen=True, slots=True)
class Event:
    provider_call_id: str
    event: str
    at: datetime
    call_ref: str | None = None
    phone: str | None = None
    duration_seconds: int | None = None
    recording_url: str | None = None


def _string(data: dict, name: str, fields: dict, *, limit: int, required=False) -> str | None:
    value = data.get(name)
    if isinstance(value, int) and not isinstance(value, bool) and name == "call_id":
        value = str(value)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            fields[name] = "required"
        return None
    if not isinstance(value, str):
        fields[name] = "must be a string"
        return None
    value = value.strip()
    if len(value) > limit:
        fields[name] = f"at most {limit} characters"
        return None
    return value


def parse_event(data) -> Event:
    """The event from its JSON object, or ``EventRejected`` naming every bad field."""
    if not isinstance(data, dict):
        raise EventRejected({"body": "must be a JSON object"})
    fields: dict[str, str] = {}
    known = {
        "provider_call_id",
        "event",
        "at",
        "call_id",
        "phone",
        "duration_seconds",
        "recording_url",
    }
    for name in data:
        if name not in known:
            fields[str(name)[:64]] = "unknown field"
    provider_call_id = _string(data, "provider_call_id", fields, limit=128, required=True)
    event = data.get("event")
    if event not in EVENTS:
        fields["event"] = f"one of {', '.join(EVENTS)}"
    at = None
    raw_at = _string(data, "at", fields, limit=64, required=True)
    if raw_at is not None:
        try:
            at = datetime.fromisoformat(raw_at)
        except ValueError:
            fields["at"] = "not an ISO 8601 date and time"
        else:
            if at.tzinfo is None:
                fields["at"] = "needs a time zone offset (e.g. 2026-11-19T11:05:00Z)"
    call_ref = _string(data, "call_id", fields, limit=64)
    phone = _string(data, "phone", fields, limit=32)
    if phone is not None:
        phone = _e164(phone, fields)
    duration = data.get("duration_seconds")
    if duration is not None and (
        isinstance(duration, bool) or not isinstance(duration, int) or duration < 0
    ):
        fields["duration_seconds"] = "must be a whole number of seconds, 0 or more"
    elif duration is not None and duration > MAX_DURATION:
        fields["duration_seconds"] = f"at most {MAX_DURATION}"
    recording_url = _string(data, "recording_url", fields, limit=500)
    if recording_url is not None and not _is_https(recording_url):
        fields["recording_url"] = "must be an https:// address"
    if fields:
        raise EventRejected(fields)
    return Event(
        provider_call_id=provider_call_id,
        event=event,
        at=at,
        call_ref=call_ref,
        phone=phone,
        duration_seconds=duration,
        recording_url=recording_url,
    )


def _is_https(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme == "https" and bool(parts.hostname) and not any(c.isspace() for c in url)


def playable(url: str | None) -> str | None:
    """The recording's address when a page may play it (https only), else None."""
    return url if url and _is_https(url) else None


def _e164(raw: str, fields: dict) -> str | None:
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        fields["phone"] = "not a phone number in E.164 (e.g. +79123456789)"
        return None
    if not phonenumbers.is_valid_number(number):
        fields["phone"] = "not a valid phone number"
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def record_event(event: Event, *, now: datetime | None = None) -> Received:
    """Keep the event (once) and attach it to its call attempt when one fits (the caller
    commits)."""
    now = now or utcnow()
    existing = _stored(event)
    if existing is not None:
        return Received(existing.id, True, existing.attempt_id)
    row = CallEvent(
        provider_call_id=event.provider_call_id,
        event=event.event,
        at=event.at,
        received_at=now,
        call_ref=event.call_ref,
        phone=event.phone,
        duration_seconds=event.duration_seconds,
        recording_url=event.recording_url,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:  # the same event, delivered twice at the same moment
        existing = _stored(event)
        if existing is None:
            raise
        return Received(existing.id, True, existing.attempt_id)
    attempt = _attempt_for(event)
    if attempt is not None:
        # This event, then any earlier ones of the same call that found no attempt then.
        waiting = db.session.scalars(
            select(CallEvent)
            .where(
                CallEvent.provider_call_id == event.provider_call_id,
                CallEvent.attempt_id.is_(None),
            )
            .order_by(CallEvent.at, CallEvent.id)
        ).all()
        for pending in waiting:
            pending.attempt_id = attempt.id
            _apply(attempt, pending)
    db.session.flush()
    return Received(row.id, False, attempt.id if attempt is not None else None)


def _stored(event: Event) -> CallEvent | None:
    return db.session.scalar(
        select(CallEvent).where(
            CallEvent.provider_call_id == event.provider_call_id, CallEvent.event == event.event
        )
    )


def _apply(attempt: CallAttempt, event: CallEvent) -> None:
    if event.event == "started" or attempt.provider_call_id is None:
        attempt.provider_call_id = event.provider_call_id
    if event.event == "answered" and attempt.answered_at is None:
        attempt.answered_at = event.at
    if event.event == "ended":
        if event.duration_seconds is not None:
            attempt.talk_seconds = event.duration_seconds
        if event.recording_url is not None:
            attempt.recording_url = event.recording_url


def _attempt_for(event: Event) -> CallAttempt | None:
    known = db.session.scalar(
        select(CallAttempt)
        .join(CallEvent, CallEvent.attempt_id == CallAttempt.id)
        .where(CallEvent.provider_call_id == event.provider_call_id)
        .limit(1)
    )
    if known is not None:
        return known
    attempt_id = optional_id(event.call_ref) if event.call_ref is not None else None
    if attempt_id is not None:
        by_ref = db.session.get(CallAttempt, attempt_id)
        if by_ref is not None:
            return by_ref
    if event.phone is not None:
        return _attempt_by_phone(event.phone, _call_start(event))
    return None


def _call_start(event: Event) -> datetime:
    """When the call began, as far as this event tells."""
    if event.event == "ended" and event.duration_seconds is not None:
        return event.at - timedelta(seconds=event.duration_seconds)
    return event.at


def _attempt_by_phone(e164: str, at: datetime) -> CallAttempt | None:
    customers = select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164)
    orders = select(Order.id).where(Order.phone == e164)
    candidates = db.session.scalars(
        select(CallAttempt)
        .join(CallTask, CallTask.id == CallAttempt.task_id)
        .where(
            or_(CallTask.customer_id.in_(customers), CallTask.order_id.in_(orders)),
            CallAttempt.started_at <= at + MATCH_WINDOW,
            CallAttempt.started_at >= at - LONGEST_ATTEMPT,
            or_(CallAttempt.ended_at.is_(None), CallAttempt.ended_at >= at - MATCH_WINDOW),
        )
        .order_by(CallAttempt.started_at.desc())
        .limit(20)
    ).all()
    if not candidates:
        return None
    return min(candidates, key=lambda a: abs((a.started_at - at).total_seconds()))


def open_attempt_id(task_id: int, operator_id: int | None) -> int | None:
    """The attempt the operator holding this call is on now: the call id of the dial link."""
    if operator_id is None:
        return None
    return db.session.scalar(
        select(CallAttempt.id)
        .where(
            CallAttempt.task_id == task_id,
            CallAttempt.operator_id == operator_id,
            CallAttempt.ended_at.is_(None),
        )
        .order_by(CallAttempt.id.desc())
        .limit(1)
    )
