"""When to call a customer back, on the customer's clock: the callback time is chosen in the
client's time zone (the customer names a time in theirs), stored in UTC, and shown in both the
customer's and the operator's zones (issue 13).

Presets, on the customer's wall clock: in an hour (rounded up to five minutes), this evening at
18:00 (while that is still at least half an hour away), tomorrow at 10:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

FIELD_FORMAT = "%Y-%m-%dT%H:%M"  # an <input type="datetime-local">'s value
EVENING = time(18, 0)
TOMORROW = time(10, 0)
ROUND_TO_MINUTES = 5


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def to_utc(local: datetime, zone_name: str) -> datetime:
    """A wall-clock time (naive) in ``zone_name`` -> UTC."""
    return local.replace(tzinfo=zone(zone_name)).astimezone(UTC)


def field_value(local: datetime) -> str:
    return local.strftime(FIELD_FORMAT)


@dataclass(frozen=True)
class Preset:
    key: str  # in_hour | evening | tomorrow
    local: datetime  # naive, on the customer's clock

    @property
    def value(self) -> str:
        return field_value(self.local)


def presets(client_zone: str, now: datetime) -> list[Preset]:
    """The quick choices for a callback, on the customer's clock at ``now`` (aware)."""
    local_now = now.astimezone(zone(client_zone)).replace(tzinfo=None, second=0, microsecond=0)
    in_hour = local_now + timedelta(hours=1)
    extra = -in_hour.minute % ROUND_TO_MINUTES
    found = [Preset("in_hour", in_hour + timedelta(minutes=extra))]
    evening = datetime.combine(local_now.date(), EVENING)
    if evening - local_now >= timedelta(minutes=30):
        found.append(Preset("evening", evening))
    found.append(
        Preset("tomorrow", datetime.combine(local_now.date() + timedelta(days=1), TOMORROW))
    )
    return found


@dataclass(frozen=True)
class BothZones:
    """One moment as the customer's clock and the operator's read it."""

    customer: datetime  # aware, in the client's zone
    operator: datetime  # aware, in the operator's zone
    customer_zone: str
    operator_zone: str

    @property
    def same_zone(self) -> bool:
        return self.customer.utcoffset() == self.operator.utcoffset()


def both_zones(when_utc: datetime, client_zone: str, operator_zone: str) -> BothZones:
    return BothZones(
        customer=when_utc.astimezone(zone(client_zone)),
        operator=when_utc.astimezone(zone(operator_zone)),
        customer_zone=client_zone,
        operator_zone=operator_zone,
    )


def parse_field(text: str | None) -> datetime | None:
    """An <input type="datetime-local">'s value -> a naive datetime, or None."""
    try:
        return datetime.strptime((text or "").strip(), FIELD_FORMAT)
    except ValueError:
        return None
