"""Placeholders in script texts, filled from the order at call time.

Validation happens when a script is loaded or published, so an unknown placeholder is an error
the admin sees, never a crash in the middle of a call. Filling returns plain text; templates
escape it like any other text (customer names are data too).
"""

from __future__ import annotations

import re
from datetime import date
from zoneinfo import ZoneInfo

from babel.dates import format_date

# Anything in braces counts as an attempt at a placeholder.
PATTERN = re.compile(r"\{([^{}]*)\}")

PLACEHOLDERS = (
    "customer.name",
    "client.name",
    "work_type.name",
    "technician.name",
    "order.completed_on",
    "order.external_id",
    "vehicle.plate",
)


def unknown_placeholders(text: str) -> list[str]:
    return [name for name in PATTERN.findall(text or "") if name.strip() not in PLACEHOLDERS]


def values_for(order, language: str = "en") -> dict[str, str]:
    completed_on: date = order.completed_at.astimezone(ZoneInfo(order.client.timezone)).date()
    return {
        "customer.name": order.customer.name,
        "client.name": order.client.name,
        "work_type.name": order.work_type.name,
        "technician.name": order.technician.name if order.technician else "",
        "order.completed_on": format_date(completed_on, format="long", locale=language),
        "order.external_id": order.external_id,
        "vehicle.plate": order.vehicle_plate or "",
    }


def fill(text: str, values: dict[str, str]) -> str:
    """Replace known placeholders; anything else stays as written (validation caught it)."""
    return PATTERN.sub(lambda m: values.get(m.group(1).strip(), m.group(0)), text or "")
