"""Refuse password guessing: failed sign-ins are counted per account (from any address) and per
address (across accounts) over a sliding window, in the database, so every process of every
host counts the same failures, with or without Redis.

A refusal is decided before the password is checked, from reads only: a refused attempt costs
no argon2 work and writes nothing (so a flood of them cannot fill the table). Defaults:
``LOGIN_ACCOUNT_FAILURES`` (10) per account and ``LOGIN_ADDRESS_FAILURES`` (30) per address in
``LOGIN_FAILURE_WINDOW_MINUTES`` (15); 0 turns a limit off.
"""

from __future__ import annotations

import ipaddress
import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, select

from console.extensions import db
from console.models import LoginFailure

ACCOUNT, ADDRESS = "account", "address"


@dataclass(frozen=True)
class Refusal:
    """Sign-in is refused for ``scope`` (ACCOUNT or ADDRESS) until ``retry_at``."""

    scope: str
    retry_at: datetime

    def wait(self, now: datetime) -> timedelta:
        return max(self.retry_at - now, timedelta(0))

    def wait_minutes(self, now: datetime) -> int:
        """Whole minutes, rounded up: "1 minute" while any wait is left."""
        return max(1, math.ceil(self.wait(now).total_seconds() / 60))


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"])


def address_key(remote_addr: str | None) -> str:
    """What is counted as one address: the IPv4 address, or the /64 network of an IPv6 one (a
    single customer line gets a whole /64, so one address each would be no limit at all)."""
    if not remote_addr:
        return "unknown"
    try:
        ip = ipaddress.ip_address(remote_addr)
    except ValueError:
        return remote_addr[:64]
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def refusal(email: str, address: str, *, now: datetime) -> Refusal | None:
    """Why a sign-in as ``email`` from ``address`` is refused now, or None. When both limits are
    reached, the one that lasts longer (that is the wait the person faces)."""
    config = current_app.config
    refusals = [
        r
        for r in (
            _refused(ACCOUNT, LoginFailure.email == email, config["LOGIN_ACCOUNT_FAILURES"], now),
            _refused(
                ADDRESS, LoginFailure.address == address, config["LOGIN_ADDRESS_FAILURES"], now
            ),
        )
        if r is not None
    ]
    return max(refusals, key=lambda r: r.retry_at, default=None)


def _refused(scope: str, matches, limit: int, now: datetime) -> Refusal | None:
    """Refused while ``limit`` failures lie in the window: until the oldest of the latest
    ``limit`` leaves it. One indexed lookup: the ``limit``-th latest failure, if any."""
    if limit <= 0:
        return None
    window = _window()
    oldest_counted = db.session.scalar(
        select(LoginFailure.at)
        .where(matches, LoginFailure.at > now - window)
        .order_by(LoginFailure.at.desc())
        .offset(limit - 1)
        .limit(1)
    )
    if oldest_counted is None:
        return None
    return Refusal(scope, oldest_counted + window)


def record_failure(email: str, address: str, *, now: datetime) -> None:
    """Count a failed sign-in (the caller commits)."""
    db.session.add(LoginFailure(email=email[:254], address=address[:64], at=now))


def forget_own_failures(email: str, address: str) -> None:
    """After a successful sign-in, the person's own mistakes from this address no longer count.
    Failures on this account from elsewhere, and on other accounts from here, still do: a
    guesser gains nothing from someone else signing in."""
    db.session.execute(
        delete(LoginFailure).where(LoginFailure.email == email, LoginFailure.address == address)
    )


def forget_old(now: datetime) -> int:
    """Delete failures that left the window (housekeeping; the caller commits)."""
    result = db.session.execute(delete(LoginFailure).where(LoginFailure.at <= now - _window()))
    return result.rowcount
