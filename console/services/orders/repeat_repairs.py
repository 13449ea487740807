"""Repeat repairs (DOMAIN.md, 000): the flag, the review, the weekly board.

* The flag "possible repeat repair" is raised by the system only (``flag_possible``, audited):
  when an order arrives (``check_repeat_repair``, called by ``order_intake``, source
  ``booking``) or by a call's answer (``call_submit``, source ``answer``). Staff cannot set or
  edit it: no form carries the state, and it changes only through ``confirm``, ``reject`` and
  ``reopen`` here, each audit-logged.
* An arriving order is a possible repeat when the same customer had the same vehicle (plate or
  VIN) or the same address done at most ``REPEAT_REPAIR_DAYS`` days (14) before it. The
  boundary is inclusive: exactly 14 days 00:00 apart is a repeat, 14 days and one minute is
  not. Both sides are the orders' completion times (an order is the record of a finished job:
  its completion is the visit). Orders need not arrive in date order: one that turns out to be
  the *earlier* visit of an unflagged later one flags that later one.
* A reviewer (the "commission") confirms it with the cause and the responsible technician, or
  rejects it with the reason. Only a flagged order can be reviewed.
* The board lists confirmed repeat repairs per ISO week **of the confirmation** (the week the
  commission decided, which is what "post confirmed ones weekly" publishes), counted in the
  viewer's time zone, with the causes per responsible technician over the weeks shown.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from console.extensions import db
from console.models import (
    Customer,
    Order,
    RepeatRepairSource,
    RepeatRepairState,
    Technician,
    User,
    utcnow,
)
from console.services import audit, technicians


class ReviewRefused(ValueError):
    """The review cannot be recorded; the message says why (shown to the reviewer)."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def causes() -> list[str]:
    """Cause categories shared with valid complaints (``COMPLAINT_CAUSES``)."""
    return list(current_app.config["COMPLAINT_CAUSES"])


# --- the flag -------------------------------------------------------------------------------


def flag_possible(
    order: Order,
    *,
    source: RepeatRepairSource,
    now: datetime,
    repeat_of: Order | None = None,
    by: User | None = None,
) -> bool:
    """Raise "possible repeat repair" on an order that has no flag yet; False if it had one."""
    if order.repeat_repair_state is not None:
        return False
    order.repeat_repair_state = RepeatRepairState.POSSIBLE
    order.repeat_repair_source = source
    order.repeat_of = repeat_of
    order.repeat_repair_flagged_at = now
    db.session.flush()
    audit.record(
        "order.repeat_repair.flagged",
        actor=by,
        entity=order,
        details={
            "source": source.value,
            "order": order.external_id,
            "repeat_of": repeat_of.external_id if repeat_of is not None else None,
        },
    )
    return True


# --- the same place -------------------------------------------------------------------------

# Russian plates use the Cyrillic letters that look like Latin ones; people type either.
_PLATE_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХ", "ABEKMHOPCTYX")


def plate_key(plate: str | None) -> str | None:
    """What two spellings of one plate have in common: "а 123 вс 77" and "A123BC77" match."""
    if not plate:
        return None
    key = re.sub(r"[^0-9A-ZА-ЯЁ]", "", plate.upper()).translate(_PLATE_LOOKALIKES)
    return key or None


def address_key(address: str | None) -> str | None:
    """Case, punctuation and spacing do not make another address."""
    if not address:
        return None
    text = address.casefold().replace("ё", "е")
    key = " ".join(re.sub(r"[^\w]+", " ", text).split())
    return key or None


def match_kind(a: Order, b: Order) -> str | None:
    """ "vehicle" when both have the same VIN or plate, "address" when the same address."""
    if a.vehicle_vin and b.vehicle_vin and a.vehicle_vin == b.vehicle_vin:
        return "vehicle"
    plate = plate_key(a.vehicle_plate)
    if plate and plate == plate_key(b.vehicle_plate):
        return "vehicle"
    place = address_key(a.address)
    if place and place == address_key(b.address):
        return "address"
    return None


def same_place(a: Order, b: Order) -> bool:
    """The same vehicle (plate or VIN) or, for a home job, the same address."""
    return match_kind(a, b) is not None


# --- the check of an arriving order ---------------------------------------------------------


def repeat_window() -> timedelta:
    return timedelta(days=current_app.config["REPEAT_REPAIR_DAYS"])


@dataclass(frozen=True, slots=True)
class RepeatCheck:
    repeat_of: Order | None  # the earlier visit this order was flagged as repeating
    later: tuple[Order, ...]  # later orders flagged as repeating this one


def check_repeat_repair(order: Order, *, now: datetime, by: User | None = None) -> RepeatCheck:
    """Flag the order when the same customer had the same vehicle or address done within the
    window before it (inclusive), and flag the later unflagged orders it turns out to precede.
    An order already flagged (say, by a call's answer) keeps its flag."""
    return check_repeat_repairs([order], now=now, by=by)[0]


def check_repeat_repairs(
    orders: list[Order], *, now: datetime, by: User | None = None
) -> list[RepeatCheck]:
    """``check_repeat_repair`` of each order in turn, the orders near them read in one query:
    for orders of different customers (an import's batch), each stored before its check as
    ``record_order`` would have stored it alone. One query instead of one per order (on
    PostgreSQL a query per order took 13 ms once the import had made the statistics stale)."""
    if not orders:
        return []
    if len({order.customer_id for order in orders}) != len(orders):
        raise ValueError("one order per customer: each check would see the other's order")
    window = repeat_window()
    nearby: dict[int, list[Order]] = {}
    for other in db.session.scalars(
        select(Order)
        .where(
            Order.customer_id.in_({order.customer_id for order in orders}),
            Order.completed_at >= min(order.completed_at for order in orders) - window,
            Order.completed_at <= max(order.completed_at for order in orders) + window,
        )
        .order_by(Order.completed_at.desc(), Order.id.desc())
    ):
        nearby.setdefault(other.customer_id, []).append(other)
    return [
        _check(
            order,
            [
                other
                for other in nearby.get(order.customer_id, ())
                if other.id != order.id
                and order.completed_at - window <= other.completed_at <= order.completed_at + window
            ],
            now=now,
            by=by,
        )
        for order in orders
    ]


def _check(order: Order, nearby: list[Order], *, now: datetime, by: User | None) -> RepeatCheck:
    """The check of one order against its customer's orders within the window (latest first)."""
    repeat_of = None
    if order.repeat_repair_state is None:
        repeat_of = next(
            (o for o in nearby if o.completed_at <= order.completed_at and same_place(o, order)),
            None,
        )
        if repeat_of is not None:
            flag_possible(
                order, source=RepeatRepairSource.BOOKING, repeat_of=repeat_of, now=now, by=by
            )
    later = []
    for other in reversed(nearby):  # oldest first
        if (
            other.completed_at > order.completed_at
            and other.repeat_repair_state is None
            and same_place(other, order)
        ):
            flag_possible(other, source=RepeatRepairSource.BOOKING, repeat_of=order, now=now, by=by)
            later.append(other)
    return RepeatCheck(repeat_of, tuple(later))


# --- the review -----------------------------------------------------------------------------


def _must_be_possible(order: Order) -> None:
    if order.repeat_repair_state is None:
        raise ReviewRefused(_l("This order is not flagged as a possible repeat repair."))
    if order.repeat_repair_state != RepeatRepairState.POSSIBLE:
        raise ReviewRefused(_l("This repeat repair has already been reviewed."))


def responsible_choices(order: Order) -> list[Technician]:
    """Who can be held responsible: the client's technicians and the independent masters, the
    ones on the two visits first (usually the earlier repair's technician is the one)."""
    earlier = order.repeat_of.technician if order.repeat_of else None
    return technicians.responsible_candidates(order.client_id, first=[earlier, order.technician])


def confirm(
    order: Order,
    *,
    cause: str,
    responsible_technician: Technician | None,
    note: str | None = None,
    by: User,
    now: datetime | None = None,
) -> None:
    """The commission decides it is a repeat repair: with its cause and who is responsible."""
    _must_be_possible(order)
    if cause not in causes():
        raise ReviewRefused(_l("Choose a cause."), "cause")
    if responsible_technician is None:
        raise ReviewRefused(_l("Choose the responsible technician."), "responsible")
    if responsible_technician.client_id not in (None, order.client_id):
        raise ReviewRefused(_l("This technician works for another client."), "responsible")
    order.repeat_repair_state = RepeatRepairState.CONFIRMED
    order.repeat_repair_cause = cause
    order.repeat_repair_responsible = responsible_technician
    order.repeat_repair_note = (note or "").strip() or None
    order.repeat_repair_reviewed_at = now or utcnow()
    order.repeat_repair_reviewed_by = by
    db.session.flush()
    audit.record(
        "order.repeat_repair.confirmed",
        actor=by,
        entity=order,
        details={"cause": cause, "responsible": responsible_technician.id, "note": note},
    )


def reject(order: Order, *, note: str, by: User, now: datetime | None = None) -> None:
    """Not a repeat repair (another defect, another car...): the reason is required."""
    _must_be_possible(order)
    note = (note or "").strip()
    if not note:
        raise ReviewRefused(_l("Say why it is not a repeat repair."), "note")
    order.repeat_repair_state = RepeatRepairState.REJECTED
    order.repeat_repair_cause = None
    order.repeat_repair_responsible = None
    order.repeat_repair_note = note
    order.repeat_repair_reviewed_at = now or utcnow()
    order.repeat_repair_reviewed_by = by
    db.session.flush()
    audit.record("order.repeat_repair.rejected", actor=by, entity=order, details={"note": note})


def reopen(order: Order, *, note: str, by: User, now: datetime | None = None) -> None:
    """Take a decision back to review (a mistake, new facts); the old decision stays in the
    audit log."""
    if order.repeat_repair_state not in (RepeatRepairState.CONFIRMED, RepeatRepairState.REJECTED):
        raise ReviewRefused(_l("Only a reviewed repeat repair can be reopened."))
    note = (note or "").strip()
    if not note:
        raise ReviewRefused(_l("Say why the decision is reopened."), "note")
    before = {
        "state": order.repeat_repair_state.value,
        "cause": order.repeat_repair_cause,
        "responsible": order.repeat_repair_responsible_id,
        "note": order.repeat_repair_note,
    }
    order.repeat_repair_state = RepeatRepairState.POSSIBLE
    order.repeat_repair_cause = None
    order.repeat_repair_responsible = None
    order.repeat_repair_note = None
    order.repeat_repair_reviewed_at = None
    order.repeat_repair_reviewed_by = None
    db.session.flush()
    audit.record(
        "order.repeat_repair.reopened",
        actor=by,
        entity=order,
        details={"before": before, "note": note, "at": (now or utcnow()).isoformat()},
    )


# --- the review queue -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueRow:
    order: Order
    earlier: Order | None  # the visit it repeats, or for an answer flag the customer's last one

    @property
    def match(self) -> str | None:
        """What the two visits share: "vehicle", "address", or None."""
        return match_kind(self.order, self.earlier) if self.earlier is not None else None


def review_queue(*, client_id: int | None = None, page: int = 1, per_page: int = 25):
    """Possible repeat repairs waiting for review, the longest waiting first; each item a
    ``QueueRow`` with the earlier order to show beside it."""
    query = (
        select(Order)
        .options(
            joinedload(Order.client),
            joinedload(Order.customer).selectinload(Customer.phones),
            joinedload(Order.work_type),
            joinedload(Order.technician),
            joinedload(Order.repeat_of).joinedload(Order.technician),
            joinedload(Order.repeat_of).joinedload(Order.work_type),
        )
        .where(Order.repeat_repair_state == RepeatRepairState.POSSIBLE)
        .order_by(
            func.coalesce(Order.repeat_repair_flagged_at, Order.created_at).asc(), Order.id.asc()
        )
    )
    if client_id is not None:
        query = query.where(Order.client_id == client_id)
    pagination = db.paginate(query, page=page, per_page=per_page, error_out=False)
    pagination.rows = [QueueRow(o, earlier_visit(o)) for o in pagination.items]
    return pagination


def earlier_visit(order: Order) -> Order | None:
    if order.repeat_of is not None:
        return order.repeat_of
    return db.session.scalars(
        select(Order)
        .options(joinedload(Order.technician), joinedload(Order.work_type))
        .where(
            Order.customer_id == order.customer_id,
            Order.id != order.id,
            Order.completed_at <= order.completed_at,
        )
        .order_by(Order.completed_at.desc(), Order.id.desc())
        .limit(1)
    ).first()


def waiting_count() -> int:
    return db.session.scalar(
        select(func.count(Order.id)).where(Order.repeat_repair_state == RepeatRepairState.POSSIBLE)
    )


# --- the weekly board -----------------------------------------------------------------------


@dataclass(slots=True)
class BoardWeek:
    year: int
    week: int
    starts: date  # the Monday, in the viewer's time zone
    orders: list[Order] = field(default_factory=list)

    @property
    def ends(self) -> date:
        return self.starts + timedelta(days=6)


@dataclass(slots=True)
class ResponsibleStats:
    technician: Technician
    causes: Counter = field(default_factory=Counter)

    @property
    def total(self) -> int:
        return sum(self.causes.values())


@dataclass(slots=True)
class Board:
    weeks: list[BoardWeek]  # newest first, empty weeks included
    by_technician: list[ResponsibleStats]  # the most repeat repairs first
    causes: list[str]  # the columns: configured causes, then any other found
    cause_totals: Counter
    since: datetime  # UTC start of the oldest week shown

    @property
    def total(self) -> int:
        return sum(self.cause_totals.values())


def week_start(moment: datetime, zone: ZoneInfo) -> date:
    local = moment.astimezone(zone).date()
    return local - timedelta(days=local.weekday())


def weekly_board(
    *, timezone: str, weeks: int = 8, client_id: int | None = None, now: datetime | None = None
) -> Board:
    """Confirmed repeat repairs of the last ``weeks`` ISO weeks (this one included), by the
    week of their confirmation in ``timezone``, with the causes per responsible technician."""
    zone = ZoneInfo(timezone)
    now = now or utcnow()
    this_monday = week_start(now, zone)
    first_monday = this_monday - timedelta(weeks=weeks - 1)
    since = datetime.combine(first_monday, time(0), tzinfo=zone).astimezone(UTC)
    query = (
        select(Order)
        .options(
            joinedload(Order.client),
            joinedload(Order.customer),
            joinedload(Order.technician),
            joinedload(Order.repeat_repair_responsible),
            joinedload(Order.repeat_repair_reviewed_by),
            joinedload(Order.repeat_of),
            selectinload(Order.work_type),
        )
        .where(
            Order.repeat_repair_state == RepeatRepairState.CONFIRMED,
            Order.repeat_repair_reviewed_at >= since,
        )
        .order_by(Order.repeat_repair_reviewed_at.desc(), Order.id.desc())
    )
    if client_id is not None:
        query = query.where(Order.client_id == client_id)
    confirmed = db.session.scalars(query).all()

    by_week: dict[date, BoardWeek] = {}
    for n in range(weeks):
        monday = this_monday - timedelta(weeks=n)
        year, week, _day = monday.isocalendar()
        by_week[monday] = BoardWeek(year, week, monday)
    stats: dict[int, ResponsibleStats] = {}
    totals: Counter = Counter()
    for order in confirmed:
        week = by_week.get(week_start(order.repeat_repair_reviewed_at, zone))
        if week is None:  # reviewed after ``now`` (a board asked for a past moment)
            continue
        week.orders.append(order)
        person = order.repeat_repair_responsible
        if person is not None:
            stats.setdefault(person.id, ResponsibleStats(person)).causes[
                order.repeat_repair_cause
            ] += 1
        totals[order.repeat_repair_cause] += 1
    configured = causes()
    columns = configured + sorted(c for c in totals if c not in configured and c)
    ranked = sorted(stats.values(), key=lambda s: (-s.total, s.technician.name))
    return Board(list(by_week.values()), ranked, columns, totals, since)


# --- orders for blocked technicians -----------------------------------------------------------


def blocked_technician_orders(
    *, client_id: int | None = None, handled: bool = False, page: int = 1, per_page: int = 50
):
    """Orders that arrived for a technician already blocked (anti-poaching, DOMAIN.md 003),
    newest first: QC follows up with the client who still sends them work. ``handled``: the
    ones already followed up instead of the to-do list."""
    query = (
        select(Order)
        .options(
            joinedload(Order.client),
            joinedload(Order.customer),
            joinedload(Order.work_type),
            joinedload(Order.technician),
        )
        .where(
            Order.blocked_technician_flag.is_(True),
            Order.blocked_flag_handled_at.is_not(None)
            if handled
            else Order.blocked_flag_handled_at.is_(None),
        )
        .order_by(Order.created_at.desc(), Order.id.desc())
    )
    if client_id is not None:
        query = query.where(Order.client_id == client_id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
