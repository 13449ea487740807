"""The search box of the QC inbox.

It takes the most specific reading of the text: "#311" is a complaint number; a phone number
goes through ``customer_phones.e164`` (indexed), an order number through the ``(client_id,
external_id)`` unique index (one probe per client); only when neither matches is it a name:
complaints whose customer's name has every word, in any case (Cyrillic too), looked up in the
name search index of ``customers.name`` (``console.models.customers``: FTS5 ``trigram`` on
SQLite, ``pg_trgm`` on PostgreSQL), once per request. A name matches in every status; the
status filter of the view still applies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import phonenumbers
from sqlalchemy import column, false, or_, select, table

from console.extensions import db
from console.ids import optional_id
from console.models import Client, Complaint, Customer, CustomerPhone, Order
from console.models.customers import NAME_SEARCH_TABLE

# A name found in more complaints than this lists the newest ones only.
SEARCH_CAP = 1_000

_NUMBER = re.compile(r"#\s*(\d{1,12})")
_PHONE_CHARS = re.compile(r"[+\d][\d\s()./-]*")
# SQLite's name search index: its rowid is the customer's id.
_NAMES = table(NAME_SEARCH_TABLE, column("rowid"), column("name"))


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
    named: frozenset[int] = frozenset()  # complaints by their customer's name

    def condition(self):
        """The complaints it finds, as a SQL condition."""
        either = []
        if self.complaint_id is not None:
            either.append(Complaint.id == self.complaint_id)
        if self.customers:
            either.append(Complaint.customer_id.in_(sorted(self.customers)))
        if self.orders:
            either.append(Complaint.order_id.in_(sorted(self.orders)))
        if self.named:
            either.append(Complaint.id.in_(sorted(self.named)))
        return or_(*either) if either else false()


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
        search.named = frozenset(
            db.session.scalars(
                select(Complaint.id)
                .where(Complaint.customer_id.in_(customers_named(text.split())))
                .order_by(Complaint.id.desc())
                .limit(SEARCH_CAP)
            )
        )
    return search


def customers_named(words: list[str]):
    """The ids of the customers whose name has every word, in any case, as a SELECT.

    SQLite: the FTS5 trigram index finds the words of three characters or more (each one a
    phrase: its characters in a row); a shorter word is checked with ``LIKE`` on the names it
    found, or on every name when all the words are short. PostgreSQL: ``ILIKE`` per word, which
    the trigram index answers."""
    if db.engine.dialect.name == "postgresql":
        return select(Customer.id).where(
            *(Customer.name.ilike(f"%{_escape(w)}%", escape="\\") for w in words)
        )
    indexed = [w for w in words if len(w) >= 3]
    short = [
        or_(*(Customer.name.like(p, escape="\\") for p in _like_patterns(w)))
        for w in words
        if len(w) < 3
    ]
    if not indexed:
        return select(Customer.id).where(*short)
    phrases = " ".join('"' + w.replace('"', '""') + '"' for w in indexed)
    found = select(_NAMES.c.rowid).where(_NAMES.c.name.match(phrases))
    if not short:
        return found
    return select(Customer.id).where(Customer.id.in_(found), *short)


def _like_patterns(word: str) -> list[str]:
    """LIKE patterns for one word of a name. SQLite folds the case of ASCII letters only, so a
    Cyrillic "петров" is also tried as "Петров" and "ПЕТРОВ"."""
    escaped = _escape(word)
    forms = dict.fromkeys([escaped, escaped.lower(), escaped.capitalize(), escaped.upper()])
    return [f"%{form}%" for form in forms]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
