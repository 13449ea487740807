"""Reports read the running totals (console/services/reports/totals.py), which the periodic job
keeps up to date a minute behind the calls. Tests that build data and then read a report check
it as a supervisor sees it once the job has run: the job runs just before the totals are read.
``tests/reports/test_totals.py`` checks the totals themselves (the marks, the job, and that they
add up to what the rows say)."""

import pytest

from console.services.reports import totals


@pytest.fixture(autouse=True)
def _totals_counted(monkeypatch):
    read = totals.sums

    def counted_then_read(*args, **kwargs):
        totals.refresh()
        return read(*args, **kwargs)

    monkeypatch.setattr(totals, "sums", counted_then_read)
