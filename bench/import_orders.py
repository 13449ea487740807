"""Order import (issue 12): rows per second and peak memory of importing a 100,000-row file as
Admin → Orders → Import does it, against a floor measured in the same run.

**The file** is what a Russian shop's program saves: Windows-1251, ``;``-separated, its own
Russian headers (``Номер заказа;Клиент;Телефон;...``), ``dd.mm.yyyy HH:MM`` dates, decimal
commas, phones in national format (``8 (912) 345-67-89``). Of its rows (seeded, the same every
run): 20 % are returning customers (stored with an order two months earlier), 1 % come back
within the repeat-repair window (their second visit goes through ``record_order`` one by one),
0.5 % are bad (a phone that is no number, an amount in words, a date without a time).

**The import** runs in a child process, so its peak memory is its own (``ru_maxrss``): an app
on an empty database of its own (SQLite file, or a PostgreSQL database made for the run, both
dropped afterwards) with one client, its work types and technicians, then the browser's path
without HTTP: ``imports.upload`` (the file stored in the database, as the upload does),
``imports.queue`` with the guessed columns, and the job itself, ``imports.run_import``
(batches of 1,000 rows, one transaction each with the run's progress and rejected rows).

**The floor**, in another child on the same kind of database: ``csv.reader`` over the same file
and a bare DB-API ``executemany`` INSERT of its rows, as they are, into a table with the same
columns, committed every 1,000 rows: what reading and storing the rows costs with no rules at
all. ``ratio`` = import ÷ floor.

Figures: ``import_rows_per_s`` (wall clock; ``cpu_rows_per_s`` beside it, the rate over the
child's own CPU time, which other work on a shared machine disturbs less) and
``import_peak_mb`` (the child's peak resident memory; ``baseline_mb``: the same child with the
app built, before the file).
"""

from __future__ import annotations

import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from bench.common import DATA_DIR, PG_ADMIN_URL, ROOT, emit, log

SEED = 12
CLIENT_KEY = "bench-shop"
WORK_TYPES = [("oil", "Замена масла"), ("brakes", "Тормоза"), ("tyres", "Шиномонтаж")]
TECHNICIANS = 20
HEADERS = [
    "Номер заказа",
    "Клиент",
    "Телефон",
    "Вид работ",
    "Мастер",
    "Дата закрытия",
    "Сумма",
    "Автомобиль",
    "Госномер",
    "Пробег",
    "Выполненные работы",
]
FIRST = ["Иван", "Олег", "Анна", "Мария", "Сергей", "Павел", "Елена", "Дмитрий"]
LAST = ["Петров", "Смирнова", "Иванов", "Кузнецова", "Орлов", "Попова", "Соколов", "Лебедев"]
CARS = ["Kia Rio", "Lada Vesta", "Hyundai Solaris", "Skoda Octavia", "VW Polo", "Renault Logan"]
PLATE_LETTERS = "АВЕКМНОРСТУХ"


class Unavailable(RuntimeError):
    pass


# --- the file -------------------------------------------------------------------------------


def _phone(n: int) -> str:
    digits = f"912{n:07d}"
    return f"8 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}"


def _plate(rng: random.Random) -> str:
    letters = rng.choices(PLATE_LETTERS, k=3)
    return f"{letters[0]}{rng.randint(100, 999)}{letters[1]}{letters[2]}{rng.choice([77, 97, 199])}"


def write_file(path: Path, rows: int, returning: int, now: datetime) -> None:
    """The shop's export (see the module docstring); ``returning``: stored customers to use."""
    rng = random.Random(SEED)
    start = now - timedelta(days=25)
    with open(path, "w", encoding="cp1251", newline="") as file:
        writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        previous: list[tuple[str, str, str]] = []
        for n in range(rows):
            roll = rng.random()
            when = start + timedelta(minutes=rng.randint(0, 24 * 60 * 20))
            if roll < 0.01 and previous:  # a second visit within the window: a repeat repair?
                phone, name, plate = rng.choice(previous[-500:])
            elif roll < 0.21:  # a returning customer, stored with an older order
                k = rng.randrange(returning)
                phone, name, plate = _phone(5_000_000 + k), f"Returning {k}", _plate(rng)
            else:
                phone = _phone(n)
                name = f"{rng.choice(LAST)} {rng.choice(FIRST)}"
                plate = _plate(rng)
                previous.append((phone, name, plate))
            amount = f"{rng.randint(500, 90000)},{rng.randint(0, 99):02d}"
            date = when.strftime("%d.%m.%Y %H:%M")
            bad = rng.random()
            if bad < 0.002:
                phone = "нет телефона"
            elif bad < 0.004:
                amount = "пятьсот"
            elif bad < 0.005:
                date = when.strftime("%d.%m.%Y")
            writer.writerow(
                [
                    f"Z-{n:07d}",
                    name,
                    phone,
                    rng.choice(WORK_TYPES)[1],
                    f"M-{rng.randrange(TECHNICIANS):02d}",
                    date,
                    amount,
                    rng.choice(CARS),
                    plate,
                    str(rng.randint(1000, 250_000)),
                    "Замена масла и фильтра; диагностика ходовой",
                ]
            )


# --- the databases --------------------------------------------------------------------------


def _pg_admin():
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


class _Database:
    """An empty database of the run's own: a SQLite file or a PostgreSQL database."""

    def __init__(self, kind: str, name: str):
        self.kind = kind
        if kind == "sqlite":
            self.path = DATA_DIR / f"import-{name}-{os.getpid()}.db"
            self.url = f"sqlite:///{self.path}"
        else:
            self.name = f"qc_bench_import_{name}_{os.getpid()}"
            self.url = _pg_url(self.name)

    def __enter__(self) -> _Database:
        if self.kind == "sqlite":
            DATA_DIR.mkdir(parents=True, exist_ok=True)
            self._drop_sqlite()
        else:
            admin = _pg_admin()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
                conn.execute(sa.text(f'CREATE DATABASE "{self.name}"'))
            admin.dispose()
        return self

    def __exit__(self, *exc) -> None:
        if self.kind == "sqlite":
            self._drop_sqlite()
        else:
            admin = _pg_admin()
            with admin.connect() as conn:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            admin.dispose()

    def _drop_sqlite(self) -> None:
        for leftover in DATA_DIR.glob(f"{self.path.name}*"):
            leftover.unlink()


# --- the children ---------------------------------------------------------------------------


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child_seed(url: str, returning: int) -> dict:
    """The empty database's schema, the shop (client, work types, technicians) and its
    returning customers (each with an order two months back)."""
    from bench.common import app_config
    from console import create_app
    from console.extensions import db
    from console.models import Client, Technician, WorkType

    app = create_app(app_config(url))
    with app.app_context():
        db.create_all()
        client = Client(key=CLIENT_KEY, name="Bench Shop", timezone="Europe/Moscow", country="RU")
        db.session.add(client)
        for key, name in WORK_TYPES:
            db.session.add(WorkType(key=key, name=name))
        for n in range(TECHNICIANS):
            db.session.add(Technician(client=client, external_id=f"M-{n:02d}", name=f"Мастер {n}"))
        db.session.commit()
        _returning_customers(db, client, returning)
    return {"returning": returning}


def child_import(url: str, path: str) -> dict:
    """Import the file as the browser's job does (see the module docstring)."""
    from bench.common import app_config
    from console import create_app
    from console.extensions import db
    from console.models import Client, ImportRun, Order
    from console.services.orders import imports

    app = create_app(app_config(url))
    with app.app_context():
        client = db.session.scalar(sa.select(Client).where(Client.key == CLIENT_KEY))
        baseline = _peak_mb()
        content = Path(path).read_bytes()

        started, cpu = time.perf_counter(), time.process_time()
        run = imports.upload(Path(path).name, content, client=client, by=None, locale="ru")
        del content
        mapping = imports.suggested_mapping(run, client)
        problems = imports.queue(run, mapping, client)
        if problems:
            raise RuntimeError(f"columns: {problems}")
        db.session.commit()
        run_id = run.id
        outcome = imports.run_import(run_id)
        seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu

        run = db.session.get(ImportRun, run_id)
        stored = db.session.scalar(sa.select(sa.func.count()).select_from(Order))
        return {
            "outcome": outcome,
            "rows": run.rows_done,
            "created": run.created_count,
            "existing": run.existing_count,
            "rejected": run.rejected_count,
            "repeat_repairs": run.repeat_repairs,
            "orders_stored": stored,
            "seconds": seconds,
            "cpu_seconds": cpu_seconds,
            "baseline_mb": baseline,
            "peak_mb": _peak_mb(),
            "mapping": mapping,
        }


def _returning_customers(db, client, count: int) -> None:
    """Customers of the shop stored before, each with an order two months back."""
    from console.models import Customer, CustomerPhone, Order, WorkType

    work_type = db.session.scalar(sa.select(WorkType.id).limit(1))
    when = datetime.now(UTC) - timedelta(days=60)
    for start in range(0, count, 5_000):
        ids = range(start, min(count, start + 5_000))
        db.session.execute(
            sa.insert(Customer.__table__),
            [{"id": 1 + k, "client_id": client.id, "name": f"Returning {k}"} for k in ids],
        )
        db.session.execute(
            sa.insert(CustomerPhone.__table__),
            [
                {"customer_id": 1 + k, "e164": f"+7912{5_000_000 + k:07d}", "is_primary": True}
                for k in ids
            ],
        )
        db.session.execute(
            sa.insert(Order.__table__),
            [
                {
                    "client_id": client.id,
                    "external_id": f"OLD-{k}",
                    "customer_id": 1 + k,
                    "phone": f"+7912{5_000_000 + k:07d}",
                    "work_type_id": work_type,
                    "amount": 1000,
                    "completed_at": when,
                    "created_at": when,
                    "blocked_technician_flag": False,
                }
                for k in ids
            ],
        )
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT setval('customers_id_seq', (SELECT max(id) FROM customers))")
        )
    db.session.commit()
    if db.engine.dialect.name == "postgresql":  # as autovacuum would have by then
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("ANALYZE"))


def child_floor(url: str, path: str) -> dict:
    """csv.reader and a bare executemany INSERT of the same rows (see the docstring)."""
    columns = ", ".join(f"c{i} text" for i in range(len(HEADERS)))
    marks = ", ".join(["?" if url.startswith("sqlite") else "%s"] * len(HEADERS))
    if url.startswith("sqlite"):
        import sqlite3

        conn = sqlite3.connect(url.removeprefix("sqlite:///"))
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
    else:
        import psycopg

        conn = psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://"))
    key = "integer primary key" if url.startswith("sqlite") else "serial primary key"
    conn.execute(f"CREATE TABLE floor_rows (id {key}, {columns})")
    conn.commit()
    names = ", ".join(f"c{i}" for i in range(len(HEADERS)))
    sql = f"INSERT INTO floor_rows ({names}) VALUES ({marks})"
    started, cpu = time.perf_counter(), time.process_time()
    rows = 0
    with open(path, encoding="cp1251", newline="") as file:
        reader = csv.reader(file, delimiter=";")
        next(reader)
        batch = []
        for row in reader:
            batch.append(row)
            if len(batch) == 1000:
                conn.cursor().executemany(sql, batch)
                conn.commit()
                rows += len(batch)
                batch = []
        if batch:
            conn.cursor().executemany(sql, batch)
            conn.commit()
            rows += len(batch)
    seconds, cpu_seconds = time.perf_counter() - started, time.process_time() - cpu
    conn.close()
    return {"rows": rows, "seconds": seconds, "cpu_seconds": cpu_seconds}


def _child(kind: str, url: str, path: Path, returning: int = 0) -> dict:
    result = subprocess.run(
        [sys.executable, "-m", "bench.import_orders", kind, url, str(path), str(returning)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if result.returncode != 0:
        raise RuntimeError(f"{kind} child failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the benchmark --------------------------------------------------------------------------


def run(db: str, *, rows: int = 100_000) -> None:
    if db == "postgresql":
        try:
            admin = _pg_admin()
            with admin.connect() as conn:
                conn.execute(sa.text("SELECT 1"))
            admin.dispose()
        except Exception as exc:  # noqa: BLE001 - said on the figure's line
            raise Unavailable(f"PostgreSQL: {exc}") from None
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"import-orders-{rows}-{os.getpid()}.csv"
    # As many returning customers as rows: a fifth of the rows is one of them, and few come
    # twice within the file's 20 days, as in a shop.
    returning = rows
    write_file(path, rows, returning, datetime.now(UTC))
    file_mb = round(path.stat().st_size / 1e6, 1)
    try:
        log(f"import on {db}: {rows:,} rows, {file_mb} MB ...")
        with _Database(db, "floor") as floor_db:
            floor = _child("floor", floor_db.url, path, returning)
        with _Database(db, "rows") as target:
            _child("seed", target.url, path, returning)
            measured = _child("import", target.url, path)
    finally:
        path.unlink(missing_ok=True)
    rate = measured["rows"] / measured["seconds"]
    cpu_rate = measured["rows"] / measured["cpu_seconds"]
    floor_rate = floor["rows"] / floor["seconds"]
    emit(
        "import_rows_per_s",
        round(rate),
        "rows/s",
        db,
        cpu_rows_per_s=round(cpu_rate),
        floor=round(floor_rate),
        floor_cpu_rows_per_s=round(floor["rows"] / floor["cpu_seconds"]),
        ratio=round(rate / floor_rate, 3),
        rows=measured["rows"],
        created=measured["created"],
        existing=measured["existing"],
        rejected=measured["rejected"],
        repeat_repairs=measured["repeat_repairs"],
        seconds=round(measured["seconds"], 1),
        file_mb=file_mb,
        target=">= 5000 rows/s on SQLite",
    )
    emit(
        "import_peak_mb",
        measured["peak_mb"],
        "MB",
        db,
        baseline_mb=measured["baseline_mb"],
        rows=measured["rows"],
        target="< 200 MB",
    )


if __name__ == "__main__":
    kind, url, file_path, returning_customers = sys.argv[1:5]
    if kind == "floor":
        out = child_floor(url, file_path)
    elif kind == "seed":
        out = child_seed(url, int(returning_customers))
    else:
        out = child_import(url, file_path)
    print(json.dumps(out, default=str))
