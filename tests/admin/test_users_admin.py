"""Admin → Users: editing a person, the one-time password link (works once, expires, signs the
person out everywhere, emailed when mail is configured), the rules that keep an admin, and who
may do it."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from console.models import AuditEntry, PasswordReset, Role, User, UserSession, utcnow
from console.services import password_reset
from tests.conftest import PASSWORD
from tests.helpers import on_both_databases

pytest_plugins = ["tests.qc.fake_endpoints"]  # smtp_server, refused_port

NEW_PASSWORD = "a much better passphrase"


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def edit_data(user: User, **changes) -> dict:
    data = {
        "name": user.name,
        "email": user.email,
        "role": user.role.value,
        "locale": user.locale or "",
        "timezone": user.timezone,
    }
    data.update(changes)
    return data


def fresh(db, user: User) -> User:
    db.session.rollback()
    return db.session.get(User, user.id, populate_existing=True)


def link_from(html: str) -> str:
    return re.search(r'id="password-link" type="text" readonly value="([^"]+)"', html)[1]


# --- editing --------------------------------------------------------------------------------


@on_both_databases
def test_edit_a_user_and_the_audit_names_the_changed_fields(db, client, admin, make_user):
    anna = make_user(Role.OPERATOR, name="Anna", email="anna@example.test")
    page = client.get(f"/admin/users/{anna.id}").get_data(as_text=True)
    assert 'value="anna@example.test"' in page and "Europe/Moscow" in page  # the zone list

    response = client.post(
        f"/admin/users/{anna.id}",
        data=edit_data(
            anna,
            name="Anna Smirnova",
            email="  Anna.S@Example.TEST ",
            role="qc",
            locale="ru",
            timezone="Asia/Yekaterinburg",
        ),
    )
    assert response.status_code == 303
    anna = fresh(db, anna)
    assert (anna.name, anna.email, anna.role, anna.locale, anna.timezone) == (
        "Anna Smirnova",
        "anna.s@example.test",  # normalised like at sign-in
        Role.QC,
        "ru",
        "Asia/Yekaterinburg",
    )
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "user.updated"))
    assert entry.actor_id == admin.id and entry.entity_id == str(anna.id)
    assert entry.details["role"] == ["operator", "qc"]
    assert entry.details["email"] == ["anna@example.test", "anna.s@example.test"]
    assert set(entry.details) == {"name", "email", "role", "locale", "timezone"}

    # "From the browser" is no language of one's own.
    client.post(f"/admin/users/{anna.id}", data=edit_data(anna, locale=""))
    assert fresh(db, anna).locale is None


def test_edit_errors_are_shown_next_to_their_fields(db, client, admin, make_user):
    anna = make_user(Role.OPERATOR, email="anna@example.test")
    make_user(Role.QC, email="taken@example.test")
    response = client.post(
        f"/admin/users/{anna.id}", data=edit_data(anna, email="TAKEN@example.test")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and "A user with this email already exists." in html
    response = client.post(f"/admin/users/{anna.id}", data=edit_data(anna, timezone="Mars/Base"))
    assert response.status_code == 422
    assert 'id="timezone-error"' in response.get_data(as_text=True)
    response = client.post(f"/admin/users/{anna.id}", data=edit_data(anna, email="not an email"))
    assert response.status_code == 422
    assert 'id="email-error"' in response.get_data(as_text=True)
    assert fresh(db, anna).email == "anna@example.test"


def test_an_admin_cannot_demote_or_deactivate_themselves(db, client, admin, make_user):
    response = client.post(f"/admin/users/{admin.id}", data=edit_data(admin, role="operator"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "You cannot take the admin role from yourself" in html
    assert fresh(db, admin).role == Role.ADMIN
    # Their other details they can change.
    assert (
        client.post(f"/admin/users/{admin.id}", data=edit_data(admin, name="Me")).status_code == 303
    )

    response = client.post(f"/admin/users/{admin.id}/active/off", follow_redirects=True)
    assert "You cannot deactivate yourself." in response.get_data(as_text=True)
    assert fresh(db, admin).active


def test_the_last_active_admin_stays(db, make_user):
    from console.services import users as user_service

    only = make_user(Role.ADMIN)
    with pytest.raises(user_service.UserChangeRefused) as refused:
        user_service.deactivate(only, by=None, now=utcnow())
    assert "last active admin" in str(refused.value.errors["active"])
    with pytest.raises(user_service.UserChangeRefused):
        user_service.update_user(
            only, name="x", email=only.email, role="qc", locale=None, timezone="UTC", by=None
        )
    other = make_user(Role.ADMIN)
    user_service.update_user(
        only, name="x", email=only.email, role="qc", locale=None, timezone="UTC", by=other
    )
    assert only.role == Role.QC


def test_another_admin_can_be_demoted_and_deactivated(db, client, admin, make_user):
    other = make_user(Role.ADMIN)
    response = client.post(f"/admin/users/{other.id}", data=edit_data(other, role="supervisor"))
    assert response.status_code == 303
    assert client.post(f"/admin/users/{other.id}/active/off").status_code == 302
    other = fresh(db, other)
    assert other.role == Role.SUPERVISOR and not other.active


# --- the password link ----------------------------------------------------------------------


@on_both_databases
def test_a_password_link_works_once_and_signs_the_person_out_everywhere(
    app, db, client, admin, make_user
):
    anna = make_user(Role.OPERATOR, email="anna@example.test")
    annas_browser = app.test_client()
    annas_browser.post("/login", data={"email": anna.email, "password": PASSWORD})
    assert annas_browser.get("/operator/").status_code == 200

    response = client.post(f"/admin/users/{anna.id}/password-link")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    url = link_from(html)
    assert "/password/" in url and "works once, for 24 hours" in html
    assert "email is not configured" in html
    token = url.rsplit("/", 1)[1]
    stored = db.session.scalar(select(PasswordReset).where(PasswordReset.user_id == anna.id))
    assert token not in stored.token_hash and len(stored.token_hash) == 64  # only a hash
    assert stored.expires_at - stored.created_at == timedelta(hours=24)

    visitor = app.test_client()  # the link is public: Anna cannot sign in
    path = "/password/" + token
    response = visitor.get(path)
    page = response.get_data(as_text=True)
    assert "Set your password" in page and "anna@example.test" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"  # the token stays here

    # Too short, then not the same twice: field errors, nothing used up.
    response = visitor.post(path, data={"password": "short", "confirm": "short"})
    assert response.status_code == 422 and "At least 8 characters." in response.get_data(
        as_text=True
    )
    response = visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"})
    assert response.status_code == 422
    assert "The two passwords are not the same." in response.get_data(as_text=True)

    response = visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    assert annas_browser.get("/operator/").status_code == 302  # signed out there
    db.session.rollback()
    live = db.session.scalars(
        select(UserSession).where(UserSession.user_id == anna.id, UserSession.revoked_at.is_(None))
    ).all()
    assert live == []
    assert "user.password_reset" in db.session.scalars(select(AuditEntry.action)).all()

    # The new password signs in; the old one does not.
    old = app.test_client().post("/login", data={"email": anna.email, "password": PASSWORD})
    assert old.status_code == 200
    new = app.test_client().post("/login", data={"email": anna.email, "password": NEW_PASSWORD})
    assert new.status_code == 302

    # Once only.
    again = visitor.get(path)
    assert again.status_code == 404 and "This link does not work" in again.get_data(as_text=True)
    again = visitor.post(path, data={"password": "another one!", "confirm": "another one!"})
    assert again.status_code == 404


def test_a_password_link_expires_and_a_newer_one_replaces_it(app, db, client, admin, make_user):
    anna = make_user(Role.QC)
    first = link_from(client.post(f"/admin/users/{anna.id}/password-link").get_data(as_text=True))
    second = link_from(client.post(f"/admin/users/{anna.id}/password-link").get_data(as_text=True))
    visitor = app.test_client()
    assert visitor.get(first.split("localhost", 1)[1]).status_code == 404  # replaced
    path = second.split("localhost", 1)[1]
    assert visitor.get(path).status_code == 200
    page = client.get(f"/admin/users/{anna.id}").get_data(as_text=True)
    assert "works until" in page and 'id="password-link"' not in page  # shown only once

    db.session.rollback()
    reset = password_reset.open_link(anna, utcnow())
    reset.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert visitor.get(path).status_code == 404
    response = visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 404
    assert fresh(db, anna).password_hash != ""


def test_deactivating_ends_the_link_and_a_deactivated_user_gets_none(
    app, db, client, admin, make_user
):
    anna = make_user(Role.QC)
    url = link_from(client.post(f"/admin/users/{anna.id}/password-link").get_data(as_text=True))
    client.post(f"/admin/users/{anna.id}/active/off")
    assert app.test_client().get(url.split("localhost", 1)[1]).status_code == 404
    response = client.post(f"/admin/users/{anna.id}/password-link", follow_redirects=True)
    assert "Reactivate" in response.get_data(as_text=True)
    assert password_reset.open_link(fresh(db, anna), utcnow()) is None


def test_unknown_and_absurd_tokens_are_not_found(client):
    assert client.get("/password/nope").status_code == 404
    assert client.get("/password/" + "x" * 5000).status_code == 404
    response = client.post(
        "/password/nope", data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    )
    assert response.status_code == 404


def test_the_link_is_emailed_when_mail_is_configured(
    app, db, client, admin, make_user, smtp_server, refused_port
):
    smtp_server.refuse = False
    app.config.update(
        SMTP_HOST="127.0.0.1", SMTP_PORT=smtp_server.port, SMTP_STARTTLS=False, SMTP_TIMEOUT=3
    )
    anna = make_user(Role.QC, email="anna@example.test", locale="ru")
    html = client.post(f"/admin/users/{anna.id}/password-link").get_data(as_text=True)
    url = link_from(html)
    assert "It was also emailed to anna@example.test." in html
    [raw] = smtp_server.messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert message["To"] == "anna@example.test"
    assert url in message.get_content()
    assert "пароль" in message["Subject"]  # in her language

    # A mail server that cannot be reached: the admin still has the link, and is told.
    app.config.update(SMTP_PORT=refused_port)
    html = client.post(f"/admin/users/{anna.id}/password-link").get_data(as_text=True)
    assert "/password/" in link_from(html)
    assert "It could not be emailed: pass it on yourself." in html


# --- access ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.QC, Role.SUPERVISOR])
def test_only_admins_edit_users(db, client, login_as, make_user, role):
    target = make_user(Role.OPERATOR, name="Target")
    login_as(role)
    for method, url in [
        ("GET", "/admin/users"),
        ("GET", f"/admin/users/{target.id}"),
        ("POST", f"/admin/users/{target.id}"),
        ("POST", f"/admin/users/{target.id}/password-link"),
        ("POST", f"/admin/users/{target.id}/active/off"),
    ]:
        response = client.open(url, method=method, data=edit_data(target, role="admin"))
        assert response.status_code == 403, (method, url)
    target = fresh(db, target)
    assert target.role == Role.OPERATOR and target.active
    assert db.session.scalars(select(PasswordReset)).all() == []
