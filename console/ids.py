"""Row ids as they arrive in addresses, query strings and forms.

The ids are INTEGER columns on PostgreSQL (SQLite's are wider): a number above that range can
belong to no row, and a query with it fails (an overflow on SQLite, an out-of-range error on
PostgreSQL). Such a number is "no such row" before any query sees it: a 404 in a route, a
field error in a form, an ignored value in a filter.
"""

from __future__ import annotations

from werkzeug.routing import IntegerConverter, ValidationError

MAX_ID = 2**31 - 1  # INTEGER on PostgreSQL; row ids start at 1
_MAX_DIGITS = len(str(MAX_ID))


def db_id(value) -> int:
    """``int`` for ids (and page numbers: the same range will do): a ``type=`` for
    ``request.args.get`` and a WTForms ``coerce``. Raises ValueError for anything that cannot
    be a row's id."""
    text = str(value).strip()
    # Length first: int() of a 5,000-digit string is refused only after the work.
    if not text.isdigit() or len(text) > _MAX_DIGITS or not 1 <= int(text) <= MAX_ID:
        raise ValueError(f"not an id: {text[:20]!r}")
    return int(text)


def optional_id(value) -> int | None:
    """An id, or None for anything else (empty, not a number, out of range)."""
    try:
        return db_id(value)
    except (TypeError, ValueError):
        return None


class IdConverter(IntegerConverter):
    """``<int:...>`` in a route matches only numbers a row can have; any other is a 404."""

    def __init__(self, map, fixed_digits=0, min=1, max=MAX_ID, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)

    def to_python(self, value: str):
        if len(value) > len(str(self.max)):
            raise ValidationError()
        return super().to_python(value)
