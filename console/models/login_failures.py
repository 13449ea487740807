"""Failed sign-ins, counted by account and by address to refuse password guessing.

Kept in the database, not in a process or in Redis, so every worker counts the same failures and
the limit holds while Redis is down. Rows older than the window are useless and are deleted by
housekeeping (``console.jobs.housekeeping.forget_old_login_failures``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from console.extensions import db
from console.models.base import UTCDateTime


class LoginFailure(db.Model):
    __tablename__ = "login_failures"
    # The two counts: one account from any address, one address across accounts.
    __table_args__ = (
        Index("ix_login_failures_email_at", "email", "at"),
        Index("ix_login_failures_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # As typed (normalised), whether or not such an account exists: a limit that only known
    # accounts had would tell which accounts exist.
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    # The client address, or its /64 network for IPv6 (see services.login_throttle).
    address: Mapped[str] = mapped_column(String(64), nullable=False)
    at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
