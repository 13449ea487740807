"""Language and time zone of the person looking at the page."""

from __future__ import annotations

from flask import current_app, g, has_request_context, request
from flask_babel import format_datetime, format_decimal, get_locale, get_translations
from flask_login import current_user

from console.labels import label
from console.money import format_money
from console.phones import readable_phone
from console.services.complaints.categories import category_label


def select_locale() -> str | None:
    if not has_request_context():
        return None  # a job or a command: the default language unless force_locale says
    if current_user and current_user.is_authenticated and current_user.locale:
        return current_user.locale
    return request.accept_languages.best_match(current_app.config["CONSOLE_LANGUAGES"])


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    if current_user and current_user.is_authenticated:
        return current_user.timezone
    return current_app.config["DEFAULT_USER_TIMEZONE"]


def translations():
    """Flask-Babel's translations of the current language, asked of it once per request and
    language. Its own lookup, made on every string, formats the language's name each time
    (~20 µs); a page translates a few hundred strings. Kept on ``g``, so it ends with the
    request; keyed by the language, so ``force_locale`` (an email in the recipient's
    language) still gets its own."""
    if not has_request_context():
        return get_translations()
    locale = get_locale()
    found = g.setdefault("translations_by_locale", {})
    if locale not in found:
        found[locale] = get_translations()
    return found[locale]


def init_app(app) -> None:
    """Template helpers: the page language, role names, dates in the viewer's time zone."""
    # Templates translate as Flask-Babel's own callables do, through the cache above.
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(
        current_locale=lambda: str(get_locale() or "en"),
        role_label=label,
    )
    # {{ complaint.status|label }}: the translated name of a status, reason or role.
    app.jinja_env.filters["label"] = label
    # {{ complaint.category|category }}: the category's name in the reader's language.
    app.jinja_env.filters["category"] = category_label
    # {{ order.phone|phone }}: +7 912 345-67-89 (console/phones.py).
    app.jinja_env.filters["phone"] = readable_phone
    app.jinja_env.filters["datetime"] = lambda value, fmt="short": (
        format_datetime(value, fmt) if value else ""
    )
    # {{ order.amount|money(client.currency) }}: "£138.50", "138,50 £" (console/money.py).
    app.jinja_env.filters["money"] = format_money
    app.jinja_env.filters["number"] = lambda value: (
        format_decimal(value) if value is not None else ""
    )
