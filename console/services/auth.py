"""Passwords, sign-in sessions and account state."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import bindparam, select, update

from console.extensions import db
from console.models import Role, User, UserSession, utcnow
from console.services import audit

_hasher = PasswordHasher()
# Verified against when the email is unknown, so timing does not reveal which accounts exist.
_DUMMY_HASH = _hasher.hash("not a real password")

# How often a session's last-seen time is written: not on every request.
_TOUCH_EVERY = timedelta(minutes=5)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None. Rehashes when argon2 parameters change."""
    user = db.session.scalar(select(User).where(User.email == normalise_email(email)))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


def start_session(user: User, *, ip: str | None, user_agent: str | None) -> UserSession:
    session = UserSession(user=user, ip=ip, user_agent=(user_agent or "")[:255])
    db.session.add(session)
    db.session.flush()
    user.current_session = session
    audit.record("auth.sign_in", actor=user, entity=user, ip=ip)
    return session


def load_session_user(token: str, *, max_age: timedelta, touch: bool = True) -> User | None:
    """The user behind a live session token; None when revoked, expired or deactivated.
    ``touch``: the request is the person's own doing, so it counts as activity."""
    row = db.session.execute(_session_statement(), {"token": token}).first()
    if row is None:
        return None
    session, user = row
    now = utcnow()
    if not user.active or now - session.last_seen_at > max_age:
        return None
    if touch and now - session.last_seen_at > _TOUCH_EVERY:
        session.last_seen_at = now
        db.session.commit()
    user.current_session = session
    return user


@cache
def _session_statement():
    """Built once: every request of a signed-in person runs it."""
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
