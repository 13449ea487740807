"""The data layer behaves the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from console.models import (
    AnswerOption,
    AuditEntry,
    AuditLogIsAppendOnly,
    CallScript,
    Order,
    PublishedVersionChanged,
    Question,
    QuestionKind,
    ScriptVersion,
    utcnow,
)
from console.services import audit
from tests.helpers import on_both_databases


@on_both_databases
def test_migrations_build_exactly_the_models_schema(empty_database_url):
    """`flask db upgrade` from nothing gives the schema the models describe, and downgrades."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from flask_migrate import downgrade, upgrade

    from console import create_app
    from console.extensions import db
    from console.models.customers import (
        NAME_SEARCH_INDEX,
        NAME_SEARCH_TABLE,
        is_name_search_object,
    )

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "REDIS_URL": None,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
    )
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            # The name search index is DDL of its own, compared by name only (as migrations/env.py
            # tells autogenerate): it is there on both kinds of database.
            ignored = {"include_name": lambda name, type_, parents: not is_name_search_object(name)}
            diff = compare_metadata(MigrationContext.configure(conn, opts=ignored), db.metadata)
            names = set(sa.inspect(conn).get_table_names())
            names |= {ix["name"] for ix in sa.inspect(conn).get_indexes("customers")}
            assert {NAME_SEARCH_TABLE, NAME_SEARCH_INDEX} & names
        assert diff == []
        downgrade(revision="base")
        assert sa.inspect(db.engine).get_table_names() == ["alembic_version"]
        db.engine.dispose()


@on_both_databases
def test_migrations_upgrade_a_database_that_holds_data(empty_database_url):
    """A console in use upgrades in place: tables that others point at are rebuilt on SQLite
    (batch mode) without tripping the foreign keys, and every row survives."""
    from flask_migrate import downgrade, upgrade

    from console import create_app
    from console.extensions import db

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "REDIS_URL": None,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
    )
    # 2026-11-01 10:00 UTC, as the UTCDateTime type writes it.
    rows = {
        "clients": "INSERT INTO clients (id, key, name, timezone, currency, country, active,"
        " calling_hours_start, calling_hours_end, sla_working_time_only, working_hours,"
        " created_at) VALUES (1, 'g', 'Garage', 'Europe/Moscow', 'RUB', 'RU', true, '09:00:00',"
        " '20:00:00', false, '{}', '2026-11-01 10:00:00')",
        "work_types": "INSERT INTO work_types (id, key, name, sample_percent, created_at)"
        " VALUES (1, 'oil', 'Oil', 100, '2026-11-01 10:00:00')",
        "customers": "INSERT INTO customers (id, client_id, name, do_not_call, created_at)"
        " VALUES (1, 1, 'Ivan', false, '2026-11-01 10:00:00')",
        "orders": "INSERT INTO orders (id, client_id, external_id, customer_id, work_type_id,"
        " amount, completed_at, blocked_technician_flag, created_at) VALUES"
        " (1, 1, 'A-1', 1, 1, 100, '2026-11-01 10:00:00', false, '2026-11-01 10:00:00')",
        "complaints": "INSERT INTO complaints (id, kind, category, source, status, order_id,"
        " client_id, customer_id, snapshot, created_at) VALUES (1, 'complaint', 'quality',"
        " 'call', 'new', 1, 1, 1, '{}', '2026-11-01 10:00:00')",
        "complaint_events": "INSERT INTO complaint_events (id, complaint_id, at, kind) VALUES"
        " (1, 1, '2026-11-01 10:00:00', 'created')",
        # Recorded with the signed-in user's proxy before audit entries named the user.
        "audit_log": "INSERT INTO audit_log (id, at, action, entity_type, entity_id) VALUES"
        " (1, '2026-11-01 10:00:00', 'auth.sign_out', 'LocalProxy', '1')",
    }
    with app.app_context():
        upgrade(revision="93adb0f768e9")  # the schema before the QC desk
        with db.engine.begin() as conn:
            for sql in rows.values():
                conn.exec_driver_sql(sql)
        upgrade()
        with db.engine.connect() as conn:
            for table in rows:
                count = sa.select(sa.func.count()).select_from(sa.table(table))
                assert conn.execute(count).scalar() == 1
            if conn.dialect.name == "sqlite":
                assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
            entity = conn.exec_driver_sql("SELECT entity_type FROM audit_log").scalar()
            assert entity == "User"
        downgrade(revision="base")
        db.engine.dispose()


@on_both_databases
def test_times_come_back_as_aware_utc(db, make_order):
    moscow = timezone(timedelta(hours=3))
    order = make_order(completed_at=datetime(2026, 11, 19, 14, 5, tzinfo=moscow))
    db.session.expire_all()
    stored = db.session.get(Order, order.id).completed_at
    assert stored == datetime(2026, 11, 19, 11, 5, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


@on_both_databases
def test_a_naive_time_is_refused(db, make_order):
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        make_order(completed_at=datetime(2026, 11, 19, 14, 5))


@on_both_databases
def test_order_number_is_unique_per_client(db, make_order):
    first = make_order(external_id="A-1")
    with pytest.raises(IntegrityError):
        make_order(external_id="A-1", client=first.client)
    db.session.rollback()


@on_both_databases
def test_money_keeps_its_cents(db, make_order):
    order = make_order(amount=Decimal("12500.50"))
    db.session.expire_all()
    assert db.session.get(Order, order.id).amount == Decimal("12500.50")


@on_both_databases
def test_audit_log_is_append_only(db):
    entry = audit.record("test.happened", details={"x": 1})
    db.session.commit()
    entry.action = "test.rewritten"
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(AuditLogIsAppendOnly):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(AuditEntry, entry.id).action == "test.happened"


def _published_script(db) -> ScriptVersion:
    script = CallScript(key="base", name="Base follow-up")
    version = ScriptVersion(script=script, number=1, created_at=utcnow(), intro="Hello")
    question = Question(
        version=version,
        position=1,
        key="overall",
        text="Satisfied?",
        kind=QuestionKind.SINGLE,
        weight=Decimal(3),
    )
    question.options.append(AnswerOption(position=1, key="good", label="Yes", points=5))
    db.session.add(script)
    db.session.commit()
    version.published_at = utcnow()  # publishing: the one change allowed
    db.session.commit()
    return version


@on_both_databases
def test_a_published_script_version_never_changes(db):
    version = _published_script(db)
    option = version.questions[0].options[0]

    option.points = Decimal(1)
    with pytest.raises(PublishedVersionChanged):
        db.session.commit()
    db.session.rollback()

    version.questions[0].options.append(AnswerOption(position=2, key="bad", label="No"))
    with pytest.raises(PublishedVersionChanged):
        db.session.commit()
    db.session.rollback()

    db.session.delete(version.questions[0])
    with pytest.raises(PublishedVersionChanged):
        db.session.commit()
    db.session.rollback()

    version.published_at = None
    with pytest.raises(PublishedVersionChanged):
        db.session.commit()
    db.session.rollback()

    db.session.expire_all()
    assert [o.points for o in db.session.get(ScriptVersion, version.id).questions[0].options] == [
        Decimal(5)
    ]
