"""The names of complaint categories, in the reader's language. A category is a key the call
scripts give (``complaint: quality``); one not listed here shows as its key."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

OTHER = "other"
POACHING = "poaching"

CATEGORY_LABELS = {
    "quality": _l("quality"),
    "punctuality": _l("punctuality"),
    "service": _l("service"),
    "cleanliness": _l("cleanliness"),
    "damage": _l("damage"),
    "price": _l("price"),
    POACHING: _l("poaching"),
    OTHER: _l("other"),
}


def category_label(category: str | None) -> str:
    if not category:
        return ""
    return str(CATEGORY_LABELS.get(category, category))
