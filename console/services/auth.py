"""Passwords, sign-in sessions and account state."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app
from sqlalchemy import bindparam, select, update

from console.database import writing
from console.extensions import db
from console.models import Role, User, UserSession, utcnow
from console.services import audit, login_throttle

_hasher = PasswordHasher()
# Verified against when the email is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not a real password")

# How often a session's last-seen time is written: not on every request.
_TOUCH_EVERY = timedelta(minutes=5)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def use_password_hasher(hasher: PasswordHasher) -> PasswordHasher:
    """Hash and check passwords with ``hasher`` from now on; returns the one used until now.
    The tests use argon2's cheapest parameters (the real ones cost a fifth of a second per
    password); a hash made with other parameters still verifies, and is rewritten at sign-in."""
    global _hasher, _DUMMY_HASH
    previous, _hasher = _hasher, hasher
    _DUMMY_HASH = hasher.hash("not a real password")
    return previous


def normalise_email(email: str) -> str:
    return email.strip().lower()


class SignInBusy(RuntimeError):
    """Every password check of this process stayed taken: the person tries again shortly."""


@dataclass(frozen=True)
class SignIn:
    """What a sign-in attempt came to: the user, a refusal (too many failures), or neither
    (wrong email or password)."""

    user: User | None = None
    refusal: login_throttle.Refusal | None = None


def attempt_sign_in(email: str, password: str, *, address: str, now: datetime) -> SignIn:
    """Sign-in with the limits on guessing: refused, without checking the password, while the
    account or the address (``login_throttle.address_key``) is over its limit; a failure is
    counted and audited (the caller commits). Raises ``SignInBusy`` when the password checks
    of this process are all taken."""
    email = normalise_email(email)
    refusal = login_throttle.refusal(email, address, now=now)
    account = None if refusal else _account(email)
    db.session.rollback()  # only reads so far; see _verified
    if refusal is not None:
        return SignIn(refusal=refusal)
    user = _verified(account, password)
    if user is None:
        login_throttle.record_failure(email, address, now=now)
        audit.record("auth.sign_in_failed", details={"email": email})
        return SignIn()
    login_throttle.forget_own_failures(email, address)
    return SignIn(user=user)


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (no limits: ``attempt_sign_in`` has
    them). Rehashes when argon2 parameters change. Rolls back the session's transaction first:
    call it before any change."""
    account = _account(normalise_email(email))
    db.session.rollback()  # only reads so far; see _verified
    return _verified(account, password)


def _account(email: str):
    return db.session.execute(
        select(User.id, User.password_hash, User.active).where(User.email == email)
    ).first()


def _verified(account, password: str) -> User | None:
    """Check the password outside any transaction (argon2 takes a fifth of a second and 64 MB:
    no database lock is held meanwhile, and only ``LOGIN_HASH_SLOTS`` run at once per process),
    then load the user in a new transaction (the sign-in's writes go there), still active."""
    with _password_check_slot():
        try:
            _hasher.verify(account.password_hash if account else _DUMMY_HASH, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if account is None or not account.active:
            return None
        stale = _hasher.check_needs_rehash(account.password_hash)
        rehash = _hasher.hash(password) if stale else None
    user = db.session.get(User, account.id)
    if user is None or not user.active:
        return None
    if rehash is not None:
        user.password_hash = rehash
    return user


_SLOTS_KEY = "console.password_checks"
_slots_lock = threading.Lock()


@contextmanager
def _password_check_slot():
    """One of the process's ``LOGIN_HASH_SLOTS`` password checks, waited for at most
    ``LOGIN_HASH_WAIT_SECONDS``: sign-in cannot be used to take every core."""
    config = current_app.config
    slots = current_app.extensions.get(_SLOTS_KEY)
    if slots is None:
        with _slots_lock:
            slots = current_app.extensions.setdefault(
                _SLOTS_KEY, threading.BoundedSemaphore(config["LOGIN_HASH_SLOTS"])
            )
    if not slots.acquire(timeout=config["LOGIN_HASH_WAIT_SECONDS"]):
        raise SignInBusy
    try:
        yield
    finally:
        slots.release()


def start_session(user: User, *, ip: str | None, user_agent: str | None) -> UserSession:
    session = UserSession(user=user, ip=ip, user_agent=(user_agent or "")[:255])
    db.session.add(session)
    db.session.flush()
    user.current_session = session
    audit.record("auth.sign_in", actor=user, entity=user, ip=ip)
    return session


def load_session_user(token: str, *, max_age: timedelta) -> User | None:
    """The user behind a live session token; None when revoked, expired or deactivated."""
    row = db.session.execute(_session_statement(), {"token": token}).first()
    if row is None:
        return None
    session, user = row
    if not user.active or utcnow() - session.last_seen_at > max_age:
        return None
    user.current_session = session
    return user


def needs_touch(session: UserSession, now: datetime) -> bool:
    """Activity is written at most every few minutes, not on every request."""
    return now - session.last_seen_at > _TOUCH_EVERY


def touch_session(session_id: int, now: datetime) -> None:
    """Write a session's last-seen time in a small transaction of its own, on its own
    connection: a request that only reads never holds a write transaction for it."""
    with writing(), db.engine.begin() as connection:
        connection.execute(
            update(UserSession).where(UserSession.id == session_id).values(last_seen_at=now)
        )


@cache
def _session_statement():
    """Built once, with a parameter: every request of a signed-in person runs it, and building
    it per request cost 0.2 ms, a fifth of the lightest signed-in request (measured with the
    claim + render bench: GET /auth/csrf-token)."""
    return (
        select(UserSession, User)
        .join(User, UserSession.user_id == User.id)
        .where(UserSession.token == bindparam("token"), UserSession.revoked_at.is_(None))
    )


def end_session(user: User, *, ip: str | None = None) -> None:
    if user.current_session is not None and user.current_session.revoked_at is None:
        user.current_session.revoked_at = utcnow()
    audit.record("auth.sign_out", actor=user, entity=user, ip=ip)


def revoke_all_sessions(user: User) -> int:
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount


def create_user(
    *, email: str, name: str, password: str, role: Role, locale=None, timezone="UTC", by=None
) -> User:
    user = User(
        email=normalise_email(email),
        name=name,
        password_hash=hash_password(password),
        role=role,
        locale=locale,
        timezone=timezone,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", actor=by, entity=user, details={"role": str(role)})
    return user


def set_active(user: User, active: bool, *, by) -> None:
    """Deactivating signs the user out everywhere at once; their history stays."""
    if user.active == active:
        return
    user.active = active
    user.deactivated_at = None if active else utcnow()
    if not active:
        revoke_all_sessions(user)
    audit.record("user.activated" if active else "user.deactivated", actor=by, entity=user)
