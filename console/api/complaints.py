"""``GET /api/v1/complaints`` and ``/api/v1/complaints/<id>``: complaints for other systems."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from flask import abort, jsonify, request

from console.access import token_required
from console.api import BadQuery, bp
from console.ids import db_id
from console.models import ComplaintStatus
from console.services import api_tokens
from console.services.complaints import export

CURSOR_START = "c:"


def cursor_for(last_id: int) -> str:
    """An opaque cursor (clients pass it back as ``after``; its form may change)."""
    return base64.urlsafe_b64encode(f"{CURSOR_START}{last_id}".encode()).decode().rstrip("=")


def _after(raw: str) -> int:
    try:
        text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError("not a cursor of this API") from None
    if not text.startswith(CURSOR_START):
        raise ValueError("not a cursor of this API")
    try:
        return db_id(text[len(CURSOR_START) :])
    except ValueError:
        raise ValueError("not a cursor of this API") from None


def _since(raw: str) -> datetime:
    try:
        value = datetime.fromisoformat(raw.strip())
    except ValueError:
        raise ValueError("not an ISO 8601 date and time (e.g. 2026-11-19T11:05:00Z)") from None
    if value.tzinfo is None:
        raise ValueError("needs a time zone offset (e.g. 2026-11-19T11:05:00Z)")
    return value


def _query() -> dict:
    args, problems, query = request.args, {}, {}
    if "after" in args:
        try:
            query["after"] = _after(args["after"])
        except ValueError as exc:
            problems["after"] = str(exc)
    if "limit" in args:
        raw = args["limit"].strip()
        if raw.isdigit() and len(raw) < 5 and 1 <= int(raw) <= export.MAX_LIMIT:
            query["limit"] = int(raw)
        else:
            problems["limit"] = f"a whole number from 1 to {export.MAX_LIMIT}"
    if "updated_since" in args:
        try:
            query["updated_since"] = _since(args["updated_since"])
        except ValueError as exc:
            problems["updated_since"] = str(exc)
    if "status" in args:
        try:
            query["status"] = ComplaintStatus(args["status"])
        except ValueError:
            problems["status"] = "one of " + ", ".join(s.value for s in ComplaintStatus)
    if "client" in args:
        query["client_key"] = args["client"]
    if problems:
        raise BadQuery(problems)
    return query


@bp.get("/complaints")
@token_required(api_tokens.COMPLAINTS_READ)
def complaints_list():
    page = export.complaints_page(**_query())
    return jsonify(
        complaints=page.complaints,
        next_cursor=cursor_for(page.last_id) if page.last_id is not None else None,
    )


@bp.get("/complaints/<int:complaint_id>")
@token_required(api_tokens.COMPLAINTS_READ)
def complaint_detail(complaint_id: int):
    found = export.one(complaint_id)
    if found is None:
        abort(404, description="No complaint with this id.")
    return jsonify(found)
