"""Who may use which endpoint, declared on the view and enforced in one place.

Every view carries a declaration: ``@public`` or ``@roles_required(Role.QC, ...)``. The app-wide
``enforce_access`` hook reads it before the view runs; an endpoint without one is refused (fail
closed), and ``tests/test_access.py`` walks ``app.url_map`` so that can't ship unnoticed.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, redirect, request, url_for
from flask_login import current_user
from werkzeug.exceptions import Forbidden, Unauthorized

from console.database import unit_of_work
from console.extensions import htmx
from console.models import Role
from console.services import audit

PUBLIC = "public"
SIGNED_IN = "signed-in"  # any role


def public(view: Callable) -> Callable:
    view.__access__ = PUBLIC
    return view


def roles_required(*roles: Role) -> Callable[[Callable], Callable]:
    if not roles:
        raise ValueError("name at least one role, or use @signed_in")

    def decorate(view: Callable) -> Callable:
        view.__access__ = frozenset(roles)
        return view

    return decorate


def signed_in(view: Callable) -> Callable:
    view.__access__ = SIGNED_IN
    return view


def access_of(endpoint: str | None):
    """The declaration of an endpoint, or None when it has none."""
    if endpoint is None:
        return None
    if endpoint == "static" or endpoint.endswith(".static"):
        return PUBLIC
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "__access__", None)


def enforce_access():
    """``before_request`` hook: sign-in first, then role."""
    if request.endpoint is None:  # 404 / 405: let the error handlers answer
        return None
    declared = access_of(request.endpoint)
    if declared == PUBLIC:
        return None
    if not current_user.is_authenticated:
        if htmx or request.accept_mimetypes.best == "application/json" or request.method != "GET":
            raise Unauthorized()
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    if declared == SIGNED_IN:
        return None
    if declared is None or current_user.role not in declared:
        with unit_of_work():  # a refused GET writes too
            audit.record(
                "access.refused",
                actor=current_user,
                details={"endpoint": request.endpoint, "path": request.path},
            )
        raise Forbidden()
    return None


HOME_ENDPOINT = {
    Role.OPERATOR: "operator.start",
    Role.QC: "qc.inbox",
    Role.ADMIN: "admin.home",
    Role.SUPERVISOR: "reports.live_board",
}


def home_url_for(role: Role) -> str:
    return url_for(HOME_ENDPOINT[role])
