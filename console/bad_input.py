"""Requests the console refuses before any view or query sees them.

- Ids: ``<int:...>`` in a route matches only numbers a row can have (``console.ids``).
- Bodies: a few MB and a bounded number of fields, so one request cannot hold a worker; a view
  that needs more (an order import) says so with ``@accepts_large_body``.
- Characters: a NUL byte (PostgreSQL refuses it in text) or bytes that are not UTF-8 anywhere
  in the address or the form is a 400 "bad characters", not a database error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from urllib.parse import unquote_to_bytes

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from console.ids import IdConverter


class BadCharacters(BadRequest):
    """A 400 whose page says what was wrong (``console.errors`` shows ``user_message``)."""

    user_message = _l(
        "What you sent contains characters that cannot be stored (such as a NUL byte or text "
        "that is not UTF-8). Remove them and try again."
    )


def accepts_large_body(
    max_bytes: int | Callable[[], int], *, max_fields: int | None = None
) -> Callable:
    """Let one view take a bigger body than ``MAX_CONTENT_LENGTH`` (an order import).
    Put it under the route decorator, like the access decorators. ``max_bytes`` may be a
    function, called in the request, when the limit comes from the app's configuration."""

    def decorate(view: Callable) -> Callable:
        view.__max_content_length__ = max_bytes
        if max_fields is not None:
            view.__max_form_parts__ = max_fields
        return view

    return decorate


def _apply_view_limits() -> None:
    view = current_app.view_functions.get(request.endpoint or "")
    max_bytes = getattr(view, "__max_content_length__", None)
    if callable(max_bytes):
        max_bytes = max_bytes()
    if max_bytes is not None:
        request.max_content_length = max_bytes
    max_fields = getattr(view, "__max_form_parts__", None)
    if max_fields is not None:
        request.max_form_parts = max_fields


def _utf8(raw: bytes) -> bool:
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _strings(value) -> Iterator[str]:
    """Every string in a decoded JSON document (keys too)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _form_strings() -> Iterator[str]:
    for key, value in request.form.items(multi=True):
        yield key
        yield value


def refuse_bad_input() -> None:
    """``before_request``, ahead of every hook that reads the body (the CSRF check does)."""
    _apply_view_limits()
    if "\x00" in request.path or not _utf8(request.query_string):
        raise BadCharacters()
    for key, value in request.args.items(multi=True):
        if "\x00" in key or "\x00" in value:
            raise BadCharacters()
    if request.mimetype == "application/x-www-form-urlencoded":
        # Werkzeug bounds multipart fields (MAX_FORM_PARTS) but not these; the body is within
        # max_content_length, so reading it here costs no more than the form parser will.
        body = request.get_data(cache=True)
        max_fields = request.max_form_parts
        if max_fields is not None and body.count(b"&") >= max_fields:
            raise RequestEntityTooLarge()
        if not _utf8(body):  # werkzeug would parse it as an empty form
            raise BadCharacters()
    if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        texts = _form_strings()
    elif request.is_json and request.content_length:
        texts = _strings(request.get_json(silent=True))
    else:
        return
    if any("\x00" in text for text in texts):
        raise BadCharacters()


def init_app(app: Flask) -> None:
    """Before the blueprints (their routes use the converter) and before the extensions (the
    CSRF check reads the form: the limits must be in place by then)."""
    app.url_map.converters["int"] = IdConverter
    app.before_request(refuse_bad_input)
