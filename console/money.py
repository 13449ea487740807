"""Money as people read it: one format per language, Babel's (``format_currency`` with the
reader's locale), on every page. ``{{ amount|money(currency) }}`` in templates."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel.numbers import format_currency, get_currency_symbol
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
    locale = locale or get_locale() or "en"
    return _spaced(format_currency(value, currency, locale=locale), currency, locale)


def _spaced(text: str, currency: str, locale) -> str:
    """CLDR's currency spacing, which Babel leaves out: a symbol made of letters doesn't touch
    the digits ("RUB 5,650.00" in English, not "RUB5,650.00"); "£138.50" stays as it is."""
    symbol = get_currency_symbol(currency, locale=locale)
    at = text.find(symbol)
    if at < 0:
        return text
    end = at + len(symbol)
    if symbol[-1].isalpha() and end < len(text) and text[end].isdigit():
        text = f"{text[:end]}\u00a0{text[end:]}"
    if symbol[0].isalpha() and at > 0 and text[at - 1].isdigit():
        text = f"{text[:at]}\u00a0{text[at:]}"
    return text
