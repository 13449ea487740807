"""Importing a file of orders: the row loop (shared by the browser's import job and
``flask orders import``) and the import runs of the browser.

**The row loop** (``RowImporter.import_batch``) takes records in batches (``BATCH_SIZE``) inside
the caller's transaction, and every row stands alone: a bad row is rejected with its line and
field while the good rows go in.

1. Each row is read by the row rules (``intake.parse_row``, ``intake.check_order``): formats,
   the model's lengths, number ranges, NUL bytes, lookups. Rows that fail are rejected before
   the database sees them; nothing a database would refuse reaches it.
2. Orders already stored (client + external id) are counted as existing: importing a file
   again adds nothing.
3. The customer of each row is found as ``record_order`` finds it (``intake.choose_customer``
   over the batch's customers read at once). A row that shares its order number, phone,
   customer number or customer with an earlier row of the batch waits for the next round of
   the batch, which starts again at 2 with those rows only, once the rows before them are in.
   The others go in together in one savepoint: three multi-row INSERTs per round, then the
   repeat-repair check of those whose customer has another order near theirs, read at once
   (``repeat_repairs.check_repeat_repairs``).
4. A row with something to add to a known customer (a phone, a customer number, an email) or
   for a blocked technician, and every row of a round whose insert failed all the same, goes
   through ``intake.record_order`` in a savepoint of its own (``begin_nested``): a failure
   costs that row only.

**Runs**: the uploaded file is stored in the database (any worker can read it), the columns are
chosen on a page (``columns``), then the job (``console.jobs.imports``) imports it batch by
batch, each batch one transaction with the run's progress and its rejected rows, so the page
shows progress as it goes and an interrupted run goes on after its last committed line.
"""

from __future__ import annotations

import csv
import io
import logging
import os
import tempfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ARRAY, any_, bindparam, delete, func, insert, select, text, update
from sqlalchemy.exc import DBAPIError

from console.database import unit_of_work, writing
from console.extensions import db
from console.models import (
    Client,
    Customer,
    CustomerPhone,
    ImportFile,
    ImportRejection,
    ImportRun,
    ImportStatus,
    Order,
    User,
    utcnow,
)
from console.models.customers import NAME_SEARCH_FILL, NAME_SEARCH_PAUSE, NAME_SEARCH_RESUME
from console.services import audit
from console.services.orders import columns, files, intake, repeat_repairs
from console.services.orders.repeat_repairs import repeat_window
from console.services.reports import totals

log = logging.getLogger(__name__)

BATCH_SIZE = 1_000
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_ROWS = 1_000_000
PREVIEW_ROWS = 5
SHOWN_REJECTIONS = 200  # listed on the page; all of them are in the CSV
# A running import whose batches stopped committing this long ago lost its worker: taken up
# again, after its last committed line.
STALLED_AFTER = timedelta(minutes=5)
# A queued import whose job never started (the queue was down) is started by the periodic job.
WAITING_AFTER = timedelta(minutes=2)
EXTENSIONS = (".csv", ".txt", ".tsv", ".xlsx")


# --- the row loop ---------------------------------------------------------------------------


@dataclass(slots=True)
class Rejected:
    line: int
    errors: list[tuple[str, str]]  # (column as the file names it, or the field; message)
    values: list[str]  # the row's cells as text

    def lines(self) -> list[str]:
        return [describe(self.line, column, message) for column, message in self.errors]


def describe(line: int, column: str | None, message: str) -> str:
    if column:
        return _("line %(line)s, %(field)s: %(message)s", line=line, field=column, message=message)
    return _("line %(line)s: %(message)s", line=line, message=message)


@dataclass(slots=True)
class BatchResult:
    rows: int = 0
    created: int = 0
    existing: int = 0
    repeat_repairs: int = 0
    blocked_technician: int = 0
    last_line: int = 0
    rejected: list[Rejected] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    """The totals of a whole import (the CLI's summary)."""

    rows: int = 0
    created: int = 0
    existing: int = 0
    repeat_repairs: int = 0
    blocked_technician: int = 0
    rejected_rows: int = 0
    errors: list[str] = field(default_factory=list)  # "line N, field: message", file problems

    def add(self, batch: BatchResult) -> None:
        self.rows += batch.rows
        self.created += batch.created
        self.existing += batch.existing
        self.repeat_repairs += batch.repeat_repairs
        self.blocked_technician += batch.blocked_technician
        self.rejected_rows += len(batch.rejected)


@dataclass(slots=True)
class _Row:
    line: int
    values: list[str]
    kwargs: dict
    checked: intake.CheckedOrder | None = None
    customer: object = None  # an existing customer's row (id, external_id, ...), or None
    customer_id: int | None = None  # a new customer's id, once inserted
    fast: bool = True
    later: bool = False  # waits for the batch's next round (see RowImporter._find_customers)
    # A known customer with another order near this one's date: after the insert, the
    # repeat-repair check runs on this order (repeat_repairs.check_repeat_repairs).
    check_repeat: bool = False


def one_of(column, values):
    """``column IN (values)`` for a batch's worth of values. On PostgreSQL one array parameter
    (``= ANY(:values)``): a list of a thousand parameters is searched row by row when the
    planner filters with it, an array is hashed."""
    values = list(values)
    if db.engine.dialect.name == "postgresql":
        return column == any_(bindparam(None, values, type_=ARRAY(column.type)))
    return column.in_(values)


def _text(value) -> str:
    return files.cell_text(value)


class RowImporter:
    """Rows of one file into orders; see the module docstring. ``mapping``: a field (or None)
    per column; ``client``: the client of rows that name none."""

    def __init__(
        self,
        headers: list[str],
        mapping: list[str | None],
        *,
        client: Client | None = None,
        by: User | None = None,
        now: datetime | None = None,
        check_width: bool = True,
    ):
        self.headers = headers
        self.width = len(headers)
        self.columns = [(i, f) for i, f in enumerate(mapping) if f]
        # Errors name the column as the file does (the field's own name where no column is it).
        self.column_of = {f: headers[i] for i, f in self.columns}
        self.client = client
        self.by = by
        self.now = now or utcnow()
        self.check_width = check_width  # a spreadsheet leaves out empty cells at a row's end
        self.lookups = intake.Lookups()
        self.window = repeat_window() + timedelta(days=1)  # a margin: the rule is theirs

    # -- reading --

    def _parse(self, record: files.Record, result: BatchResult) -> _Row | None:
        values = record.values
        if record.error:
            return self._reject(result, record.line, [record.text or ""], [(None, record.error)])
        if self.check_width and len(values) != self.width:
            if len(values) < self.width:
                message = _l(
                    "%(n)s values where the header has %(m)s columns",
                    n=len(values),
                    m=self.width,
                )
                return self._reject(result, record.line, values, [(None, message)])
            if any(_text(v).strip() for v in values[self.width :]):
                message = _l("more values than columns")
                return self._reject(result, record.line, values, [(None, message)])
        count = len(values)
        cells = {f: (values[i] if i < count else None) for i, f in self.columns}
        kwargs, errors = intake.parse_row(cells, self.lookups, client=self.client)
        client = kwargs["client"]
        checked = None
        if client is not None:
            args = {k: v for k, v in kwargs.items() if k != "client"}
            checked = intake.check_order(client, now=self.now, **args)
            errors = {**checked.errors, **errors}  # the reading's message is the clearer one
        if errors:
            named = [(self.column_of.get(f, f), str(m)) for f, m in errors.items()]
            return self._reject(result, record.line, values, named)
        return _Row(record.line, values, kwargs, checked)

    def _reject(self, result: BatchResult, line: int, values, errors) -> None:
        errors = [(c, str(m)) for c, m in errors]
        result.rejected.append(Rejected(line, errors, [_text(v) for v in values]))
        return None

    # -- a batch --

    def import_batch(self, records: list[files.Record]) -> BatchResult:
        """Import these records in the caller's transaction (flushed, not committed)."""
        if db.engine.dialect.name != "postgresql":
            return self._import_batch(records)
        # Without psycopg's prepared statements: a batch's look-ups and inserts run once per
        # batch, so after five batches it would prepare them, and PostgreSQL may then settle on
        # a generic plan, which cannot hash an array of a thousand values (it compares each
        # row with all of them: 0.8 s a look-up at 20,000 orders); and it would keep each
        # multi-row INSERT's text (tens of MB over a large file).
        driver = db.session.connection().connection.driver_connection
        previous = driver.prepare_threshold
        driver.prepare_threshold = None
        try:
            return self._import_batch(records)
        finally:
            driver.prepare_threshold = previous

    def _import_batch(self, records: list[files.Record]) -> BatchResult:
        self.lookups.refresh(self.client)
        result = BatchResult(rows=len(records))
        if records:
            result.last_line = records[-1].line
        rows = [row for record in records if (row := self._parse(record, result))]
        while rows:  # rounds: see _find_customers
            rows = self._drop_existing(rows, result)
            later = self._find_customers(rows, result)
            rows = [row for row in rows if row.checked is not None and not row.later]
            if later and len(rows) < 2:
                # One row a round (the visits of one customer, say): record_order for each
                # costs less than a round for each.
                for row in sorted(rows + later, key=lambda r: r.line):
                    self._record(row, result)
                break
            fast = [row for row in rows if row.fast]
            if fast:
                try:
                    with db.session.begin_nested():
                        flags = self._insert(fast)
                    result.created += len(fast)
                    result.repeat_repairs += flags
                except (DBAPIError, _BatchNotInserted):
                    log.warning("a batch of %d orders failed; importing them one by one", len(fast))
                    for row in fast:
                        row.fast = False
            for row in rows:
                if not row.fast:
                    self._record(row, result)
            rows = later
        result.rejected.sort(key=lambda r: r.line)
        return result

    def _drop_existing(self, rows: list[_Row], result: BatchResult) -> list[_Row]:
        by_client: dict[int, list[str]] = {}
        for row in rows:
            by_client.setdefault(row.kwargs["client"].id, []).append(row.checked.external_id)
        stored = set()
        for client_id, numbers in by_client.items():
            stored.update(
                (client_id, n)
                for n in db.session.scalars(
                    select(Order.external_id).where(
                        Order.client_id == client_id, one_of(Order.external_id, set(numbers))
                    )
                )
            )
        kept = []
        for row in rows:
            if (row.kwargs["client"].id, row.checked.external_id) in stored:
                result.existing += 1
            else:
                kept.append(row)
        return kept

    def _find_customers(self, rows: list[_Row], result: BatchResult) -> list[_Row]:
        """Each row's customer as ``record_order`` would find it, from the customers of the
        batch read at once; which rows can be inserted together (``fast``), and which wait for
        the next round (returned, ``later``): those that share their phone, customer number or
        customer with an earlier row, which then find that row's customer and order as
        ``record_order`` would have, in the file's order. A round instead of ``record_order``
        for each of them: 2.0 of the 17 s of CPU a 100,000-row file took went on the 0.7 % of
        its rows that went one by one."""
        for row in rows:
            row.customer, row.customer_id = None, None
            row.fast, row.later, row.check_repeat = True, False, False
        phones: dict[int, set[str]] = {}
        numbers: dict[int, set[str]] = {}
        for row in rows:
            c = row.kwargs["client"].id
            phones.setdefault(c, set()).add(row.checked.e164)
            if row.checked.customer_external_id:
                numbers.setdefault(c, set()).add(row.checked.customer_external_id)
        by_number: dict[tuple[int, str], object] = {}
        by_phone: dict[tuple[int, str], list] = {}
        customer_phones: dict[int, set[str]] = {}
        for c, wanted in numbers.items():
            for customer in db.session.execute(
                select(Customer.id, Customer.external_id, Customer.email).where(
                    Customer.client_id == c, one_of(Customer.external_id, wanted)
                )
            ):
                by_number[(c, customer.external_id)] = customer
        for c, wanted in phones.items():
            # Phones first, then their customers: two index look-ups (a join lets SQLite's
            # planner walk every customer of the client instead).
            phone_rows = db.session.execute(
                select(CustomerPhone.customer_id, CustomerPhone.e164).where(
                    one_of(CustomerPhone.e164, wanted)
                )
            ).all()
            owners = {
                customer.id: customer
                for customer in db.session.execute(
                    select(Customer.id, Customer.external_id, Customer.email).where(
                        one_of(Customer.id, {customer_id for customer_id, _ in phone_rows}),
                        Customer.client_id == c,
                    )
                )
            }
            for customer_id, e164 in sorted(phone_rows, key=lambda r: -r[0]):  # latest first
                if customer_id in owners:
                    by_phone.setdefault((c, e164), []).append(owners[customer_id])
                    customer_phones.setdefault(customer_id, set()).add(e164)
        known_ids = {cu.id for cu in by_number.values()}
        if known_ids:
            for customer_id, e164 in db.session.execute(
                select(CustomerPhone.customer_id, CustomerPhone.e164).where(
                    one_of(CustomerPhone.customer_id, known_ids)
                )
            ):
                customer_phones.setdefault(customer_id, set()).add(e164)

        claimed: set[tuple] = set()  # phones, customer numbers and customers met in the batch
        for row in rows:
            c, checked = row.kwargs["client"].id, row.checked
            number = checked.customer_external_id
            customer = intake.choose_customer(
                by_number.get((c, number)) if number else None,
                by_phone.get((c, checked.e164), []),
                number,
            )
            row.customer = customer
            keys = {("order", c, checked.external_id), ("phone", c, checked.e164)}
            if number:
                keys.add(("number", c, number))
            if customer is not None:
                keys.add(("customer", customer.id))
            if keys & claimed:
                row.later = True
                claimed |= keys
                continue
            if customer is None and not checked.customer_name:
                self._reject(
                    result,
                    row.line,
                    row.values,
                    [
                        (
                            self.column_of.get("customer_name", "customer_name"),
                            _l("a new customer needs a name"),
                        )
                    ],
                )
                row.checked = None
                continue
            if customer is not None:
                row.fast = not (
                    checked.e164 not in customer_phones.get(customer.id, ())
                    or (customer.external_id is None and number)
                    or (customer.email is None and checked.customer_email)
                )
            if intake.blocked(checked.technician):
                row.fast = False
            claimed |= keys
        kept = [row for row in rows if row.checked is not None]
        self._near_other_orders(
            [row for row in kept if row.fast and not row.later and row.customer is not None]
        )
        return [row for row in kept if row.later]

    def _near_other_orders(self, rows: list[_Row]) -> None:
        """Rows of known customers with another order near this one's date: the repeat-repair
        check runs on them after the insert (``check_repeat``)."""
        if not rows:
            return
        ids = {row.customer.id for row in rows}
        low = min(row.checked.completed_at for row in rows) - self.window
        high = max(row.checked.completed_at for row in rows) + self.window
        dates: dict[int, list[datetime]] = {}
        for customer_id, completed_at in db.session.execute(
            select(Order.customer_id, Order.completed_at).where(
                one_of(Order.customer_id, ids), Order.completed_at.between(low, high)
            )
        ):
            dates.setdefault(customer_id, []).append(completed_at)
        for row in rows:
            at = row.checked.completed_at
            if any(abs(at - other) <= self.window for other in dates.get(row.customer.id, ())):
                row.check_repeat = True

    def _insert(self, rows: list[_Row]) -> int:
        """The rows that stand alone, in three multi-row INSERTs (customers, their phones,
        orders), in the caller's savepoint; then the repeat-repair check of those whose
        customer has another order near theirs (each customer has one such row in a batch, so
        it sees what it would have seen alone). Returns the repeat-repair flags raised."""
        new = [row for row in rows if row.customer is None]
        if new:
            ids = _insert_customers(
                [
                    {
                        **intake.customer_values(row.kwargs["client"], row.checked),
                        "created_at": self.now,
                    }
                    for row in new
                ]
            )
            _insert_many(
                CustomerPhone.__table__,
                [
                    {"customer_id": id_, "e164": row.checked.e164, "is_primary": True}
                    for id_, row in zip(ids, new, strict=True)
                ],
            )
            for id_, row in zip(ids, new, strict=True):
                row.customer_id = id_
        values = [
            intake.order_values(
                row.kwargs["client"],
                row.checked,
                row.customer.id if row.customer is not None else row.customer_id,
                self.now,
            )
            for row in rows
        ]
        totals.mark_hours(totals.hour_number(v["completed_at"]) for v in values)
        if not any(row.check_repeat for row in rows):
            _insert_many(Order.__table__, values)
            return 0
        ids = _insert_returning_ids(Order.__table__, values)
        wanted = [id_ for row, id_ in zip(rows, ids, strict=True) if row.check_repeat]
        orders = {
            o.id: o for o in db.session.scalars(select(Order).where(one_of(Order.id, wanted)))
        }
        checks = repeat_repairs.check_repeat_repairs(
            [orders[id_] for id_ in wanted],  # in the file's order
            now=self.now,
            by=self.by,
        )
        return sum((check.repeat_of is not None) + len(check.later) for check in checks)

    def _record(self, row: _Row, result: BatchResult) -> None:
        kwargs = dict(row.kwargs)
        client = kwargs.pop("client")
        try:
            with db.session.begin_nested():
                done = intake.record_order(client, by=self.by, now=self.now, **kwargs)
        except intake.OrderRejected as exc:
            errors = [(self.column_of.get(f, f), m) for f, m in exc.errors.items()]
            self._reject(result, row.line, row.values, errors)
            return
        except DBAPIError as exc:
            log.warning("line %s could not be stored: %s", row.line, exc.orig)
            message = _l(
                "the database refused this row (stored at the same time by another import?)"
            )
            self._reject(result, row.line, row.values, [(None, message)])
            return
        if not done.created:
            result.existing += 1
            return
        result.created += 1
        result.repeat_repairs += done.flags_raised
        result.blocked_technician += done.blocked_technician


class _BatchNotInserted(RuntimeError):
    """The batch's rows did not get the ids expected: they are imported one by one instead."""


def _insert_returning_ids(table, rows: list[dict]) -> list[int]:
    """Insert the rows; their new ids, in order. PostgreSQL returns them (RETURNING, sorted by
    the parameters). SQLite gives each new row the largest id plus one, and this transaction
    holds its write lock, so one plain multi-row INSERT (its RETURNING would cost a statement
    per row) numbers them from the largest id before it, checked after it."""
    if db.engine.dialect.name != "sqlite":
        statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(db.session.scalars(statement, rows))
    before = db.session.scalar(select(func.max(table.c.id))) or 0
    db.session.execute(insert(table), rows)
    after = db.session.scalar(select(func.max(table.c.id))) or 0
    added = db.session.scalar(select(func.count()).where(table.c.id > before))
    if after != before + len(rows) or added != len(rows):
        raise _BatchNotInserted(f"{table.name}: ids {before}..{after}, {added} rows")
    return list(range(before + 1, after + 1))


def _insert_customers(rows: list[dict]) -> list[int]:
    """Insert new customers; their ids. On SQLite their names go into the name search index in
    one statement, its insert trigger standing down meanwhile (console/models/customers.py):
    the trigger, row by row, took 12 of the ~165 us an imported row cost."""
    if db.engine.dialect.name != "sqlite":
        return _insert_returning_ids(Customer.__table__, rows)
    db.session.execute(text(NAME_SEARCH_PAUSE))
    try:
        ids = _insert_returning_ids(Customer.__table__, rows)
    finally:
        db.session.execute(text(NAME_SEARCH_RESUME))
    db.session.execute(text(NAME_SEARCH_FILL), {"first": ids[0], "last": ids[-1]})
    return ids


def _insert_many(table, rows: list[dict]) -> None:
    """One multi-row INSERT. On PostgreSQL through RETURNING, which SQLAlchemy sends as a few
    statements of many VALUES each; a plain executemany would be a statement per row."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(insert(table).returning(table.c.id), rows).all()
    else:
        db.session.execute(insert(table), rows)


def batches(records: Iterable[files.Record], size: int = BATCH_SIZE) -> Iterator[list]:
    records = iter(records)
    while batch := list(islice(records, size)):
        yield batch


def limited(records: Iterable[files.Record], max_rows: int, errors: list) -> Iterator:
    """At most ``max_rows`` records; past them, a note in ``errors`` and no more reading."""
    for n, record in enumerate(records, 1):
        if n > max_rows:
            errors.append(
                describe(
                    record.line,
                    None,
                    str(_l("more than %(n)s rows: the rest was not read", n=max_rows)),
                )
            )
            return
        yield record


# --- the CLI --------------------------------------------------------------------------------


class ImportRefused(ValueError):
    """The whole file is refused (unreadable, or its columns are not ours)."""


def mapping_for_cli(headers: list[str], client: Client | None) -> list[str | None]:
    """The columns of a file given on the command line: the mapping saved for this layout,
    else the headers' names; a header that names nothing we know stops the file (a typo must
    not lose a column silently)."""
    saved = columns.remembered(client, headers)
    if saved is not None:
        mapping = saved
    else:
        mapping = columns.guess(headers, columns.learned(client), loose=False)
        unknown = [h for h, f in zip(headers, mapping, strict=True) if f is None]
        if unknown:
            raise ImportRefused(
                describe(
                    1,
                    None,
                    _(
                        "unknown columns: %(names)s (known: %(known)s)",
                        names=", ".join(unknown),
                        known=", ".join(intake.FIELDS),
                    ),
                )
            )
    problems = columns.check(mapping, client_chosen=client is not None)
    if problems:
        missing = [f for f in intake.REQUIRED_FIELDS if f not in mapping]
        if client is not None and "client" in missing:
            missing.remove("client")
        detail = (
            _("missing columns: %(names)s", names=", ".join(missing))
            if missing
            else "; ".join(str(p) for p in problems)
        )
        raise ImportRefused(describe(1, None, detail))
    return mapping


def import_path(
    path: Path | str,
    *,
    client: Client | None = None,
    dry_run: bool = False,
    by: User | None = None,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[BatchResult], None] | None = None,
    max_rows: int = MAX_ROWS,
) -> ImportReport:
    """``flask orders import``: the same reader and row loop as the browser's job, in this
    process. Each batch commits (``unit_of_work``); a dry run checks every row and rolls back."""
    report = ImportReport()
    try:
        table = files.open_table(path)
    except files.FileRefused as exc:
        raise ImportRefused(describe(1, None, str(exc.args[0]))) from None
    with table:
        mapping = mapping_for_cli(table.headers, client)
        importer = RowImporter(
            table.headers, mapping, client=client, by=by, check_width=table.kind == "csv"
        )
        records = limited(table.records(), max_rows, report.errors)
        if dry_run:
            db.session.commit()  # whatever was pending is the caller's
            try:
                with writing():
                    for batch in batches(records, batch_size):
                        _collect(report, importer.import_batch(batch), on_batch)
            finally:
                db.session.rollback()
        else:
            for batch in batches(records, batch_size):
                with unit_of_work():
                    result = importer.import_batch(batch)
                _collect(report, result, on_batch)
            with unit_of_work():
                _audit(report, by=by, source=str(Path(path).name))
    report.errors.sort(key=_line_of)
    return report


def _line_of(message: str) -> int:
    digits = "".join(ch for ch in message.split(",")[0].split(":")[0] if ch.isdigit())
    return int(digits) if digits else 0


def _collect(report: ImportReport, result: BatchResult, on_batch) -> None:
    report.add(result)
    for rejected in result.rejected:
        report.errors.extend(rejected.lines())
    if on_batch is not None:
        on_batch(result)


def _audit(report: ImportReport, *, by, source: str, run: ImportRun | None = None) -> None:
    audit.record(
        "orders.imported",
        actor=by,
        entity=run,
        details={
            "file": source,
            "created": report.created,
            "existing": report.existing,
            "rejected_rows": report.rejected_rows,
        },
    )


# --- runs in the browser --------------------------------------------------------------------


def upload(
    filename: str, content: bytes, *, client: Client | None, by: User, locale: str | None
) -> ImportRun:
    """Store an uploaded file as a run waiting for its columns. Raises ``ImportRefused`` when
    the file cannot be read at all (the caller commits)."""
    name = os.path.basename(filename or "").strip() or "orders.csv"
    if not name.lower().endswith(EXTENSIONS):
        if name.lower().endswith(".xls"):
            raise ImportRefused(
                _l("Old Excel files (.xls) cannot be read: save the file as .xlsx or CSV.")
            )
        raise ImportRefused(_l("Choose a CSV or XLSX file."))
    if not content:
        raise ImportRefused(_l("The file is empty."))
    if len(content) > MAX_FILE_BYTES:
        raise ImportRefused(
            _l("The file is larger than %(n)s MB.", n=MAX_FILE_BYTES // (1024 * 1024))
        )
    with _as_file(content) as path:
        try:
            table = files.open_table(path)
        except files.FileRefused as exc:
            raise ImportRefused(exc.args[0]) from None
        with table:
            preview = [
                [r.line, [_text(v) for v in r.values] if not r.error else [r.text or ""]]
                for r in islice(table.records(), PREVIEW_ROWS)
            ]
    if table.rows_estimate is not None and table.rows_estimate > MAX_ROWS + 1:
        raise ImportRefused(_l("The file has more than %(n)s rows: split it.", n=f"{MAX_ROWS:,}"))
    if len(table.headers) > 500:
        raise ImportRefused(_l("The file has more than 500 columns."))
    run = ImportRun(
        filename=name[:255],
        kind=table.kind,
        size_bytes=len(content),
        encoding=table.encoding,
        delimiter=table.delimiter,
        header_line=table.header_line,
        headers=table.headers,
        preview=preview,
        client_id=client.id if client else None,
        status=ImportStatus.UPLOADED,
        rows_total=table.rows_estimate,
        locale=locale,
        created_by_id=by.id if by is not None else None,
        created_at=utcnow(),
    )
    db.session.add(run)
    db.session.flush()
    # Kept compressed (a CSV shrinks five to ten times): less to hold, send and store.
    db.session.add(ImportFile(run_id=run.id, content=zlib.compress(content, 6)))
    return run


class _as_file:
    """The bytes in a temporary file (the readers stream from a path); removed afterwards.
    ``compressed``: zlib's, as stored, unpacked a megabyte at a time on the way."""

    def __init__(self, content: bytes, *, compressed: bool = False):
        self.content = content
        self.compressed = compressed

    def __enter__(self) -> Path:
        handle, name = tempfile.mkstemp(prefix="qc-import-")
        with os.fdopen(handle, "wb") as file:
            if self.compressed:
                unpack = zlib.decompressobj()
                view = memoryview(self.content)
                for start in range(0, len(view), 1 << 20):
                    file.write(unpack.decompress(view[start : start + (1 << 20)]))
                file.write(unpack.flush())
            else:
                file.write(self.content)
        self.content = None  # the caller may let go of its copy now
        self.path = Path(name)
        return self.path

    def __exit__(self, *exc) -> None:
        self.path.unlink(missing_ok=True)


def suggested_mapping(run: ImportRun, client: Client | None) -> list[str | None]:
    return columns.suggest(client, run.headers)


def queue(run: ImportRun, mapping: list[str | None], client: Client | None) -> list[str]:
    """Check the columns chosen for a run; fine: remember them for the client and queue the
    run (the caller commits, then starts the job). Returns the problems, if any."""
    if run.status != ImportStatus.UPLOADED:
        return [str(_l("This file is already being imported."))]
    if len(mapping) != len(run.headers) or any(f not in (None, *intake.FIELDS) for f in mapping):
        return [str(_l("Choose a field for each column."))]
    problems = [str(p) for p in columns.check(mapping, client_chosen=client is not None)]
    if problems:
        return problems
    columns.remember(client, run.headers, mapping)
    run.mapping = list(mapping)
    run.client_id = client.id if client else None
    run.status = ImportStatus.QUEUED
    run.heartbeat_at = utcnow()
    return []


def run_import(run_id: int, *, batch_size: int = BATCH_SIZE) -> str:
    """The job: import a queued run (or go on with an interrupted one) batch by batch, each
    batch one transaction with the run's counts and rejected rows."""
    now = utcnow()
    with unit_of_work():
        claimed = db.session.execute(
            update(ImportRun)
            .where(
                ImportRun.id == run_id,
                (ImportRun.status == ImportStatus.QUEUED)
                | (
                    (ImportRun.status == ImportStatus.RUNNING)
                    & (ImportRun.heartbeat_at < now - STALLED_AFTER)
                ),
            )
            .values(
                status=ImportStatus.RUNNING,
                started_at=func.coalesce(ImportRun.started_at, now),
                heartbeat_at=now,
            )
        ).rowcount
        run = db.session.get(ImportRun, run_id) if claimed else None
        locale = (run.locale if run else None) or current_app.config["BABEL_DEFAULT_LOCALE"]
    if not claimed:
        return "not waiting"
    with force_locale(locale):
        try:
            _run(run_id, batch_size)
        except files.FileRefused as exc:
            db.session.rollback()
            _fail(run_id, str(exc.args[0]))
            return "failed"
        except Exception as exc:
            log.exception("import run %s failed", run_id)
            db.session.rollback()
            _fail(run_id, _("the import stopped: %(error)s", error=type(exc).__name__))
            raise
    return "done"


def _run(run_id: int, batch_size: int) -> None:
    with unit_of_work():
        run = db.session.get(ImportRun, run_id)
        content = db.session.scalar(select(ImportFile.content).where(ImportFile.run_id == run_id))
        client = db.session.get(Client, run.client_id) if run.client_id else None
        by = db.session.get(User, run.created_by_id) if run.created_by_id else None
        importer = RowImporter(
            run.headers, run.mapping, client=client, by=by, check_width=run.kind == "csv"
        )
        resume_after, encoding, filename = run.last_line, run.encoding, run.filename
    if content is None:
        raise files.FileRefused(_l("the file is no longer stored"))
    errors: list[str] = []
    with _as_file(content, compressed=True) as path:
        del content
        with files.open_table(path, encoding=encoding) as table:
            records = (r for r in table.records() if r.line > resume_after)
            for batch in batches(limited(records, MAX_ROWS, errors), batch_size):
                with unit_of_work():
                    result = importer.import_batch(batch)
                    _save_batch(run_id, result)
    with unit_of_work():
        run = db.session.get(ImportRun, run_id)
        run.status = ImportStatus.DONE
        run.finished_at = utcnow()
        run.rows_total = run.rows_done
        run.error = "\n".join(errors) or None
        db.session.execute(delete(ImportFile).where(ImportFile.run_id == run_id))
        report = ImportReport(
            created=run.created_count,
            existing=run.existing_count,
            rejected_rows=run.rejected_count,
        )
        _audit(report, by=by, source=filename, run=run)


def _save_batch(run_id: int, result: BatchResult) -> None:
    now = utcnow()
    db.session.execute(
        update(ImportRun)
        .where(ImportRun.id == run_id)
        .values(
            rows_done=ImportRun.rows_done + result.rows,
            last_line=result.last_line,
            created_count=ImportRun.created_count + result.created,
            existing_count=ImportRun.existing_count + result.existing,
            rejected_count=ImportRun.rejected_count + len(result.rejected),
            repeat_repairs=ImportRun.repeat_repairs + result.repeat_repairs,
            blocked_technician=ImportRun.blocked_technician + result.blocked_technician,
            heartbeat_at=now,
        )
    )
    if result.rejected:
        db.session.execute(
            insert(ImportRejection),
            [
                {
                    "run_id": run_id,
                    "line": r.line,
                    "errors": [list(e) for e in r.errors],
                    "values": r.values,
                }
                for r in result.rejected
            ],
        )


def _fail(run_id: int, message: str) -> None:
    with unit_of_work():
        db.session.execute(
            update(ImportRun)
            .where(ImportRun.id == run_id)
            .values(status=ImportStatus.FAILED, error=message, finished_at=utcnow())
        )


def waiting_runs(now: datetime | None = None) -> list[int]:
    """Runs to start now: queued ones whose job never started, running ones whose worker
    stopped committing (taken up after their last committed line)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(ImportRun.id)
            .where(
                (
                    (ImportRun.status == ImportStatus.QUEUED)
                    & (ImportRun.heartbeat_at < now - WAITING_AFTER)
                )
                | (
                    (ImportRun.status == ImportStatus.RUNNING)
                    & (ImportRun.heartbeat_at < now - STALLED_AFTER)
                )
            )
            .order_by(ImportRun.id)
        )
    )


def dispatched(run_ids: list[int]) -> None:
    """Queued runs just handed to a job again: not again before ``WAITING_AFTER``."""
    if run_ids:
        db.session.execute(
            update(ImportRun)
            .where(ImportRun.id.in_(run_ids), ImportRun.status == ImportStatus.QUEUED)
            .values(heartbeat_at=utcnow())
        )


# --- what the pages show --------------------------------------------------------------------


def recent_runs(limit: int = 20) -> list[ImportRun]:
    return list(db.session.scalars(select(ImportRun).order_by(ImportRun.id.desc()).limit(limit)))


def rejections(run: ImportRun, limit: int = SHOWN_REJECTIONS) -> list[Rejected]:
    rows = db.session.scalars(
        select(ImportRejection)
        .where(ImportRejection.run_id == run.id)
        .order_by(ImportRejection.line, ImportRejection.id)
        .limit(limit)
    )
    return [Rejected(r.line, [tuple(e) for e in r.errors], r.values) for r in rows]


def progress_percent(run: ImportRun) -> int:
    if run.finished:
        return 100
    if not run.rows_total:
        return 0
    return min(99, run.rows_done * 100 // run.rows_total)


def rejected_csv(run: ImportRun) -> Iterator[bytes]:
    """The rejected rows as the file had them, plus an ``error`` column, in the file's own
    encoding and delimiter (an XLSX: UTF-8 with a BOM and ";", as Excel opens it in Russia):
    fix them and upload this file again."""
    encoding = rejected_encoding(run)
    delimiter = run.delimiter or ";"
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([*run.headers, "error"])
    first = True
    rows = db.session.scalars(
        select(ImportRejection)
        .where(ImportRejection.run_id == run.id)
        .order_by(ImportRejection.line, ImportRejection.id)
        .execution_options(yield_per=1000)
    )
    for rejection in rows:
        message = "; ".join(describe(rejection.line, c, m) for c, m in rejection.errors)
        values = list(rejection.values)
        values += [""] * (len(run.headers) - len(values))
        writer.writerow([*values, message])
        if buffer.tell() > 64 * 1024:
            yield _encoded(buffer, encoding, first)
            first = False
    yield _encoded(buffer, encoding, first)


def rejected_encoding(run: ImportRun) -> str:
    """The rejected rows' CSV in the uploaded file's encoding (UTF-8 with a BOM for XLSX and
    UTF-16 files, which Excel opens as UTF-8 then)."""
    if run.kind == "csv" and run.encoding in ("cp1251", "utf-8", "utf-8-sig"):
        return run.encoding
    return "utf-8-sig"


def _encoded(buffer: io.StringIO, encoding: str, first: bool) -> bytes:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    if not first and encoding == "utf-8-sig":
        encoding = "utf-8"  # the BOM once, at the start
    return text.encode(encoding, errors="replace")
