"""Language and time zone of the person looking at the page."""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user


def select_locale() -> str | None:
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    return request.accept_languages.best_match(current_app.config["CONSOLE_LANGUAGES"])


def select_timezone() -> str | None:
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return current_app.config["DEFAULT_USER_TIMEZONE"]


def init_app(app) -> None:
    """Template helpers: the page language, role names, dates in the viewer's time zone."""
    from flask_babel import format_datetime, format_decimal, get_locale
    from flask_babel import lazy_gettext as _l

    from console.models import ComplaintStatus, PauseReason, Role

    labels = {
        Role.OPERATOR: _l("Operator"),
        Role.QC: _l("QC department"),
        Role.SUPERVISOR: _l("Supervisor"),
        Role.ADMIN: _l("Admin"),
        ComplaintStatus.NEW: _l("new"),
        ComplaintStatus.IN_PROGRESS: _l("in progress"),
        ComplaintStatus.WAITING_CUSTOMER: _l("waiting for the customer"),
        ComplaintStatus.RESOLVED: _l("resolved"),
        ComplaintStatus.CLOSED: _l("closed"),
        ComplaintStatus.MERGED: _l("merged"),
        PauseReason.BREAK: _l("break"),
        PauseReason.TRAINING: _l("training"),
        PauseReason.TECHNICAL: _l("technical problem"),
    }
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or "en"),
        role_label=lambda role: labels.get(role, role),
    )
    # {{ complaint.status|label }}: the translated name of a status, reason or role.
    app.jinja_env.filters["label"] = lambda value: labels.get(value, value)
    app.jinja_env.filters["datetime"] = lambda value, fmt="short": (
        format_datetime(value, fmt) if value else ""
    )
    app.jinja_env.filters["number"] = lambda value: (
        format_decimal(value) if value is not None else ""
    )
