"""Error pages that also work as htmx fragments.

A full page for a normal request; for an htmx request, only a message swapped into the page's
notice area (``#notices``), so an error never replaces the form the user was filling in.
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_htmx import make_response as htmx_response
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from werkzeug.exceptions import HTTPException, InternalServerError

from console.extensions import db, htmx

log = logging.getLogger(__name__)

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    401: (_l("Please sign in"), _l("Your session has ended. Sign in again to continue.")),
    403: (_l("Not allowed"), _l("Your role does not give access to this page.")),
    404: (_l("Not found"), _l("There is no page at this address.")),
    405: (_l("Not allowed"), _l("This action cannot be done this way.")),
    422: (_l("Please check the form"), _l("Some of the values could not be accepted.")),
    429: (_l("Too many attempts"), _l("Too many attempts. Wait a few minutes and try again.")),
    500: (_l("Something went wrong"), _l("An unexpected error happened. It has been logged.")),
    503: (
        _l("Temporarily unavailable"),
        _l("The console cannot reach its database right now. Try again in a minute."),
    ),
}


def _wants_json() -> bool:
    return request.blueprint == "api" or (
        request.accept_mimetypes.best == "application/json" and not htmx
    )


def render_error(status: int, *, detail: str | None = None, template: str = "errors/error.html"):
    title, message = MESSAGES.get(status, MESSAGES[500])
    message = detail or message
    if _wants_json():
        return jsonify(error=str(title), message=str(message)), status
    if htmx:
        html = render_template("errors/_notice.html", title=title, message=message, status=status)
        # htmx is configured to swap error responses (base.html); send them to the notice area.
        return htmx_response(html, status, retarget="#notices", reswap="innerHTML")
    return render_template(template, title=title, message=message, status=status), status


def init_app(app: Flask) -> None:
    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        if htmx or _wants_json():
            return render_error(
                400,
                detail=str(
                    _l(
                        "This page has expired. Reload it to continue — "
                        "what you had already saved is kept."
                    )
                ),
            )
        # A plain form: offer to send the same values again with a fresh token, so nothing typed
        # is lost (passwords excepted: they are typed again, never echoed back).
        fields = [
            (name, value)
            for name, value in request.form.items(multi=True)
            if name != "csrf_token" and "password" not in name
        ]
        password_fields = [name for name in request.form if "password" in name]
        return (
            render_template(
                "errors/resubmit.html",
                action=request.path,
                fields=fields,
                password_fields=password_fields,
                status=400,
            ),
            400,
        )

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if error.code is not None and error.code < 400:
            return error
        response = render_error(error.code or 500)
        if error.code == 405 and hasattr(error, "valid_methods") and error.valid_methods:
            resp = app.make_response(response)
            resp.headers["Allow"] = ", ".join(error.valid_methods)
            return resp
        return response

    @app.errorhandler(OperationalError)
    @app.errorhandler(DBAPIError)
    def database_down(error):
        log.error("database error: %s", error)
        _safe_rollback()
        # The standalone page needs no database (no navigation, no signed-in user).
        return render_error(503, template="errors/standalone.html")

    @app.errorhandler(InternalServerError)
    def internal_error(error):
        _safe_rollback()
        return render_error(500)


def _safe_rollback() -> None:
    try:
        db.session.rollback()
    except Exception:  # the connection itself may be gone
        log.exception("rollback failed")
