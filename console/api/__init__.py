"""The JSON API, version 1 (``/api/v1``): orders in, complaints and the technicians' KPI out,
call events from the telephony provider. Documented by ``/api/v1/openapi.json``
(``console.api.spec``) and the page ``/api/v1/docs``.

Other systems use it with a bearer token (``console.services.api_tokens``), each view declaring
the scope it needs (``@token_required``): no cookie, no session and no CSRF token play any part,
so the blueprint is exempt from the CSRF check (a forged request from a browser would carry
cookies, which are never read here, and no token). Bodies are JSON of at most ``MAX_BODY``
bytes; errors are JSON too (``console.errors.api_error``). The views are thin: the work is the
services' that the console's own pages use.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, request
from werkzeug.exceptions import BadRequest, HTTPException, UnprocessableEntity

from console.bad_input import accepts_large_body
from console.errors import api_error_for
from console.extensions import csrf
from console.services import telephony as telephony_service

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)

MAX_BODY = 1024 * 1024  # 1 MB: a batch of 1,000 orders fits with room to spare


class InvalidInput(UnprocessableEntity):
    """A 422 naming each bad field (``{"error": ..., "fields": {...}}``)."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(description=message)
        self.fields = fields or {}


class BadQuery(BadRequest):
    """A 400 for query parameters that cannot be read, naming each."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(description="Some query parameters could not be read.")
        self.fields = fields


def json_body(max_bytes: int = MAX_BODY) -> Callable[[Callable], Callable]:
    """The view takes a JSON body of at most ``max_bytes`` (413 beyond: checked before the
    body is read)."""
    return accepts_large_body(max_bytes)


def read_json():
    """The request's JSON document; 400 when the body is not JSON."""
    if not request.is_json:
        raise BadRequest(description="Send a JSON body (Content-Type: application/json).")
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest(description="The body is not valid JSON.")
    return data


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException):
    if error.code is not None and error.code < 400:
        return error
    return api_error_for(error)


@bp.app_template_global("call_attempt_id")
def call_attempt_id(task) -> int | None:
    """The call id the dial link carries for the telephony provider (``data-call-id``)."""
    return telephony_service.open_attempt_id(task.id, task.held_by_id)


from console.api import complaints, openapi, orders, reports, telephony  # noqa: E402,F401
