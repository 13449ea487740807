"""Error pages (full and htmx), an expired CSRF token that loses nothing, security headers."""

from __future__ import annotations

import re

import pytest

from console.models import Role
from console.security import CSP

PASSWORD = "correct horse battery"


def test_unknown_page_is_a_friendly_404(client, login_as):
    login_as(Role.QC)
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "There is no page at this address." in html
    assert "Go to your start page" in html


def test_htmx_error_is_a_notice_fragment_not_a_page(client, login_as):
    login_as(Role.QC)
    response = client.get("/no/such/page", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["HX-Retarget"] == "#notices"
    html = response.get_data(as_text=True)
    assert "<html" not in html
    assert 'role="alert"' in html


def test_forbidden_page_explains_the_role(client, login_as):
    login_as(Role.OPERATOR)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "Your role does not give access to this page." in response.get_data(as_text=True)


def test_security_headers_on_every_page(client):
    response = client.get("/login")
    assert response.headers["Content-Security-Policy"] == CSP
    assert "frame-ancestors 'none'" in CSP
    assert "unsafe-inline" not in CSP and "unsafe-eval" not in CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "HX-Request" in response.headers["Vary"]
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP in development


@pytest.mark.parametrize("app_config", [{"CONSOLE_HTTPS": True, "SESSION_COOKIE_SECURE": True}])
def test_hsts_and_secure_cookie_over_https(client, make_user, app_config):
    user = make_user(Role.QC)
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD}, base_url="https://localhost"
    )
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_pages_have_no_inline_scripts_or_styles(client):
    """The CSP forbids them; a page that used one would silently break."""
    html = client.get("/login").get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)", html)
    assert "style=" not in html and "<style" not in html


# --- CSRF ----------------------------------------------------------------------------------

csrf_on = pytest.mark.parametrize("app_config", [{"WTF_CSRF_ENABLED": True}])


def csrf_token_from(html: str) -> str:
    tag = re.search(r'<input[^>]*name="csrf_token"[^>]*>', html).group(0)
    return re.search(r'value="([^"]+)"', tag).group(1)


@csrf_on
def test_post_without_csrf_token_is_refused(client, make_user, app_config):
    user = make_user(Role.QC)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/qc/").status_code == 302  # not signed in


@csrf_on
def test_sign_in_with_csrf_token_works(client, make_user, app_config):
    user = make_user(Role.QC)
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


@csrf_on
def test_expired_token_on_a_form_offers_to_send_it_again_with_nothing_lost(
    client, login_as, app_config
):
    # Sign in with a valid token, then let the admin's page sit until its token is stale.
    admin = login_as_with_csrf(client, login_as, Role.ADMIN)
    form = {
        "name": "Мария Иванова",
        "email": "maria@example.test",
        "role": "qc",
        "password": "a long enough password",
        "csrf_token": "stale-token",
    }
    response = client.post("/admin/users", data=form)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This page had expired" in html
    assert 'value="Мария Иванова"' in html and 'value="maria@example.test"' in html
    assert "a long enough password" not in html  # passwords are typed again, never echoed
    fresh = csrf_token_from(html)
    resent = {k: v for k, v in form.items() if k != "csrf_token"} | {"csrf_token": fresh}
    assert client.post("/admin/users", data=resent).status_code == 302
    assert admin.role == Role.ADMIN


@csrf_on
def test_expired_token_on_an_htmx_request_prompts_a_reload(client, login_as, app_config):
    login_as_with_csrf(client, login_as, Role.ADMIN)
    response = client.post(
        "/admin/users", data={"name": "x"}, headers={"HX-Request": "true", "X-CSRFToken": "old"}
    )
    assert response.status_code == 400
    assert response.headers["HX-Retarget"] == "#notices"
    html = response.get_data(as_text=True)
    assert "This page has expired" in html and "Reload" in html


@csrf_on
def test_a_long_open_page_can_renew_its_token(client, login_as, app_config):
    login_as_with_csrf(client, login_as, Role.OPERATOR)
    token = client.get("/auth/csrf-token").get_json()["token"]
    response = client.post(
        "/profile",
        data={"locale": "en", "timezone": "Europe/Moscow"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 302


def login_as_with_csrf(client, login_as, role):
    """Sign in through the form (CSRF off for that one request), then CSRF is back on."""
    from flask import current_app

    current_app.config["WTF_CSRF_ENABLED"] = False
    try:
        return login_as(role)
    finally:
        current_app.config["WTF_CSRF_ENABLED"] = True


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_an_unexpected_error_is_a_calm_500_page_and_fragment(app, client, app_config):
    from console.access import public

    @public
    def explode():
        raise RuntimeError("bug")

    app.add_url_rule("/explode", view_func=explode)
    response = client.get("/explode")
    assert response.status_code == 500
    assert "An unexpected error happened. It has been logged." in response.get_data(as_text=True)
    fragment = client.get("/explode", headers={"HX-Request": "true"})
    assert fragment.status_code == 500
    assert fragment.headers["HX-Retarget"] == "#notices"
