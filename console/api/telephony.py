"""``POST /api/v1/calls/events``: the telephony provider's call events and recordings."""

from __future__ import annotations

from flask import jsonify

from console.access import token_required
from console.api import InvalidInput, bp, json_body, read_json
from console.database import unit_of_work
from console.services import api_tokens
from console.services import telephony as telephony_service

MAX_EVENT_BODY = 16 * 1024  # one event is a few hundred bytes


@bp.post("/calls/events")
@token_required(api_tokens.TELEPHONY)
@json_body(MAX_EVENT_BODY)
def call_event():
    try:
        event = telephony_service.parse_event(read_json())
    except telephony_service.EventRejected as exc:
        raise InvalidInput("The event could not be accepted.", exc.fields) from None
    with unit_of_work():  # as for orders: the token check already committed once
        received = telephony_service.record_event(event)
    return jsonify(received.as_json())
