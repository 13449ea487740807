"""Staff accounts as admins manage them: editing a person's name, email, role, language and time
zone, deactivating and reactivating them. Passwords, sessions and sign-in are
``services.auth``; one-time password links are ``services.password_reset``.

What keeps the console administrable: nobody takes the admin role from themselves or deactivates
themselves, and the last active admin stays one (the admin rows are locked while that is
checked on PostgreSQL; SQLite runs one writer at a time).

Nothing here commits: the caller does.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from zoneinfo import available_timezones

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from console.extensions import db
from console.models import Role, User
from console.services import audit, password_reset
from console.services.auth import normalise_email, set_active

EDITABLE = ("name", "email", "role", "locale", "timezone")


class UserChangeRefused(ValueError):
    """Nothing was changed; ``errors`` maps each field (or "active") to the reason."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


@cache
def timezone_names() -> tuple[str, ...]:
    """The IANA zones a person may choose: UTC, then the "Area/City" ones by name."""
    return ("UTC", *sorted(z for z in available_timezones() if "/" in z and z != "UTC"))


def _other_active_admins(user: User) -> list[int]:
    """The other active admins, their rows locked until the commit on PostgreSQL (two admins
    demoting each other at once cannot leave none)."""
    return list(
        db.session.scalars(
            select(User.id)
            .where(User.role == Role.ADMIN, User.active.is_(True), User.id != user.id)
            .order_by(User.id)
            .with_for_update()
        )
    )


def update_user(
    user: User,
    *,
    name: str | None,
    email: str | None,
    role: Role | str,
    locale: str | None,
    timezone: str | None,
    by: User,
) -> dict:
    """Change what an admin may change; raises ``UserChangeRefused`` with every bad field.
    Returns the changes, ``{"field": [old, new]}`` (empty: none), audited."""
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    if not name:
        errors["name"] = _l("A name is required.")
    elif len(name) > 120:
        errors["name"] = _l("At most %(n)s characters.", n=120)
    email = normalise_email(email or "")
    if not email:
        errors["email"] = _l("An email is required.")
    elif len(email) > 254:
        errors["email"] = _l("At most %(n)s characters.", n=254)
    elif db.session.scalar(select(User.id).where(User.email == email, User.id != user.id)):
        errors["email"] = _l("A user with this email already exists.")
    try:
        role = Role(role)
    except ValueError:
        errors["role"] = _l("Not a valid choice.")
    else:
        if user.role == Role.ADMIN and role != Role.ADMIN:
            if by is not None and user.id == by.id:
                errors["role"] = _l(
                    "You cannot take the admin role from yourself: another admin can."
                )
            elif user.active and not _other_active_admins(user):
                errors["role"] = _l("The last active admin stays an admin.")
    locale = locale or None
    if locale is not None and locale not in current_app.config["CONSOLE_LANGUAGES"]:
        errors["locale"] = _l("Not a valid choice.")
    if timezone not in timezone_names():
        errors["timezone"] = _l("Choose a time zone from the list.")
    if errors:
        raise UserChangeRefused(errors)
    values = {"name": name, "email": email, "role": role, "locale": locale, "timezone": timezone}
    changed = audit.changes(user, list(EDITABLE), values)
    if not changed:
        return {}
    for key, value in values.items():
        setattr(user, key, value)
    db.session.flush()
    audit.record("user.updated", actor=by, entity=user, details=changed)
    return changed


def deactivate(user: User, *, by: User, now: datetime) -> None:
    """Sign the person out everywhere and end their password links; refuses with the reason
    for oneself and for the last active admin."""
    if not user.active:
        return
    if by is not None and user.id == by.id:
        raise UserChangeRefused({"active": _l("You cannot deactivate yourself.")})
    if user.role == Role.ADMIN and not _other_active_admins(user):
        raise UserChangeRefused({"active": _l("The last active admin stays active.")})
    set_active(user, False, by=by)
    password_reset.revoke(user, now=now)


def reactivate(user: User, *, by: User) -> None:
    set_active(user, True, by=by)
