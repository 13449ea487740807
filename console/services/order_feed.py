"""Orders sent as JSON by another system (``POST /api/v1/orders``), through the order intake.

Each item has the fields of the CSV import (``client``, ``external_id``, ``phone``,
``work_type``, ``completed_at``, ``amount``, then the optional ones) as JSON values and goes
through ``record_order``, the one way an order gets in, in a savepoint of its own: a bad item
is reported by field and rolled back alone while the good ones are stored; an order whose
(client, external id) is already stored is reported as ``existing`` and left as it is, so a
batch can be sent again after a timeout.

Messages are English (other systems read them). Nothing here commits: the caller does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console.extensions import db
from console.models import Client, Technician, WorkType, utcnow
from console.services import audit
from console.services.orders.intake import OrderRejected, record_order

MAX_BATCH = 1000
REQUIRED = ("client", "external_id", "phone", "work_type", "completed_at", "amount")
TEXT_FIELDS = (
    "customer_name",
    "customer_external_id",
    "customer_email",
    "description",
    "vehicle_make_model",
    "vehicle_plate",
    "vehicle_vin",
    "address",
    "qc_breakin_advice",
    "qc_declined_repairs",
)
OPTIONAL = (*TEXT_FIELDS, "technician", "vehicle_mileage_km")
FIELDS = REQUIRED + OPTIONAL
MAX_TEXT = 10_000  # free text (descriptions, notes); record_order bounds the short fields
MAX_AMOUNT = Decimal("9999999999.99")  # what the amount column holds

CREATED, EXISTING, REJECTED = "created", "existing", "rejected"


@dataclass(frozen=True, slots=True)
class ItemResult:
    index: int
    status: str  # created, existing, rejected
    id: int | None = None  # the order's id in the console
    errors: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"index": self.index, "status": self.status, "id": self.id, "errors": self.errors}


class _Lookups:
    """Clients, work types and technicians by their keys, each read once per batch."""

    def __init__(self) -> None:
        self.clients: dict[str, Client | None] = {}
        self.work_types: dict[str, WorkType | None] = {}
        self.technicians: dict[tuple[int, str], Technician | None] = {}

    def client(self, key: str) -> Client | None:
        if key not in self.clients:
            self.clients[key] = db.session.scalar(select(Client).where(Client.key == key))
        return self.clients[key]

    def work_type(self, key: str) -> WorkType | None:
        if key not in self.work_types:
            self.work_types[key] = db.session.scalar(select(WorkType).where(WorkType.key == key))
        return self.work_types[key]

    def technician(self, client: Client, external_id: str) -> Technician | None:
        """The client's own technician with that id, else an independent one (no client)."""
        key = (client.id, external_id)
        if key not in self.technicians:
            self.technicians[key] = db.session.scalars(
                select(Technician)
                .where(
                    Technician.external_id == external_id,
                    (Technician.client_id == client.id) | Technician.client_id.is_(None),
                )
                .order_by(Technician.client_id.is_(None))
            ).first()
        return self.technicians[key]


def _text(value, name: str, errors: dict, *, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            errors[name] = "required"
        return None
    if not isinstance(value, str):
        errors[name] = "must be a string"
        return None
    if len(value) > MAX_TEXT:
        errors[name] = f"at most {MAX_TEXT} characters"
        return None
    return value.strip()


def parse_datetime(value: str, zone: str) -> datetime:
    """ISO 8601; without an offset, a local time in the client's time zone."""
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise ValueError("not an ISO 8601 date and time (e.g. 2026-11-19T14:05:00+03:00)") from None
    if "T" not in value and " " not in value.strip():
        raise ValueError("a date and time is needed, not a date alone")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=ZoneInfo(zone))
    return parsed.astimezone(UTC)


def _amount(value, errors: dict) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        errors["amount"] = "must be a number or a decimal string"
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        errors["amount"] = "not an amount (e.g. 12500.50)"
        return None
    if not amount.is_finite():
        errors["amount"] = "not an amount (e.g. 12500.50)"
        return None
    if abs(amount) > MAX_AMOUNT:  # first: quantizing a huge number fails
        errors["amount"] = f"at most {MAX_AMOUNT}"
        return None
    if amount.normalize().as_tuple().exponent < -2:
        errors["amount"] = "at most two decimals"
        return None
    return amount.quantize(Decimal("0.01"))


def _arguments(item: dict, lookups: _Lookups) -> tuple[Client | None, dict, dict[str, str]]:
    """The client and the keyword arguments of ``record_order`` for one item, and the field
    errors found before the intake's own checks."""
    errors: dict[str, str] = {}
    for name in item:
        if name not in FIELDS:
            errors[str(name)[:64]] = "unknown field"
    client_key = _text(item.get("client"), "client", errors, required=True)
    external_id = _text(item.get("external_id"), "external_id", errors, required=True)
    phone = _text(item.get("phone"), "phone", errors, required=True)
    work_type_key = _text(item.get("work_type"), "work_type", errors, required=True)
    completed_raw = _text(item.get("completed_at"), "completed_at", errors, required=True)
    client = lookups.client(client_key) if client_key else None
    if client_key and client is None:
        errors["client"] = f"no client with the key {client_key}"
    work_type = lookups.work_type(work_type_key) if work_type_key else None
    if work_type_key and work_type is None:
        errors["work_type"] = f"no work type with the key {work_type_key}"
    completed_at = None
    if completed_raw:
        try:
            completed_at = parse_datetime(completed_raw, client.timezone if client else "UTC")
        except ValueError as exc:
            errors["completed_at"] = str(exc)
    amount = None
    if item.get("amount") is None:
        errors["amount"] = "required"
    else:
        amount = _amount(item["amount"], errors)
    technician = None
    technician_id = _text(item.get("technician"), "technician", errors)
    if technician_id and client is not None:
        technician = lookups.technician(client, technician_id)
        if technician is None:
            errors["technician"] = f"no technician {technician_id} for this client"
    mileage = item.get("vehicle_mileage_km")
    if mileage is not None and (
        isinstance(mileage, bool) or not isinstance(mileage, int) or not 0 <= mileage < 10**9
    ):
        errors["vehicle_mileage_km"] = "must be a whole number of kilometres"
        mileage = None
    kwargs = {
        "external_id": external_id or "",
        "phone": phone or "",
        "work_type": work_type,
        "completed_at": completed_at,
        "amount": amount,
        "technician": technician,
        "vehicle_mileage_km": mileage,
    }
    for name in TEXT_FIELDS:
        kwargs[name] = _text(item.get(name), name, errors)
    return client, kwargs, errors


def _english(errors: dict) -> dict[str, str]:
    """The intake's messages (translatable) in English."""
    with force_locale("en"):
        return {str(name): str(message) for name, message in errors.items()}


def receive_orders(items: list, *, source: str, now: datetime | None = None) -> list[ItemResult]:
    """Store every good item, each in a savepoint of its own, and say what became of each
    (the caller commits). ``source`` names the sender in the audit log (the token's prefix)."""
    now = now or utcnow()
    lookups = _Lookups()
    results: list[ItemResult] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            results.append(ItemResult(index, REJECTED, errors={"item": "must be an object"}))
            continue
        client, kwargs, errors = _arguments(item, lookups)
        if errors:
            results.append(ItemResult(index, REJECTED, errors=errors))
            continue
        try:
            with db.session.begin_nested():
                intake = record_order(client, now=now, **kwargs)
        except OrderRejected as exc:
            results.append(ItemResult(index, REJECTED, errors=_english(exc.errors)))
            continue
        except IntegrityError:
            errors = {"external_id": "could not be stored (sent twice at the same time?)"}
            results.append(ItemResult(index, REJECTED, errors=errors))
            continue
        status = CREATED if intake.created else EXISTING
        results.append(ItemResult(index, status, id=intake.order.id))
    counts = {s: sum(r.status == s for r in results) for s in (CREATED, EXISTING, REJECTED)}
    audit.record("orders.received", details={"source": source, **counts})
    return results
