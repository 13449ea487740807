"""``POST /api/v1/orders``: a batch of completed orders, each stored or refused on its own."""

from __future__ import annotations

from flask import g, jsonify

from console.access import token_required
from console.api import InvalidInput, bp, json_body, read_json
from console.database import unit_of_work
from console.services import api_tokens, order_feed


@bp.post("/orders")
@token_required(api_tokens.ORDERS_WRITE)
@json_body()
def orders_receive():
    data = read_json()
    items = data.get("orders") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InvalidInput('Send {"orders": [...]}.', {"orders": "a list of orders is required"})
    if len(items) > order_feed.MAX_BATCH:
        raise InvalidInput(
            f"At most {order_feed.MAX_BATCH} orders per request.",
            {"orders": f"at most {order_feed.MAX_BATCH} items ({len(items)} sent)"},
        )
    # A unit of work of its own: checking the token already ended the request's first
    # transaction (it counts the request towards the token's rate limit).
    with unit_of_work():
        results = order_feed.receive_orders(items, source=g.api_caller.prefix)
    return jsonify(results=[result.as_json() for result in results])
