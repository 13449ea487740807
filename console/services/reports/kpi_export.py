"""The technicians' KPI as other programs read it: the payroll download's rows (Reports →
Technicians, ``?format=csv|xlsx``) and ``GET /api/v1/technicians/kpi``. Both take a line of
``kpi.technician_kpi`` through ``payroll_line``, so a figure has one name and one value
wherever it goes out; nothing here counts anything again.

``PAYROLL_KEYS`` are the CSV's header and the API's names: plain ASCII, the same in every
interface language, role values ``mechanic`` / ``shop_master``. The API adds what a program
needs to match a line to its own records (the technician's external id, the client's key) and
what the page shows beside the payroll figures (the previous period, complaints by category).
In JSON, scores are numbers to the cent (as the service rounds them); money is a decimal string
with its currency, as in ``GET /api/v1/complaints``.
"""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import select

from console.extensions import db
from console.models import Client
from console.services.reports import kpi
from console.services.reports.periods import Period

PAYROLL_KEYS = (
    "technician",
    "client",
    "role",
    "surveys",
    "score",
    "rank",
    "score_change",
    "complaints_opened",
    "complaints_valid",
    "repeat_repairs",
    "bonus_percent",
    "fines",
    "refunds",
    "currency",
    "technician_id",
)
_SCORES = ("score", "score_change")
_MONEY = ("fines", "refunds")


class UnknownClient(LookupError):
    """No client has the key asked for."""


def payroll_line(row: kpi.TechnicianKpi) -> dict[str, object]:
    """One technician's payroll figures by ``PAYROLL_KEYS``, as the service gives them
    (Decimal scores and money, None where there is nothing: no client, no score, no rank)."""
    return {
        "technician": row.name,
        "client": row.client_name,
        "role": row.role,
        "surveys": row.surveys,
        "score": row.score,
        "rank": row.rank,
        "score_change": row.score_change,
        "complaints_opened": row.complaints_opened,
        "complaints_valid": row.complaints_valid,
        "repeat_repairs": row.repeat_repairs,
        "bonus_percent": row.bonus_percent,
        "fines": row.fines,
        "refunds": row.refunds,
        "currency": row.currency,
        "technician_id": row.technician_id,
    }


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def as_json(row: kpi.TechnicianKpi) -> dict[str, object]:
    """The API's object for one technician: the payroll line, then what the API adds."""
    line = payroll_line(row)
    for key in _SCORES:
        line[key] = _number(line[key])
    for key in _MONEY:
        line[key] = f"{line[key]:.2f}"
    line.update(
        technician_external_id=row.external_id,
        client_key=row.client_key,
        previous_score=_number(row.previous_score),
        previous_rank=row.previous_rank,
        rank_change=row.rank_change,
        complaints_by_category={
            category: {"opened": opened, "valid": valid}
            for category, (opened, valid) in row.by_category.items()
        },
    )
    return line


def period_json(period: Period) -> dict[str, str]:
    return {"from": period.start.isoformat(), "to": period.end.isoformat()}


def report(period: Period, *, client_key: str | None = None) -> dict[str, object]:
    """The API's answer: the period (with its zone and the period the changes compare with) and
    every technician ``kpi.technician_kpi`` lists for it, in its order (best rank first).
    ``UnknownClient`` when ``client_key`` names no client."""
    client_id = None
    if client_key is not None:
        client_id = db.session.scalar(select(Client.id).where(Client.key == client_key))
        if client_id is None:
            raise UnknownClient(client_key)
    rows = kpi.technician_kpi(period, client_id=client_id)
    return {
        "period": {
            **period_json(period),
            "time_zone": period.tz.key,
            "previous": period_json(period.previous()),
        },
        "technicians": [as_json(row) for row in rows],
    }
