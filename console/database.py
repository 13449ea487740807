"""Database engine behaviour that differs between SQLite and PostgreSQL.

SQLite has one write lock per database file. A transaction that read first and then writes must
upgrade its lock, and in WAL mode that upgrade fails at once with "database is locked" when
another writer committed meanwhile: the busy timeout never applies. So on SQLite every unit of
work that writes takes the write lock when it begins (``BEGIN IMMEDIATE``), and waits for it:

- a request that may write (POST, PUT, PATCH, DELETE) begins its transactions IMMEDIATE until
  its first commit (what it reads afterwards to render runs without the lock);
- a job, and any block in ``unit_of_work()``, likewise;
- GET requests read in deferred transactions (readers never wait in WAL mode); one that must
  write does it in ``unit_of_work()``;
- ``read_only()`` is a deferred block that ends its transaction: the reads a POST does before
  slow work that needs no lock (checking a password) or a job's scan before an idempotent write.

A write in a deferred transaction of a request is a bug: under tests it raises, in production it
is logged. On PostgreSQL the modes change nothing: row locks (``SELECT ... FOR UPDATE``) do the
job there.
"""

from __future__ import annotations

import functools
import logging
import threading
from contextlib import contextmanager
from contextvars import ContextVar

from flask import current_app, g, has_app_context, has_request_context, request
from sqlalchemy import event, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from console.extensions import db

log = logging.getLogger(__name__)

IMMEDIATE, DEFERRED = "IMMEDIATE", "DEFERRED"
WRITING_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Set by unit_of_work(), read_only() and jobs; unset, the request's method decides.
_mode_override: ContextVar[str | None] = ContextVar("sqlite_begin_mode", default=None)


class WriteOutsideWriteLock(RuntimeError):
    """A request wrote to SQLite in a transaction that did not take the write lock first."""


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
        mode = _begin_mode()
        conn.info["sqlite_begin"] = mode, _serving()
        conn.exec_driver_sql(f"BEGIN {mode}")

    @event.listens_for(engine, "commit")
    def _sqlite_commit(conn):
        if has_request_context():
            g._db_committed = True


def mark_request_served() -> None:
    """``before_request`` hook: this request is being served (not a test's request context)."""
    g._db_serving = True


def _serving() -> bool:
    return has_request_context() and g.get("_db_serving", False)


def _begin_mode() -> str:
    mode = _mode_override.get()
    if mode is not None:
        return mode
    if (
        has_request_context()
        and request.method in WRITING_METHODS
        and not g.get("_db_committed", False)
    ):
        return IMMEDIATE
    return DEFERRED


@event.listens_for(Session, "before_flush")
def _writes_hold_the_lock(session: Session, _context, _instances) -> None:
    """Catch the read-then-write that SQLite cannot serialize (see the module docstring)."""
    if not _serving() or not (session.new or session.dirty or session.deleted):
        return
    bind = session.get_bind()
    if bind.dialect.name != "sqlite" or not session.in_transaction():
        return
    mode, in_request = session.connection().info.get("sqlite_begin", (IMMEDIATE, False))
    if mode == IMMEDIATE or not in_request:
        return
    message = f"{request.endpoint}: writes in a transaction begun without SQLite's write lock"
    if has_app_context() and current_app.testing:
        raise WriteOutsideWriteLock(message)
    log.error(message)


def is_sqlite() -> bool:
    return db.engine.dialect.name == "sqlite"


@contextmanager
def _begin_as(mode: str):
    token = _mode_override.set(mode)
    try:
        yield
    finally:
        _mode_override.reset(token)


@contextmanager
def writing():
    """Transactions begun in the block take SQLite's write lock first (a job's work)."""
    with _begin_as(IMMEDIATE):
        yield


@contextmanager
def read_only():
    """Run the block's reads in a transaction of their own, without the write lock, and end it
    (rolled back: the block must not write) when the block ends."""
    session = db.session
    if session().in_transaction():
        session.commit()  # whatever was pending stays the caller's own unit of work
    with _begin_as(DEFERRED):
        try:
            yield session
        finally:
            session.rollback()


@contextmanager
def unit_of_work(*, keep_loaded: bool = False):
    """A unit of work that owns its transaction: the block runs in a transaction of its own
    that holds SQLite's write lock from the start (PostgreSQL: row locks taken inside it), and
    is committed at the end, or rolled back if it raises. For the few services that must commit
    themselves (a claim, a submit, a job's batch) and for a GET that writes; everything else
    changes the session and lets the request, command or job commit once.

    Whatever the session had pending is committed first.

    ``keep_loaded``: both commits leave the loaded objects as they are instead of expiring them
    (and reading them again on their next use). Only for a block that reads by query whatever it
    decides on, and whose own writes go through the session or are read back (the claim): then
    what it leaves loaded is what it committed.
    """
    session = db.session
    _commit(session, keep_loaded)
    with _one_writer_per_process(), _begin_as(IMMEDIATE):
        session.connection()  # emits BEGIN IMMEDIATE on SQLite
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


# PostgreSQL's "try the transaction again": a deadlock it broke, or a serialization failure.
_TRY_AGAIN = frozenset({"40P01", "40001"})


def retried_when_deadlocked(func, attempts: int = 3):
    """Run a unit of work that owns its transaction (and rolls it back when it raises) again
    when PostgreSQL broke a deadlock by failing it; the last failure is raised."""

    @functools.wraps(func)
    def run(*args, **kwargs):
        for attempt in range(1, attempts + 1):
            try:
                return func(*args, **kwargs)
            except DBAPIError as error:
                if getattr(error.orig, "sqlstate", None) not in _TRY_AGAIN or attempt == attempts:
                    raise
                db.session.rollback()
                log.warning("%s: %s, trying again", func.__name__, type(error.orig).__name__)
        raise AssertionError("unreachable")

    return run


def ping() -> None:
    db.session.execute(text("SELECT 1"))
