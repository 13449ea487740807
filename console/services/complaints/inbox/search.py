"""Search of the QC inbox.

**Search** takes the most specific reading of the text: "#311" is a complaint number; a phone
number goes through ``customer_phones.e164`` (indexed), an order number through the
``(client_id, external_id)`` unique index (one probe per client); only when neither matches is
it a name, matched case-insensitively (Cyrillic too) against the names in the working set
(``working_set.WorkingSet.found``), and for the archive with ``LIKE`` row by row (see
``name_matches``: the one slow path, for want of a trigram / full-text index on
``customers.name``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import or_, select

from console.extensions import db
from console.ids import optional_id
from console.models import Client, Complaint, Customer, CustomerPhone, Order

SEARCH_CAP = 1_000  # a name found in more complaints than this lists the first ones only

_NUMBER = re.compile(r"#\s*(\d{1,12})")
_PHONE_CHARS = re.compile(r"[+\d][\d\s()./-]*")


def phone_candidates(text: str, regions: Iterable[str]) -> list[str]:
    """The E.164 numbers ``text`` can mean: as written when it has a ``+``, else as a national
    number of each region the clients are in ("8 912 345-67-89" -> "+79123456789")."""
    text = text.strip()
    if not _PHONE_CHARS.fullmatch(text) or sum(c.isdigit() for c in text) < 6:
        return []
    found = []
    for region in [None] if text.startswith("+") else sorted(set(regions)):
        try:
            number = phonenumbers.parse(text, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if e164 not in found:
                found.append(e164)
    return found


@dataclass
class Search:
    """A search box entry resolved to what it can mean, most specific first."""

    text: str
    complaint_id: int | None = None
    customers: frozenset[int] = frozenset()  # by phone
    orders: frozenset[int] = frozenset()  # by order number
    words: tuple[str, ...] = ()  # a name: every word in the customer's name

    @property
    def by_name(self) -> bool:
        return bool(self.words)


def resolve_search(text: str) -> Search | None:
    text = " ".join(text.split())
    if not text:
        return None
    number = _NUMBER.fullmatch(text)
    if number:
        return Search(text, complaint_id=optional_id(number.group(1)))
    clients = db.session.execute(select(Client.id, Client.country)).all()
    search = Search(text)
    if text.isdigit() and len(text) <= 12:
        search.complaint_id = optional_id(text)  # None: no complaint has that number
    phones = phone_candidates(text, {c.country for c in clients if c.country})
    if phones:
        search.customers = frozenset(
            db.session.scalars(
                select(CustomerPhone.customer_id).where(CustomerPhone.e164.in_(phones))
            )
        )
    if clients and len(text) <= 64:
        # (client_id, external_id) is unique and indexed: one probe per client.
        search.orders = frozenset(
            db.session.scalars(
                select(Order.id).where(
                    Order.client_id.in_([c.id for c in clients]),
                    Order.external_id.in_({text, text.upper()}),
                )
            )
        )
    if not (search.customers or search.orders) and any(c.isalpha() for c in text):
        search.words = tuple(w.casefold() for w in text.split())
    return search


def _like_patterns(word: str) -> list[str]:
    """LIKE patterns for one word of a name. SQLite folds the case of ASCII letters only, so a
    Cyrillic "петров" is also tried as "Петров" and "ПЕТРОВ"."""
    escaped = _escape(word)
    forms = dict.fromkeys([escaped, escaped.lower(), escaped.capitalize(), escaped.upper()])
    return [f"%{form}%" for form in forms]


def name_matches(words: Iterable[str], where: list, limit: int) -> list[int]:
    """Ids of complaints (among ``where``) whose customer's name has every word, newest first.
    Reads the complaints and their customers row by row: without a trigram or full-text index
    on ``customers.name`` a name cannot be looked up any other way."""
    postgres = db.engine.dialect.name == "postgresql"
    conditions = []
    for word in words:
        if postgres:
            conditions.append(Customer.name.ilike(f"%{_escape(word)}%", escape="\\"))
        else:
            conditions.append(
                or_(*(Customer.name.like(p, escape="\\") for p in _like_patterns(word)))
            )
    query = (
        select(Complaint.id)
        .join(Customer, Customer.id == Complaint.customer_id)
        .where(*where, *conditions)
        .order_by(Complaint.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(query))


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
