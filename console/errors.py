"""Error pages that also work as htmx fragments.

A full page for a normal request; for an htmx request, only a message swapped into the page's
notice area (``#notices``), so an error never replaces the form the user was filling in.

Under ``/api/`` every error is JSON instead, ``{"error": "...", "fields": {...}}`` in English
(other systems read it, not people), with the exception's headers (``WWW-Authenticate``,
``Retry-After``, ``Allow``): also for addresses no route matches, which no blueprint sees.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import Flask, current_app, jsonify, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from flask_htmx import make_response as htmx_response
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError

from console.database_errors import Meaning, meaning
from console.extensions import db, htmx

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    401: (_l("Please sign in"), _l("Your session has ended. Sign in again to continue.")),
    403: (_l("Not allowed"), _l("Your role does not give access to this page.")),
    404: (_l("Not found"), _l("There is no page at this address.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    409: (
        _l("Not done"),
        _l("This was changed at the same time by someone else. Reload the page and try again."),
    ),
    413: (
        _l("Too much at once"),
        _l("What you sent is too large or has too many fields. Send less at a time."),
    ),
    422: (_l("Please check the form"), _l("Some of the values could not be accepted.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened. It has been logged.")),
    503: (
        _l("Temporarily unavailable"),
        _l("The console cannot reach its database right now. Try again in a minute."),
    ),
}
PAGE_EXPIRED = _l(
    "This page has expired. Reload it to continue — what you had already saved is kept."
)
BUSY = _l("The console is busy right now. Try again in a few seconds.")


API_PREFIX = "/api/"
API_MESSAGES = {
    400: "Bad request.",
    401: "Send a valid API token: Authorization: Bearer <token>.",
    403: "This token may not do this.",
    404: "Not found.",
    405: "This method is not allowed here.",
    409: "Changed at the same time by another request; send it again.",
    413: "The request body is too large.",
    415: "Send a JSON body (Content-Type: application/json).",
    422: "Some values could not be accepted.",
    429: "Too many requests for this token.",
    500: "An unexpected error happened. It has been logged.",
    503: "The console cannot reach its database right now. Try again in a minute.",
}


def is_api_request() -> bool:
    return request.path.startswith(API_PREFIX)


def api_error(
    status: int,
    message: str | None = None,
    *,
    fields: dict | None = None,
    headers: list[tuple[str, str]] | None = None,
):
    """The API's error reply: ``{"error": message, "fields": {name: problem}}``."""
    body = {"error": message or API_MESSAGES.get(status, API_MESSAGES[500])}
    if fields:
        body["fields"] = {str(k): str(v) for k, v in fields.items()}
    response = jsonify(body)
    response.status_code = status
    for name, value in headers or ():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


def api_error_for(error: HTTPException):
    """The API's reply to an HTTP exception: its own description when it was given one (not
    werkzeug's generic text), its field errors (``error.fields``) and its headers."""
    status = error.code or 500
    description = error.description
    if description == type(error).description or not isinstance(description, str):
        description = None
    return api_error(
        status,
        description,
        fields=getattr(error, "fields", None),
        headers=error.get_headers(),
    )


def _wants_json() -> bool:
    return request.blueprint == "api" or (
        request.accept_mimetypes.best == "application/json" and not htmx
    )


def render_error(status: int, *, detail: str | None = None, template: str = "errors/error.html"):
    if is_api_request():
        # English, and no translation: a lazy message would look for the person's language.
        return api_error(status, detail if isinstance(detail, str) else None)
    title, message = MESSAGES.get(status, MESSAGES[500])
    message = detail or message
    if _wants_json():
        return jsonify(error=str(title), message=str(message)), status
    if htmx:
        html = render_template("errors/_notice.html", title=title, message=message, status=status)
        # htmx is configured to swap error responses (base.html); send them to the notice area.
        return htmx_response(html, status, retarget="#notices", reswap="innerHTML")
    return render_template(template, title=title, message=message, status=status), status


def _page_they_were_on() -> str | None:
    """The page the refused form was on (its Referer) when that is one of ours that a GET
    opens, else None. Never the address that was posted to: a forged request must not get a
    way to send itself again."""
    referrer = urlsplit(request.referrer or "")
    here = urlsplit(request.host_url)
    path = referrer.path
    if (referrer.scheme, referrer.netloc) != (here.scheme, here.netloc):
        return None
    if not path.startswith("/") or path.startswith(("//", "/\\")):  # no other host's address
        return None
    try:
        endpoint, _args = current_app.url_map.bind_to_environ(request.environ).match(path, "GET")
    except HTTPException:  # no such page, not a GET, or not its canonical address
        return None
    if endpoint == "static":
        return None
    return path + (f"?{referrer.query}" if referrer.query else "")


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        """Refuse, and only refuse: no posted value comes back, no fresh token, and the session
        is not touched (the standalone page renders no token, so no cookie is set)."""
        if _wants_json():
            # call.js renews its token and sends again when it sees this code.
            return jsonify(error="csrf_expired", message=str(PAGE_EXPIRED)), 400
        if htmx:
            return render_error(400, detail=str(PAGE_EXPIRED))
        back = _page_they_were_on()
        page = render_template(
            "errors/standalone.html",
            title=_l("Page expired"),
            message=_l("This page has expired — reload it and try again. Nothing was changed."),
            status=400,
            link=back or url_for("auth.home"),
            link_label=_l("Reload the page") if back else _l("Go to your start page"),
        )
        return page, 400

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is not None and error.code < 400:
            return error
        if is_api_request():
            return api_error_for(error)
        response = render_error(error.code or 500, detail=getattr(error, "user_message", None))
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            resp = app.make_response(response)
            resp.headers["Allow"] = ", ".join(error.valid_methods)
            return resp
        return response

    @app.errorhandler(DBAPIError)
    def database_error(error: DBAPIError):
        _safe_rollback()
        found = meaning(error)
        if found is Meaning.DOWN:
            log.error("database unreachable: %s", error)
            # The standalone page needs no database (no navigation, no signed-in user).
            return render_error(503, template="errors/standalone.html")
        if found is Meaning.BUSY:
            return _busy(error)
        # Input the forms should have refused, or a race a service should have handled.
        log.error("bug: database refused a request (%s)", found.value, exc_info=error)
        if found is Meaning.CONFLICT:
            return render_error(409)
        if found is Meaning.BAD_DATA:
            return render_error(400)
        return render_error(500)

    @app.errorhandler(PoolTimeout)  # every connection of the pool in use for too long
    def pool_exhausted(error: PoolTimeout):
        _safe_rollback()
        return _busy(error)

    def _busy(error):
        log.warning("database busy: %s", error)
        response = app.make_response(render_error(503, detail=str(BUSY)))
        response.headers["Retry-After"] = "5"
        return response

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        _safe_rollback()
        return render_error(500)


def _safe_rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone
        log.exception("rollback failed")
