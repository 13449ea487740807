"""How often a token may call (429, per token, counted in the database) and how much it may
send (413)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine

from console.models import ApiRateWindow, utcnow
from tests.api.conftest import bearer
from tests.helpers import on_both_databases

pytestmark = on_both_databases

COMPLAINTS = "/api/v1/complaints"


@pytest.fixture
def app_config():
    return {"API_RATE_LIMIT_PER_MINUTE": 3}


def test_requests_over_the_limit_are_429_with_retry_after(client, db, make_token):
    busy, other = make_token("complaints:read"), make_token("complaints:read")
    moment = utcnow().replace(second=10, microsecond=0)
    with time_machine.travel(moment, tick=False) as clock:
        for _ in range(3):
            assert client.get(COMPLAINTS, headers=bearer(busy)).status_code == 200
        refused = client.get(COMPLAINTS, headers=bearer(busy))
        assert refused.status_code == 429
        assert refused.is_json
        assert refused.headers["Retry-After"] == "50"  # the next minute starts in 50 s
        # Per token: another token of the same system is not held back.
        assert client.get(COMPLAINTS, headers=bearer(other)).status_code == 200
        clock.shift(timedelta(seconds=50))
        assert client.get(COMPLAINTS, headers=bearer(busy)).status_code == 200
    assert db.session.query(ApiRateWindow).count() == 2  # one row per token, not per request


def test_a_body_over_one_megabyte_is_413_before_it_is_read(api):
    item = {"client": "acme", "external_id": "X", "description": "x" * 1000}
    response = api.post("/api/v1/orders", json={"orders": [item] * 1100})
    assert response.status_code == 413
    assert response.is_json and response.json["error"]
