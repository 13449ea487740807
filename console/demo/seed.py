"""Deterministic, idempotent, realistic demo data (``flask seed-demo``; the benchmarks).

How it works

* Deterministic: every choice comes from a ``random.Random`` seeded with ``"{seed}/{purpose}"``
  (string seeds hash the same in every process), never the global ``random``. Dates are offsets
  from an anchor, today's UTC midnight, so reruns on the same day produce the same rows.
* Prefix-stable streams: which client an order belongs to is drawn one order at a time from one
  stream, and each client's orders (with the customers they bring) from that client's own stream.
  The first 600 orders of ``--orders 1000`` are therefore the 600 orders of ``--orders 600``;
  randomness is consumed the same way whatever the database holds.
* Idempotent: rows are looked up by their natural keys (client key, work type key, user e-mail,
  (client, external id) of technicians, customers and orders) and only the missing ones are
  written. A rerun creates nothing; a larger ``--orders`` adds only the missing orders.
* Fast and bounded: customers, their phones and orders go in with Core ``INSERT``s in batches of
  ``BATCH_SIZE``. Memory holds one batch, a window of recent customers per client (returning
  customers are drawn from it) and the external ids the database already had.
* Realistic: see ``data.py`` for the companies, work types, names, cars, streets and QC notes.
  Every phone number is built for its country and checked with ``phonenumbers``.

Nothing is committed here: the caller (the CLI command) commits.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate, islice
from zoneinfo import ZoneInfo

import phonenumbers
from sqlalchemy import func, insert, select

from console.demo import data
from console.demo.data import CAR, ClientSpec, WorkTypeSpec
from console.extensions import db
from console.models import (
    CannedReply,
    Client,
    Customer,
    CustomerPhone,
    Order,
    Role,
    Technician,
    TechnicianRole,
    TechnicianStatus,
    User,
    WorkType,
    utcnow,
)
from console.services import customer_emails
from console.services.auth import create_user
from console.services.reports import totals

DEMO_PASSWORD = "demo"  # noqa: S105 - printed by `flask demo-logins`, never in production
# (email, name, role, locale, time zone); locale None: the browser's language.
DEMO_USERS = [
    ("admin@demo.local", "Дмитрий Волков", "admin", "ru", "Europe/Moscow"),
    ("qc@demo.local", "Елена Кузнецова", "qc", "ru", "Asia/Yekaterinburg"),
    ("supervisor@demo.local", "Katrin Hoffmann", "supervisor", "en", "Europe/Berlin"),
    ("operator1@demo.local", "Анна Смирнова", "operator", None, "Europe/Moscow"),
    ("operator2@demo.local", "Ольга Белова", "operator", "ru", "Asia/Yekaterinburg"),
]
QC_EMAIL = "qc@demo.local"  # the QC department blocks technicians

BATCH_SIZE = 5_000
HISTORY_DAYS = 60  # orders completed over the last 60 days (the benchmarks' data sets)
# What `flask seed-demo` loads: 100 days, so the calls of last month and of the month before are
# there whole whatever today's date (the reports compare a month with the one before it).
DEMO_DAYS = 100
RETURNING_SHARE = 0.3  # orders placed by a customer seen before
RECENT_CUSTOMERS = 2_000  # returning customers are drawn from a client's latest ones
SECOND_PHONE_SHARE = 0.15
DO_NOT_CALL_SHARE = 0.02
EMAIL_SHARE = 0.4
BLOCKED_SHARE = 0.1
MARKETPLACE_PREFIX = "MASTER"


def database_is_empty() -> bool:
    """No users and no clients: nothing anyone would miss if the demo were loaded."""
    no_users = db.session.scalar(select(User.id).limit(1)) is None
    return no_users and db.session.scalar(select(Client.id).limit(1)) is None


def seed_demo(
    orders: int = 600, seed: int = 1, *, today: date | None = None, days: int = HISTORY_DAYS
) -> str:
    """Add whatever of the demo is missing; return a one-line summary. Does not commit.

    ``today`` (default: the current UTC date) anchors the dates; orders end the day before and
    are spread over the ``days`` before it.
    """
    anchor = datetime.combine(today or utcnow().date(), time(0), tzinfo=UTC)
    qc = _ensure_users()
    work_types = _ensure_work_types()
    clients = _ensure_clients()
    _ensure_canned_replies(qc)
    marketplace = _ensure_technicians(_marketplace_spec(), None, seed, anchor, qc)
    counts = _split_orders(orders, seed)
    for spec in data.CLIENTS:
        client = clients[spec.key]
        if spec.marketplace:
            crew = marketplace
        else:
            crew = _ensure_technicians(spec, client.id, seed, anchor, qc)
        stream = _ClientOrders(spec, client.id, crew, work_types, seed, anchor, days)
        _write_missing(stream, counts[spec.key])
    db.session.flush()
    return _summary()


# --- reference rows: users, work types, clients, technicians --------------------------------


def _ensure_users() -> User | None:
    """Create the demo users that are missing; return the QC user (who blocked technicians)."""
    emails = [email for email, *_ in DEMO_USERS]
    existing = set(db.session.scalars(select(User.email).where(User.email.in_(emails))))
    for email, name, role, locale, timezone in DEMO_USERS:
        if email not in existing:
            create_user(
                email=email,
                name=name,
                password=DEMO_PASSWORD,
                role=Role(role),
                locale=locale,
                timezone=timezone,
            )
    return db.session.scalar(select(User).where(User.email == QC_EMAIL))


def _ensure_canned_replies(by: User | None) -> None:
    """QC's canned replies in both languages, when there are none yet."""
    if by is None or db.session.scalar(select(CannedReply.id).limit(1)) is not None:
        return
    for position, (title, locale, body) in enumerate(data.CANNED_REPLIES):
        values = customer_emails.ReplyValues(title, body, locale, None, True, position)
        customer_emails.save_reply(None, values, by=by, now=utcnow())


def _ensure_work_types() -> dict[str, WorkType]:
    found = {w.key: w for w in db.session.scalars(select(WorkType))}
    for spec in data.WORK_TYPES:
        if spec.key not in found:
            found[spec.key] = WorkType(
                key=spec.key,
                name=spec.name,
                call_delay_days=spec.call_delay_days,
                sample_percent=spec.sample_percent,
            )
            db.session.add(found[spec.key])
    db.session.flush()
    return found


def _ensure_clients() -> dict[str, Client]:
    found = {c.key: c for c in db.session.scalars(select(Client))}
    for spec in data.CLIENTS:
        if spec.key not in found:
            found[spec.key] = Client(
                key=spec.key,
                name=spec.name,
                timezone=spec.timezone,
                currency=spec.currency,
                country=spec.country,
                call_delay_days=spec.call_delay_days,
                sla_working_time_only=spec.sla_working_time_only,
                working_hours=spec.working_hours,
            )
            db.session.add(found[spec.key])
    db.session.flush()
    return found


def _marketplace_spec() -> ClientSpec:
    """The independent masters work for the marketplace client's customers, in its city."""
    return next(spec for spec in data.CLIENTS if spec.marketplace)


@dataclass(frozen=True, slots=True)
class _Crew:
    """The technicians one client's orders may go to: ids, and when each was blocked."""

    ids: tuple[int, ...]
    blocked_at: tuple[datetime | None, ...]

    @property
    def active_ids(self) -> tuple[int, ...]:
        return tuple(i for i, at in zip(self.ids, self.blocked_at, strict=True) if at is None)


def _ensure_technicians(
    spec: ClientSpec, client_id: int | None, seed: int, anchor: datetime, qc: User | None
) -> _Crew:
    """A client's mechanics, or (``client_id`` None) the marketplace's independent masters."""
    marketplace = client_id is None
    rng = random.Random(f"{seed}/{'marketplace' if marketplace else spec.key}/technicians")
    blocked = set(rng.sample(range(spec.technicians), round(spec.technicians * BLOCKED_SHARE)))
    whose = Technician.client_id.is_(None) if marketplace else Technician.client_id == client_id
    existing = {t.external_id: t for t in db.session.scalars(select(Technician).where(whose))}
    # A shop's first technician who is not blocked is its shop master (DOMAIN.md, 000: answers
    # for the workshop's work); chosen without the random stream, which stays as it was.
    master = None if marketplace else min(set(range(spec.technicians)) - blocked, default=None)
    crew = []
    for n in range(spec.technicians):
        # "MASTER-007" for an independent master, "GS-T07" for a shop's mechanic
        external_id = (
            f"{MARKETPLACE_PREFIX}-{n + 1:03d}" if marketplace else f"{spec.prefix}-T{n + 1:02d}"
        )
        fresh = _new_technician(rng, spec, client_id, external_id, n in blocked, anchor, qc)
        if n == master:
            fresh.role = TechnicianRole.SHOP_MASTER
        crew.append(existing.get(external_id) or fresh)
        if external_id not in existing:
            db.session.add(fresh)
    db.session.flush()
    return _Crew(tuple(t.id for t in crew), tuple(t.blocked_at for t in crew))


def _new_technician(
    rng: random.Random,
    spec: ClientSpec,
    client_id: int | None,
    external_id: str,
    blocked: bool,
    anchor: datetime,
    qc: User | None,
) -> Technician:
    """Built even when the row exists, so the random stream does not depend on the database."""
    technician = Technician(
        client_id=client_id,
        external_id=external_id,
        name=_person_name(rng, spec.language, female_share=0.1 if spec.kind == CAR else 0.3),
        phone=_phone(rng, spec.country, data.MOBILE_PREFIXES[spec.country]),
        status=TechnicianStatus.ACTIVE,
    )
    days_ago = rng.randint(5, 40)
    reason = rng.choice(data.BLOCK_REASONS[spec.language])
    if blocked:
        technician.status = TechnicianStatus.BLOCKED
        technician.blocked_at = anchor - timedelta(days=days_ago, hours=rng.randint(3, 12))
        technician.blocked_reason = reason
        technician.blocked_by_id = qc.id if qc else None
    return technician


# --- people, phones, vehicles, addresses ----------------------------------------------------


def _person_name(rng: random.Random, language: str, *, female_share: float = 0.5) -> str:
    female = rng.random() < female_share
    if language == "ru":
        surname = rng.choice(data.RU_SURNAMES)
        if female:
            return f"{rng.choice(data.RU_FEMALE_NAMES)} {data.feminine_surname(surname)}"
        return f"{rng.choice(data.RU_MALE_NAMES)} {surname}"
    first = rng.choice(data.EN_FEMALE_NAMES if female else data.EN_MALE_NAMES)
    return f"{first} {rng.choice(data.EN_SURNAMES)}"


def _phone(rng: random.Random, region: str, ranges: tuple[tuple[int, str, int], ...]) -> str:
    """A number in E.164 that ``phonenumbers`` finds valid for the region (a +44 number can be
    Guernsey's, a +7 one Kazakhstan's: those are drawn again)."""
    for _ in range(50):
        country_code, prefix, digits = rng.choice(ranges)
        national = int(prefix + f"{rng.randrange(10**digits):0{digits}d}")
        number = phonenumbers.PhoneNumber(country_code=country_code, national_number=national)
        if phonenumbers.is_valid_number_for_region(number, region):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    raise ValueError(f"no valid {region} phone number in {ranges!r}")


def _email(rng: random.Random, name: str, language: str) -> str:
    first, _, last = name.partition(" ")
    local = f"{data.transliterate(first)}.{data.transliterate(last)}"
    if rng.random() < 0.5:
        local += str(rng.randint(1, 99))
    return f"{local}@{rng.choice(data.EMAIL_DOMAINS[language])}"


@dataclass(frozen=True, slots=True)
class _Vehicle:
    make_model: str
    plate: str
    vin: str
    mileage_km: int  # on the anchor date
    km_per_day: int

    def mileage_on(self, moment: datetime, anchor: datetime) -> int:
        """The odometer grows with time, so a returning car never shows less than before."""
        return max(0, self.mileage_km - (anchor - moment).days * self.km_per_day)


def _vehicle(rng: random.Random, spec: ClientSpec) -> _Vehicle:
    make_model = rng.choice(spec.car_models or data.CAR_MODELS_BY_COUNTRY[spec.country])
    plate = _uk_plate(rng) if spec.country == "GB" else _russian_plate(rng, spec.plate_regions)
    mileage = rng.randint(5, 220) * 1000 + rng.randrange(1000)
    return _Vehicle(make_model, plate, _vin(rng, make_model), mileage, rng.randint(20, 80))


def _russian_plate(rng: random.Random, regions: tuple[str, ...]) -> str:
    """``А123ВС77``: letter, three digits (not 000), two letters, region code."""
    letters = data.RU_PLATE_LETTERS
    number = rng.randint(1, 999)
    series = rng.choice(letters) + rng.choice(letters)
    return f"{rng.choice(letters)}{number:03d}{series}{rng.choice(regions)}"


def _uk_plate(rng: random.Random) -> str:
    """``LB19 XKD``: area code, age identifier, three random letters."""
    area = rng.choice(data.UK_AREA_LETTERS) + rng.choice(data.UK_AREA_LETTERS)
    tail = "".join(rng.choice(data.UK_RANDOM_LETTERS) for _ in range(3))
    return f"{area}{rng.choice(data.UK_AGE_IDENTIFIERS)} {tail}"


_VIN_VALUES = dict(zip("0123456789", range(10), strict=True)) | {
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def _vin(rng: random.Random, make_model: str) -> str:
    """17 characters without I, O, Q: manufacturer, model, check digit, year, plant, serial."""
    wmi, descriptor = data.CAR_MODELS[make_model]
    head = wmi + descriptor + rng.choice(data.VIN_ALPHABET)
    tail = rng.choice(data.VIN_YEAR_CODES) + rng.choice(data.VIN_ALPHABET)
    tail += f"{rng.randrange(10**6):06d}"
    total = sum(
        _VIN_VALUES[ch] * weight for ch, weight in zip(head + "0" + tail, _VIN_WEIGHTS, strict=True)
    )
    check = "X" if total % 11 == 10 else str(total % 11)
    return head + check + tail


def _address(rng: random.Random, city: str) -> str:
    street = rng.choice(data.STREETS[city])
    house = rng.randint(1, 180)
    if rng.random() < 0.1:  # a private house
        return f"г. {city}, {street}, д. {house}"
    return f"г. {city}, {street}, д. {house}, кв. {rng.randint(1, 320)}"


# --- orders ---------------------------------------------------------------------------------


def _split_orders(total: int, seed: int) -> Counter[str]:
    """How many of the demo's orders each client gets, one draw per order (prefix-stable)."""
    rng = random.Random(f"{seed}/clients")
    keys = [spec.key for spec in data.CLIENTS]
    shares = [spec.share for spec in data.CLIENTS]
    counts: Counter[str] = Counter()
    for start in range(0, total, BATCH_SIZE):
        counts.update(rng.choices(keys, weights=shares, k=min(BATCH_SIZE, total - start)))
    return counts


@dataclass(slots=True)
class _Customer:
    """A generated customer, kept while orders may still come back to them."""

    row: dict
    phones: list[tuple[str, str]]  # (E.164, label), the primary first
    vehicle: _Vehicle | None
    address: str | None

    @property
    def external_id(self) -> str:
        return self.row["external_id"]


@dataclass(slots=True)
class _PlannedOrder:
    row: dict
    customer: _Customer
    new_customer: bool


class _ClientOrders:
    """One client's orders in a fixed sequence: the k-th depends only on the seed and k."""

    def __init__(
        self,
        spec: ClientSpec,
        client_id: int,
        crew: _Crew,
        work_types: dict[str, WorkType],
        seed: int,
        anchor: datetime,
        days: int = HISTORY_DAYS,
    ) -> None:
        self.spec = spec
        self.days = days
        self.client_id = client_id
        self.crew = crew
        self.active_crew = crew.active_ids or crew.ids
        self.rng = random.Random(f"{seed}/{spec.key}/orders")
        self.anchor = anchor
        self.zone = ZoneInfo(spec.timezone)
        # weekday -> (opening, closing) in minutes after local midnight
        self.hours = {
            int(day): (_minutes(opens), _minutes(closes))
            for day, (opens, closes) in spec.working_hours.items()
        }
        kinds = [w for w in data.WORK_TYPES if w.kind == spec.kind]
        self.work_specs = kinds
        self.work_type_ids = {w.key: work_types[w.key].id for w in kinds}
        self.cum_weights = list(accumulate(w.weight for w in kinds))
        self.recent: list[_Customer] = []
        self.customers_made = 0

    def orders(self, count: int) -> Iterator[_PlannedOrder]:
        for k in range(count):
            yield self._order(k)

    def order_external_id(self, k: int) -> str:
        return f"{self.spec.prefix}-{10001 + k}"

    def _order(self, k: int) -> _PlannedOrder:
        rng, spec = self.rng, self.spec
        customer, is_new = self._customer()
        work = self.work_specs[bisect_right(self.cum_weights, rng.random() * self.cum_weights[-1])]
        completed_at = self._completed_at()
        phone, _label = customer.phones[0]
        if len(customer.phones) > 1 and rng.random() < 0.25:
            phone, _label = customer.phones[1]
        row = {
            "client_id": self.client_id,
            "external_id": self.order_external_id(k),
            "customer_id": None,  # known once the customer is in the database
            "phone": phone,
            "work_type_id": self.work_type_ids[work.key],
            "technician_id": self._technician(completed_at),
            "description": rng.choice(data.DESCRIPTIONS[work.key][spec.language]),
            "amount": self._amount(work),
            "completed_at": completed_at,
            "created_at": completed_at,
            "blocked_technician_flag": False,
            **self._vehicle_or_address(customer, completed_at),
            **self._qc_notes(work),
        }
        return _PlannedOrder(row, customer, is_new)

    def _customer(self) -> tuple[_Customer, bool]:
        returning = self.rng.random() < RETURNING_SHARE
        if returning and self.recent:
            return self.rng.choice(self.recent), False
        customer = self._new_customer()
        if len(self.recent) < RECENT_CUSTOMERS:
            self.recent.append(customer)
        else:
            self.recent[self.customers_made % RECENT_CUSTOMERS] = customer
        self.customers_made += 1
        return customer, True

    def _new_customer(self) -> _Customer:
        rng, spec = self.rng, self.spec
        name = _person_name(rng, spec.language)
        phones = [(_phone(rng, spec.country, data.MOBILE_PREFIXES[spec.country]), "mobile")]
        if rng.random() < SECOND_PHONE_SHARE:
            second = self._second_phone()
            if second[0] != phones[0][0]:  # one row per number and customer
                phones.append(second)
        since = self._days_ago(rng.randrange(self.days, 1500))  # a customer since
        do_not_call = rng.random() < DO_NOT_CALL_SHARE
        row = {
            "client_id": self.client_id,
            "external_id": f"{spec.prefix}-C{self.customers_made + 1:06d}",
            "name": name,
            "email": _email(rng, name, spec.language) if rng.random() < EMAIL_SHARE else None,
            "birthday": _birthday(rng) if rng.random() < 0.5 else None,
            "do_not_call": do_not_call,
            "do_not_call_at": self._days_ago(rng.randint(1, self.days - 1))
            if do_not_call
            else None,
            "notes": _DO_NOT_CALL_NOTE[spec.language] if do_not_call else None,
            "created_at": since,
        }
        vehicle = _vehicle(rng, spec) if spec.kind == CAR else None
        address = None if spec.kind == CAR else _address(rng, spec.city)
        return _Customer(row, phones, vehicle, address)

    def _second_phone(self) -> tuple[str, str]:
        """A home landline in the client's city, or a work mobile."""
        rng, country = self.rng, self.spec.country
        if rng.random() < 0.5:
            return _phone(rng, country, data.LANDLINE_PREFIXES[self.spec.city]), "home"
        return _phone(rng, country, data.MOBILE_PREFIXES[country]), "work"

    def _days_ago(self, days: int) -> datetime:
        return self.anchor - timedelta(days=days)

    def _completed_at(self) -> datetime:
        """A moment within the client's local working hours on one of the last ``days``."""
        day = self.anchor.date() - timedelta(days=self.rng.randint(1, self.days))
        minute = self.rng.random()
        while day.weekday() not in self.hours:  # closed that day: the day before
            day -= timedelta(days=1)
        opens, closes = self.hours[day.weekday()]
        at = opens + 60 + int(minute * (closes - opens - 60))  # at least an hour after opening
        local = datetime.combine(day, time(at // 60, at % 60), tzinfo=self.zone)
        return local.astimezone(UTC)

    def _technician(self, completed_at: datetime) -> int:
        """Anyone of the crew, except one already blocked when the job was completed."""
        index = self.rng.randrange(len(self.crew.ids))
        fallback = self.rng.choice(self.active_crew)
        blocked_at = self.crew.blocked_at[index]
        if blocked_at is not None and completed_at >= blocked_at:
            return fallback
        return self.crew.ids[index]

    def _amount(self, work: WorkTypeSpec) -> Decimal:
        low, high = work.price[self.spec.currency]
        value = self.rng.triangular(low, high, low + (high - low) * 0.3) * self.spec.price_factor
        step = 50 if self.spec.currency == "RUB" else 0.5  # 4 350.00 RUB, 89.50 GBP
        cents = round(value / step) * round(step * 100)
        return Decimal(cents).scaleb(-2)

    def _vehicle_or_address(self, customer: _Customer, completed_at: datetime) -> dict:
        vehicle = customer.vehicle
        if vehicle is None:
            return {
                "vehicle_make_model": None,
                "vehicle_plate": None,
                "vehicle_vin": None,
                "vehicle_mileage_km": None,
                "address": customer.address,
            }
        return {
            "vehicle_make_model": vehicle.make_model,
            "vehicle_plate": vehicle.plate,
            "vehicle_vin": vehicle.vin,
            "vehicle_mileage_km": vehicle.mileage_on(completed_at, self.anchor),
            "address": None,
        }

    def _qc_notes(self, work: WorkTypeSpec) -> dict:
        """Break-in advice for most repairs that have one; now and then a declined repair."""
        rng, language = self.rng, self.spec.language
        advice = data.BREAK_IN_ADVICE.get(work.key, {}).get(language)
        give_advice, declined = rng.random() < 0.7, rng.random()
        declined_share = 0.35 if work.key == "diagnostics" else 0.1
        return {
            "qc_breakin_advice": rng.choice(advice) if advice and give_advice else None,
            "qc_declined_repairs": rng.choice(data.DECLINED_REPAIRS[work.kind][language])
            if work.key != "car-wash" and declined < declined_share
            else None,
        }


_DO_NOT_CALL_NOTE = {
    "ru": "Просил больше не звонить",
    "en": "Asked not to be called again",
}


def _birthday(rng: random.Random) -> date:
    return date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 55))


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


# --- writing --------------------------------------------------------------------------------


def _write_missing(stream: _ClientOrders, count: int) -> None:
    """Insert the client's first ``count`` orders (and their new customers) that the database
    does not have yet. Order ids do not depend on the seed: when all are there, nothing to do."""
    client_id = stream.client_id
    known_orders = _external_ids(Order, client_id)
    if all(stream.order_external_id(k) in known_orders for k in range(count)):
        return
    known_customers = _external_ids(Customer, client_id)
    for batch in _batched(stream.orders(count), BATCH_SIZE):
        # New customers go in even when their orders are there already (made with another
        # seed): a later order of this stream may come back to them.
        customers = [
            p.customer
            for p in batch
            if p.new_customer and p.customer.external_id not in known_customers
        ]
        if customers:
            _bulk_insert(Customer, [c.row for c in customers])
        orders = [p for p in batch if p.row["external_id"] not in known_orders]
        if not orders and not customers:
            continue
        wanted = {p.customer.external_id for p in orders} | {c.external_id for c in customers}
        ids = _customer_ids(client_id, wanted)
        if customers:
            _bulk_insert(CustomerPhone, _phone_rows(customers, ids))
        for p in orders:
            p.row["customer_id"] = ids[p.customer.external_id]
        if orders:
            _bulk_insert(Order, [p.row for p in orders])
            totals.mark_hours(totals.hour_number(p.row["completed_at"]) for p in orders)


def _bulk_insert(model, rows: list[dict]) -> None:
    """One executemany per batch. ``render_nulls`` keeps the ORM from splitting the batch into
    runs of rows that have the same columns set to None (one statement per run)."""
    db.session.execute(insert(model).execution_options(render_nulls=True), rows)


def _external_ids(model, client_id: int) -> set[str]:
    query = select(model.external_id).where(model.client_id == client_id)
    return set(db.session.scalars(query))


def _customer_ids(client_id: int, external_ids: set[str]) -> dict[str, int]:
    query = select(Customer.external_id, Customer.id).where(
        Customer.client_id == client_id, Customer.external_id.in_(external_ids)
    )
    return dict(db.session.execute(query).all())


def _phone_rows(customers: list[_Customer], ids: dict[str, int]) -> list[dict]:
    return [
        {"customer_id": ids[c.external_id], "e164": phone, "label": label, "is_primary": n == 0}
        for c in customers
        for n, (phone, label) in enumerate(c.phones)
    ]


def _batched(items: Iterable, size: int) -> Iterator[list]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def _summary() -> str:
    def count(model, *where) -> int:
        return db.session.scalar(select(func.count()).select_from(model).where(*where))

    blocked = count(Technician, Technician.status == TechnicianStatus.BLOCKED)
    return (
        f"Demo data: {count(Client)} clients, {count(WorkType)} work types, "
        f"{count(Technician)} technicians ({blocked} blocked), {count(Customer)} customers, "
        f"{count(Order)} orders, {count(User)} users"
    )
