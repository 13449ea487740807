"""API tokens: made by an admin (or ``flask api-token create``), shown once, kept only as a hash.

A token is ``qcc_`` and 43 random URL-safe characters (256 bits). The database keeps its SHA-256
(a token that strong needs no slow password hash: nobody can guess one to compare) and, in
clear, its first 12 characters (``prefix``) so lists and the audit log can tell tokens apart.

Each token carries scopes and can do nothing else; ``console.access.token_required`` declares
which scope a view needs. Requests are counted per token over a fixed one-minute window in the
database (``API_RATE_LIMIT_PER_MINUTE``, default 600; 0 turns the limit off), so every process
of every host shares the count, with or without Redis. ``last_used_at`` is written at most once
a minute per token, not on every request.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import case, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from console.database import is_sqlite
from console.extensions import db
from console.models import ApiRateWindow, ApiToken, User, utcnow
from console.services import audit

TOKEN_START = "qcc_"  # noqa: S105 - what every token starts with, not a secret
PREFIX_LENGTH = 12  # "qcc_" and 8 random characters
MAX_TOKEN_LENGTH = 200  # anything longer is not one of ours: no hashing of huge headers

ORDERS_WRITE = "orders:write"
COMPLAINTS_READ = "complaints:read"
TELEPHONY = "telephony"
REPORTS_READ = "reports:read"

# What each scope lets a token do, in English for the CLI and the API's documentation (the
# admin page has its own, translated, labels). Each is the least a system needs for its one
# job: a payroll script reading the technicians' KPI gets ``reports:read``, not complaints.
SCOPES = {
    ORDERS_WRITE: "send completed orders (POST /api/v1/orders)",
    COMPLAINTS_READ: "read complaints (GET /api/v1/complaints)",
    TELEPHONY: "report call events and recordings (POST /api/v1/calls/events)",
    REPORTS_READ: "read reports: the technicians' KPI (GET /api/v1/technicians/kpi)",
}
ISSUABLE = tuple(SCOPES)

DEFAULT_RATE_LIMIT = 600  # requests per token and minute
RATE_WINDOW = timedelta(minutes=1)
TOUCH_EVERY = timedelta(minutes=1)


class TokenRefused(ValueError):
    """The token could not be made; ``args[0]`` says why (English, for the CLI and the form)."""


@dataclass(frozen=True, slots=True)
class NewToken:
    token: ApiToken
    secret: str  # the token itself: shown once, never stored


@dataclass(frozen=True, slots=True)
class Caller:
    """The token behind an API request, as plain values (no row kept across transactions)."""

    id: int
    name: str
    prefix: str
    scopes: frozenset[str]
    last_used_at: datetime | None


def hash_token(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _clean_scopes(scopes) -> list[str]:
    chosen = []
    for scope in scopes:
        scope = str(scope).strip()
        if scope not in SCOPES:
            raise TokenRefused(f"unknown scope {scope!r} (known: {', '.join(ISSUABLE)})")
        if scope not in chosen:
            chosen.append(scope)
    if not chosen:
        raise TokenRefused("choose at least one scope")
    return sorted(chosen)


def create_token(
    name: str, scopes, *, by: User | None = None, now: datetime | None = None
) -> NewToken:
    """Make a token with these scopes (the caller commits). The secret is in the result only."""
    name = " ".join((name or "").split())
    if not name:
        raise TokenRefused("a token needs a name (what uses it: the shop's system, the PBX...)")
    if len(name) > 100:
        raise TokenRefused("the name can have at most 100 characters")
    chosen = _clean_scopes(scopes)
    secret = TOKEN_START + secrets.token_urlsafe(32)
    token = ApiToken(
        name=name,
        scopes=chosen,
        token_hash=hash_token(secret),
        prefix=secret[:PREFIX_LENGTH],
        created_by_id=by.id if by is not None else None,
        created_at=now or utcnow(),
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        "api_token.created",
        actor=by,
        entity=token,
        details={"name": name, "scopes": chosen, "prefix": token.prefix},
    )
    return NewToken(token, secret)


def revoke(token: ApiToken, *, by: User | None = None, now: datetime | None = None) -> bool:
    """Refuse the token from now on (the caller commits); False when it already was."""
    if token.revoked_at is not None:
        return False
    token.revoked_at = now or utcnow()
    audit.record(
        "api_token.revoked",
        actor=by,
        entity=token,
        details={"name": token.name, "prefix": token.prefix},
    )
    return True


def all_tokens() -> list[ApiToken]:
    """Active tokens first, newest first."""
    return list(
        db.session.scalars(
            select(ApiToken).order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())
        )
    )


def authenticate(secret: str | None) -> Caller | None:
    """The active token whose secret this is, or None (unknown, malformed or revoked)."""
    if not secret or not secret.startswith(TOKEN_START) or len(secret) > MAX_TOKEN_LENGTH:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(secret)))
    if token is None or token.revoked_at is not None:
        return None
    return Caller(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        scopes=frozenset(token.scopes or ()),
        last_used_at=token.last_used_at,
    )


def rate_limit() -> int:
    return int(current_app.config.get("API_RATE_LIMIT_PER_MINUTE", DEFAULT_RATE_LIMIT))


def count_request(caller: Caller, now: datetime) -> int | None:
    """Count one request of this token in the current minute and note when it was used; the
    seconds to wait when it is over the limit, else None. Writes: run it in a unit of work.

    One row per token (``api_rate_windows``), moved to the new minute by the first request in
    it: one upsert, whose row lock orders concurrent requests on PostgreSQL (SQLite: the
    write lock the unit of work holds)."""
    window = now.replace(second=0, microsecond=0)
    insert = sqlite_insert if is_sqlite() else pg_insert
    table = ApiRateWindow.__table__
    statement = (
        insert(table)
        .values(token_id=caller.id, window_start=window, count=1)
        .on_conflict_do_update(
            index_elements=[table.c.token_id],
            set_={
                "count": case((table.c.window_start == window, table.c.count + 1), else_=1),
                "window_start": window,
            },
        )
        .returning(table.c.count)
    )
    count = db.session.execute(statement).scalar_one()
    if caller.last_used_at is None or now - caller.last_used_at >= TOUCH_EVERY:
        db.session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == caller.id,
                or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - TOUCH_EVERY),
            )
            .values(last_used_at=now)
        )
    limit = rate_limit()
    if limit <= 0 or count <= limit:
        return None
    return max(1, math.ceil((window + RATE_WINDOW - now).total_seconds()))
