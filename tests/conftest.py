"""Fixtures: the app on SQLite by default, PostgreSQL where a test asks (``on_both_databases``,
``on_postgresql``; or ``TEST_DATABASE_URL``), a real Redis for RQ, and factories that read like
the product (``make_user``, ``login_as``).

Each test has its own app and a database of its own with the schema (built once per run and
database kind), and nothing cached from an earlier test.

Outside CI a test whose service is missing is skipped with the reason; with ``CI=true`` it fails.
"""

from __future__ import annotations

import gc
import os
import shutil
import uuid
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from flask.testing import FlaskClient
from jinja2 import BytecodeCache

from console import create_app
from console.extensions import db as _db
from console.models import (
    Client,
    Customer,
    CustomerPhone,
    Order,
    Role,
    Technician,
    User,
    WorkType,
    utcnow,
)
from console.services import auth as auth_service
from console.services.scripts import library as script_service

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres:postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
PASSWORD = "correct horse battery"


def service_missing(what: str, why: str):
    """Skip on a developer's machine; fail in CI, where every service must be there."""
    message = f"{what} is not available: {why}"
    if IN_CI:
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


# --- process state -------------------------------------------------------------------------


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashing():
    """argon2 with its cheapest parameters: the same code without a fifth of a second and 64 MB
    per password, which was most of the suite's time (people are made and sign in everywhere)."""
    previous = auth_service.use_password_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
    yield
    auth_service.use_password_hasher(previous)


@pytest.fixture(scope="session", autouse=True)
def _fewer_full_garbage_collections():
    """Every test leaves a whole app behind for the collector, and SQLAlchemy's caches keep some
    of each: with Python's default thresholds, full collections over that growing heap cost
    several seconds of a run. Collect the young generation less often and the old one rarely."""
    previous = gc.get_threshold()
    gc.set_threshold(10_000, 20, 20)
    yield
    gc.set_threshold(*previous)


@pytest.fixture(autouse=True)
def _no_cached_data():
    """What a process keeps between requests (the published script definitions) starts empty
    in each test, as after a restart."""
    script_service.clear_cache()
    yield
    script_service.clear_cache()


# --- databases ------------------------------------------------------------------------------
#
# The schema is built once per session and per database kind; each test gets it fresh: on
# SQLite a copy of a template file, on PostgreSQL one database of the session emptied after each
# test (deleting the rows of a few small tables is far cheaper there than creating and dropping
# a database). Tests of the migrations ask for ``empty_database_url`` instead.


def _postgres_admin():
    try:
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect():
            pass
    except Exception as exc:
        service_missing("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {exc.__class__.__name__}: {exc}")
    return admin


@contextmanager
def _new_postgres_database(admin):
    """A database of its own; yields its URL; dropped afterwards."""
    name = f"qc_test_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _create_schema(url: str) -> None:
    engine = sa.create_engine(url)
    try:
        _db.metadata.create_all(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file holding the schema and nothing else (no WAL: one file to copy)."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    _create_schema(f"sqlite:///{path}")
    return path


class _PostgresDatabase:
    """The session's PostgreSQL database with the schema, emptied after each test."""

    def __init__(self, url: str):
        self.url = url
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)

    def empty(self) -> None:
        name = self.engine.url.database
        with self.engine.begin() as conn:
            # What a test left connected (its threads, another app) would hold locks.
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
            # Without the foreign keys' triggers: the rows go in any order.
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for table in _db.metadata.sorted_tables:
                conn.execute(table.delete())
            sequences = conn.scalars(
                sa.text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
            ).all()
            for sequence in sequences:
                conn.execute(sa.text(f'ALTER SEQUENCE "{sequence}" RESTART'))


@pytest.fixture(scope="session")
def _postgres_database():
    admin = _postgres_admin()
    with _new_postgres_database(admin) as url:
        _create_schema(url)
        database = _PostgresDatabase(url)
        try:
            yield database
        finally:
            database.engine.dispose()
    admin.dispose()


@pytest.fixture(params=["sqlite"])
def database_kind(request) -> str:
    """SQLite unless a test module asks for both (``on_both_databases``) or PostgreSQL."""
    return request.param


on_both_databases = pytest.mark.parametrize(
    "database_kind",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)
on_postgresql = pytest.mark.parametrize(
    "database_kind", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def database_url(request, database_kind, tmp_path: Path):
    """A database with the schema and no rows. SQLite: a file (so several connections see the
    same data), or ``TEST_DATABASE_URL`` where set."""
    if hasattr(request, "param"):
        pytest.fail("choose the database with on_both_databases or on_postgresql", pytrace=False)
    if database_kind == "postgresql":
        database = request.getfixturevalue("_postgres_database")
        try:
            yield database.url
        finally:
            database.empty()
        return
    env_url = os.environ.get("TEST_DATABASE_URL")
    if env_url:
        _create_schema(env_url)
        try:
            yield env_url
        finally:
            engine = sa.create_engine(env_url)
            _db.metadata.drop_all(engine)  # a shared database: leave it empty for the next test
            engine.dispose()
        return
    path = tmp_path / "test.db"
    shutil.copyfile(request.getfixturevalue("_sqlite_template"), path)
    yield f"sqlite:///{path}"


@pytest.fixture
def empty_database_url(database_kind, tmp_path: Path):
    """A database with nothing in it, not even the schema (for the migrations)."""
    if database_kind == "postgresql":
        admin = _postgres_admin()
        with _new_postgres_database(admin) as url:
            yield url
        admin.dispose()
        return
    yield f"sqlite:///{tmp_path / 'empty.db'}"


class ConsoleTestClient(FlaskClient):
    """The tests keep one app context pushed, and Flask reuses it for requests, so ``g`` (where
    Flask-Login caches the signed-in user and Flask-Babel the locale) would leak from one
    request to the next. Each request starts with an empty ``g``, as in production."""

    def open(self, *args, **kwargs):
        from flask import g, has_app_context

        if has_app_context():
            for name in list(g):
                g.pop(name)
            # In production a request starts with no transaction; here the test's session
            # lives on between requests. End what the test (or the last request) left open, so
            # a request begins its transactions as it would deployed (console/database.py).
            if _db.session().in_transaction():
                _db.session.commit()
        response = super().open(*args, **kwargs)
        if has_app_context() and _db.session().in_transaction():
            _db.session.rollback()  # as the request's teardown does deployed: uncommitted is lost
        return response


class _InMemoryBytecodeCache(BytecodeCache):
    """Jinja's compiled templates kept in memory; Jinja checks each against its source."""

    def __init__(self):
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket):
        if (code := self.compiled.get(bucket.key)) is not None:
            bucket.bytecode_from_string(code)

    def dump_bytecode(self, bucket):
        self.compiled[bucket.key] = bucket.bytecode_to_string()


# Every test builds its own app; they share the compiled templates (compiling them again for
# each app was a good part of a test's time).
_COMPILED_TEMPLATES = _InMemoryBytecodeCache()


def _build_app(database_url: str, **overrides):
    """An app on a database that already has the schema (``database_url``)."""
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "WTF_CSRF_ENABLED": False,
        "REDIS_URL": None,
        "SECRET_KEY": "test-secret",
        "SERVER_NAME": None,
    }
    config.update(overrides)
    app = create_app(config)
    app.test_client_class = ConsoleTestClient
    app.jinja_env.bytecode_cache = _COMPILED_TEMPLATES
    return app


@pytest.fixture
def app_config() -> dict:
    """Override in a test module to change the app's configuration."""
    return {}


@pytest.fixture
def app(database_url, app_config):
    app = _build_app(database_url, **app_config)
    ctx = app.app_context()
    ctx.push()
    try:
        yield app
    finally:
        _db.session.remove()
        _db.engine.dispose()
        ctx.pop()


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# --- Redis ---------------------------------------------------------------------------------


@pytest.fixture
def redis_url():
    from redis import Redis
    from redis.exceptions import RedisError

    conn = Redis.from_url(REDIS_URL)
    try:
        conn.ping()
    except RedisError as exc:
        service_missing("Redis", f"{REDIS_URL}: {exc}")
    conn.flushdb()
    yield REDIS_URL
    conn.flushdb()
    conn.close()


# --- factories -----------------------------------------------------------------------------


@pytest.fixture
def make_user(db):
    counter = iter(range(1, 10_000))

    def make(role: Role = Role.OPERATOR, *, email=None, name=None, password=PASSWORD, **kw):
        n = next(counter)
        user = auth_service.create_user(
            email=email or f"{role.value}{n}@example.test",
            name=name or f"{role.value.title()} {n}",
            password=password,
            role=role,
            **kw,
        )
        db.session.commit()
        return user

    return make


@pytest.fixture
def login_as(client, make_user):
    """Sign a test client in through the real sign-in form; returns the user."""

    def login(role_or_user, password=PASSWORD):
        user = role_or_user if isinstance(role_or_user, User) else make_user(role_or_user)
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)
        return user

    return login


@pytest.fixture
def make_order(db):
    counter = iter(range(1, 1_000_000))

    def make(*, client=None, customer=None, technician=None, work_type=None, **fields):
        n = next(counter)
        client = client or db.session.scalar(sa.select(Client).where(Client.key == "acme"))
        if client is None:
            client = Client(key="acme", name="Acme Auto", timezone="Europe/Moscow")
            db.session.add(client)
        work_type = work_type or db.session.scalar(sa.select(WorkType).where(WorkType.key == "oil"))
        if work_type is None:
            work_type = WorkType(key="oil", name="Oil change")
            db.session.add(work_type)
        if customer is None:
            customer = Customer(client=client, name=f"Customer {n}")
            customer.phones.append(CustomerPhone(e164=f"+7912{n:07d}", is_primary=True))
            db.session.add(customer)
        if technician is None:
            technician = Technician(name=f"Technician {n}", client=client)
            db.session.add(technician)
        order = Order(
            client=client,
            external_id=fields.pop("external_id", f"A-{n:05d}"),
            customer=customer,
            phone=customer.phones[0].e164 if customer.phones else None,
            work_type=work_type,
            technician=technician,
            amount=fields.pop("amount", Decimal("12500.00")),
            completed_at=fields.pop("completed_at", utcnow()),
            **fields,
        )
        db.session.add(order)
        db.session.commit()
        return order

    return make


@pytest.fixture
def build_app(database_url):
    """Build another app (say, with Redis configured) on the test's database."""
    built = []

    def build(url: str = database_url, **overrides):
        built.append(_build_app(url, **overrides))
        return built[-1]

    yield build
    for app in built:
        with app.app_context():
            _db.engine.dispose()
