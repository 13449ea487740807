"""The repeat-repair bonus (DOMAIN.md, 000): a share of the piece-rate part of pay, by how many
repeat repairs were confirmed with the technician as the responsible person in the period.

Tiers are a list of percents per role: the first entry for 0 repeat repairs, the second for 1,
and so on; the last entry holds for that many and more. The defaults are DOMAIN's:

- ``mechanic`` ``[10, 0]``: 10 % for none, 0 % for 1 or more;
- ``shop_master`` ``[10, 5, 0]``: 10 % for none, 5 % for 1, 0 % for more than 1.

A client may set its own (``Client.repeat_bonus_tiers``, the same shape, one or both roles);
an independent technician (no client) is paid by the defaults.
"""

from __future__ import annotations

from collections.abc import Mapping

from flask_babel import lazy_gettext as _l

from console.models import TechnicianRole

DEFAULT_TIERS: dict[str, list[int]] = {
    TechnicianRole.MECHANIC.value: [10, 0],
    TechnicianRole.SHOP_MASTER.value: [10, 5, 0],
}
MAX_TIERS = 10


def tiers_for(role: str, client_tiers: Mapping | None) -> list[int]:
    """The tiers a technician of ``role`` is paid by: the client's own, else the defaults."""
    own = (client_tiers or {}).get(str(role))
    return list(own) if own else list(DEFAULT_TIERS[str(role)])


def bonus_percent(role: str, repeat_repairs: int, client_tiers: Mapping | None = None) -> int:
    tiers = tiers_for(role, client_tiers)
    return tiers[min(repeat_repairs, len(tiers) - 1)]


def tier_problems(tiers: list[int]) -> str | None:
    """What is wrong with one role's tiers, as a sentence; None when they are usable."""
    if not tiers:
        return str(_l("Give at least one percent."))
    if len(tiers) > MAX_TIERS:
        return str(_l("At most %(n)s tiers.", n=MAX_TIERS))
    if any(not 0 <= t <= 100 for t in tiers):
        return str(_l("Each percent is between 0 and 100."))
    if any(later > earlier for earlier, later in zip(tiers, tiers[1:], strict=False)):
        return str(_l("A tier for more repeat repairs cannot pay more than the one before."))
    return None


def parse_tiers(text: str) -> list[int]:
    """``"10, 5, 0"`` as ``[10, 5, 0]``; ValueError for anything but whole numbers."""
    parts = [p.strip() for p in (text or "").replace(";", ",").split(",")]
    parts = [p for p in parts if p]
    if any(not (p.isdigit() and len(p) <= 3) for p in parts):
        raise ValueError(text)
    return [int(p) for p in parts]
