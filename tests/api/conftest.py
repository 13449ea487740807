"""Fixtures of the API tests: tokens with scopes, and a client that sends one."""

from __future__ import annotations

import pytest

from console.services import api_tokens
from tests.qc import complaint_fixtures

open_complaint = complaint_fixtures.open_complaint
qc_user = complaint_fixtures.qc_user


@pytest.fixture
def make_token(db):
    """``make_token("orders:write", ...)`` -> the token's secret (the row is committed)."""
    counter = iter(range(1, 1000))

    def make(*scopes: str, name: str | None = None) -> str:
        made = api_tokens.create_token(name or f"System {next(counter)}", scopes)
        db.session.commit()
        return made.secret

    return make


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def api(client, make_token):
    """A client of the API holding one token with every scope it issues."""

    class Api:
        token = make_token(*api_tokens.ISSUABLE, name="Everything")
        headers = bearer(token)

        def get(self, url, **kw):
            return client.get(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

        def post(self, url, **kw):
            return client.post(url, headers={**self.headers, **kw.pop("headers", {})}, **kw)

    return Api()
