"""Reports → Overview on PostgreSQL whose session time zone is not UTC (a server's
``timezone`` setting, or a role's): the figures are the same as under UTC."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console.models import CallOutcome, Role
from console.services.reports import overview
from console.services.reports.overview import Filters
from tests.helpers import on_postgresql
from tests.reports import overview_fixtures as data
from tests.reports.overview_fixtures import PERIOD, WEEK1

version, operator, call = data.version, data.operator, data.call


@pytest.fixture
def app_config():
    # India's +05:30: its clock hours are not UTC's.
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": "-c timezone=Asia/Kolkata"}}}


@on_postgresql
def test_calls_per_hour_count_utc_hours_whatever_the_session_zone(db, call, make_user):
    anna = make_user(Role.OPERATOR, name="Anna")
    # Dials at 10:20 and 10:40 UTC: one hour of work (in Kolkata 15:50 and 16:10).
    call(WEEK1 + timedelta(minutes=25), by=anna, score="90")
    call(WEEK1 + timedelta(minutes=45), by=anna, outcome=CallOutcome.NO_ANSWER)

    (line,) = [x for x in overview.operators(PERIOD, Filters()) if x.user.id == anna.id]

    assert (line.dials, line.hours, line.calls_per_hour) == (2, 1, 2.0)
