"""Order intake: the one way an order gets in (CSV import, later the API and integrations).

``record_order`` finds or creates the customer by phone within the client, normalises what it
is given, stores the order and runs the checks an arriving order needs:

* **Possible repeat repair** (DOMAIN.md, 000): the same customer with the same vehicle or
  address within ``REPEAT_REPAIR_DAYS`` days; the rule, the flag and its review are
  ``services.orders.repeat_repairs`` (``check_repeat_repair``).
* **Blocked technician** (DOMAIN.md, 003: a blocked technician gets no more orders): an order
  that still arrives for one is stored, marked ``blocked_technician_flag`` and listed for QC.

``import_orders_csv`` feeds CSV rows through ``record_order``: every bad row is reported by
line and field while the good rows go in; a row whose (client, external id) is already stored
is skipped, so a file can be imported twice. Nothing here commits: the caller does (the CLI
commits after each batch through ``on_batch``).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import IO
from zoneinfo import ZoneInfo

import phonenumbers
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from console.extensions import db
from console.models import (
    Client,
    Customer,
    CustomerPhone,
    Order,
    Technician,
    TechnicianStatus,
    User,
    WorkType,
    utcnow,
)
from console.services import audit
from console.services.orders import repeat_repairs

# An order "completed" a little in the future is clock skew between systems, not an error.
CLOCK_SKEW = timedelta(minutes=10)
VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


class OrderRejected(ValueError):
    """The order was not stored; ``errors`` maps each bad field to what is wrong with it."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors  # field -> message (lazily translated)

    def __str__(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.errors.items())


@dataclass(frozen=True, slots=True)
class Intake:
    order: Order
    created: bool  # False: (client, external id) was already stored; nothing was changed
    customer_created: bool = False
    repeat_of: Order | None = None  # set when this order was flagged as a possible repeat
    # Later orders, imported before this one, that it turned out to precede: flagged now.
    later_flagged: tuple[Order, ...] = ()
    blocked_technician: bool = False

    @property
    def flags_raised(self) -> int:
        return (self.repeat_of is not None) + len(self.later_flagged)


# --- normalising ----------------------------------------------------------------------------


def _clean(value: str | None) -> str | None:
    """Trimmed text with inner runs of white space made one space; blank is None."""
    if value is None:
        return None
    value = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return value or None


def normalise_phone(raw: str | None, country: str) -> str:
    """The number in E.164, reading national formats as the client's country's."""
    if not raw or not raw.strip():
        raise ValueError(_l("a phone number is required"))
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        raise ValueError(_l("%(value)s is not a phone number", value=raw)) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_l("%(value)s is not a valid phone number", value=raw))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def normalise_plate(plate: str | None) -> str | None:
    plate = _clean(plate)
    return plate.upper() if plate else None


def normalise_vin(vin: str | None) -> str | None:
    vin = _clean(vin)
    return re.sub(r"[\s-]", "", vin).upper() if vin else None


# --- the intake -----------------------------------------------------------------------------


def record_order(
    client: Client,
    *,
    external_id: str,
    phone: str,
    work_type: WorkType,
    completed_at: datetime,
    amount: Decimal,
    customer_name: str | None = None,
    customer_external_id: str | None = None,
    customer_email: str | None = None,
    technician: Technician | None = None,
    description: str | None = None,
    vehicle_make_model: str | None = None,
    vehicle_plate: str | None = None,
    vehicle_vin: str | None = None,
    vehicle_mileage_km: int | None = None,
    address: str | None = None,
    qc_breakin_advice: str | None = None,
    qc_declined_repairs: str | None = None,
    by: User | None = None,
    now: datetime | None = None,
) -> Intake:
    """Store one completed order and run the arrival checks (see the module docstring).

    Raises ``OrderRejected`` with every bad field, before anything is written. An order whose
    (client, external id) is already stored is returned as it is (``created=False``).
    """
    now = now or utcnow()
    errors: dict[str, str] = {}
    external_id = _clean(external_id) or ""
    if not external_id:
        errors["external_id"] = _l("an order number is required")
    elif len(external_id) > 64:
        errors["external_id"] = _l("at most %(n)s characters", n=64)
    existing = (
        db.session.scalar(
            select(Order).where(Order.client_id == client.id, Order.external_id == external_id)
        )
        if external_id and "external_id" not in errors
        else None
    )
    if existing is not None:
        return Intake(existing, created=False)

    e164 = None
    try:
        e164 = normalise_phone(phone, client.country)
    except ValueError as exc:
        errors["phone"] = exc.args[0]
    if completed_at is None or completed_at.tzinfo is None:
        errors["completed_at"] = _l("a completion date and time is required")
    elif completed_at > now + CLOCK_SKEW:
        errors["completed_at"] = _l("the completion time is in the future")
    if amount is None or amount < 0:
        errors["amount"] = _l("the amount must be zero or more")
    plate, vin = normalise_plate(vehicle_plate), normalise_vin(vehicle_vin)
    if plate and len(plate) > 20:
        errors["vehicle_plate"] = _l("at most %(n)s characters", n=20)
    if vin and not VIN_RE.match(vin):
        errors["vehicle_vin"] = _l("a VIN has 17 letters and digits, without I, O and Q")
    if vehicle_mileage_km is not None and vehicle_mileage_km < 0:
        errors["vehicle_mileage_km"] = _l("the mileage cannot be negative")
    address = _clean(address)
    if address and len(address) > 300:
        errors["address"] = _l("at most %(n)s characters", n=300)
    if technician is not None and technician.client_id not in (None, client.id):
        errors["technician"] = _l("this technician works for another client")
    customer_name = _clean(customer_name)
    if customer_name and len(customer_name) > 200:
        errors["customer_name"] = _l("at most %(n)s characters", n=200)

    customer = None
    if e164 is not None:
        customer = _find_customer(client, e164, _clean(customer_external_id))
        if customer is None and not customer_name:
            errors["customer_name"] = _l("a new customer needs a name")
    if errors:
        raise OrderRejected(errors)

    customer_created = customer is None
    if customer is None:
        customer = Customer(
            client_id=client.id,
            external_id=_clean(customer_external_id),
            name=customer_name,
            email=_clean(customer_email),
        )
        customer.phones.append(CustomerPhone(e164=e164, is_primary=True))
        db.session.add(customer)
    else:
        if e164 not in {p.e164 for p in customer.phones}:
            customer.phones.append(CustomerPhone(e164=e164, is_primary=not customer.phones))
        if customer.external_id is None and customer_external_id:
            customer.external_id = _clean(customer_external_id)
        if customer.email is None and customer_email:
            customer.email = _clean(customer_email)

    order = Order(
        client_id=client.id,
        external_id=external_id,
        customer=customer,
        phone=e164,
        work_type_id=work_type.id,
        technician=technician,
        description=_clean_text(description),
        amount=amount,
        completed_at=completed_at.astimezone(UTC),
        vehicle_make_model=_clean(vehicle_make_model),
        vehicle_plate=plate,
        vehicle_vin=vin,
        vehicle_mileage_km=vehicle_mileage_km,
        address=address,
        qc_breakin_advice=_clean_text(qc_breakin_advice),
        qc_declined_repairs=_clean_text(qc_declined_repairs),
        created_at=now,
    )
    db.session.add(order)
    db.session.flush()

    blocked = technician is not None and technician.status == TechnicianStatus.BLOCKED
    if blocked:
        order.blocked_technician_flag = True
        audit.record(
            "order.blocked_technician",
            actor=by,
            entity=order,
            details={"technician": technician.id, "order": order.external_id},
        )
    check = repeat_repairs.check_repeat_repair(order, now=now, by=by)
    return Intake(order, True, customer_created, check.repeat_of, check.later, blocked)


def _clean_text(value: str | None) -> str | None:
    """Free text keeps its line breaks; only the ends are trimmed."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def _find_customer(client: Client, e164: str, external_id: str | None) -> Customer | None:
    """By the client's own customer number when given, else by phone (the latest customer with
    that number: a family may share one). A phone match carrying another customer number is
    another person."""
    if external_id:
        found = db.session.scalar(
            select(Customer).where(
                Customer.client_id == client.id, Customer.external_id == external_id
            )
        )
        if found is not None:
            return found
    by_phone = db.session.scalars(
        select(Customer)
        .join(CustomerPhone)
        .where(Customer.client_id == client.id, CustomerPhone.e164 == e164)
        .order_by(Customer.id.desc())
    ).all()
    for customer in by_phone:
        if not external_id or customer.external_id in (None, external_id):
            return customer
    return None


# --- CSV import -----------------------------------------------------------------------------

REQUIRED_COLUMNS = ("client", "external_id", "phone", "work_type", "completed_at", "amount")
OPTIONAL_COLUMNS = (
    "customer_name",
    "customer_external_id",
    "customer_email",
    "technician",
    "description",
    "vehicle_make_model",
    "vehicle_plate",
    "vehicle_vin",
    "vehicle_mileage_km",
    "address",
    "qc_breakin_advice",
    "qc_declined_repairs",
)
_DATETIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # in the file, the header being line 1
    field: str | None  # the column, or None for the whole row / file
    message: str

    def __str__(self) -> str:
        if self.field:
            return _("line %(line)s, %(field)s: %(message)s", **self._args())
        return _("line %(line)s: %(message)s", **self._args())

    def _args(self) -> dict:
        return {"line": self.line, "field": self.field, "message": self.message}


@dataclass(slots=True)
class ImportReport:
    created: int = 0
    existing: int = 0  # already stored: skipped
    repeat_repairs: int = 0  # flagged as possible repeat repairs (this order or a later one)
    blocked_technician: int = 0
    rejected_rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class _Lookups:
    """Clients, work types and technicians by their keys, each read once per import."""

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
        """The client's own mechanic, else an independent master (no client) with that id."""
        cache_key = (client.id, external_id)
        if cache_key not in self.technicians:
            found = db.session.scalars(
                select(Technician)
                .where(
                    Technician.external_id == external_id,
                    (Technician.client_id == client.id) | Technician.client_id.is_(None),
                )
                .order_by(Technician.client_id.is_(None))  # the client's own first
            ).first()
            self.technicians[cache_key] = found
        return self.technicians[cache_key]


def parse_completed_at(raw: str, zone: str) -> datetime:
    """ISO 8601 with an offset, or a local date and time in the client's time zone
    (``2026-11-19 14:05``, ``19.11.2026 14:05``)."""
    text = raw.strip()
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
        for fmt in _DATETIME_FORMATS:
            try:
                value = datetime.strptime(text, fmt)  # noqa: DTZ007 - local time, zoned below
                break
            except ValueError:
                continue
    if value is None or ":" not in text:  # a date alone would make a guess of the time
        raise ValueError(_l("%(value)s is not a date and time (e.g. 2026-11-19 14:05)", value=raw))
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


def parse_amount(raw: str) -> Decimal:
    """``12500``, ``12 500,00``, ``12500.50``: spaces as thousands separators, comma or dot."""
    text = re.sub(r"\s", "", raw)
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_l("%(value)s is not an amount", value=raw)) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(_l("%(value)s is not an amount", value=raw))
    return value.quantize(Decimal("0.01"))


def _parse_row(row: dict[str, str], lookups: _Lookups) -> tuple[dict, dict[str, str]]:
    """The keyword arguments of ``record_order`` for one row, and the field errors found."""
    errors: dict[str, str] = {}
    value = {k: (v or "").strip() for k, v in row.items() if k is not None}
    for column in REQUIRED_COLUMNS:
        if not value.get(column):
            errors[column] = _l("required")
    client = None
    if value.get("client"):
        client = lookups.client(value["client"])
        if client is None:
            errors["client"] = _l("no client with the key %(key)s", key=value["client"])
    work_type = None
    if value.get("work_type"):
        work_type = lookups.work_type(value["work_type"])
        if work_type is None:
            errors["work_type"] = _l("no work type with the key %(key)s", key=value["work_type"])
    technician = None
    if value.get("technician") and client is not None:
        technician = lookups.technician(client, value["technician"])
        if technician is None:
            errors["technician"] = _l(
                "no technician %(id)s for this client", id=value["technician"]
            )
    completed_at = None
    if value.get("completed_at"):
        try:
            zone = client.timezone if client is not None else "UTC"
            completed_at = parse_completed_at(value["completed_at"], zone)
        except ValueError as exc:
            errors["completed_at"] = exc.args[0]
    amount = None
    if value.get("amount"):
        try:
            amount = parse_amount(value["amount"])
        except ValueError as exc:
            errors["amount"] = exc.args[0]
    mileage = None
    if value.get("vehicle_mileage_km"):
        digits = re.sub(r"\s", "", value["vehicle_mileage_km"])
        if digits.isdigit():
            mileage = int(digits)
        else:
            errors["vehicle_mileage_km"] = _l(
                "%(value)s is not a whole number of kilometres", value=value["vehicle_mileage_km"]
            )
    kwargs = {
        "client": client,
        "external_id": value.get("external_id", ""),
        "phone": value.get("phone", ""),
        "work_type": work_type,
        "completed_at": completed_at,
        "amount": amount,
        "technician": technician,
        "vehicle_mileage_km": mileage,
    }
    for column in OPTIONAL_COLUMNS:
        kwargs.setdefault(column, value.get(column) or None)
    return kwargs, errors


def _reader(stream: IO[str]) -> csv.DictReader:
    """Comma, semicolon (a spreadsheet in a Russian locale) or tab separated."""
    sample = stream.read(64 * 1024)
    stream.seek(0)
    try:
        dialect = csv.Sniffer().sniff(sample.partition("\n")[0], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    return csv.DictReader(stream, dialect=dialect)


def import_orders_csv(
    stream: IO[str],
    *,
    batch_size: int = 500,
    on_batch: Callable[[], None] | None = None,
    by: User | None = None,
    now: datetime | None = None,
) -> ImportReport:
    """Import every good row of a CSV file (header on line 1; see the columns above) and
    report each bad one by line and field. ``on_batch`` (say, a commit) runs after every
    ``batch_size`` stored orders; the caller finishes the last batch."""
    now = now or utcnow()
    report = ImportReport()
    reader = _reader(stream)
    header = [(name or "").strip() for name in (reader.fieldnames or [])]
    reader.fieldnames = header
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    unknown = [c for c in header if c not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    if missing:
        report.errors.append(
            RowError(1, None, _l("missing columns: %(names)s", names=", ".join(missing)))
        )
    if unknown:
        report.errors.append(
            RowError(
                1,
                None,
                _l(
                    "unknown columns: %(names)s (known: %(known)s)",
                    names=", ".join(unknown),
                    known=", ".join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS),
                ),
            )
        )
    if report.errors:
        return report

    lookups = _Lookups()
    pending = 0
    line = reader.line_num
    for row in reader:
        start, line = line + 1, reader.line_num
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue  # a blank line
        if None in row:
            report.rejected_rows += 1
            report.errors.append(RowError(start, None, _l("more values than columns")))
            continue
        kwargs, errors = _parse_row(row, lookups)
        if not errors:
            try:
                with db.session.begin_nested():
                    intake = record_order(kwargs.pop("client"), by=by, now=now, **kwargs)
            except OrderRejected as exc:
                errors = exc.errors
            except IntegrityError:
                errors = {"external_id": _l("could not be stored (a duplicate?)")}
        if errors:
            report.rejected_rows += 1
            report.errors.extend(RowError(start, f, m) for f, m in errors.items())
            continue
        if not intake.created:
            report.existing += 1
            continue
        report.created += 1
        report.blocked_technician += intake.blocked_technician
        report.repeat_repairs += intake.flags_raised
        pending += 1
        if on_batch is not None and pending >= batch_size:
            on_batch()
            pending = 0
    audit.record(
        "orders.imported",
        actor=by,
        details={
            "created": report.created,
            "existing": report.existing,
            "rejected_rows": report.rejected_rows,
        },
    )
    return report
