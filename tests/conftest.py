"""Fixtures: the app on SQLite by default, PostgreSQL where a test asks (or ``TEST_DATABASE_URL``),
a real Redis for RQ, and factories that read like the product (``make_user``, ``login_as``).

Outside CI a test whose service is missing is skipped with the reason; with ``CI=true`` it fails.
"""

from __future__ import annotations

import os
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

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


# --- databases ------------------------------------------------------------------------------


def _postgres_database():
    """Create a throwaway database; yield its URL; drop it."""
    try:
        admin = sa.create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = f"qc_test_{uuid.uuid4().hex[:10]}"
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:
        service_missing("PostgreSQL", f"{POSTGRES_ADMIN_URL}: {exc.__class__.__name__}: {exc}")
    url = sa.engine.make_url(POSTGRES_ADMIN_URL).set(database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


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


def _build_app(database_url: str, **overrides):
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
    with app.app_context():
        _db.create_all()
    return app


@pytest.fixture(params=["sqlite"])
def database_url(request, tmp_path: Path):
    """SQLite (a file, so several connections see the same data) unless TEST_DATABASE_URL says
    otherwise; data-layer tests add "postgresql" with ``on_both_databases``."""
    if request.param == "postgresql":
        yield from _postgres_database()
        return
    env_url = os.environ.get("TEST_DATABASE_URL")
    if env_url:
        yield env_url
        return
    yield f"sqlite:///{tmp_path / 'test.db'}"


on_both_databases = pytest.mark.parametrize(
    "database_url",
    ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
    indirect=True,
)


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
        if database_url == os.environ.get("TEST_DATABASE_URL"):
            _db.drop_all()  # a shared database: leave it empty for the next test
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
def build_app():
    """Build another app (say, with Redis configured) on a given database URL."""
    built = []

    def build(database_url: str, **overrides):
        built.append(_build_app(database_url, **overrides))
        return built[-1]

    yield build
    for app in built:
        with app.app_context():
            if app.config["SQLALCHEMY_DATABASE_URI"] == os.environ.get("TEST_DATABASE_URL"):
                _db.drop_all()
            _db.engine.dispose()
