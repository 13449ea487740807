"""Behind a TLS proxy (PROXY_HOPS=1) the console believes the proxy's X-Forwarded-* headers:
the customer-facing scheme is HTTPS and the audit log names the person's own address. Without
a proxy (the default) the same headers, sent by anyone, change nothing."""

import pytest
import sqlalchemy as sa

from console.models import AuditEntry, Role
from tests.conftest import PASSWORD

FORWARDED = {
    "X-Forwarded-Proto": "https",
    # A client may send its own X-Forwarded-For; the proxy appends the address it saw.
    "X-Forwarded-For": "198.51.100.9, 203.0.113.7",
    "X-Forwarded-Host": "qc.example.com",
}


def _signed_in_from(client, db, make_user) -> str:
    user = make_user(Role.OPERATOR)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, headers=FORWARDED
    )
    assert response.status_code == 302
    return db.session.scalar(
        sa.select(AuditEntry.ip).where(
            AuditEntry.action == "auth.sign_in", AuditEntry.actor_id == user.id
        )
    )


@pytest.mark.parametrize("app_config", [{"PROXY_HOPS": 1}])
def test_behind_one_proxy_the_forwarded_scheme_and_address_count(client, db, make_user):
    page = client.get("/login", headers=FORWARDED)
    assert page.headers["Strict-Transport-Security"].startswith("max-age=")
    # The address the proxy saw, not the one the client made up before it.
    assert _signed_in_from(client, db, make_user) == "203.0.113.7"


def test_without_a_proxy_forwarded_headers_are_ignored(client, db, make_user):
    page = client.get("/login", headers=FORWARDED)
    assert "Strict-Transport-Security" not in page.headers
    assert _signed_in_from(client, db, make_user) == "127.0.0.1"
