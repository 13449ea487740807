"""The people we call, with their phones in E.164, and the index their names are searched by.

**Name search index** (the QC inbox's search box: a part of a name, any case, Cyrillic too).
SQLAlchemy cannot declare it as a model index, so it is DDL run with the ``customers`` table,
by ``create_all`` (the tests' schema, the benchmark's data) through the events below, and by
the migration ``f4c1d7a9b2e0`` for a database that ``flask db upgrade`` builds:

* SQLite (3.38 or later): the FTS5 table ``customer_name_search`` (``rowid`` = customer id)
  with the ``trigram`` tokenizer, which matches any three or more characters of a name
  whatever their case; triggers on ``customers`` keep it in step with ``customers.name``.
  A migration that rebuilds ``customers`` in batch mode drops the triggers: it must create
  them again (``NAME_SEARCH_SQLITE``). A writer that inserts many customers at once (the
  order import) may index their names itself in one statement (``NAME_SEARCH_PAUSE``, then
  ``NAME_SEARCH_RESUME`` and ``NAME_SEARCH_FILL``), far cheaper than the insert trigger row
  by row: the trigger stands down while ``customer_name_search_paused`` holds a row, which
  only that writer's own transaction ever sees (SQLite has one writer at a time).
* PostgreSQL: the GIN index ``ix_customers_name_trgm`` of ``pg_trgm``, which ``ILIKE
  '%part%'`` uses; the extension is created if missing (a trusted extension: the database
  owner may create it).

Alembic does not see these objects for what they are: ``is_name_search_object`` tells it to
leave them alone (``migrations/env.py``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, ForeignKey, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import TimestampMixin, UTCDateTime


class Customer(TimestampMixin, db.Model):
    __tablename__ = "customers"
    __table_args__ = (UniqueConstraint("client_id", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), nullable=False, index=True)
    external_id: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    email: Mapped[str | None] = mapped_column(String(254))
    birthday: Mapped[datetime | None] = mapped_column(db.Date)
    do_not_call: Mapped[bool] = mapped_column(default=False, nullable=False)
    do_not_call_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    notes: Mapped[str | None] = mapped_column(Text)

    client = relationship("Client")
    phones: Mapped[list[CustomerPhone]] = relationship(
        back_populates="customer",
        cascade="all, delete-orphan",
        order_by="(CustomerPhone.is_primary.desc(), CustomerPhone.id)",
    )

    @property
    def primary_phone(self) -> str | None:
        return self.phones[0].e164 if self.phones else None

    def __repr__(self) -> str:
        return f"<Customer {self.name}>"


class CustomerPhone(db.Model):
    __tablename__ = "customer_phones"
    __table_args__ = (UniqueConstraint("customer_id", "e164"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), nullable=False)
    # Indexed for "search by phone" in the QC inbox and for matching imports to customers.
    e164: Mapped[str] = mapped_column(String(20), nullable=False, index=True)
    label: Mapped[str | None] = mapped_column(String(40))
    is_primary: Mapped[bool] = mapped_column(default=False, nullable=False)

    customer: Mapped[Customer] = relationship(back_populates="phones")


# --- the name search index (see the module's docstring) -----------------------------------------

NAME_SEARCH_TABLE = "customer_name_search"
NAME_SEARCH_INDEX = "ix_customers_name_trgm"

NAME_SEARCH_SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS customer_name_search USING fts5(name, tokenize='trigram')",
    "CREATE TABLE IF NOT EXISTS customer_name_search_paused (paused INTEGER NOT NULL)",
    "CREATE TRIGGER IF NOT EXISTS customer_name_search_insert AFTER INSERT ON customers"
    " WHEN NOT EXISTS (SELECT 1 FROM customer_name_search_paused) BEGIN"
    " INSERT INTO customer_name_search (rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER IF NOT EXISTS customer_name_search_update AFTER UPDATE OF name ON customers"
    " BEGIN UPDATE customer_name_search SET name = new.name WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS customer_name_search_delete AFTER DELETE ON customers BEGIN"
    " DELETE FROM customer_name_search WHERE rowid = old.id; END",
)
# Many new customers at once on SQLite, in one transaction (see the module's docstring):
# pause, insert them, resume, then fill the index for their ids (``first`` .. ``last``). On the
# order import's 100,000 rows: 12 us a row less than the trigger (47 -> 35 us of SQLite work).
NAME_SEARCH_PAUSE = "INSERT INTO customer_name_search_paused (paused) VALUES (1)"
NAME_SEARCH_RESUME = "DELETE FROM customer_name_search_paused"
NAME_SEARCH_FILL = (
    "INSERT INTO customer_name_search (rowid, name)"
    " SELECT id, name FROM customers WHERE id BETWEEN :first AND :last"
)
NAME_SEARCH_POSTGRESQL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_customers_name_trgm ON customers USING gin (name gin_trgm_ops)",
)


def is_name_search_object(name: str | None) -> bool:
    """The name search index's tables (FTS5 keeps its own beside the virtual table) and index:
    made by DDL of their own, not by the models, so Alembic must not compare them."""
    return bool(name) and (
        name in (NAME_SEARCH_TABLE, NAME_SEARCH_INDEX) or name.startswith(NAME_SEARCH_TABLE + "_")
    )


for _statement in NAME_SEARCH_SQLITE:
    event.listen(Customer.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite"))
for _statement in NAME_SEARCH_POSTGRESQL:
    event.listen(
        Customer.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )
for _statement in (
    "DROP TABLE IF EXISTS customer_name_search",
    "DROP TABLE IF EXISTS customer_name_search_paused",
):
    event.listen(Customer.__table__, "before_drop", DDL(_statement).execute_if(dialect="sqlite"))
