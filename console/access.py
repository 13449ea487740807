"""Who may use which endpoint, declared on the view and enforced in one place.

Every view carries a declaration: ``@public``, ``@roles_required(Role.QC, ...)``, or, for the
JSON API, ``@token_required("orders:write")``. The app-wide ``enforce_access`` hook reads it
before the view runs; an endpoint without one is refused (fail closed), and
``tests/test_access.py`` walks ``app.url_map`` so that can't ship unnoticed.

An API view is reached with a bearer token only (``Authorization: Bearer ...``), never with the
session cookie: no token, an unknown or a revoked one is 401, a token without the scope 403, and
every request of a token counts towards its rate limit (429).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, g, redirect, request, url_for
from flask_login import current_user
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Forbidden, TooManyRequests, Unauthorized

from console.database import unit_of_work
from console.extensions import htmx
from console.models import Role, utcnow
from console.services import api_tokens, audit

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


@dataclass(frozen=True, slots=True)
class TokenScopes:
    """An API view's declaration: a bearer token holding every one of ``scopes``."""

    scopes: frozenset[str]


def token_required(*scopes: str) -> Callable[[Callable], Callable]:
    if not scopes:
        raise ValueError("name at least one scope")
    unknown = set(scopes) - set(api_tokens.SCOPES)
    if unknown:
        raise ValueError(f"unknown scopes: {sorted(unknown)}")

    def decorate(view: Callable) -> Callable:
        view.__access__ = TokenScopes(frozenset(scopes))
        return view

    return decorate


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
    if isinstance(declared, TokenScopes):
        return _enforce_token(declared)
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


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def _enforce_token(declared: TokenScopes) -> None:
    """The token first (401), then its rate (429), then its scopes (403): a refused request
    still counts, so a misconfigured client cannot fill the audit log faster than its limit.
    The session cookie plays no part: an API request is never a signed-in person's."""
    secret = _bearer_token()
    caller = api_tokens.authenticate(secret)
    if caller is None:
        challenge = WWWAuthenticate("Bearer", {"realm": "api"})
        if secret is not None:
            challenge.parameters["error"] = "invalid_token"
        raise Unauthorized(
            description="Send a valid API token: Authorization: Bearer <token>."
            if secret is None
            else "The API token is unknown or revoked.",
            www_authenticate=challenge,
        )
    with unit_of_work(keep_loaded=True):
        wait = api_tokens.count_request(caller, utcnow())
        missing = declared.scopes - caller.scopes
        if wait is None and missing:
            audit.record(
                "api.refused",
                details={
                    "token": caller.prefix,
                    "endpoint": request.endpoint,
                    "missing": sorted(missing),
                },
            )
    if wait is not None:
        raise TooManyRequests(
            description=f"Too many requests for this token: wait {wait} s.", retry_after=wait
        )
    if missing:
        raise Forbidden(
            description=f"This token does not have the scope {', '.join(sorted(missing))}."
        )
    g.api_caller = caller


HOME_ENDPOINT = {
    Role.OPERATOR: "operator.start",
    Role.QC: "qc.inbox",
    Role.ADMIN: "admin.home",
    Role.SUPERVISOR: "reports.live_board",
}


def home_url_for(role: Role) -> str:
    return url_for(HOME_ENDPOINT[role])
