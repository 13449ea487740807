"""One-time links to set a new password, made by an admin for a member of staff.

* ``issue`` makes a link's token (256 random bits) and stores only its SHA-256: the table alone
  opens no account. The token is shown once, to the admin who passes it on (and emailed to the
  person when mail is configured: ``email_link``). A link works once, for ``LINK_HOURS``; a newer
  link for the same person ends the older ones, and so does deactivating them (``revoke``).
* ``find`` answers the public page: the live link behind a token, or None (unknown, used,
  ended, expired, or the account deactivated) without telling which.
* ``complete`` sets the password, uses the link up and signs the person out of every browser.
  The link is taken with a conditional UPDATE, so two submissions of the same link cannot both
  set a password.

Nothing here commits: the caller does.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from console.extensions import db
from console.models import DeliveryChannel, PasswordReset, User
from console.services import audit
from console.services.auth import hash_password, revoke_all_sessions
from console.services.notify.notifications import Outgoing, send_email

LINK_HOURS = 24
MIN_PASSWORD_LENGTH = 8
MAX_TOKEN_LENGTH = 64  # a token is 43 characters; anything much longer is no token of ours


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedLink:
    reset: PasswordReset
    token: str  # shown once; only its hash is stored


def issue(user: User, *, by: User, now: datetime) -> IssuedLink:
    """A new link for ``user`` (active), ending any earlier one still open."""
    if not user.active:
        raise ValueError("a deactivated account gets no password link")
    revoke(user, now=now)
    token = secrets.token_urlsafe(32)
    reset = PasswordReset(
        user_id=user.id,
        token_hash=_digest(token),
        created_at=now,
        created_by_id=by.id if by is not None else None,
        expires_at=now + timedelta(hours=LINK_HOURS),
    )
    db.session.add(reset)
    db.session.flush()
    audit.record(
        "user.password_link_issued",
        actor=by,
        entity=user,
        details={"link": reset.id, "expires_at": reset.expires_at.isoformat()},
    )
    return IssuedLink(reset, token)


def revoke(user: User, *, now: datetime) -> int:
    """End every open link of ``user``; returns how many there were."""
    result = db.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
        )
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def open_link(user: User, now: datetime) -> PasswordReset | None:
    """The link of ``user`` that still works, if any (the admin's page says so)."""
    return db.session.scalar(
        select(PasswordReset)
        .where(
            PasswordReset.user_id == user.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .order_by(PasswordReset.id.desc())
        .limit(1)
    )


def find(token: str, *, now: datetime) -> PasswordReset | None:
    """The live link behind ``token``, or None, whatever the reason."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    reset = db.session.scalar(
        select(PasswordReset).where(PasswordReset.token_hash == _digest(token))
    )
    if (
        reset is None
        or reset.used_at is not None
        or reset.revoked_at is not None
        or reset.expires_at <= now
        or not reset.user.active
    ):
        return None
    return reset


class LinkNotValid(ValueError):
    """The link was used, ended or expired meanwhile: nothing was changed."""


def complete(reset: PasswordReset, *, password_hash: str, now: datetime) -> User:
    """Set the password (hashed by the caller with ``hash_new_password``, outside any write
    transaction: a hash takes a fifth of a second), use the link up and sign the person out
    everywhere. Raises ``LinkNotValid`` when another submission took the link first."""
    taken = db.session.execute(
        update(PasswordReset)
        .where(
            PasswordReset.id == reset.id,
            PasswordReset.used_at.is_(None),
            PasswordReset.revoked_at.is_(None),
            PasswordReset.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    user = db.session.get(User, reset.user_id)
    if taken.rowcount != 1 or user is None or not user.active:
        raise LinkNotValid
    user.password_hash = password_hash
    signed_out = revoke_all_sessions(user)
    audit.record(
        "user.password_reset",
        actor=user,
        entity=user,
        details={"link": reset.id, "sessions_ended": signed_out},
    )
    return user


def hash_new_password(password: str) -> str:
    """The stored form of a new password; refuses one shorter than ``MIN_PASSWORD_LENGTH``."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError("password too short")
    return hash_password(password)


# --- telling the person -------------------------------------------------------------------------


def mail_configured() -> bool:
    return bool(current_app.config.get("SMTP_HOST"))


def email_link(user: User, url: str, expires_at: datetime) -> None:
    """Send the link to ``user``'s address now, in their language (the team's when they chose
    none). Sent at once rather than queued like the complaint notifications: a queued delivery
    keeps its text in the database, and this text opens the account. Raises whatever the mail
    server raised; the caller tells the admin, who still has the link on the page."""
    language = user.locale or current_app.config.get("NOTIFY_LANGUAGE") or "en"
    with force_locale(language):
        subject = _("Set your password for the QC Console")
        text = _(
            "Hello %(name)s,\n\nan administrator of the QC Console made you a link to set a new "
            "password. It works once, until %(until)s (UTC):\n\n%(url)s\n\nIf you did not expect "
            "it, tell your administrator.",
            name=user.name,
            until=expires_at.strftime("%Y-%m-%d %H:%M"),
            url=url,
        )
    send_email(
        Outgoing(
            id=0,
            channel=DeliveryChannel.EMAIL,
            target=user.email,
            subject=subject,
            payload={"text": text},
        )
    )
