"""Reports in the background: the running totals behind Reports → Overview
(``services.reports.totals``) are counted again every minute for the hours that changed."""

from __future__ import annotations

from console.jobs.context import job
from console.services.reports import totals


@job
def refresh_totals() -> int:
    """Count the stale hours again; returns how many hours were counted (each batch of hours
    commits on its own)."""
    return totals.refresh()
