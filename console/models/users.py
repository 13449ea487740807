"""Staff who sign in, and their server-side sessions."""

from __future__ import annotations

import secrets
from datetime import datetime
from enum import StrEnum

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from console.extensions import db
from console.models.base import TimestampMixin, UTCDateTime, enum_column, utcnow


class Role(StrEnum):
    OPERATOR = "operator"
    QC = "qc"
    ADMIN = "admin"
    SUPERVISOR = "supervisor"


class User(UserMixin, TimestampMixin, db.Model):
    """A member of staff. Flask-Login identifies a request's user by the session row it came
    through (``current_session``), not by the user id, so revoking that row signs them out."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    role: Mapped[Role] = mapped_column(enum_column(Role), nullable=False, index=True)
    active: Mapped[bool] = mapped_column(default=True, nullable=False)
    # None: take the language from the browser.
    locale: Mapped[str | None] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC", nullable=False)
    deactivated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    sessions: Mapped[list[UserSession]] = relationship(back_populates="user")

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role}>"

    current_session = None  # the UserSession of this request, set by the user loader

    # UserMixin compares users by get_id() (the session token); rows compare by identity.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    def get_id(self) -> str:
        if self.current_session is None:
            raise RuntimeError("user has no session; sign in through services.auth")
        return self.current_session.token

    @property
    def is_active(self) -> bool:
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles


class UserSession(db.Model):
    """One signed-in browser. The cookie carries only ``token``; revoking the row ends the session
    on every process at once (sign-out, deactivation, an admin forcing a sign-out)."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(
        String(64), unique=True, nullable=False, default=lambda: secrets.token_urlsafe(32)
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ip: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship(back_populates="sessions")


class PasswordReset(db.Model):
    """A one-time link to set a new password, made by an admin for a user. Only a hash of the
    link's token is kept (``services.password_reset``): the table alone opens no account. A link
    works once, until ``expires_at``; a newer link for the same user ends the older ones."""

    __tablename__ = "password_resets"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False, index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Ended without being used: a newer link, or the account was deactivated.
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
