"""The OpenAPI 3.1 document of the API (served at ``/api/v1/openapi.json``, shown as a page at
``/api/v1/docs``). ``tests/api/test_openapi.py`` checks that every route of the blueprint is in
it and every path in it is a route, and runs generated requests against it."""

from __future__ import annotations

from copy import deepcopy

from console.models import ComplaintStatus, TechnicianRole
from console.services import api_tokens, order_feed, telephony
from console.services.complaints import export
from console.services.reports import kpi_export, periods

VERSION = "1.0.0"


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


def _error(description: str, headers: dict | None = None) -> dict:
    response = {
        "description": description,
        "content": {"application/json": {"schema": _ref("Error")}},
    }
    if headers:
        response["headers"] = headers
    return response


_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until the token's next minute starts.",
        "schema": {"type": "string"},
    }
}
_CHALLENGE = {
    "WWW-Authenticate": {
        "description": "Bearer, with error=invalid_token when a token was sent.",
        "schema": {"type": "string"},
    }
}


def _token_errors(*, body: bool = False) -> dict:
    responses = {
        "400": _error("The request could not be read (not JSON, bad query parameters)."),
        "401": _error("No token, or an unknown or revoked one.", _CHALLENGE),
        "403": _error("The token does not have the scope this needs."),
        "405": _error("This method is not allowed here."),
        "429": _error("Too many requests for this token this minute.", _RETRY_AFTER),
    }
    if body:
        responses["413"] = _error("The body is too large.")
        responses["422"] = _error("The JSON is not what this needs; `fields` says what.")
    return responses


_STRING = {"type": ["string", "null"]}
_DATETIME = {"type": ["string", "null"], "format": "date-time"}
_ORDER_TEXT = {
    "customer_name": "The customer's name (required for a new customer).",
    "customer_external_id": "The customer's number in the client's system.",
    "customer_email": "The customer's email.",
    "description": "What was done.",
    "vehicle_make_model": "A car's make and model.",
    "vehicle_plate": "A car's number plate.",
    "vehicle_vin": "A car's VIN (17 letters and digits, without I, O and Q).",
    "address": "Where the job was done (home services).",
    "qc_breakin_advice": "Break-in advice the operator mentions on the call.",
    "qc_declined_repairs": "Repairs the customer declined (the operator reminds them).",
}


def _technician() -> dict:
    return {
        "type": ["object", "null"],
        "required": ["id", "external_id", "name"],
        "properties": {
            "id": {"type": "integer"},
            "external_id": _STRING,
            "name": {"type": "string"},
        },
    }


_AMOUNT = {"type": "string", "pattern": r"^-?[0-9]+\.[0-9]{2}$"}
_KPI_REQUIRED = (
    *kpi_export.PAYROLL_KEYS,  # the payroll CSV's columns, then what only the API gives
    "technician_external_id",
    "client_key",
    "previous_score",
    "previous_rank",
    "rank_change",
    "complaints_by_category",
)
_KPI_EXAMPLE = {
    "period": {
        "from": "2026-11-01",
        "to": "2026-11-30",
        "time_zone": "UTC",
        "previous": {"from": "2026-10-01", "to": "2026-10-31"},
    },
    "technicians": [
        {
            "technician": "Sergey Orlov",
            "client": "Acme Auto",
            "role": "shop_master",
            "surveys": 42,
            "score": 91.37,
            "rank": 1,
            "score_change": 2.5,
            "complaints_opened": 3,
            "complaints_valid": 1,
            "repeat_repairs": 1,
            "bonus_percent": 5,
            "fines": "1500.00",
            "refunds": "0.00",
            "currency": "RUB",
            "technician_id": 17,
            "technician_external_id": "M-017",
            "client_key": "acme",
            "previous_score": 88.87,
            "previous_rank": 2,
            "rank_change": 1,
            "complaints_by_category": {
                "punctuality": {"opened": 2, "valid": 0},
                "quality": {"opened": 1, "valid": 1},
            },
        }
    ],
}


SCHEMAS = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {"type": "string", "description": "What went wrong, in English."},
            "fields": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "Each bad field or parameter, with what is wrong with it.",
            },
        },
    },
    "Order": {
        "type": "object",
        "description": "A completed order: the fields of the CSV import.",
        "required": list(order_feed.REQUIRED),
        "additionalProperties": False,
        "properties": {
            "client": {"type": "string", "description": "The client's key."},
            "external_id": {
                "type": "string",
                "description": "The order's number in the client's system; with the client, "
                "what makes an order unique.",
            },
            "phone": {
                "type": "string",
                "description": "The customer's phone; national formats are read as the "
                "client's country's.",
            },
            "work_type": {"type": "string", "description": "The work type's key."},
            "completed_at": {
                "type": "string",
                "description": "ISO 8601; without an offset, local time in the client's zone.",
            },
            "amount": {
                "type": ["number", "string"],
                "description": "The order's amount, at most two decimals (e.g. 12500.50).",
            },
            "technician": {
                **_STRING,
                "description": "The technician's id in the client's system.",
            },
            "vehicle_mileage_km": {"type": ["integer", "null"], "minimum": 0},
            **{name: {**_STRING, "description": text} for name, text in _ORDER_TEXT.items()},
        },
    },
    "OrdersBatch": {
        "type": "object",
        "required": ["orders"],
        "properties": {
            "orders": {
                "type": "array",
                "maxItems": order_feed.MAX_BATCH,
                "items": _ref("Order"),
            }
        },
    },
    "OrderResult": {
        "type": "object",
        "required": ["index", "status", "id", "errors"],
        "properties": {
            "index": {"type": "integer", "description": "The item's place in the batch, from 0."},
            "status": {
                "enum": ["created", "existing", "rejected"],
                "description": "existing: the client's order with this number was already "
                "stored, and was left as it is.",
            },
            "id": {"type": ["integer", "null"], "description": "The order's id in the console."},
            "errors": {
                "type": "object",
                "additionalProperties": {"type": "string"},
                "description": "For a rejected item: each bad field, with what is wrong.",
            },
        },
    },
    "OrdersResult": {
        "type": "object",
        "required": ["results"],
        "properties": {"results": {"type": "array", "items": _ref("OrderResult")}},
    },
    "Complaint": {
        "type": "object",
        "required": [
            "id",
            "number",
            "status",
            "category",
            "categories",
            "client",
            "created_at",
            "updated_at",
        ],
        "properties": {
            "id": {"type": "integer"},
            "number": {"type": "string", "description": "As the console shows it: #311."},
            "kind": {"enum": ["complaint", "poaching"]},
            "source": {"enum": ["call", "manual"]},
            "status": {"enum": [s.value for s in ComplaintStatus]},
            "category": {
                "type": "string",
                "description": "The main category: the first of `categories`.",
            },
            "categories": {
                "type": "array",
                "description": (
                    "Every category the complaint is about (a call opens one complaint with "
                    "all the categories its answers raised), the main one first, each with its "
                    "decision: its own where QC decided it otherwise, else the complaint's."
                ),
                "items": {
                    "type": "object",
                    "required": ["category", "validity"],
                    "properties": {
                        "category": {"type": "string"},
                        "validity": {"enum": ["valid", "invalid", None]},
                    },
                },
            },
            "client": {"type": "string", "description": "The client's key."},
            "order_external_id": _STRING,
            "customer": {
                "type": "object",
                "properties": {"name": _STRING, "phone": {**_STRING, "description": "E.164"}},
            },
            "technician": _technician(),
            "assignee": {**_STRING, "description": "The name of who works on it."},
            "department": _STRING,
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {
                "type": "string",
                "format": "date-time",
                "description": "The time of its latest event.",
            },
            "first_answer_due_at": _DATETIME,
            "first_answered_at": _DATETIME,
            "resolution_due_at": _DATETIME,
            "resolved_at": _DATETIME,
            "closed_at": _DATETIME,
            "decision": {
                "type": "object",
                "properties": {
                    "validity": {"enum": ["valid", "invalid", None]},
                    "reason": _STRING,
                    "cause": _STRING,
                    "responsible_technician": _technician(),
                    "responsible_user": _STRING,
                },
            },
            "currency": {"type": "string"},
            "actions": {
                "type": "array",
                "description": "Fines, refunds and other actions (amounts as decimal strings).",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "amount": _STRING,
                        "technician": _technician(),
                        "created_at": {"type": "string", "format": "date-time"},
                    },
                },
            },
            "merged_into": {"type": ["integer", "null"]},
        },
    },
    "ComplaintPage": {
        "type": "object",
        "required": ["complaints", "next_cursor"],
        "properties": {
            "complaints": {"type": "array", "items": _ref("Complaint")},
            "next_cursor": {
                "type": ["string", "null"],
                "description": "Pass it as `after` for the next page; null on the last page.",
            },
        },
    },
    "KpiPeriod": {
        "type": "object",
        "required": ["from", "to", "time_zone", "previous"],
        "properties": {
            "from": {"type": "string", "format": "date", "description": "The first day."},
            "to": {"type": "string", "format": "date", "description": "The last day, included."},
            "time_zone": {"const": "UTC", "description": "Days are UTC days."},
            "previous": {
                "type": "object",
                "required": ["from", "to"],
                "description": "The period the changes compare with: the month before a "
                "calendar month, else as many days just before.",
                "properties": {
                    "from": {"type": "string", "format": "date"},
                    "to": {"type": "string", "format": "date"},
                },
            },
        },
    },
    "TechnicianKpi": {
        "type": "object",
        "description": "One technician's figures for the period. The names from `technician` "
        "to `technician_id` are the payroll CSV's columns (Reports → Technicians), with the "
        "same values; the rest are the API's.",
        "required": list(_KPI_REQUIRED),
        "properties": {
            "technician": {"type": "string", "description": "The technician's name."},
            "client": {**_STRING, "description": "The client's name (null: independent)."},
            "role": {"enum": [r.value for r in TechnicianRole]},
            "surveys": {
                "type": "integer",
                "minimum": 0,
                "description": "Completed calls about their orders submitted in the period.",
            },
            "score": {
                "type": ["number", "null"],
                "minimum": 0,
                "maximum": 100,
                "description": "Weighted score 0–100 pooled over every scored answer of the "
                "period, to two decimals; null when nothing scored was answered.",
            },
            "rank": {
                "type": ["integer", "null"],
                "minimum": 1,
                "description": "By score among every technician with one (all clients), "
                "1 the best, ties by name; null without a score.",
            },
            "score_change": {
                "type": ["number", "null"],
                "description": "score − previous_score; null unless both exist.",
            },
            "complaints_opened": {
                "type": "integer",
                "minimum": 0,
                "description": "Complaints about their orders opened in the period (not "
                "merged into another).",
            },
            "complaints_valid": {
                "type": "integer",
                "minimum": 0,
                "description": "Of those, the ones found valid.",
            },
            "repeat_repairs": {
                "type": "integer",
                "minimum": 0,
                "description": "Repeat repairs confirmed in the period with them responsible.",
            },
            "bonus_percent": {
                "type": "integer",
                "minimum": 0,
                "maximum": 100,
                "description": "The repeat-repair bonus tier that count puts them in.",
            },
            "fines": {**_AMOUNT, "description": "Fines charged to them in the period."},
            "refunds": {
                **_AMOUNT,
                "description": "Refunds charged to them in the period (anti-poaching included).",
            },
            "currency": {"type": "string", "description": "ISO 4217, of fines and refunds."},
            "technician_id": {"type": "integer", "description": "The console's id."},
            "technician_external_id": {
                **_STRING,
                "description": "The technician's id in the client's system.",
            },
            "client_key": {**_STRING, "description": "The client's key (null: independent)."},
            "previous_score": {"type": ["number", "null"], "minimum": 0, "maximum": 100},
            "previous_rank": {"type": ["integer", "null"], "minimum": 1},
            "rank_change": {
                "type": ["integer", "null"],
                "description": "Places gained since the previous period (negative: lost).",
            },
            "complaints_by_category": {
                "type": "object",
                "description": (
                    "Complaints opened and found valid by category key: a complaint about "
                    "two categories counts under each (complaints_opened counts it once); "
                    "valid is the category's own decision where QC gave one, else the "
                    "complaint's."
                ),
                "additionalProperties": {
                    "type": "object",
                    "required": ["opened", "valid"],
                    "properties": {
                        "opened": {"type": "integer", "minimum": 0},
                        "valid": {"type": "integer", "minimum": 0},
                    },
                },
            },
        },
    },
    "TechnicianKpiReport": {
        "type": "object",
        "required": ["period", "technicians"],
        "properties": {
            "period": _ref("KpiPeriod"),
            "technicians": {
                "type": "array",
                "description": "Every technician who is active or had anything in the period, "
                "best rank first, those without a score last by name.",
                "items": _ref("TechnicianKpi"),
            },
        },
    },
    "CallEvent": {
        "type": "object",
        "required": ["provider_call_id", "event", "at"],
        "additionalProperties": False,
        "properties": {
            "provider_call_id": {"type": "string", "minLength": 1, "maxLength": 128},
            "event": {"enum": list(telephony.EVENTS)},
            "at": {"type": "string", "format": "date-time"},
            "call_id": {
                "type": ["string", "integer", "null"],
                "description": "The console's call id from the call screen's dial link "
                "(`data-call-id`), passed back by click-to-call.",
            },
            "phone": {
                **_STRING,
                "description": "The customer's number in E.164: matches the call by phone and "
                "time when there is no call id.",
            },
            "duration_seconds": {
                "type": ["integer", "null"],
                "minimum": 0,
                "maximum": telephony.MAX_DURATION,
                "description": "ended: the seconds talked.",
            },
            "recording_url": {
                **_STRING,
                "maxLength": 500,
                "description": "ended: the recording (https only).",
            },
        },
    },
    "CallEventResult": {
        "type": "object",
        "required": ["event_id", "duplicate", "matched", "call_id"],
        "properties": {
            "event_id": {"type": "integer"},
            "duplicate": {
                "type": "boolean",
                "description": "This call's event had been received before; nothing changed.",
            },
            "matched": {"type": "boolean"},
            "call_id": {"type": ["string", "null"]},
        },
    },
}


def _paths() -> dict:
    token = [{"bearer": [api_tokens.ORDERS_WRITE]}]
    return {
        "/orders": {
            "post": {
                "operationId": "receiveOrders",
                "summary": "Send completed orders",
                "description": f"Up to {order_feed.MAX_BATCH} orders. Each is stored or refused "
                "on its own; sending a batch again is safe (stored orders come back as "
                "`existing`). Scope `orders:write`.",
                "security": token,
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("OrdersBatch")}},
                },
                "responses": {
                    "200": {
                        "description": "What became of each order.",
                        "content": {"application/json": {"schema": _ref("OrdersResult")}},
                    },
                    **_token_errors(body=True),
                },
            }
        },
        "/complaints": {
            "get": {
                "operationId": "listComplaints",
                "summary": "List complaints",
                "description": "Oldest first, a page at a time. Scope `complaints:read`.",
                "security": [{"bearer": [api_tokens.COMPLAINTS_READ]}],
                "parameters": [
                    {
                        "name": "after",
                        "in": "query",
                        "description": "The `next_cursor` of the previous page.",
                        "schema": {"type": "string"},
                    },
                    {
                        "name": "limit",
                        "in": "query",
                        "description": f"Complaints per page (default {export.DEFAULT_LIMIT}).",
                        "schema": {"type": "integer", "minimum": 1, "maximum": export.MAX_LIMIT},
                    },
                    {
                        "name": "updated_since",
                        "in": "query",
                        "description": "Only complaints changed at or after this time "
                        "(ISO 8601 with an offset).",
                        "schema": {"type": "string", "format": "date-time"},
                    },
                    {
                        "name": "status",
                        "in": "query",
                        "schema": {"enum": [s.value for s in ComplaintStatus]},
                    },
                    {
                        "name": "client",
                        "in": "query",
                        "description": "The client's key.",
                        "schema": {"type": "string"},
                    },
                ],
                "responses": {
                    "200": {
                        "description": "A page of complaints.",
                        "content": {"application/json": {"schema": _ref("ComplaintPage")}},
                    },
                    **_token_errors(),
                },
            }
        },
        "/complaints/{complaint_id}": {
            "get": {
                "operationId": "getComplaint",
                "summary": "One complaint",
                "description": "Scope `complaints:read`.",
                "security": [{"bearer": [api_tokens.COMPLAINTS_READ]}],
                "parameters": [
                    {
                        "name": "complaint_id",
                        "in": "path",
                        "required": True,
                        "schema": {"type": "integer"},
                    }
                ],
                "responses": {
                    "200": {
                        "description": "The complaint.",
                        "content": {"application/json": {"schema": _ref("Complaint")}},
                    },
                    "404": _error("No complaint with this id."),
                    **_token_errors(),
                },
            }
        },
        "/calls/events": {
            "post": {
                "operationId": "receiveCallEvent",
                "summary": "Report a call event",
                "description": "`started`, `answered` or `ended` (with the seconds talked and "
                "the recording) of one of the provider's calls. Each (provider_call_id, event) "
                "is taken once; a repeat is answered with `duplicate: true`. Scope `telephony`.",
                "security": [{"bearer": [api_tokens.TELEPHONY]}],
                "requestBody": {
                    "required": True,
                    "content": {"application/json": {"schema": _ref("CallEvent")}},
                },
                "responses": {
                    "200": {
                        "description": "Received (and attached to the console's call, when "
                        "one fits).",
                        "content": {"application/json": {"schema": _ref("CallEventResult")}},
                    },
                    **_token_errors(body=True),
                },
            }
        },
        "/technicians/kpi": {
            "get": {
                "operationId": "technicianKpi",
                "summary": "The technicians' KPI for a period",
                "description": "Each technician's surveys, score, rank, complaints, confirmed "
                "repeat repairs, bonus tier, fines and refunds: the figures of Reports → "
                "Technicians and its payroll CSV, under the CSV's column names. The period is "
                "whole UTC days, `from` and `to` included (both, or neither for last month), "
                f"at most {periods.LONGEST} days. Scope `reports:read`.",
                "security": [{"bearer": [api_tokens.REPORTS_READ]}],
                "parameters": [
                    {
                        "name": "from",
                        "in": "query",
                        "description": "The first day (YYYY-MM-DD, UTC); with `to`. Default: "
                        "the first day of last month.",
                        "schema": {"type": "string", "format": "date"},
                        "example": "2026-11-01",
                    },
                    {
                        "name": "to",
                        "in": "query",
                        "description": "The last day, included (YYYY-MM-DD, UTC); with `from`. "
                        "Default: the last day of last month.",
                        "schema": {"type": "string", "format": "date"},
                        "example": "2026-11-30",
                    },
                    {
                        "name": "client",
                        "in": "query",
                        "description": "Only this client's technicians (the client's key). "
                        "Ranks stay those among every client's technicians.",
                        "schema": {"type": "string", "maxLength": 64},
                        "example": "acme",
                    },
                ],
                "responses": {
                    "200": {
                        "description": "The period and each technician's figures.",
                        "content": {
                            "application/json": {
                                "schema": _ref("TechnicianKpiReport"),
                                "example": _KPI_EXAMPLE,
                            }
                        },
                    },
                    **_token_errors(),
                    "400": {
                        "description": "A date that is not YYYY-MM-DD or out of range, `to` "
                        f"before `from`, more than {periods.LONGEST} days, only one of them, "
                        "or no client with this key; `fields` names each.",
                        "content": {
                            "application/json": {
                                "schema": _ref("Error"),
                                "example": {
                                    "error": "Some query parameters could not be read.",
                                    "fields": {"to": "The end is before the start."},
                                },
                            }
                        },
                    },
                },
            }
        },
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document",
                "security": [],
                "responses": {
                    "200": {
                        "description": "The OpenAPI document.",
                        "content": {"application/json": {"schema": {"type": "object"}}},
                    }
                },
            }
        },
        "/docs": {
            "get": {
                "operationId": "docs",
                "summary": "This document as a page",
                "security": [],
                "responses": {
                    "200": {
                        "description": "An HTML page.",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
    }


def document(server_url: str = "/api/v1") -> dict:
    """The OpenAPI document, with ``server_url`` as its server."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "QC Call Console API",
            "version": VERSION,
            "description": "Orders in, complaints and the technicians' KPI out, call events "
            "from the telephony provider. Every request carries a token: "
            "`Authorization: Bearer <token>` "
            "(Admin → API tokens, or `flask api-token create`). Errors are "
            '`{"error": "...", "fields": {...}}`; requests are limited per token and '
            "minute (429 with Retry-After); bodies to 1 MB. Times are UTC, ISO 8601; a report's "
            "days are UTC days.",
        },
        "servers": [{"url": server_url}],
        "security": [{"bearer": []}],
        "paths": _paths(),
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An API token; each has scopes: "
                    + "; ".join(f"`{k}`: {v}" for k, v in api_tokens.SCOPES.items())
                    + ".",
                }
            },
            "schemas": deepcopy(SCHEMAS),
        },
    }
