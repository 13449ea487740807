"""Clients and work types, set up by admins in the browser (issue 12 "Self-serve setup").

Add and edit a client (its country, currency, time zone, calling hours per weekday, holidays,
working-time SLA with its working hours, follow-up delay, QC contact), deactivate and reactivate
it; add and edit work types (follow-up delay, sampling share). Every change is audited with the
fields it changed. The rules that refuse:

- a client with calls still to make (pending or held call tasks) or open complaints is not
  deactivated; the refusal gives the counts. Pending calls can be cancelled as a deliberate
  second step (:func:`cancel_pending_calls`); calls in progress and complaints are finished by
  the operators and QC.
- a client's or work type's key does not change while a call script is assigned to it: script
  files (scripts_config/*.yaml) name them by key.
- work types are never deleted (orders and scripts point at them), so nothing here deletes one.

Functions take plain values, flush, and leave the commit to the caller. Refusals raise
:class:`CatalogRefused` with a message for the user and the field it is about.
"""

from __future__ import annotations

import re
import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cache

import phonenumbers
from babel.core import get_global
from babel.numbers import list_currencies
from flask_babel import LazyString, format_number, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from console.extensions import db
from console.models import (
    CallOutcome,
    CallScript,
    CallTask,
    Client,
    ClientHoliday,
    Complaint,
    Order,
    TaskStatus,
    WorkType,
)
from console.services import audit, calling_hours
from console.services.complaints.status import OPEN
from console.services.reports import bonus

KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
MAX_DELAY_DAYS = 365


class CatalogRefused(ValueError):
    """A change the rules refuse. ``message`` is for the user (lazy: translated when shown);
    ``field`` names the input it is about, or None when it is about the record as a whole."""

    def __init__(self, message, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


# --- what may be chosen -----------------------------------------------------------------------


@cache
def countries() -> frozenset[str]:
    """ISO 3166 alpha-2 codes whose phone numbers can be read (a client's customers' phones
    are parsed as its country's)."""
    return frozenset(phonenumbers.SUPPORTED_REGIONS)


@cache
def currencies() -> frozenset[str]:
    """ISO 4217 codes Babel knows (and can format)."""
    return frozenset(list_currencies())


@cache
def time_zones() -> frozenset[str]:
    """Every IANA time zone name this system knows."""
    return frozenset(zoneinfo.available_timezones())


@cache
def usual_time_zones() -> tuple[str, ...]:
    """The time zones offered in a list: CLDR's canonical zone of each place in a country (no
    aliases such as "US/Eastern" or "Europe/Kiev", no "Etc/GMT-3"), and UTC."""
    known = time_zones()
    places = get_global("zone_territories")
    return tuple(z for z, territory in places.items() if z in known and territory.isalpha()) + (
        "UTC",
    )


def territory_of(zone: str) -> str | None:
    """The ISO 3166 country of a time zone (CLDR), or None (UTC, Etc/...)."""
    territory = get_global("zone_territories").get(zone)
    return territory if territory and territory.isalpha() else None


def phone_e164(raw: str | None, country: str) -> str | None:
    """A phone number typed as the country's people write it -> E.164; blank is None."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise CatalogRefused(
            _l("%(value)s is not a valid phone number.", value=raw), "qc_contact_phone"
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- weekly hours ---------------------------------------------------------------------------


def calling_week(raw) -> dict[str, list[str] | None]:
    """Calling hours in their stored form, every weekday named: ``{"0": ["09:00", "20:00"],
    ..., "6": None}``. Malformed days read as closed (as the calling-hours rule reads them)."""
    return {
        str(weekday): window.as_json() if window else None
        for weekday, window in calling_hours.week_spans(raw)
    }


def working_week(raw) -> dict[str, list[str] | None]:
    """SLA working hours in their stored form, every weekday named; a day's end must follow its
    start ("24:00" is midnight at its end): working time never runs past midnight."""
    out: dict[str, list[str] | None] = {str(d): None for d in range(7)}
    for key, span in (raw or {}).items():
        try:
            start_text, end_text = span
            start = calling_hours.parse_clock(start_text)
            end = calling_hours.parse_clock(end_text, end=True)
        except (TypeError, ValueError):
            continue
        if key in out and end > start:
            out[key] = [calling_hours.clock_text(start), calling_hours.clock_text(end)]
    return out


# --- clients --------------------------------------------------------------------------------


@dataclass
class ClientValues:
    """What the client form gives, as plain values (blank text already None)."""

    key: str
    name: str
    country: str
    currency: str
    timezone: str
    calling_hours: dict
    sla_working_time_only: bool = False
    working_hours: dict = field(default_factory=dict)
    call_delay_days: int | None = None
    qc_contact_name: str | None = None
    qc_contact_email: str | None = None
    qc_contact_phone: str | None = None
    # The repeat-repair bonus tiers by role (console/services/reports/bonus.py); None: defaults.
    repeat_bonus_tiers: dict | None = None


SCALAR_FIELDS = (
    "key",
    "name",
    "country",
    "currency",
    "timezone",
    "sla_working_time_only",
    "call_delay_days",
    "qc_contact_name",
    "qc_contact_email",
    "qc_contact_phone",
)
WEEK_FIELDS = ("calling_hours", "working_hours")
OTHER_FIELDS = ("repeat_bonus_tiers",)


def _checked(values: ClientValues) -> dict:
    """The values to store, normalised, or CatalogRefused naming the first field at fault."""
    key = (values.key or "").strip()
    if not _is_key(key):
        raise CatalogRefused(
            _l("Lower-case letters, digits, - and _ only, starting with a letter or digit."),
            "key",
        )
    if values.country not in countries():
        raise CatalogRefused(_l("Choose a country from the list."), "country")
    if values.currency not in currencies():
        raise CatalogRefused(_l("Choose a currency from the list."), "currency")
    if values.timezone not in time_zones():
        raise CatalogRefused(_l("Choose a time zone from the list."), "timezone")
    delay = values.call_delay_days
    if delay is not None and not 0 <= delay <= MAX_DELAY_DAYS:
        raise CatalogRefused(
            _l("Between 0 and %(max)d days, or empty.", max=MAX_DELAY_DAYS), "call_delay_days"
        )
    week = calling_week(values.calling_hours)
    if not any(week.values()):
        raise CatalogRefused(
            _l("Open at least one day for calls. To stop calling, deactivate the client."),
            "calling_hours",
        )
    working = working_week(values.working_hours)
    if values.sla_working_time_only and not any(working.values()):
        raise CatalogRefused(
            _l("Working-time deadlines need working hours on at least one day."),
            "working_hours",
        )
    return {
        "key": key,
        "repeat_bonus_tiers": _checked_tiers(values.repeat_bonus_tiers),
        "name": values.name.strip(),
        "country": values.country,
        "currency": values.currency,
        "timezone": values.timezone,
        "sla_working_time_only": bool(values.sla_working_time_only),
        "call_delay_days": delay,
        "qc_contact_name": _blank_none(values.qc_contact_name),
        "qc_contact_email": _blank_none(values.qc_contact_email),
        "qc_contact_phone": phone_e164(values.qc_contact_phone, values.country),
        "calling_hours": week,
        "working_hours": working,
    }


def _checked_tiers(tiers: dict | None) -> dict | None:
    """The client's own bonus tiers as stored: only the roles that differ from the defaults
    (None when none does, so the client follows the defaults)."""
    own = {}
    for role, given in (tiers or {}).items():
        problem = bonus.tier_problems(given)
        if problem:
            raise CatalogRefused(problem, f"bonus_{role}")
        if list(given) != bonus.DEFAULT_TIERS[role]:
            own[role] = [int(t) for t in given]
    return own or None


def _is_key(key: str) -> bool:
    return re.fullmatch(KEY_PATTERN, key) is not None


def _blank_none(text: str | None) -> str | None:
    return text.strip() or None if text else None


def _key_taken(model, key: str, but=None) -> bool:
    query = select(model.id).where(model.key == key)
    if but is not None:
        query = query.where(model.id != but.id)
    return db.session.scalar(query) is not None


def _flush_unique_key(message) -> None:
    """Flush; a key taken meanwhile by another admin is the same refusal as one taken before."""
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise CatalogRefused(message, "key") from None


def create_client(values: ClientValues, *, by) -> Client:
    stored = _checked(values)
    taken = _l("A client with this key already exists.")
    if _key_taken(Client, stored["key"]):
        raise CatalogRefused(taken, "key")
    client = Client(**stored)
    db.session.add(client)
    _flush_unique_key(taken)
    audit.record(
        "client.created",
        actor=by,
        entity=client,
        details={name: stored[name] for name in (*SCALAR_FIELDS, *WEEK_FIELDS, *OTHER_FIELDS)},
    )
    return client


def update_client(client: Client, values: ClientValues, *, by) -> dict:
    """Apply the form's values; returns the audited changes (``{}``: nothing changed)."""
    stored = _checked(values)
    if stored["key"] != client.key:
        if _key_taken(Client, stored["key"], but=client):
            raise CatalogRefused(_l("A client with this key already exists."), "key")
        scripts = scripts_for(client=client)
        if scripts:
            raise CatalogRefused(_key_in_scripts(scripts), "key")
    changed = audit.changes(client, list(SCALAR_FIELDS), stored)
    before = {
        "calling_hours": calling_week(client.calling_hours),
        "working_hours": working_week(client.working_hours),
    }
    for name in WEEK_FIELDS:
        if before[name] != stored[name]:
            changed[name] = [before[name], stored[name]]
    for name in OTHER_FIELDS:
        if getattr(client, name) != stored[name]:
            changed[name] = [getattr(client, name), stored[name]]
    for name, value in stored.items():
        if getattr(client, name) != value:
            setattr(client, name, value)
    if changed:
        _flush_unique_key(_l("A client with this key already exists."))
        audit.record("client.updated", actor=by, entity=client, details=changed)
    return changed


def _key_in_scripts(scripts: list[CallScript]) -> LazyString:
    names = ", ".join(s.key for s in scripts)
    return LazyString(
        lambda: ngettext(
            "The key cannot change while the script %(names)s uses it (script files name it by"
            " key). Assign the script elsewhere first.",
            "The key cannot change while the scripts %(names)s use it (script files name it by"
            " key). Assign the scripts elsewhere first.",
            len(scripts),
            names=names,
        )
    )


def scripts_for(*, client: Client | None = None, work_type: WorkType | None = None):
    """The call scripts assigned to this client or work type, archived ones too (they can be
    restored, and their files still name the key)."""
    query = select(CallScript).order_by(CallScript.key)
    if client is not None:
        query = query.where(CallScript.client_id == client.id)
    if work_type is not None:
        query = query.where(CallScript.work_type_id == work_type.id)
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class OpenWork:
    """What still has to be done for a client before it can be deactivated."""

    pending_calls: int = 0
    held_calls: int = 0
    open_complaints: int = 0

    @property
    def calls(self) -> int:
        return self.pending_calls + self.held_calls

    def __bool__(self) -> bool:
        return bool(self.calls or self.open_complaints)

    def message(self) -> LazyString:
        """ "12 calls still to make and 3 open complaints: finish or cancel them first." """
        return LazyString(self._message)

    def _message(self) -> str:
        calls = ngettext(
            "%(count)s call still to make",
            "%(count)s calls still to make",
            self.calls,
            count=format_number(self.calls),
        )
        complaints = ngettext(
            "%(count)s open complaint",
            "%(count)s open complaints",
            self.open_complaints,
            count=format_number(self.open_complaints),
        )
        if self.calls and self.open_complaints:
            return gettext(
                "%(calls)s and %(complaints)s: finish or cancel them first.",
                calls=calls,
                complaints=complaints,
            )
        return gettext(
            "%(work)s: finish or cancel them first.", work=calls if self.calls else complaints
        )


def open_work(client: Client) -> OpenWork:
    calls = dict(
        db.session.execute(
            select(CallTask.status, func.count())
            .where(
                CallTask.client_id == client.id,
                CallTask.status.in_((TaskStatus.PENDING, TaskStatus.HELD)),
            )
            .group_by(CallTask.status)
        ).all()
    )
    complaints = db.session.scalar(
        select(func.count())
        .select_from(Complaint)
        .where(Complaint.client_id == client.id, Complaint.status.in_(OPEN))
    )
    return OpenWork(
        pending_calls=calls.get(TaskStatus.PENDING, 0),
        held_calls=calls.get(TaskStatus.HELD, 0),
        open_complaints=complaints or 0,
    )


class ClientBusy(CatalogRefused):
    """Deactivation refused: the client still has calls to make or complaints open."""

    def __init__(self, work: OpenWork):
        super().__init__(work.message())
        self.work = work


def set_client_active(client: Client, active: bool, *, by) -> None:
    """Deactivate (no more calls for its customers) or reactivate a client. Deactivating is
    refused with :class:`ClientBusy` while it has calls still to make or open complaints."""
    if client.active == active:
        return
    if not active:
        work = open_work(client)
        if work:
            raise ClientBusy(work)
    client.active = active
    audit.record("client.reactivated" if active else "client.deactivated", actor=by, entity=client)


def cancel_pending_calls(client: Client, *, by, now: datetime) -> int:
    """Close the client's calls not yet taken as cancelled (a deliberate step before
    deactivating); calls an operator holds right now are left to finish. Returns how many."""
    result = db.session.execute(
        update(CallTask)
        .where(CallTask.client_id == client.id, CallTask.status == TaskStatus.PENDING)
        .values(status=TaskStatus.DONE, outcome=CallOutcome.CANCELLED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    count = result.rowcount or 0
    if count:
        audit.record(
            "client.calls_cancelled", actor=by, entity=client, details={"cancelled": count}
        )
    return count


# --- holidays -------------------------------------------------------------------------------


def add_holiday(client: Client, day: date, name: str | None, *, by) -> ClientHoliday:
    """A day without calls (and without SLA working time, for working-time clients)."""
    if any(h.day == day for h in client.holidays):
        raise CatalogRefused(_l("This day is already a holiday."), "day")
    holiday = ClientHoliday(day=day, name=_blank_none(name))
    client.holidays.append(holiday)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:
        raise CatalogRefused(_l("This day is already a holiday."), "day") from None
    audit.record(
        "client.holiday_added",
        actor=by,
        entity=client,
        details={"day": day.isoformat(), "name": holiday.name},
    )
    return holiday


def remove_holiday(client: Client, holiday: ClientHoliday, *, by) -> None:
    if holiday.client_id != client.id:
        raise CatalogRefused(_l("This holiday belongs to another client."))
    client.holidays.remove(holiday)  # delete-orphan
    db.session.flush()
    audit.record(
        "client.holiday_removed",
        actor=by,
        entity=client,
        details={"day": holiday.day.isoformat(), "name": holiday.name},
    )


# --- work types -----------------------------------------------------------------------------


@dataclass
class WorkTypeValues:
    key: str
    name: str
    call_delay_days: int | None = None
    sample_percent: int = 100


WORK_TYPE_FIELDS = ("key", "name", "call_delay_days", "sample_percent")


def _checked_work_type(values: WorkTypeValues) -> dict:
    key = (values.key or "").strip()
    if not _is_key(key):
        raise CatalogRefused(
            _l("Lower-case letters, digits, - and _ only, starting with a letter or digit."),
            "key",
        )
    delay = values.call_delay_days
    if delay is not None and not 0 <= delay <= MAX_DELAY_DAYS:
        raise CatalogRefused(
            _l("Between 0 and %(max)d days, or empty.", max=MAX_DELAY_DAYS), "call_delay_days"
        )
    if values.sample_percent is None or not 0 <= values.sample_percent <= 100:
        raise CatalogRefused(_l("A percentage from 0 to 100."), "sample_percent")
    return {
        "key": key,
        "name": values.name.strip(),
        "call_delay_days": delay,
        "sample_percent": int(values.sample_percent),
    }


def create_work_type(values: WorkTypeValues, *, by) -> WorkType:
    stored = _checked_work_type(values)
    taken = _l("A work type with this key already exists.")
    if _key_taken(WorkType, stored["key"]):
        raise CatalogRefused(taken, "key")
    work_type = WorkType(**stored)
    db.session.add(work_type)
    _flush_unique_key(taken)
    audit.record("work_type.created", actor=by, entity=work_type, details=dict(stored))
    return work_type


def update_work_type(work_type: WorkType, values: WorkTypeValues, *, by) -> dict:
    stored = _checked_work_type(values)
    taken = _l("A work type with this key already exists.")
    if stored["key"] != work_type.key:
        if _key_taken(WorkType, stored["key"], but=work_type):
            raise CatalogRefused(taken, "key")
        scripts = scripts_for(work_type=work_type)
        if scripts:
            raise CatalogRefused(_key_in_scripts(scripts), "key")
    changed = audit.changes(work_type, list(WORK_TYPE_FIELDS), stored)
    for name, value in stored.items():
        setattr(work_type, name, value)
    if changed:
        _flush_unique_key(taken)
        audit.record("work_type.updated", actor=by, entity=work_type, details=changed)
    return changed


# --- the lists --------------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkTypeRow:
    work_type: WorkType
    scripts: int
    orders: int


def work_types_overview() -> list[WorkTypeRow]:
    """Every work type by name, with how many scripts and orders use it."""
    scripts = dict(
        db.session.execute(
            select(CallScript.work_type_id, func.count())
            .where(CallScript.work_type_id.is_not(None))
            .group_by(CallScript.work_type_id)
        ).all()
    )
    orders = dict(
        db.session.execute(
            select(Order.work_type_id, func.count()).group_by(Order.work_type_id)
        ).all()
    )
    return [
        WorkTypeRow(w, scripts.get(w.id, 0), orders.get(w.id, 0))
        for w in db.session.scalars(select(WorkType).order_by(WorkType.name))
    ]


def clients_overview() -> list[Client]:
    """Every client, active ones first, by name."""
    return list(db.session.scalars(select(Client).order_by(Client.active.desc(), Client.name)))
