"""Technicians: who can be held responsible for a client's job, blocking one (DOMAIN.md, 003:
no new orders; shown as blocked everywhere) and the complaint that did it; the admin's list of
technicians with its filters; adding and editing one, and importing many from a CSV or XLSX
file.

The anti-poaching steps that lead to a block, and lifting it, are
``services.complaints.poaching``: a technician's status is QC's decision, never a field of the
admin's form or of the import.

Rules of adding and editing (the form and the import share them, ``TechnicianRejected`` names
each bad field): a name; an external id (the client's own number for the person) unique within
the client, or among the independent masters; a phone stored in E.164, a national number read
as the client's country's; a role (``TechnicianRole``). A technician with orders or complaints on
record keeps their client: moving them would move that history to another company.
"""

from __future__ import annotations

import math
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

import phonenumbers
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from console.extensions import db
from console.models import (
    ActionKind,
    Client,
    Complaint,
    ComplaintAction,
    ComplaintKind,
    Order,
    Technician,
    TechnicianRole,
    TechnicianStatus,
    User,
)
from console.services import audit
from console.services.complaints.status import OPEN
from console.services.orders import files

CANDIDATES_SHOWN = 500


def block_technician(
    technician: Technician,
    *,
    by: User,
    now: datetime,
    reason: str | None,
    complaint: Complaint | None = None,
) -> None:
    """No new orders for this technician; shown as blocked everywhere (DOMAIN.md, 003). The
    complaint's timeline shows it through its "block" action (the caller records it)."""
    technician.status = TechnicianStatus.BLOCKED
    technician.blocked_at = now
    technician.blocked_by_id = by.id if by is not None else None
    technician.blocked_reason = reason
    details = {"reason": reason, "complaint": complaint.id if complaint is not None else None}
    audit.record("technician.blocked", actor=by, entity=technician, details=details)


def responsible_candidates(client_id: int, *, first: Iterable[Technician | None] = ()):
    """Who can be held responsible for a client's job (a valid complaint, a repeat repair): its
    own technicians and the independent masters, by name, never another client's; ``first``
    (the technicians of the visits concerned, usually the one) at the top. At most
    ``CANDIDATES_SHOWN`` from the list: a choice among more is no choice."""
    found = db.session.scalars(
        select(Technician)
        .where(or_(Technician.client_id == client_id, Technician.client_id.is_(None)))
        .order_by(Technician.name, Technician.id)
        .limit(CANDIDATES_SHOWN)
    ).all()
    first = [t for t in dict.fromkeys(first) if t is not None]
    return first + [t for t in found if t not in first]


def blocking_complaint(technician: Technician) -> Complaint | None:
    """The complaint whose block action blocked this technician last, if one did."""
    return db.session.scalar(
        select(Complaint)
        .join(ComplaintAction, ComplaintAction.complaint_id == Complaint.id)
        .where(
            ComplaintAction.kind == ActionKind.BLOCK,
            ComplaintAction.charged_technician_id == technician.id,
        )
        .order_by(ComplaintAction.created_at.desc(), ComplaintAction.id.desc())
        .limit(1)
    )


# --- the admin's list of technicians ----------------------------------------------------------

PER_PAGE = 100
INDEPENDENT = "independent"  # the client filter's value for the masters with no client
# The status filter: all, not blocked, blocked, under review (an open anti-poaching case).
STATUS_FILTERS = ("all", "active", "blocked", "review")


@dataclass(frozen=True, slots=True)
class TechnicianRow:
    technician: Technician
    blocked_by: User | None
    charged: Decimal  # fines and refunds charged to them, all time
    flagged_orders: int  # orders that arrived while they were blocked
    open_cases: int  # open anti-poaching cases against them


@dataclass(frozen=True, slots=True)
class TechnicianPage:
    rows: list[TechnicianRow]
    total: int  # technicians matching the filter, on every page
    page: int
    pages: int


def technicians_overview(
    *,
    status: str = "all",
    client: int | str | None = None,
    role: TechnicianRole | None = None,
    search: str = "",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> TechnicianPage:
    """Technicians with what QC decided about them, blocked ones first, then those under
    review, by name. ``client``: a client's id, ``INDEPENDENT`` or None (any); ``search``:
    every word in the name, whatever the case (Cyrillic too, "ё" as "е")."""
    conditions = []
    if status == "blocked":
        conditions.append(Technician.status == TechnicianStatus.BLOCKED)
    elif status == "active":
        conditions.append(Technician.status == TechnicianStatus.ACTIVE)
    elif status == "review":
        conditions += [
            Technician.status == TechnicianStatus.ACTIVE,
            Technician.under_review_since.is_not(None),
        ]
    if client == INDEPENDENT:
        conditions.append(Technician.client_id.is_(None))
    elif client is not None:
        conditions.append(Technician.client_id == client)
    if role is not None:
        conditions.append(Technician.role == role)
    found = db.session.execute(
        select(Technician.id, Technician.name)
        .where(*conditions)
        .order_by(
            (Technician.status == TechnicianStatus.BLOCKED).desc(),
            Technician.under_review_since.is_(None),
            Technician.name,
            Technician.id,
        )
    ).all()
    # Matched here, not with LIKE: SQLite folds the case of ASCII letters only, and a client's
    # technicians are a few hundred names at most.
    words = _folded(search).split()
    if words:
        found = [row for row in found if all(w in _folded(row.name) for w in words)]
    pages = max(1, math.ceil(len(found) / per_page))
    page = min(max(page, 1), pages)
    ids = [row.id for row in found[(page - 1) * per_page : page * per_page]]
    return TechnicianPage(_rows(ids), total=len(found), page=page, pages=pages)


def _folded(text: str) -> str:
    return unicodedata.normalize("NFC", text or "").casefold().replace("ё", "е")


def _rows(ids: list[int]) -> list[TechnicianRow]:
    if not ids:
        return []
    loaded = {
        t.id: t
        for t in db.session.scalars(
            select(Technician)
            .options(selectinload(Technician.client))
            .where(Technician.id.in_(ids))
        )
    }
    technicians = [loaded[i] for i in ids]
    charged = dict(
        db.session.execute(
            select(ComplaintAction.charged_technician_id, func.sum(ComplaintAction.amount))
            .where(
                ComplaintAction.charged_technician_id.in_(ids),
                ComplaintAction.kind.in_((ActionKind.FINE, ActionKind.REFUND)),
            )
            .group_by(ComplaintAction.charged_technician_id)
        ).all()
    )
    flagged = dict(
        db.session.execute(
            select(Order.technician_id, func.count(Order.id))
            .where(Order.technician_id.in_(ids), Order.blocked_technician_flag.is_(True))
            .group_by(Order.technician_id)
        ).all()
    )
    cases = dict(
        db.session.execute(
            select(Complaint.technician_id, func.count(Complaint.id))
            .where(
                Complaint.technician_id.in_(ids),
                Complaint.kind == ComplaintKind.POACHING,
                Complaint.status.in_(OPEN),
            )
            .group_by(Complaint.technician_id)
        ).all()
    )
    blockers = {
        u.id: u
        for u in db.session.scalars(
            select(User).where(User.id.in_({t.blocked_by_id for t in technicians} - {None}))
        )
    }
    return [
        TechnicianRow(
            technician=t,
            blocked_by=blockers.get(t.blocked_by_id),
            charged=Decimal(charged.get(t.id) or 0),
            flagged_orders=flagged.get(t.id, 0),
            open_cases=cases.get(t.id, 0),
        )
        for t in technicians
    ]


# --- adding and editing -----------------------------------------------------------------------

# An independent master's national number is read as this country's (the default country of a
# client); a number in international format (+44 ...) is read as it is written.
INDEPENDENT_PHONE_COUNTRY = "RU"
FIELDS = ("name", "client", "external_id", "role", "phone")


class TechnicianRejected(ValueError):
    """Nothing was stored; ``errors`` maps each bad field (``FIELDS``) to what is wrong."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors  # field -> message (lazily translated)

    def __str__(self) -> str:
        return "; ".join(f"{k}: {v}" for k, v in self.errors.items())


def clean_text(value: str | None) -> str | None:
    """Trimmed, inner runs of white space made one space; blank is None."""
    if value is None:
        return None
    value = " ".join(unicodedata.normalize("NFC", str(value)).split())
    return value or None


def phone_country(client: Client | None) -> str:
    return client.country if client is not None else INDEPENDENT_PHONE_COUNTRY


def normalise_phone(raw: str | None, country: str) -> str | None:
    """The number in E.164 (national formats read as ``country``'s), None when blank; raises
    ValueError with the message for a number that is not one."""
    if raw is None or not raw.strip():
        return None
    try:
        number = phonenumbers.parse(raw, country)
    except phonenumbers.NumberParseException:
        raise ValueError(_l("%(value)s is not a phone number", value=raw)) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError(_l("%(value)s is not a valid phone number", value=raw))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parse_role(raw: str | TechnicianRole | None) -> TechnicianRole:
    """``mechanic`` or ``shop_master`` ("shop master" too, any case); blank is a mechanic."""
    if isinstance(raw, TechnicianRole):
        return raw
    text = (raw or "").strip().casefold().replace(" ", "_").replace("-", "_")
    if not text:
        return TechnicianRole.MECHANIC
    try:
        return TechnicianRole(text)
    except ValueError:
        raise ValueError(
            _l("%(value)s is not a role (mechanic or shop_master)", value=raw)
        ) from None


def has_history(technician: Technician) -> bool:
    """Orders, complaints or charges name this technician."""
    tid = technician.id
    if tid is None:
        return False
    return bool(
        db.session.scalar(
            select(
                or_(
                    exists().where(Order.technician_id == tid),
                    exists().where(Order.repeat_repair_responsible_id == tid),
                    exists().where(Complaint.technician_id == tid),
                    exists().where(Complaint.responsible_technician_id == tid),
                    exists().where(ComplaintAction.charged_technician_id == tid),
                )
            )
        )
    )


def _checked(
    technician: Technician | None,
    *,
    name: str | None,
    client: Client | None,
    external_id: str | None,
    role,
    phone: str | None,
    errors: dict | None = None,
) -> dict:
    """The values to store, normalised; raises ``TechnicianRejected`` with every bad field
    (``errors``: those the caller found already, say an unknown client key)."""
    errors = dict(errors or {})
    name = clean_text(name)
    if not name:
        errors["name"] = _l("a name is required")
    elif len(name) > 200:
        errors["name"] = _l("at most %(n)s characters", n=200)
    external_id = clean_text(external_id)
    if external_id and len(external_id) > 64:
        errors["external_id"] = _l("at most %(n)s characters", n=64)
    try:
        role = parse_role(role)
    except ValueError as exc:
        errors["role"] = exc.args[0]
    e164 = None
    if "client" not in errors:
        try:
            e164 = normalise_phone(phone, phone_country(client))
        except ValueError as exc:
            errors["phone"] = exc.args[0]
    client_id = client.id if client is not None else None
    if external_id and "external_id" not in errors and "client" not in errors:
        same = select(Technician.id).where(
            Technician.external_id == external_id,
            Technician.client_id == client_id
            if client is not None
            else Technician.client_id.is_(None),
        )
        if technician is not None and technician.id is not None:
            same = same.where(Technician.id != technician.id)
        if db.session.scalar(same.limit(1)) is not None:
            errors["external_id"] = (
                _l("%(client)s already has a technician with this id", client=client.name)
                if client is not None
                else _l("an independent technician already has this id")
            )
    if (
        technician is not None
        and "client" not in errors
        and technician.client_id != client_id
        and has_history(technician)
    ):
        errors["client"] = _l(
            "orders or complaints already name this technician, so their client cannot "
            "change (their history would move to another company): add them again for the "
            "other client instead"
        )
    if errors:
        raise TechnicianRejected(errors)
    return {
        "name": name,
        "client_id": client_id,
        "external_id": external_id,
        "role": role,
        "phone": e164,
    }


def add_technician(
    *,
    name: str | None,
    client: Client | None,
    external_id: str | None = None,
    role=TechnicianRole.MECHANIC,
    phone: str | None = None,
    by: User | None,
    source: str = "form",
) -> Technician:
    """A new technician, active; raises ``TechnicianRejected``. ``client`` None: an
    independent master (DOMAIN.md, 003)."""
    values = _checked(
        None, name=name, client=client, external_id=external_id, role=role, phone=phone
    )
    return _create(values, client=client, by=by, source=source)


def _create(values: dict, *, client: Client | None, by: User | None, source: str) -> Technician:
    technician = Technician(status=TechnicianStatus.ACTIVE, **values)
    db.session.add(technician)
    db.session.flush()
    details = {k: v for k, v in values.items() if k != "client_id"}
    details |= {
        "client": client.key if client is not None else None,
        "role": str(technician.role),
        "source": source,
    }
    audit.record("technician.created", actor=by, entity=technician, details=details)
    return technician


def update_technician(
    technician: Technician,
    *,
    name: str | None,
    client: Client | None,
    external_id: str | None,
    role,
    phone: str | None,
    by: User | None,
    source: str = "form",
) -> dict:
    """Change what an admin may change (never the status: see the module's docstring); raises
    ``TechnicianRejected``. Returns the changes, ``{"field": [old, new]}`` (empty: none)."""
    values = _checked(
        technician, name=name, client=client, external_id=external_id, role=role, phone=phone
    )
    return _apply(technician, values, by=by, source=source)


def _apply(technician: Technician, values: dict, *, by: User | None, source: str) -> dict:
    changed = audit.changes(technician, list(values), values)
    if not changed:
        return {}
    for key, value in values.items():
        setattr(technician, key, value)
    db.session.flush()
    audit.record(
        "technician.updated", actor=by, entity=technician, details=changed | {"source": source}
    )
    return changed


# --- import from a file -------------------------------------------------------------------------

IMPORT_COLUMNS = ("name", "external_id", "client", "role", "phone")
REQUIRED_IMPORT_COLUMNS = ("name", "external_id", "client")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int | None  # in the file, the header being line 1 (the sheet's row); None: the file
    field: str | None  # the column, or None for the whole row / file
    message: str

    def __str__(self) -> str:
        args = {"line": self.line, "field": self.field, "message": self.message}
        if self.line is None:
            return str(self.message)
        if self.field:
            return _("line %(line)s, %(field)s: %(message)s", **args)
        return _("line %(line)s: %(message)s", **args)


@dataclass(slots=True)
class TechnicianImport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0  # already stored as the file has them: skipped
    rejected_rows: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def import_technicians_file(data: bytes, *, by: User | None) -> TechnicianImport:
    """Add or update the technicians of a CSV or XLSX file, read as an order file is
    (``services.orders.files``: UTF-8 with or without a BOM, Windows-1251 or UTF-16; comma,
    semicolon or tab separated; an XLSX's first sheet), its header with the columns
    ``IMPORT_COLUMNS``.

    A row is a technician by (client, external_id): ``client`` is a client's key, empty for an
    independent master. One already stored is updated where the file differs, or skipped when
    it does not, so a file can be imported again. Columns left out of the header (``role``,
    ``phone``) are left as they are; an empty ``role`` is a mechanic. Every bad row (a value
    the rules refuse, a quote never closed) is reported by line and field while the good rows
    go in. Nothing is committed: the caller does."""
    report = TechnicianImport()
    # The reader streams from a path: the upload goes to a temporary file, removed on the way out.
    with tempfile.NamedTemporaryFile(prefix="qc-technicians-") as upload:
        upload.write(data)
        upload.flush()
        try:
            table = files.open_table(upload.name)
        except files.FileRefused as exc:
            report.errors.append(RowError(None, None, exc.args[0]))
            return report
        with table:
            _import_table(table, report, by=by)
    return report


def _import_table(table: files.TableFile, report: TechnicianImport, *, by: User | None) -> None:
    header = [name.lower() for name in table.headers]
    missing = [c for c in REQUIRED_IMPORT_COLUMNS if c not in header]
    unknown = [c for c in header if c not in IMPORT_COLUMNS]
    if missing:
        report.errors.append(
            RowError(
                table.header_line,
                None,
                _l("missing columns: %(names)s", names=", ".join(missing)),
            )
        )
    if unknown:
        report.errors.append(
            RowError(
                table.header_line,
                None,
                _l(
                    "unknown columns: %(names)s (known: %(known)s)",
                    names=", ".join(unknown),
                    known=", ".join(IMPORT_COLUMNS),
                ),
            )
        )
    if report.errors:
        return

    clients: dict[str, Client | None] = {}
    seen: dict[tuple[int | None, str], int] = {}
    for record in table.records():  # blank lines left out; a quoted value may span lines
        if record.error:
            report.rejected_rows += 1
            report.errors.append(RowError(record.line, None, record.error))
            continue
        row = [files.cell_text(value) for value in record.values]
        if not any(value.strip() for value in row):
            continue  # an XLSX row of blank cells
        if len(row) > len(header):
            report.rejected_rows += 1
            report.errors.append(RowError(record.line, None, _l("more values than columns")))
            continue
        values = dict(zip(header, row, strict=False))  # missing values at the end are blank
        errors = _import_row(values, header, report, clients, seen, line=record.line, by=by)
        if errors:
            report.rejected_rows += 1
            report.errors.extend(RowError(record.line, f, m) for f, m in errors.items())
    audit.record(
        "technicians.imported",
        actor=by,
        details={
            "created": report.created,
            "updated": report.updated,
            "unchanged": report.unchanged,
            "rejected_rows": report.rejected_rows,
        },
    )


def _import_row(row, header, report, clients, seen, *, line: int, by) -> dict:
    """Store one row; returns its field errors (nothing stored) or {}."""
    value = {k: v.strip() for k, v in row.items()}
    errors: dict[str, str] = {}
    external_id = clean_text(value.get("external_id"))
    if not external_id:
        errors["external_id"] = _l("required: the technician's number in the client's system")
    key = value.get("client", "")
    client = None
    if key:
        if key not in clients:
            clients[key] = db.session.scalar(select(Client).where(Client.key == key))
        client = clients[key]
        if client is None:
            errors["client"] = _l("no client with the key %(key)s", key=key)
    existing = None
    if external_id and "client" not in errors:
        first = seen.get((client.id if client else None, external_id))
        if first is not None:
            errors["external_id"] = _l(
                "the same technician is on line %(line)s already", line=first
            )
        else:
            seen[(client.id if client else None, external_id)] = line
        existing = db.session.scalar(
            select(Technician).where(
                Technician.external_id == external_id,
                Technician.client_id == client.id if client else Technician.client_id.is_(None),
            )
        )
    fields = {
        "name": value.get("name"),
        "client": client,
        "external_id": external_id,
        "role": value.get("role") if "role" in header else (existing.role if existing else None),
        "phone": value.get("phone")
        if "phone" in header
        else (existing.phone if existing else None),
    }
    try:
        values = _checked(existing, errors=errors, **fields)
    except TechnicianRejected as exc:
        return exc.errors
    try:
        with db.session.begin_nested():
            if existing is None:
                _create(values, client=client, by=by, source="import")
                report.created += 1
            elif _apply(existing, values, by=by, source="import"):
                report.updated += 1
            else:
                report.unchanged += 1
    except IntegrityError:
        return {"external_id": _l("could not be stored (a duplicate?)")}
    return {}
