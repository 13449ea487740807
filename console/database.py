"""Database engine behaviour that differs between SQLite and PostgreSQL.

SQLite runs in WAL mode with foreign keys on. Its Python driver opens transactions lazily
("deferred"), which lets two writers both read and then collide; ``immediate_transaction`` takes
the write lock up front for the few operations (claiming a call) that read-then-write under
concurrency. On PostgreSQL it only delimits the transaction: row locks do that job there.
"""

from __future__ import annotations

import threading
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
def immediate_transaction(*, keep_loaded: bool = False):
    """Run the block in its own transaction that holds SQLite's write lock from the start.

    Whatever the session had pending is committed first; the block's work is committed at the
    end, or rolled back if it raises.

    ``keep_loaded``: both commits leave the loaded objects as they are instead of expiring them
    (and reading them again on their next use). Only for a block that reads by query whatever it
    decides on, and whose own writes go through the session or are read back (the claim): then
    what it leaves loaded is what it committed.
    """
    session = db.session
    _commit(session, keep_loaded)
    with _one_writer_per_process():
        token = _begin_mode.set("IMMEDIATE")
        try:
            session.connection()  # emits BEGIN IMMEDIATE on SQLite
        finally:
            _begin_mode.reset(token)
        try:
            yield session
            _commit(session, keep_loaded)
        except Exception:
            session.rollback()
            raise


# SQLite has one write lock per database. Threads of one process that all ask for it poll it
# (the busy handler sleeps and retries), and under load an unlucky one can be passed over until
# its busy timeout runs out ("database is locked"). Queued on this lock instead, they sleep until
# it is their turn, and only one per process competes for SQLite's. Re-entrant: a write block
# may call a service that opens its own.
_WRITER = threading.RLock()


@contextmanager
def _one_writer_per_process():
    if db.engine.dialect.name != "sqlite":
        yield
        return
    if not _WRITER.acquire(timeout=_WRITER_WAIT_SECONDS):
        raise TimeoutError("another write of this process held the database for too long")
    try:
        yield
    finally:
        _WRITER.release()


_WRITER_WAIT_SECONDS = 30


def _commit(scoped, keep_loaded: bool) -> None:
    if not keep_loaded:
        scoped.commit()
        return
    session = scoped()
    expire, session.expire_on_commit = session.expire_on_commit, False
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire


def ping() -> None:
    db.session.execute(text("SELECT 1"))
