"""Order intake: the one way an order gets in (file imports, the API, integrations).

``record_order`` finds or creates the customer by phone within the client, normalises what it
is given, stores the order and runs the checks an arriving order needs:

* **Possible repeat repair** (DOMAIN.md, 000): the same customer with the same vehicle or
  address within ``REPEAT_REPAIR_DAYS`` days; the rule, the flag and its review are
  ``services.orders.repeat_repairs`` (``check_repeat_repair``).
* **Blocked technician** (DOMAIN.md, 003: a blocked technician gets no more orders): an order
  that still arrives for one is stored, marked ``blocked_technician_flag`` and listed for QC.

The rules of one order live here once, in pieces the file import reuses for its fast path:

* ``parse_row``: the text (or spreadsheet values) of one row into ``record_order``'s arguments,
  with the client, work type and technician looked up (``Lookups``, once per import);
* ``check_order``: every field's rule (required, formats, the model's lengths, number ranges,
  NUL bytes) without touching the database; ``record_order`` runs it before anything is written;
* ``choose_customer``: which known customer an order belongs to;
* ``customer_values`` / ``order_values``: what is stored.

``services.orders.files`` reads files and ``services.orders.imports`` runs an import (rows in
batches, each row isolated). Nothing here commits: the caller does.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

import phonenumbers
from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select

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
from console.services.orders.files import cell_text

# An order "completed" a little in the future is clock skew between systems, not an error.
CLOCK_SKEW = timedelta(minutes=10)
VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def _length(column) -> int:
    return column.type.length


# The longest value each field may have: the model's own lengths, so the database never refuses
# one (PostgreSQL would abort the transaction; SQLite would store it whole). Free text (Text
# columns) gets a generous bound of ours.
TEXT_LIMIT = 10_000
MAX_LENGTH = {
    "external_id": _length(Order.external_id),
    "customer_name": _length(Customer.name),
    "customer_external_id": _length(Customer.external_id),
    "customer_email": _length(Customer.email),
    "vehicle_make_model": _length(Order.vehicle_make_model),
    "vehicle_plate": _length(Order.vehicle_plate),
    "address": _length(Order.address),
    "description": TEXT_LIMIT,
    "qc_breakin_advice": TEXT_LIMIT,
    "qc_declined_repairs": TEXT_LIMIT,
    # What the row names (looked up, never stored as given).
    "client": 200,
    "work_type": 200,
    "technician": 200,
    "phone": 64,
}
# Money is Numeric(12, 2); mileage an INTEGER (a car past ten million km is a typing error).
MAX_AMOUNT = Decimal("9999999999.99")
MAX_MILEAGE_KM = 10_000_000


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


def clean(value: str | None) -> str | None:
    """Trimmed text with inner runs of white space made one space; blank is None."""
    if value is None:
        return None
    value = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return value or None


def clean_text(value: str | None) -> str | None:
    """Free text keeps its line breaks; only the ends are trimmed."""
    if value is None:
        return None
    value = str(value).strip()
    return value or None


def normalise_phone(raw: str | None, country: str) -> str:
    """The number in E.164, reading national formats as the client's country's."""
    if not raw or not str(raw).strip():
        raise ValueError(_l("a phone number is required"))
    raw = str(raw)
    if len(raw) > MAX_LENGTH["phone"]:
        raise ValueError(_l("at most %(n)s characters", n=MAX_LENGTH["phone"]))
    e164, problem = _e164(raw, country)
    if problem == "parse":
        raise ValueError(_l("%(value)s is not a phone number", value=raw))
    if problem == "invalid":
        raise ValueError(_l("%(value)s is not a valid phone number", value=raw))
    return e164


# Countries whose numbers are read without the general parser when they are written plainly
# (+7 912 345-67-89, 8 (912) 345-67-89): the trunk prefix is a plain "8" and no number
# starts with 0, so stripping it is all the parser would do. The number must still be valid.
_PLAIN_COUNTRIES = {"RU": ("7", "8"), "KZ": ("7", "8")}
_SEPARATORS = re.compile(r"[\s().-]+")


def _plain_e164(raw: str, country: str) -> str | None:
    """The number of a plainly written phone of a country in ``_PLAIN_COUNTRIES``, when valid;
    None: leave it to the general parser (which decides the same; this is a fifth of its
    time, the most of a row's checks)."""
    code, trunk = _PLAIN_COUNTRIES[country]
    digits = _SEPARATORS.sub("", raw)
    if digits.startswith("+" + code):
        national = digits[1 + len(code) :]
    elif digits.startswith(trunk):
        national = digits[len(trunk) :]
    else:
        return None
    if not (national.isascii() and national.isdigit()) or national[0] == "0":
        return None
    number = phonenumbers.PhoneNumber(country_code=int(code), national_number=int(national))
    return f"+{code}{national}" if phonenumbers.is_valid_number(number) else None


@functools.lru_cache(maxsize=65_536)
def _e164(raw: str, country: str) -> tuple[str | None, str | None]:
    """(E.164, None), or (None, "parse" | "invalid"); a file repeats its customers' numbers,
    and parsing one is most of the time a row takes to check."""
    if country in _PLAIN_COUNTRIES and (plain := _plain_e164(raw, country)):
        return plain, None
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        return None, "parse"
    if not phonenumbers.is_valid_number(number):
        return None, "invalid"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164), None


def normalise_plate(plate: str | None) -> str | None:
    plate = clean(plate)
    return plate.upper() if plate else None


def normalise_vin(vin: str | None) -> str | None:
    vin = clean(vin)
    return re.sub(r"[\s-]", "", vin).upper() if vin else None


# --- the rules of one order -----------------------------------------------------------------


@dataclass(slots=True)
class CheckedOrder:
    """An order's fields as they will be stored (``check_order``); ``errors`` holds what is
    wrong, field -> message. A field whose value is bad is None here."""

    external_id: str
    e164: str | None
    work_type: WorkType | None
    technician: Technician | None
    completed_at: datetime | None
    amount: Decimal | None
    customer_name: str | None
    customer_external_id: str | None
    customer_email: str | None
    description: str | None
    vehicle_make_model: str | None
    vehicle_plate: str | None
    vehicle_vin: str | None
    vehicle_mileage_km: int | None
    address: str | None
    qc_breakin_advice: str | None
    qc_declined_repairs: str | None
    errors: dict


def check_order(
    client: Client,
    *,
    external_id: str,
    phone: str,
    work_type: WorkType | None,
    completed_at: datetime | None,
    amount: Decimal | None,
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
    now: datetime,
) -> CheckedOrder:
    """Every rule of one order that needs no database: what is required, the formats, the
    model's lengths and number ranges, NUL bytes. Reads nothing, writes nothing."""
    errors: dict = {}

    def text(name: str, value, normalise=clean):
        if value is None:
            return None
        if "\x00" in str(value):
            errors[name] = _l("contains a NUL byte (a character that cannot be stored)")
            return None
        value = normalise(value)
        limit = MAX_LENGTH.get(name)
        if value and limit and len(value) > limit:
            errors[name] = _l("at most %(n)s characters", n=limit)
            return None
        return value

    external_id = text("external_id", external_id) or ""
    if not external_id and "external_id" not in errors:
        errors["external_id"] = _l("an order number is required")
    e164 = None
    if phone is not None and "\x00" in str(phone):
        errors["phone"] = _l("contains a NUL byte (a character that cannot be stored)")
    else:
        try:
            e164 = normalise_phone(phone, client.country)
        except ValueError as exc:
            errors["phone"] = exc.args[0]
    if work_type is None:
        errors["work_type"] = _l("required")
    if completed_at is None or completed_at.tzinfo is None:
        errors["completed_at"] = _l("a completion date and time is required")
        completed_at = None
    elif completed_at > now + CLOCK_SKEW:
        errors["completed_at"] = _l("the completion time is in the future")
        completed_at = None
    if amount is None or not amount.is_finite() or amount < 0:
        errors["amount"] = _l("the amount must be zero or more")
        amount = None
    elif amount > MAX_AMOUNT:
        errors["amount"] = _l("at most %(n)s", n=MAX_AMOUNT)
        amount = None
    plate = text("vehicle_plate", vehicle_plate, normalise_plate)
    vin = text("vehicle_vin", vehicle_vin, normalise_vin)
    if vin and not VIN_RE.match(vin):
        errors["vehicle_vin"] = _l("a VIN has 17 letters and digits, without I, O and Q")
        vin = None
    if vehicle_mileage_km is not None:
        if vehicle_mileage_km < 0:
            errors["vehicle_mileage_km"] = _l("the mileage cannot be negative")
            vehicle_mileage_km = None
        elif vehicle_mileage_km > MAX_MILEAGE_KM:
            errors["vehicle_mileage_km"] = _l("at most %(n)s km", n=MAX_MILEAGE_KM)
            vehicle_mileage_km = None
    if technician is not None and technician.client_id not in (None, client.id):
        errors["technician"] = _l("this technician works for another client")
    return CheckedOrder(
        external_id=external_id,
        e164=e164,
        work_type=work_type,
        technician=technician,
        completed_at=completed_at.astimezone(UTC) if completed_at is not None else None,
        amount=amount,
        customer_name=text("customer_name", customer_name),
        customer_external_id=text("customer_external_id", customer_external_id),
        customer_email=text("customer_email", customer_email),
        description=text("description", description, clean_text),
        vehicle_make_model=text("vehicle_make_model", vehicle_make_model),
        vehicle_plate=plate,
        vehicle_vin=vin,
        vehicle_mileage_km=vehicle_mileage_km,
        address=text("address", address),
        qc_breakin_advice=text("qc_breakin_advice", qc_breakin_advice, clean_text),
        qc_declined_repairs=text("qc_declined_repairs", qc_declined_repairs, clean_text),
        errors=errors,
    )


def choose_customer(by_external_id, by_phone: list, external_id: str | None):
    """The customer an order belongs to, from the client's customers with its customer number
    (``by_external_id``) and those with its phone, latest first (``by_phone``): by the
    customer number when it is known, else the latest with that phone (a family may share
    one); a phone match carrying another customer number is another person. None: new."""
    if external_id and by_external_id is not None:
        return by_external_id
    for customer in by_phone:
        if not external_id or customer.external_id in (None, external_id):
            return customer
    return None


def customer_values(client: Client, checked: CheckedOrder) -> dict:
    """The columns of a new customer (the phone is stored beside it, as primary)."""
    return {
        "client_id": client.id,
        "external_id": checked.customer_external_id,
        "name": checked.customer_name,
        "email": checked.customer_email,
    }


def order_values(client: Client, checked: CheckedOrder, customer_id, now: datetime) -> dict:
    """The columns of the order itself; ``customer_id`` may be an id or None (set later)."""
    technician = checked.technician
    return {
        "client_id": client.id,
        "external_id": checked.external_id,
        "customer_id": customer_id,
        "phone": checked.e164,
        "work_type_id": checked.work_type.id,
        "technician_id": technician.id if technician is not None else None,
        "description": checked.description,
        "amount": checked.amount,
        "completed_at": checked.completed_at,
        "vehicle_make_model": checked.vehicle_make_model,
        "vehicle_plate": checked.vehicle_plate,
        "vehicle_vin": checked.vehicle_vin,
        "vehicle_mileage_km": checked.vehicle_mileage_km,
        "address": checked.address,
        "qc_breakin_advice": checked.qc_breakin_advice,
        "qc_declined_repairs": checked.qc_declined_repairs,
        "created_at": now,
        "blocked_technician_flag": blocked(technician),
    }


def blocked(technician: Technician | None) -> bool:
    return technician is not None and technician.status == TechnicianStatus.BLOCKED


def find_stored(client: Client, external_id: str) -> Order | None:
    return db.session.scalar(
        select(Order).where(Order.client_id == client.id, Order.external_id == external_id)
    )


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
    checked = check_order(
        client,
        external_id=external_id,
        phone=phone,
        work_type=work_type,
        completed_at=completed_at,
        amount=amount,
        customer_name=customer_name,
        customer_external_id=customer_external_id,
        customer_email=customer_email,
        technician=technician,
        description=description,
        vehicle_make_model=vehicle_make_model,
        vehicle_plate=vehicle_plate,
        vehicle_vin=vehicle_vin,
        vehicle_mileage_km=vehicle_mileage_km,
        address=address,
        qc_breakin_advice=qc_breakin_advice,
        qc_declined_repairs=qc_declined_repairs,
        now=now,
    )
    errors = checked.errors
    if checked.external_id and "external_id" not in errors:
        existing = find_stored(client, checked.external_id)
        if existing is not None:
            return Intake(existing, created=False)
    customer = None
    if checked.e164 is not None and "customer_external_id" not in errors:
        customer = _find_customer(client, checked.e164, checked.customer_external_id)
        if customer is None and not checked.customer_name and "customer_name" not in errors:
            errors["customer_name"] = _l("a new customer needs a name")
    if errors:
        raise OrderRejected(errors)
    return _store(client, checked, customer, by=by, now=now)


def _store(client: Client, checked: CheckedOrder, customer: Customer | None, *, by, now) -> Intake:
    e164 = checked.e164
    customer_created = customer is None
    if customer is None:
        customer = Customer(**customer_values(client, checked))
        customer.phones.append(CustomerPhone(e164=e164, is_primary=True))
        db.session.add(customer)
    else:
        if e164 not in {p.e164 for p in customer.phones}:
            customer.phones.append(CustomerPhone(e164=e164, is_primary=not customer.phones))
        if customer.external_id is None and checked.customer_external_id:
            customer.external_id = checked.customer_external_id
        if customer.email is None and checked.customer_email:
            customer.email = checked.customer_email

    values = order_values(client, checked, None, now)
    del values["customer_id"]
    order = Order(customer=customer, **values)
    db.session.add(order)
    db.session.flush()

    is_blocked = order.blocked_technician_flag
    if is_blocked:
        audit.record(
            "order.blocked_technician",
            actor=by,
            entity=order,
            details={"technician": checked.technician.id, "order": order.external_id},
        )
    check = repeat_repairs.check_repeat_repair(order, now=now, by=by)
    return Intake(order, True, customer_created, check.repeat_of, check.later, is_blocked)


def _find_customer(client: Client, e164: str, external_id: str | None) -> Customer | None:
    by_external_id = None
    if external_id:
        by_external_id = db.session.scalar(
            select(Customer).where(
                Customer.client_id == client.id, Customer.external_id == external_id
            )
        )
        if by_external_id is not None:
            return by_external_id
    # The phone's owners by the phone's index (as a join, SQLite's planner walks every
    # customer of the client instead: milliseconds per order at 100,000 customers).
    owners = select(CustomerPhone.customer_id).where(CustomerPhone.e164 == e164)
    by_phone = db.session.scalars(
        select(Customer)
        .where(Customer.id.in_(owners), Customer.client_id == client.id)
        .order_by(Customer.id.desc())
    ).all()
    return choose_customer(by_external_id, by_phone, external_id)


# --- one row of a file ----------------------------------------------------------------------

FIELDS = (
    "client",
    "external_id",
    "phone",
    "work_type",
    "completed_at",
    "amount",
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
# Needed in every row; "client" may instead be chosen for the whole file.
REQUIRED_FIELDS = ("client", "external_id", "phone", "work_type", "completed_at", "amount")

# 19.11.2026 14:05, 19/11/2026 14:05:30, 19.11.26 14:05 (ISO 8601 is datetime.fromisoformat's).
_DAY_FIRST = re.compile(
    r"(\d{1,2})[./](\d{1,2})[./](\d{4}|\d{2})[ T]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
)


def _folded(text: str) -> str:
    return " ".join(text.casefold().replace("ё", "е").split())


class Lookups:
    """Clients, work types and technicians by key (or by name, however capitalised), each read
    once per import."""

    def __init__(self) -> None:
        self.clients: dict[str, Client | None] = {}
        self.work_types: dict[str, WorkType | None] = {}
        self.technicians: dict[tuple[int, str], Technician | None | str] = {}
        self._names: dict[str, dict] = {}
        self._technician_names: dict[int, dict[str, list[int]]] = {}

    def refresh(self, *also) -> None:
        """Read again what a commit expired (an import commits each batch), one query per kind:
        otherwise each technician, work type and client is read again on its first use in the
        next batch, a query each (0.6 s of CPU over a 100,000-row file). ``also``: more objects
        to read again with them (the import's own client)."""
        found = [*self.clients.values(), *self.work_types.values(), *self.technicians.values()]
        for model in (Client, WorkType, Technician):
            ids = {
                inspect(o).identity[0]
                for o in (*found, *also)
                if isinstance(o, model) and inspect(o).expired_attributes
            }
            if ids:
                db.session.scalars(select(model).where(model.id.in_(ids))).all()

    def _by_name(self, model) -> dict[str, int]:
        """Folded name -> id of every row of a small table (clients, work types)."""
        if model.__name__ not in self._names:
            rows = db.session.execute(select(model.id, model.name).order_by(model.id))
            names: dict[str, int] = {}
            for id_, name in rows:
                names.setdefault(_folded(name), id_)
            self._names[model.__name__] = names
        return self._names[model.__name__]

    def client(self, key: str) -> Client | None:
        if key not in self.clients:
            found = db.session.scalar(select(Client).where(Client.key == key))
            if found is None and (id_ := self._by_name(Client).get(_folded(key))):
                found = db.session.get(Client, id_)
            self.clients[key] = found
        return self.clients[key]

    def work_type(self, key: str) -> WorkType | None:
        if key not in self.work_types:
            found = db.session.scalar(select(WorkType).where(WorkType.key == key))
            if found is None and (id_ := self._by_name(WorkType).get(_folded(key))):
                found = db.session.get(WorkType, id_)
            self.work_types[key] = found
        return self.work_types[key]

    def technician(self, client: Client, key: str) -> Technician | None | str:
        """The client's own mechanic, else an independent master (no client), by their id,
        else by name; "ambiguous" when two of them have that name."""
        cache_key = (client.id, key)
        if cache_key not in self.technicians:
            theirs = (Technician.client_id == client.id) | Technician.client_id.is_(None)
            found = db.session.scalars(
                select(Technician)
                .where(Technician.external_id == key, theirs)
                .order_by(Technician.client_id.is_(None))  # the client's own first
            ).first()
            if found is None:
                ids = self._technicians_named(client).get(_folded(key), [])
                if len(ids) == 1:
                    found = db.session.get(Technician, ids[0])
                elif ids:
                    found = "ambiguous"
            self.technicians[cache_key] = found
        return self.technicians[cache_key]

    def _technicians_named(self, client: Client) -> dict[str, list[int]]:
        """Folded name -> ids: the client's own technicians where any has the name, else the
        independent masters with it."""
        if client.id not in self._technician_names:
            own: dict[str, list[int]] = {}
            independent: dict[str, list[int]] = {}
            rows = db.session.execute(
                select(Technician.id, Technician.name, Technician.client_id).where(
                    (Technician.client_id == client.id) | Technician.client_id.is_(None)
                )
            )
            for id_, name, client_id in rows:
                target = own if client_id is not None else independent
                target.setdefault(_folded(name), []).append(id_)
            self._technician_names[client.id] = {**independent, **own}
        return self._technician_names[client.id]


def parse_completed_at(raw, zone: str) -> datetime:
    """ISO 8601 (with an offset, or local), ``19.11.2026 14:05``, or a spreadsheet's date and
    time; a time without an offset is the client's local time."""
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        raise ValueError(_l("%(value)s has no time of day", value=raw.isoformat()))
    else:
        text = str(raw).strip()
        value = None
        if ":" in text:  # a date alone would make a guess of the time
            try:
                value = datetime.fromisoformat(text)
            except ValueError:
                if match := _DAY_FIRST.fullmatch(text):
                    day, month, year, hour, minute, second = match.groups()
                    year = int(year) + (2000 if len(year) == 2 else 0)
                    try:
                        value = datetime(  # noqa: DTZ001 - local time, zoned below
                            year, int(month), int(day), int(hour), int(minute), int(second or 0)
                        )
                    except ValueError:
                        value = None
        if value is None:
            raise ValueError(
                _l("%(value)s is not a date and time (e.g. 2026-11-19 14:05)", value=text)
            )
    if value.tzinfo is None:
        value = value.replace(tzinfo=ZoneInfo(zone))
    return value.astimezone(UTC)


_CURRENCY = re.compile(r"(₽|руб\.?|р\.|rub)$", re.IGNORECASE)


def parse_amount(raw) -> Decimal:
    """``12500``, ``12 500,00``, ``12500.50``, ``1.234,56``, ``4350 ₽``, or a spreadsheet's
    number: spaces as thousands separators, a comma or a dot for the decimals."""
    if isinstance(raw, bool):
        raise ValueError(_l("%(value)s is not an amount", value=raw))
    if isinstance(raw, int | float | Decimal):
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(_l("%(value)s is not an amount", value=raw)) from None
        if not value.is_finite():
            raise ValueError(_l("%(value)s is not an amount", value=raw))
        return value.quantize(Decimal("0.01"))
    text = _CURRENCY.sub("", re.sub(r"\s", "", str(raw)))
    if "," in text and "." in text:  # the later one is the decimal point
        thousands = "." if text.rfind(",") > text.rfind(".") else ","
        text = text.replace(thousands, "")
    if "," in text and "." not in text:
        text = text.replace(",", ".")
    if len(text) > 40:
        raise ValueError(_l("%(value)s is not an amount", value=str(raw)[:40] + "…"))
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(_l("%(value)s is not an amount", value=raw)) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(_l("%(value)s is not an amount", value=raw))
    return value.quantize(Decimal("0.01"))


def parse_mileage(raw) -> int:
    """Whole kilometres: ``85000``, ``85 000``, or a spreadsheet's number."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if raw != int(raw):
            raise ValueError(_l("%(value)s is not a whole number of kilometres", value=raw))
        return int(raw)
    digits = re.sub(r"\s", "", str(raw))
    if not digits.isdigit() or len(digits) > 12:
        raise ValueError(_l("%(value)s is not a whole number of kilometres", value=raw))
    return int(digits)


def parse_row(
    value: dict, lookups: Lookups, *, client: Client | None = None
) -> tuple[dict, dict[str, str]]:
    """The keyword arguments of ``record_order`` (with "client") for one row, and the field
    errors found. ``value``: field -> what the file holds (text, or a spreadsheet's number or
    date); ``client``: the client of every row that names none."""
    errors: dict = {}
    given: dict = {}  # field -> trimmed text, or a spreadsheet's number or date; blanks left out
    for name, raw in value.items():
        if raw is None:
            continue
        if isinstance(raw, str):
            if "\x00" in raw:
                errors[name] = _l("contains a NUL byte (a character that cannot be stored)")
                continue
            raw = raw.strip()
            if not raw:
                continue
        given[name] = raw
    for name in REQUIRED_FIELDS:
        if name not in given and name not in errors and not (name == "client" and client):
            errors[name] = _l("required")
    for name in ("client", "work_type", "technician"):
        if name in given and len(cell_text(given[name])) > MAX_LENGTH[name]:
            errors[name] = _l("at most %(n)s characters", n=MAX_LENGTH[name])
            del given[name]
    if "client" in given:
        key = cell_text(given["client"])
        client = lookups.client(key)
        if client is None:
            errors["client"] = _l("no client with the key %(key)s", key=key)
    work_type = None
    if "work_type" in given:
        key = cell_text(given["work_type"])
        work_type = lookups.work_type(key)
        if work_type is None:
            errors["work_type"] = _l("no work type with the key %(key)s", key=key)
    technician = None
    if "technician" in given and client is not None:
        key = cell_text(given["technician"])
        technician = lookups.technician(client, key)
        if technician == "ambiguous":
            errors["technician"] = _l("several technicians are called %(id)s", id=key)
            technician = None
        elif technician is None:
            errors["technician"] = _l("no technician %(id)s for this client", id=key)
    completed_at = amount = mileage = None
    if "completed_at" in given:
        try:
            zone = client.timezone if client is not None else "UTC"
            completed_at = parse_completed_at(given["completed_at"], zone)
        except ValueError as exc:
            errors["completed_at"] = exc.args[0]
    if "amount" in given:
        try:
            amount = parse_amount(given["amount"])
        except ValueError as exc:
            errors["amount"] = exc.args[0]
    if "vehicle_mileage_km" in given:
        try:
            mileage = parse_mileage(given["vehicle_mileage_km"])
        except ValueError as exc:
            errors["vehicle_mileage_km"] = exc.args[0]
    kwargs = {name: (cell_text(given[name]) if name in given else None) for name in _TEXT_FIELDS}
    kwargs["external_id"] = kwargs["external_id"] or ""
    kwargs["phone"] = kwargs["phone"] or ""
    kwargs.update(
        client=client,
        work_type=work_type,
        completed_at=completed_at,
        amount=amount,
        technician=technician,
        vehicle_mileage_km=mileage,
    )
    return kwargs, errors


_TEXT_FIELDS = tuple(
    f
    for f in FIELDS
    if f
    not in ("client", "work_type", "technician", "completed_at", "amount", "vehicle_mileage_km")
)
