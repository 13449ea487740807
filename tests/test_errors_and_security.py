"""Error pages (full and htmx), a CSRF failure that refuses and never re-posts, security headers."""

from __future__ import annotations

import re

import pytest

from console.models import Role, Technician, TechnicianStatus, utcnow
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


@pytest.fixture
def blocked_technician(db):
    technician = Technician(
        name="Pavel Master", status=TechnicianStatus.BLOCKED, blocked_at=utcnow()
    )
    db.session.add(technician)
    db.session.commit()
    return technician


def still_blocked(db, technician) -> bool:
    db.session.rollback()
    return db.session.get(Technician, technician.id, populate_existing=True).is_blocked


@csrf_on
@pytest.mark.parametrize("token", [None, "forged", "stale-but-once-valid"])
def test_a_forged_post_is_refused_and_never_offered_again(
    client, db, login_as, blocked_technician, app_config, token
):
    """A same-site page makes a signed-in admin's browser post an unblock: refused, with
    nothing in the answer that would send it again (no form, no token, no echoed field)."""
    login_as_with_csrf(client, login_as, Role.ADMIN)
    url = f"/admin/technicians/{blocked_technician.id}/unblock"
    form = {f"t{blocked_technician.id}-reason": "Forged reason 7f3a"}
    if token is not None:
        form["csrf_token"] = token
    response = client.post(url, data=form, headers={"Referer": "https://evil.example/x"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "This page has expired" in html and "Nothing was changed" in html
    assert "Forged reason 7f3a" not in html
    assert "<form" not in html and "csrf" not in html.lower()
    assert url not in html
    assert "Set-Cookie" not in response.headers  # the admin's session is left alone
    assert still_blocked(db, blocked_technician)
    assert client.get("/admin/technicians").status_code == 200  # still signed in

    # The same post with the page's own token goes through: the refusal above was the token's.
    token = csrf_token_from(client.get("/admin/technicians").get_data(as_text=True))
    form["csrf_token"] = token
    assert client.post(url, data=form).status_code == 303
    assert not still_blocked(db, blocked_technician)


@csrf_on
def test_a_huge_forged_body_is_not_reflected(client, login_as, blocked_technician, app_config):
    login_as_with_csrf(client, login_as, Role.ADMIN)
    big = "A" * 1_000_000
    response = client.post(
        f"/admin/technicians/{blocked_technician.id}/unblock",
        data={"reason": big, **{f"f{i}": "x" for i in range(500)}},
    )
    assert response.status_code == 400
    assert len(response.get_data()) < 20_000
    assert "AAAAAAAAAA" not in response.get_data(as_text=True)


@csrf_on
def test_an_expired_page_links_back_to_the_page_it_was_on_when_that_is_ours(
    client, login_as, app_config
):
    login_as_with_csrf(client, login_as, Role.ADMIN)

    def reload_link(referrer: str | None) -> str:
        headers = {"Referer": referrer} if referrer else {}
        response = client.post("/admin/users", data={"name": "x"}, headers=headers)
        assert response.status_code == 400
        return re.search(r'<a class="button" href="([^"]*)"', response.get_data(as_text=True))[1]

    assert reload_link("http://localhost/admin/users?show=all") == "/admin/users?show=all"
    assert reload_link("http://localhost/admin/technicians") == "/admin/technicians"
    assert reload_link("https://evil.example/admin/users") == "/"  # another site's page
    assert reload_link("http://localhost//evil.example/x") == "/"
    assert reload_link("http://localhost/logout") == "/"  # no page opens there (POST only)
    assert reload_link(None) == "/"


@csrf_on
def test_the_expired_page_speaks_russian(client, make_user, app_config):
    response = client.post(
        "/login", data={"email": "x@example.test"}, headers={"Accept-Language": "ru"}
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Страница устарела" in html and "Ничего не изменено" in html
    assert "Set-Cookie" not in response.headers


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
