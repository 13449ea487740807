"""Template helpers of the QC desk's deadlines, for every page that shows them (the complaint
pages, the inbox, the deadline report): ``deadline_state(complaint, now=None)`` (used by
``qc/_deadline_badge.html``), ``sla_duration(timedelta)`` ("3 h 40 min") and ``sla_share``."""

from __future__ import annotations

from datetime import timedelta

from flask_babel import format_percent
from flask_babel import gettext as _

from console.qc import bp
from console.services.complaints import sla


@bp.app_template_global("deadline_state")
def deadline_state(complaint, now=None):
    return sla.deadline_state(complaint, now)


@bp.app_template_global("sla_duration")
def sla_duration(value: timedelta | None) -> str:
    if value is None:
        return ""
    days, hours, minutes = sla.duration_parts(value)
    if days:
        return _("%(d)s d %(h)s h", d=days, h=hours)
    if hours:
        return _("%(h)s h %(m)s min", h=hours, m=minutes)
    return _("%(m)s min", m=minutes)


@bp.app_template_global("sla_share")
def sla_share(value: float | None) -> str:
    """A share as a percentage in the reader's locale ("87 %"), or a dash when there is none."""
    return "—" if value is None else format_percent(value)
