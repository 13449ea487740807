"""Tokens of the API: who gets in (401, 403), how often (429), how much (413); made and revoked
by an admin or on the command line, shown once, stored only as a hash, audited."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import select

from console.models import ApiToken, AuditEntry, Role, utcnow
from tests.api.conftest import bearer

COMPLAINTS = "/api/v1/complaints"


def audit_actions(db, prefix: str) -> list[str]:
    return list(db.session.scalars(select(AuditEntry.action).where(AuditEntry.action.like(prefix))))


# --- who gets in ---------------------------------------------------------------------------


def test_no_token_is_401_json_with_a_bearer_challenge(client):
    response = client.get(COMPLAINTS)
    assert response.status_code == 401
    assert response.is_json and "token" in response.json["error"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "invalid_token" not in response.headers["WWW-Authenticate"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer qcc_not-a-real-token",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "qcc_only",
        "Bearer " + "x" * 5000,
    ],
)
def test_an_unknown_or_malformed_token_is_401(client, make_token, header):
    make_token("complaints:read")
    response = client.get(COMPLAINTS, headers={"Authorization": header})
    assert response.status_code == 401
    assert response.is_json
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401(client, db, make_token):
    secret = make_token("complaints:read")
    assert client.get(COMPLAINTS, headers=bearer(secret)).status_code == 200
    token = db.session.scalar(select(ApiToken))
    token.revoked_at = utcnow()
    db.session.commit()
    response = client.get(COMPLAINTS, headers=bearer(secret))
    assert response.status_code == 401
    assert "invalid_token" in response.headers["WWW-Authenticate"]


def test_a_token_can_do_only_its_scopes(client, db, make_token):
    orders_only = make_token("orders:write")
    response = client.get(COMPLAINTS, headers=bearer(orders_only))
    assert response.status_code == 403
    assert response.json["error"] == "This token does not have the scope complaints:read."
    response = client.post("/api/v1/calls/events", json={}, headers=bearer(orders_only))
    assert response.status_code == 403
    assert client.post("/api/v1/orders", json={"orders": []}, headers=bearer(orders_only)).json == {
        "results": []
    }
    assert audit_actions(db, "api.refused") == ["api.refused", "api.refused"]


def test_a_session_cookie_does_not_authenticate_an_api_request(client, login_as):
    login_as(Role.ADMIN)  # the browser now holds a signed-in session cookie
    assert client.get("/admin/").status_code == 200
    response = client.get(COMPLAINTS)
    assert response.status_code == 401
    response = client.post("/api/v1/orders", json={"orders": []})
    assert response.status_code == 401
    assert "Set-Cookie" not in response.headers


def test_the_api_takes_no_csrf_token_but_the_pages_still_need_one(build_app, make_token):
    app = build_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        secret = make_token("orders:write")
        client = app.test_client()
        response = client.post("/api/v1/orders", json={"orders": []}, headers=bearer(secret))
        assert response.status_code == 200
        assert "Set-Cookie" not in response.headers
        assert client.post("/login", data={"email": "x@y.z", "password": "p"}).status_code == 400


def test_last_used_is_written_at_most_once_a_minute(client, db, make_token):
    secret = make_token("complaints:read")
    token = db.session.scalar(select(ApiToken))
    assert token.last_used_at is None
    with time_machine.travel(utcnow(), tick=False) as clock:
        client.get(COMPLAINTS, headers=bearer(secret))
        first = db.session.scalar(select(ApiToken.last_used_at))
        assert first is not None
        clock.shift(timedelta(seconds=30))
        client.get(COMPLAINTS, headers=bearer(secret))
        assert db.session.scalar(select(ApiToken.last_used_at)) == first
        clock.shift(timedelta(seconds=31))
        client.get(COMPLAINTS, headers=bearer(secret))
        assert db.session.scalar(select(ApiToken.last_used_at)) > first


# --- errors --------------------------------------------------------------------------------


def test_errors_under_the_api_are_json(client, api):
    missing = client.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing.is_json
    assert missing.json == {"error": "Not found."}
    wrong_method = api.get("/api/v1/orders")
    assert wrong_method.status_code == 405 and wrong_method.is_json
    assert "POST" in wrong_method.headers["Allow"]
    huge = api.get("/api/v1/complaints/99999999999999999999")
    assert huge.status_code == 404 and huge.is_json
    not_json = api.post("/api/v1/orders", data="orders", content_type="text/plain")
    assert not_json.status_code == 400 and "JSON" in not_json.json["error"]
    broken = api.post("/api/v1/orders", data="{", content_type="application/json")
    assert broken.status_code == 400 and broken.is_json


# --- made and revoked -----------------------------------------------------------------------


def test_the_cli_prints_the_token_on_its_last_line_and_stores_only_its_hash(runner, db, client):
    result = runner.invoke(
        args=["api-token", "create", "Shop CRM", "--scope", "orders:write", "--scope", "telephony"]
    )
    assert result.exit_code == 0, result.output
    secret = result.output.strip().splitlines()[-1]
    assert re.fullmatch(r"qcc_[A-Za-z0-9_-]{43}", secret)
    token = db.session.scalar(select(ApiToken))
    assert token.scopes == ["orders:write", "telephony"]
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12] and secret not in repr(token.__dict__)
    empty = {"orders": []}
    assert client.post("/api/v1/orders", json=empty, headers=bearer(secret)).status_code == 200
    listed = runner.invoke(args=["api-token", "list"]).output
    assert token.prefix in listed and "Shop CRM" in listed
    assert runner.invoke(args=["api-token", "revoke", token.prefix]).exit_code == 0
    assert client.post("/api/v1/orders", json=empty, headers=bearer(secret)).status_code == 401
    assert audit_actions(db, "api_token.%") == ["api_token.created", "api_token.revoked"]


def test_the_cli_refuses_unknown_scopes(runner):
    assert runner.invoke(args=["api-token", "create", "X", "--scope", "kpi:read"]).exit_code != 0
    assert runner.invoke(args=["api-token", "create", "X", "--scope", "admin"]).exit_code != 0
    assert runner.invoke(args=["api-token", "create", "X"]).exit_code != 0


def test_an_admin_makes_a_token_sees_it_once_and_revokes_it_after_confirming(client, db, login_as):
    admin = login_as(Role.ADMIN)
    page = client.get("/admin/api-tokens")
    assert page.status_code == 200
    assert "No tokens yet." in page.get_data(as_text=True)

    made = client.post("/admin/api-tokens", data={"name": "Payroll", "scopes": ["complaints:read"]})
    assert made.status_code == 200
    html = made.get_data(as_text=True)
    secret = re.search(r'id="new-token" type="text" readonly value="(qcc_[^"]+)"', html).group(1)
    assert "will not be shown again" in html
    token = db.session.scalar(select(ApiToken))
    assert token.created_by_id == admin.id and token.scopes == ["complaints:read"]
    # Listed with its scopes, never with the token itself.
    listing = client.get("/admin/api-tokens").get_data(as_text=True)
    assert secret not in listing
    assert token.prefix in listing and "complaints:read" in listing and "never" in listing
    client.get(COMPLAINTS, headers=bearer(secret))
    assert "never" not in client.get("/admin/api-tokens").get_data(as_text=True)

    question = client.get(f"/admin/api-tokens/{token.id}/revoke")
    assert question.status_code == 200
    assert "stops working at once" in question.get_data(as_text=True)
    assert db.session.get(ApiToken, token.id, populate_existing=True).revoked_at is None
    done = client.post(f"/admin/api-tokens/{token.id}/revoke")
    assert done.status_code == 303
    assert db.session.get(ApiToken, token.id, populate_existing=True).revoked_at is not None
    assert client.get(COMPLAINTS, headers=bearer(secret)).status_code == 401
    assert audit_actions(db, "api_token.%") == ["api_token.created", "api_token.revoked"]


@pytest.mark.parametrize(
    ("locale", "hint"),
    [
        ("en", "Authorization: Bearer &lt;token&gt;."),
        ("ru", "Authorization: Bearer &lt;токен&gt;."),
    ],
)
def test_the_new_token_page_shows_the_header_with_its_placeholder(
    client, login_as, make_user, locale, hint
):
    """ "<token>" in the hint is text to read: as a tag the browser showed "Bearer ."."""
    login_as(make_user(Role.ADMIN, locale=locale))
    html = client.post(
        "/admin/api-tokens", data={"name": "Payroll", "scopes": ["complaints:read"]}
    ).get_data(as_text=True)
    assert hint in html
    assert "<token>" not in html and "<токен>" not in html


def test_the_admin_form_needs_a_name_and_a_scope(client, db, login_as):
    login_as(Role.ADMIN)
    response = client.post("/admin/api-tokens", data={"name": "", "scopes": []})
    assert response.status_code == 422
    assert db.session.query(ApiToken).count() == 0
    response = client.post("/admin/api-tokens", data={"name": "X", "scopes": ["kpi:read"]})
    assert response.status_code == 422  # not a scope (any more): not offered, not accepted


def test_only_admins_manage_tokens(client, login_as):
    login_as(Role.QC)
    assert client.get("/admin/api-tokens").status_code == 403
