"""Money as people read it: one format per language, Babel's (``format_currency`` with the
reader's locale), on every page. ``{{ amount|money(currency) }}`` in templates."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency
from flask_babel import get_locale


def format_money(amount, currency: str, locale=None) -> str:
    """ "£138.50" in English, "138,50 £" in Russian; "" for no amount. ``amount`` may be a
    Decimal, a number or the decimal text that timelines and snapshots store."""
    if amount is None or amount == "":
        return ""
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    return format_currency(value, currency, locale=locale or get_locale() or "en")
