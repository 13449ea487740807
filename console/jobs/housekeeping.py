"""Periodic upkeep."""

from __future__ import annotations

from flask import current_app
from sqlalchemy import update

from console.extensions import db
from console.jobs.context import job
from console.models import UserSession, utcnow
from console.services import login_throttle
from console.services.complaints import presence


@job
def expire_idle_sessions() -> int:
    """Revoke sessions idle longer than the session lifetime, so a stolen old cookie is useless
    even before its signature expires. Returns how many were revoked."""
    cutoff = utcnow() - current_app.config["PERMANENT_SESSION_LIFETIME"]
    result = db.session.execute(
        update(UserSession)
        .where(UserSession.revoked_at.is_(None), UserSession.last_seen_at < cutoff)
        .values(revoked_at=utcnow())
    )
    db.session.commit()
    return result.rowcount


@job
def forget_old_login_failures() -> int:
    """Delete failed sign-ins older than the limits' window: they no longer count. Returns how
    many were deleted."""
    deleted = login_throttle.forget_old(utcnow())
    db.session.commit()
    return deleted


@job
def forget_closed_complaint_pages() -> int:
    """Delete who-has-it-open rows of complaint pages closed long ago (they stopped counting a
    minute after their last poll). Returns how many were deleted."""
    deleted = presence.forget_old(utcnow())
    db.session.commit()
    return deleted
