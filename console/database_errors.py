"""What a database error means for the person who sent the request.

Only a lost or refused connection is "the console cannot reach its database". A lock that was
not granted in time is "busy, try again"; bad data or a broken constraint that slipped past the
forms is a bug in the console (logged as one), answered with a 4xx, not an outage.
"""

from __future__ import annotations

from enum import Enum

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError


class Meaning(Enum):
    DOWN = "down"  # 503 "cannot reach the database"
    BUSY = "busy"  # 503 "busy, try again", with Retry-After
    BAD_DATA = "bad_data"  # 400, a bug
    CONFLICT = "conflict"  # 409, a bug
    BUG = "bug"  # 500


# PostgreSQL SQLSTATEs (https://www.postgresql.org/docs/current/errcodes-appendix.html).
_PG_BUSY = {
    "40001",  # serialization_failure
    "40P01",  # deadlock_detected
    "55P03",  # lock_not_available
    "57014",  # query_canceled (statement_timeout, lock_timeout)
}
_PG_DOWN = {"57P01", "57P02", "57P03"}  # admin_shutdown, crash_shutdown, cannot_connect_now
# SQLite: the driver says it only in words.
_SQLITE_BUSY = ("database is locked", "database table is locked", "database is busy")
_SQLITE_DOWN = ("unable to open database", "disk i/o error", "database disk image is malformed")


def meaning(error: DBAPIError) -> Meaning:
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return Meaning.DOWN
    if isinstance(error, IntegrityError):
        return Meaning.CONFLICT
    if isinstance(error, DataError):
        return Meaning.BAD_DATA
    orig = error.orig
    sqlstate = getattr(orig, "sqlstate", None)
    if _is_postgres(orig):
        if sqlstate is None or sqlstate.startswith("08") or sqlstate in _PG_DOWN:
            # No SQLSTATE: the client library's own error (no server answered).
            return Meaning.DOWN
        if sqlstate in _PG_BUSY or sqlstate.startswith("53"):  # 53: out of connections, memory
            return Meaning.BUSY
        return Meaning.BUG
    text = str(orig).lower()
    if any(words in text for words in _SQLITE_BUSY):
        return Meaning.BUSY
    if any(words in text for words in _SQLITE_DOWN):
        return Meaning.DOWN
    return Meaning.BUG


def _is_postgres(orig) -> bool:
    return type(orig).__module__.startswith("psycopg")
