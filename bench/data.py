"""The benchmark data set: N orders from the demo-data generator, M due call tasks, the call
scripts, 50 operators, and every client open for calls around the clock.

Built once and cached:

* SQLite: ``bench/.data/bench-<key>.db``, the pristine file. Each run works on a copy
  (``work-sqlite-<pid>.db``), because claiming and submitting use up tasks.
* PostgreSQL: database ``qc_bench_o<orders>_t<tasks>_<schema hash>`` (pristine; a
  ``bench_meta`` table holds its key), so that two versions of the schema (before and after a
  change, measured in one run) each keep theirs. Each run works on ``qc_bench_run_<pid>``,
  created from it with ``CREATE DATABASE ... TEMPLATE`` and dropped at the end.

The key names the sizes, the seed and a hash of the schema the models declare, so a model
change (another engineer adding a column) rebuilds the data instead of benchmarking a stale one.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import sqlalchemy as sa

from bench.common import DATA_DIR, OPERATOR_EMAIL, PASSWORD, PG_ADMIN_URL, ROOT, log, make_app

PG_PREFIX = "qc_bench"  # pristine: qc_bench_o<orders>_t<tasks>_<schema hash>
# Each run's own working copy, named for its process: two runs at once (two engineers, or the
# load test beside a quick run) must not delete each other's.
PG_WORK = f"qc_bench_run_{os.getpid()}"
SQLITE_WORK = f"work-sqlite-{os.getpid()}.db"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _run_pid(name: str) -> int | None:
    """The process a working copy belongs to; None for one named before copies had owners."""
    digits = name.rsplit("_", 1)[-1] if name.startswith(PG_PREFIX) else name[12:].split(".")[0]
    return int(digits) if digits.isdigit() else None


OPERATORS = 50
SEED = 1


@dataclass
class Dataset:
    db: str  # "sqlite" | "postgresql"
    url: str  # the working copy to benchmark against
    key: str
    generated: bool  # built in this run (else taken from the cache)
    build_seconds: float | None  # how long building took (this run or when it was cached)
    copy_seconds: float
    orders: int
    tasks: int


def schema_hash(dialect_name: str) -> str:
    """A hash of the DDL the models produce on this dialect (tables, columns, indexes)."""
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    import console.models  # noqa: F401 - registers every table
    from console.extensions import db

    dialect = postgresql.dialect() if dialect_name == "postgresql" else sqlite.dialect()
    parts = []
    for table in sorted(db.metadata.tables.values(), key=lambda t: t.name):
        parts.append(str(CreateTable(table).compile(dialect=dialect)))
        for index in sorted(table.indexes, key=lambda i: i.name or ""):
            parts.append(str(CreateIndex(index).compile(dialect=dialect)))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def dataset_key(dialect_name: str, orders: int, tasks: int) -> str:
    return f"o{orders}-t{tasks}-s{SEED}-{schema_hash(dialect_name)}"


# --- building -------------------------------------------------------------------------------


def build(url: str, orders: int, tasks: int) -> dict:
    """Fill an empty database at ``url``; return timings of each step."""
    from console.demo.seed import seed_demo
    from console.extensions import db
    from console.models import Client, Role, User
    from console.models.catalog import calling_hours_every_day
    from console.services.auth import create_user
    from console.services.scripts.library import load_files

    timings = {}
    app = make_app(url)
    with app.app_context():
        started = time.perf_counter()
        db.create_all()
        log(f"seeding {orders} orders with the demo-data generator ...")
        summary = seed_demo(orders=orders, seed=SEED)
        db.session.commit()
        timings["seed_demo_s"] = round(time.perf_counter() - started, 1)
        log(f"{summary} ({timings['seed_demo_s']} s)")

        started = time.perf_counter()
        paths = sorted(str(p) for p in (ROOT / "scripts_config").glob("*.yaml"))
        results = load_files(paths)
        db.session.commit()
        log(f"scripts loaded: {len(results)} files")

        # 50 operators; argon2 is slow on purpose, so hash once and share the hash.
        existing = set(db.session.scalars(sa.select(User.email)))
        template = None
        for n in range(1, OPERATORS + 1):
            email = OPERATOR_EMAIL.format(n)
            if email in existing:
                continue
            if template is None:
                template = create_user(
                    email=email,
                    name=f"Bench Operator {n:02d}",
                    password=PASSWORD,
                    role=Role.OPERATOR,
                    timezone="Europe/Moscow",
                )
            else:
                user = User(
                    email=email,
                    name=f"Bench Operator {n:02d}",
                    password_hash=template.password_hash,
                    role=Role.OPERATOR,
                    timezone="Europe/Moscow",
                )
                db.session.add(user)
        # Calls at any hour: the run must not depend on the time of day.
        for client in db.session.scalars(sa.select(Client)):
            client.calling_hours = calling_hours_every_day(dtime(0), dtime(0))
        db.session.commit()

        made = _insert_tasks(tasks)
        db.session.commit()
        timings["tasks_s"] = round(time.perf_counter() - started, 1)
        log(f"{made} due call tasks inserted ({timings['tasks_s']} s)")
        db.session.remove()
        db.engine.dispose()
    return timings


def _insert_tasks(wanted: int) -> int:
    """``wanted`` pending, due tasks spread evenly over all orders (every k-th order whose
    customer may be called), in batches with SQLAlchemy Core."""
    from console.extensions import db
    from console.models import CallTask, Customer, Order, TaskStatus

    eligible = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Order)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Customer.do_not_call.is_(False))
    )
    step = max(1, eligible // max(1, wanted))
    now = datetime.now(UTC).replace(microsecond=0)
    latest_due = now - timedelta(minutes=10)
    query = (
        sa.select(Order.id, Order.client_id, Order.customer_id, Order.completed_at)
        .join(Customer, Customer.id == Order.customer_id)
        .where(Customer.do_not_call.is_(False))
        .order_by(Order.id)
        .execution_options(yield_per=20_000)
    )
    rows, made, seen = [], 0, 0
    for order_id, client_id, customer_id, completed_at in db.session.execute(query):
        seen += 1
        if (seen - 1) % step or made >= wanted:
            continue
        rows.append(
            {
                "order_id": order_id,
                "purpose": "follow_up",
                "client_id": client_id,
                "customer_id": customer_id,
                "status": TaskStatus.PENDING,
                "due_at": min(completed_at + timedelta(days=3), latest_due),
                "attempts": 0,
                "max_attempts": 4,
                "is_callback": False,
                "created_at": now,
            }
        )
        made += 1
        if len(rows) >= 5000:
            db.session.execute(sa.insert(CallTask), rows)
            rows = []
    if rows:
        db.session.execute(sa.insert(CallTask), rows)
    return made


# --- SQLite ---------------------------------------------------------------------------------


def sqlite_dataset(orders: int, tasks: int) -> Dataset:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    key = dataset_key("sqlite", orders, tasks)
    pristine = DATA_DIR / f"bench-{key}.db"
    timing_file = pristine.with_suffix(".seconds")
    generated = False
    if not pristine.exists():
        for stale in DATA_DIR.glob(f"bench-o{orders}-t{tasks}-*"):
            stale.unlink()  # the same sizes on an older schema
        building = DATA_DIR / f"building-{key}.db"
        for leftover in DATA_DIR.glob(f"{building.name}*"):
            leftover.unlink()
        log(f"building the SQLite data set {pristine.name} (not cached) ...")
        started = time.perf_counter()
        build(f"sqlite:///{building}", orders, tasks)
        _checkpoint(building)
        building.rename(pristine)
        seconds = round(time.perf_counter() - started, 1)
        timing_file.write_text(str(seconds))
        generated = True
        log(f"SQLite data set built in {seconds} s")
    else:
        log(f"SQLite data set cached: {pristine.name}")
    seconds = float(timing_file.read_text()) if timing_file.exists() else None
    work = DATA_DIR / SQLITE_WORK
    started = time.perf_counter()
    for old in DATA_DIR.glob("work-sqlite*.db*"):
        owner = _run_pid(old.name)
        if owner is None or owner == os.getpid() or not _alive(owner):
            old.unlink()  # this run's, or left by a run that is gone
    shutil.copyfile(pristine, work)
    copy_seconds = round(time.perf_counter() - started, 1)
    return Dataset(
        "sqlite", f"sqlite:///{work}", key, generated, seconds, copy_seconds, orders, tasks
    )


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the main file, so a plain file copy is the whole database."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    finally:
        conn.close()


def drop_sqlite_work() -> None:
    for old in DATA_DIR.glob(f"{SQLITE_WORK}*"):
        old.unlink()


# --- PostgreSQL -----------------------------------------------------------------------------


def _pg_admin():
    return sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")


def _pg_url(name: str) -> str:
    return sa.engine.make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _pg_exists(conn, name: str) -> bool:
    return bool(
        conn.execute(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
    )


def _pg_meta(name: str) -> dict:
    engine = sa.create_engine(_pg_url(name))
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.text("SELECT key, value FROM bench_meta")).all()
            return dict(rows)
    except sa.exc.DBAPIError:
        return {}
    finally:
        engine.dispose()


def postgres_dataset(orders: int, tasks: int) -> Dataset:
    key = dataset_key("postgresql", orders, tasks)
    pristine = f"{PG_PREFIX}_o{orders}_t{tasks}_{schema_hash('postgresql')}"
    building = f"{pristine}_building"
    admin = _pg_admin()
    generated = False
    with admin.connect() as conn:
        have = _pg_exists(conn, pristine)
    meta = _pg_meta(pristine) if have else {}
    if meta.get("key") != key:
        log(f"building the PostgreSQL data set {key} (cached: {meta.get('key')}) ...")
        started = time.perf_counter()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)'))
            conn.execute(sa.text(f'CREATE DATABASE "{building}"'))
        url = _pg_url(building)
        build(url, orders, tasks)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            # Autovacuum would get there on its own; a fresh copy starts with its statistics.
            conn.execute(sa.text("VACUUM ANALYZE"))
        seconds = round(time.perf_counter() - started, 1)
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE bench_meta (key text PRIMARY KEY, value text)"))
            conn.execute(
                sa.text("INSERT INTO bench_meta VALUES ('key', :k), ('build_seconds', :s)"),
                {"k": key, "s": str(seconds)},
            )
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{pristine}" WITH (FORCE)'))
            conn.execute(sa.text(f'ALTER DATABASE "{building}" RENAME TO "{pristine}"'))
        generated = True
        meta = {"key": key, "build_seconds": str(seconds)}
        log(f"PostgreSQL data set built in {seconds} s")
    else:
        log(f"PostgreSQL data set cached: {pristine} ({key})")
    started = time.perf_counter()
    with admin.connect() as conn:
        working = conn.execute(
            sa.text("SELECT datname FROM pg_database WHERE datname LIKE 'qc\\_bench\\_run%'")
        ).scalars()
        for name in list(working):
            owner = _run_pid(name)
            if owner is None or owner == os.getpid() or not _alive(owner):
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{PG_WORK}" TEMPLATE "{pristine}"'))
    copy_seconds = round(time.perf_counter() - started, 1)
    admin.dispose()
    # A copy made from a template keeps the planner statistics; the visibility map too.
    return Dataset(
        "postgresql",
        _pg_url(PG_WORK),
        key,
        generated,
        float(meta["build_seconds"]) if meta.get("build_seconds") else None,
        copy_seconds,
        orders,
        tasks,
    )


def drop_postgres_work() -> None:
    admin = _pg_admin()
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{PG_WORK}" WITH (FORCE)'))
    admin.dispose()


def postgres_available() -> str | None:
    """None when the server answers, else why not."""
    try:
        admin = _pg_admin()
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        admin.dispose()
        return None
    except Exception as exc:  # reported; the PostgreSQL runs are skipped
        return f"{exc.__class__.__name__}: {exc}".splitlines()[0]
