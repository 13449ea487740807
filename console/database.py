"""Database engine behaviour that differs between SQLite and PostgreSQL.

SQLite runs in WAL mode with foreign keys on. Its Python driver opens transactions lazily
("deferred"), which lets two writers both read and then collide; ``immediate_transaction`` takes
the write lock up front for the few operations (claiming a call) that read-then-write under
concurrency. On PostgreSQL it only delimits the transaction: row locks do that job there.
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event, text
from sqlalchemy.engine import Engine

from console.extensions import db

_begin_mode: ContextVar[str] = ContextVar("sqlite_begin_mode", default="DEFERRED")


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_conn, _record):
        # Let SQLAlchemy, not the driver, decide when a transaction begins.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _sqlite_begin(conn):
        conn.exec_driver_sql(f"BEGIN {_begin_mode.get()}")


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


@contextmanager
def immediate_transaction():
    """Run the block in its own transaction that holds SQLite's write lock from the start.

    Whatever the session had pending is committed first; the block's work is committed at the
    end, or rolled back if it raises.
    """
    session = db.session
    session.commit()
    token = _begin_mode.set("IMMEDIATE")
    try:
        session.connection()  # emits BEGIN IMMEDIATE on SQLite
    finally:
        _begin_mode.reset(token)
    try:
        yield session
        session.commit()
    except Exception:
        session.rollback()
        raise


def ping() -> None:
    db.session.execute(text("SELECT 1"))
