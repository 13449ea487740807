"""Which column of a file is which field of an order: the guess from the header names (English
and Russian), and the mapping each client chose last time (``import_mappings``), so a shop's own
export is read right the next time without anyone choosing again.

A mapping is a list with one entry per column of the file: a field of ``intake.FIELDS``, or
None for a column that is not read. The header signature (the folded header names, in order)
says whether a saved mapping is for exactly this layout; headers a client mapped before in any
layout of theirs are remembered one by one as well.
"""

from __future__ import annotations

import hashlib
import re

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console.extensions import db
from console.models import Client, ImportMapping, utcnow
from console.services.orders.intake import FIELDS, REQUIRED_FIELDS

LABELS = {
    "client": _l("Client (company key or name)"),
    "external_id": _l("Order number"),
    "phone": _l("Phone"),
    "work_type": _l("Work type"),
    "completed_at": _l("Completed at (date and time)"),
    "amount": _l("Amount"),
    "customer_name": _l("Customer name"),
    "customer_external_id": _l("Customer number"),
    "customer_email": _l("Customer email"),
    "technician": _l("Technician (id or name)"),
    "description": _l("Work done"),
    "vehicle_make_model": _l("Vehicle make and model"),
    "vehicle_plate": _l("Plate number"),
    "vehicle_vin": _l("VIN"),
    "vehicle_mileage_km": _l("Mileage, km"),
    "address": _l("Address"),
    "qc_breakin_advice": _l("Break-in advice"),
    "qc_declined_repairs": _l("Declined repairs"),
}

# Header names (folded: lower case, "ё" as "е", punctuation as spaces) that name a field. In a
# Russian shop's export "Клиент" is the customer; our client (the company) is "компания".
_NAMES = {
    "client": ["client", "client key", "company", "компания", "организация", "ключ клиента"],
    "external_id": [
        "external id",
        "order",
        "order number",
        "order no",
        "order id",
        "номер заказа",
        "заказ",
        "заказ наряд",
        "номер заказ наряда",
        "номер заказа наряда",
        "номер документа",
        "номер",
        "документ",
        "n заказа",
        "no заказа",
    ],
    "phone": [
        "phone",
        "phone number",
        "telephone",
        "mobile",
        "телефон",
        "тел",
        "мобильный",
        "мобильный телефон",
        "телефон клиента",
        "контактный телефон",
        "номер телефона",
    ],
    "work_type": [
        "work type",
        "service type",
        "job type",
        "вид работ",
        "вид работы",
        "тип работ",
        "тип работы",
        "вид ремонта",
        "тип заказа",
        "вид заказа",
        "услуга",
    ],
    "completed_at": [
        "completed at",
        "completed",
        "completion date",
        "closed at",
        "date",
        "дата закрытия",
        "дата выполнения",
        "дата завершения",
        "дата окончания",
        "дата и время",
        "дата",
        "закрыт",
        "выполнен",
    ],
    "amount": [
        "amount",
        "sum",
        "total",
        "price",
        "сумма",
        "итого",
        "стоимость",
        "сумма заказа",
        "к оплате",
        "сумма руб",
    ],
    "customer_name": [
        "customer name",
        "customer",
        "name",
        "клиент",
        "фио",
        "фио клиента",
        "заказчик",
        "покупатель",
        "контрагент",
        "имя",
    ],
    "customer_external_id": [
        "customer external id",
        "customer id",
        "customer number",
        "код клиента",
        "id клиента",
        "номер клиента",
    ],
    "customer_email": [
        "customer email",
        "email",
        "e mail",
        "почта",
        "электронная почта",
        "эл почта",
    ],
    "technician": [
        "technician",
        "mechanic",
        "master",
        "мастер",
        "механик",
        "исполнитель",
        "техник",
        "мастер приемщик",
    ],
    "description": [
        "description",
        "work done",
        "works",
        "comment",
        "описание",
        "работы",
        "выполненные работы",
        "перечень работ",
        "комментарий",
    ],
    "vehicle_make_model": [
        "vehicle make model",
        "vehicle",
        "car",
        "make model",
        "автомобиль",
        "авто",
        "марка",
        "марка модель",
        "марка и модель",
        "модель",
    ],
    "vehicle_plate": [
        "vehicle plate",
        "plate",
        "license plate",
        "registration",
        "госномер",
        "гос номер",
        "госзнак",
        "гос рег знак",
        "номер авто",
        "номер автомобиля",
        "регистрационный номер",
    ],
    "vehicle_vin": ["vehicle vin", "vin", "вин", "vin код", "vin номер"],
    "vehicle_mileage_km": [
        "vehicle mileage km",
        "mileage",
        "odometer",
        "km",
        "пробег",
        "пробег км",
    ],
    "address": ["address", "адрес", "адрес клиента", "адрес выполнения"],
    "qc_breakin_advice": [
        "qc breakin advice",
        "break in advice",
        "обкатка",
        "рекомендации по обкатке",
    ],
    "qc_declined_repairs": [
        "qc declined repairs",
        "declined repairs",
        "отказ от работ",
        "отказы",
        "отказ от ремонта",
        "рекомендованные работы",
    ],
}
# A header that names no field exactly, but holds one of these words.
_WORDS = [
    ("phone", ("телефон", "phone", "тел")),
    ("vehicle_plate", ("госномер", "plate")),
    ("vehicle_vin", ("vin",)),
    ("vehicle_mileage_km", ("пробег", "mileage")),
    ("completed_at", ("дата", "date")),
    ("amount", ("сумма", "amount", "total")),
    ("external_id", ("заказ", "order")),
    ("technician", ("мастер", "механик", "technician")),
    ("customer_email", ("email", "почта")),
    ("address", ("адрес", "address")),
]


def fold(header: str) -> str:
    text = header.casefold().replace("ё", "е").replace("№", " n ").replace("_", " ")
    return " ".join(re.sub(r"[^\w]+", " ", text).split())


_BY_NAME = {fold(name): field for field, names in _NAMES.items() for name in names}
_BY_NAME.update({fold(field): field for field in FIELDS})


def signature(headers: list[str]) -> str:
    """What tells one layout of a file from another: the folded header names, in order."""
    return hashlib.sha256("\x1f".join(fold(h) for h in headers).encode()).hexdigest()


def guess(
    headers: list[str], learned: dict[str, str] | None = None, *, loose: bool = True
) -> list[str | None]:
    """A field per header (None: not read): what this client mapped that header to before,
    else the header's name, else (``loose``: when a person checks the guess) a word in it.
    Each field is given to one column at most."""
    learned = learned or {}
    mapping: list[str | None] = [None] * len(headers)
    taken: set[str] = set()
    folded = [fold(h) for h in headers]
    for source in (learned, _BY_NAME):
        for i, name in enumerate(folded):
            if source is _BY_NAME and name in learned:
                continue  # this client's own choice, even "not read", wins over the name
            field = source.get(name)
            if mapping[i] is None and field in FIELDS and field not in taken:
                mapping[i] = field
                taken.add(field)
    for i, name in enumerate(folded):
        if not loose or mapping[i] is not None or name in learned:  # learned as "not read"
            continue
        words = set(name.split())
        for field, hints in _WORDS:
            if field not in taken and any(h in words for h in hints):
                mapping[i] = field
                taken.add(field)
                break
    return mapping


def check(mapping: list[str | None], *, client_chosen: bool) -> list[str]:
    """What is wrong with a mapping (translated lazily): a required field no column gives, a
    field two columns give."""
    problems = []
    seen: dict[str, int] = {}
    for field in mapping:
        if field is not None:
            seen[field] = seen.get(field, 0) + 1
    for field in REQUIRED_FIELDS:
        if field == "client" and client_chosen:
            continue
        if field not in seen:
            if field == "client":
                problems.append(_l("Choose the client of this file, or the column that names it."))
            else:
                problems.append(_l("No column is %(field)s.", field=LABELS[field]))
    for field, count in seen.items():
        if count > 1:
            problems.append(
                _l("%(field)s is chosen for more than one column.", field=LABELS[field])
            )
    return problems


# --- what clients chose ----------------------------------------------------------------------


def remembered(client: Client | None, headers: list[str]) -> list[str | None] | None:
    """The mapping saved for exactly this layout, for this client (or for files that name
    their clients, with ``client`` None)."""
    saved = _saved(client, signature(headers))
    if saved is None or len(saved.mapping) != len(headers):
        return None
    return [f if f in FIELDS else None for f in saved.mapping]


def learned(client: Client | None) -> dict[str, str]:
    """Folded header -> field ("" for a column left unread) from every layout saved for the
    client, the latest winning."""
    rows = db.session.scalars(
        select(ImportMapping)
        .where(_client_is(client))
        .order_by(ImportMapping.updated_at, ImportMapping.id)
    )
    known: dict[str, str] = {}
    for saved in rows:
        for header, field in zip(saved.headers, saved.mapping, strict=False):
            known[fold(header)] = field or ""
    return known


def suggest(client: Client | None, headers: list[str]) -> list[str | None]:
    return remembered(client, headers) or guess(headers, learned(client))


def remember(client: Client | None, headers: list[str], mapping: list[str | None]) -> None:
    """Save the mapping chosen for this layout (the caller commits)."""
    sig = signature(headers)
    saved = _saved(client, sig)
    if saved is None:
        saved = ImportMapping(client_id=client.id if client else None, signature=sig)
        db.session.add(saved)
    saved.headers = list(headers)
    saved.mapping = list(mapping)
    saved.updated_at = utcnow()


def _client_is(client: Client | None):
    if client is None:
        return ImportMapping.client_id.is_(None)
    return ImportMapping.client_id == client.id


def _saved(client: Client | None, sig: str) -> ImportMapping | None:
    return db.session.scalars(
        select(ImportMapping)
        .where(_client_is(client), ImportMapping.signature == sig)
        .order_by(ImportMapping.id.desc())
    ).first()
