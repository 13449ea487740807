"""``GET /api/v1/technicians/kpi``: the technicians' KPI for a period, for payroll's programs.

The same figures as Reports → Technicians and its CSV (``services.reports.kpi`` and
``kpi_export``), for the same kind of period (``services.reports.periods``: whole days, ``from``
and ``to`` inclusive, last month without them), taken in UTC: a program has no viewer's zone.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import jsonify, request
from flask_babel import force_locale

from console.access import token_required
from console.api import BadQuery, bp
from console.models import utcnow
from console.services import api_tokens
from console.services.reports import kpi_export, periods

UTC_ZONE = ZoneInfo("UTC")
MAX_KEY = 64  # a client's key is at most this long (``Client.key``)


@bp.get("/technicians/kpi")
@token_required(api_tokens.REPORTS_READ)
def technicians_kpi():
    with force_locale("en"):  # the API's messages are English, whatever the caller accepts
        period, problems = periods.parse(request.args, tz=UTC_ZONE, today=utcnow().date())
    client_key = request.args.get("client")
    if client_key is not None:
        client_key = client_key.strip()
        if not client_key or len(client_key) > MAX_KEY:
            problems["client"] = "a client's key"
    if problems:
        raise BadQuery(problems)
    try:
        return jsonify(kpi_export.report(period, client_key=client_key))
    except kpi_export.UnknownClient:
        raise BadQuery({"client": "no client has this key"}) from None
