"""Every endpoint declares who may use it; nobody reaches anything without signing in."""

from __future__ import annotations

import pytest
from flask import url_for

from console.access import PUBLIC, SIGNED_IN, TokenScopes, access_of, token_required
from console.models import AuditEntry, Role
from console.services import api_tokens

# auth.reset_password: the one-time password link; its token is the key.
PUBLIC_ENDPOINTS = {"auth.login", "auth.reset_password", "health.healthz", "static"}
# The API's own description (its document and its page) holds no data; every other API
# route needs a token (test_every_api_route_needs_a_token_scope).
PUBLIC_ENDPOINTS |= {"api.docs", "api.openapi"}


def sample_requests(app):
    """(endpoint, method, url) for every rule, with placeholder values for its arguments."""
    out = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint == "static":
                continue
            values = {}
            for arg in rule.arguments:
                converter = rule._converters[arg]
                items = getattr(converter, "items", None)  # any(...) converters
                values[arg] = next(iter(items)) if items else 1
            url = url_for(rule.endpoint, **values)
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                out.append((rule.endpoint, method, url))
    return out


def test_every_endpoint_declares_its_access(app):
    undeclared = [endpoint for endpoint in app.view_functions if access_of(endpoint) is None]
    assert undeclared == []


def test_only_sign_in_password_links_health_and_static_are_public(app):
    public = {e for e in app.view_functions if access_of(e) == PUBLIC}
    assert public == PUBLIC_ENDPOINTS


def test_nothing_but_public_endpoints_answers_without_sign_in(app, client):
    for endpoint, method, url in sample_requests(app):
        if endpoint in PUBLIC_ENDPOINTS:
            continue
        response = client.open(url, method=method)
        if isinstance(access_of(endpoint), TokenScopes):  # the API: a token, never a redirect
            assert response.status_code == 401, (endpoint, method, response.status_code)
            assert response.is_json and response.headers["WWW-Authenticate"].startswith("Bearer")
        elif method == "GET":
            assert response.status_code == 302, (endpoint, method, response.status_code)
            assert "/login" in response.headers["Location"]
        else:
            assert response.status_code == 401, (endpoint, method, response.status_code)


def test_every_api_route_needs_a_token_scope(app):
    """API routes are reached with a token holding their scope, never with a session: one
    declared otherwise (@public besides the API's description, @signed_in, @roles_required),
    fails here; and a token declaration is for the API alone."""
    for endpoint in app.view_functions:
        declared = access_of(endpoint)
        if endpoint.startswith("api.") and endpoint not in PUBLIC_ENDPOINTS:
            assert isinstance(declared, TokenScopes), endpoint
            assert declared.scopes and declared.scopes <= set(api_tokens.SCOPES), endpoint
        else:
            assert not isinstance(declared, TokenScopes), endpoint


def test_a_token_declaration_names_known_scopes():
    with pytest.raises(ValueError):
        token_required()
    with pytest.raises(ValueError):
        token_required("orders:delete")


def test_htmx_request_without_session_gets_401_not_the_login_page(app, client):
    response = client.get("/operator/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Retarget"] == "#notices"
    assert "Sign in again" in response.get_data(as_text=True)


@pytest.mark.parametrize("role", list(Role))
def test_each_role_is_refused_where_it_does_not_belong(app, client, login_as, role, db):
    login_as(role)
    checked = 0
    for endpoint, method, url in sample_requests(app):
        declared = access_of(endpoint)
        if declared in (PUBLIC, SIGNED_IN):
            continue
        if isinstance(declared, TokenScopes):  # a session is no token, whatever its role
            assert client.open(url, method=method).status_code == 401, (role, endpoint)
            continue
        response = client.open(url, method=method)
        if role in declared:
            assert response.status_code != 403, (role, endpoint, method)
        else:
            assert response.status_code == 403, (role, endpoint, method, response.status_code)
            checked += 1
    assert checked > 0
    refused = db.session.query(AuditEntry).filter_by(action="access.refused").count()
    assert refused == checked  # every refusal is in the audit log


@pytest.mark.parametrize(
    ("role", "home"),
    [
        (Role.OPERATOR, "/operator/"),
        (Role.QC, "/qc/"),
        (Role.ADMIN, "/admin/"),
        (Role.SUPERVISOR, "/reports/live"),
    ],
)
def test_each_role_lands_on_its_home_page(client, make_user, role, home):
    user = make_user(role)
    response = client.post(
        "/login", data={"email": user.email, "password": "correct horse battery"}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == home
    assert client.get(home).status_code == 200
