"""Sign-in, sign-out and server-side sessions."""

from __future__ import annotations

from console.models import AuditEntry, Role, UserSession
from console.services import auth as auth_service

PASSWORD = "correct horse battery"


def audit_actions(db):
    return [e.action for e in db.session.query(AuditEntry).order_by(AuditEntry.id)]


def test_wrong_password_says_so_and_keeps_the_email(client, make_user, db):
    user = make_user(Role.QC)
    response = client.post("/login", data={"email": user.email, "password": "nope"})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Wrong email or password." in html
    assert f'value="{user.email}"' in html
    assert "auth.sign_in_failed" in audit_actions(db)


def test_unknown_email_gets_the_same_message_as_a_wrong_password(client):
    response = client.post("/login", data={"email": "nobody@example.test", "password": "x"})
    assert "Wrong email or password." in response.get_data(as_text=True)


def test_email_is_case_insensitive(client, make_user):
    user = make_user(Role.QC)
    response = client.post("/login", data={"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 302


def test_sign_in_starts_a_new_server_session_and_logs_it(client, make_user, db):
    user = make_user(Role.OPERATOR)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    first = db.session.query(UserSession).filter_by(user_id=user.id).one()
    client.post("/logout")
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    sessions = db.session.query(UserSession).filter_by(user_id=user.id).all()
    assert len(sessions) == 2
    assert sessions[1].token != first.token
    assert audit_actions(db).count("auth.sign_in") == 2
    assert "auth.sign_out" in audit_actions(db)


def test_sign_out_ends_the_session_on_the_server(app, client, make_user):
    """A copy of the cookie taken before signing out is worthless afterwards."""
    user = make_user(Role.OPERATOR)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    stolen = client.get_cookie("session").value
    assert client.get("/operator/").status_code == 200
    client.post("/logout")

    thief = app.test_client()
    thief.set_cookie("session", stolen)
    response = thief.get("/operator/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_deactivating_a_user_signs_them_out_everywhere(app, client, make_user, login_as, db):
    operator = make_user(Role.OPERATOR)
    other_browser = app.test_client()
    other_browser.post("/login", data={"email": operator.email, "password": PASSWORD})
    assert other_browser.get("/operator/").status_code == 200

    login_as(Role.ADMIN)
    response = client.post(f"/admin/users/{operator.id}/active/off")
    assert response.status_code == 302
    assert other_browser.get("/operator/").status_code == 302
    # ...and cannot sign in again.
    again = app.test_client().post("/login", data={"email": operator.email, "password": PASSWORD})
    assert "Wrong email or password." in again.get_data(as_text=True)
    assert "user.deactivated" in audit_actions(db)


def test_next_parameter_cannot_redirect_off_site(client, make_user):
    user = make_user(Role.QC)
    response = client.post(
        "/login?next=https://evil.example/", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/qc/"


def test_next_parameter_returns_to_the_page_asked_for(client, make_user):
    user = make_user(Role.ADMIN)
    assert "/login?next=/admin/users" in client.get("/admin/users").headers["Location"]
    response = client.post(
        "/login?next=/admin/users", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/admin/users"


def test_passwords_are_stored_as_argon2_hashes(make_user):
    user = make_user(Role.QC)
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash


def test_a_new_hash_is_written_when_argon2_parameters_change(db, make_user):
    from argon2 import PasswordHasher

    user = make_user(Role.QC)
    old_hash = user.password_hash
    previous = auth_service.use_password_hasher(PasswordHasher(time_cost=4, memory_cost=1024))
    try:
        assert auth_service.authenticate(user.email, PASSWORD) == user
    finally:
        auth_service.use_password_hasher(previous)
    assert user.password_hash != old_hash
    assert "m=1024,t=4" in user.password_hash


def test_next_page_the_role_may_not_open_lands_on_the_home_page_instead(client, make_user):
    user = make_user(Role.QC)
    response = client.post(
        "/login?next=/admin/users", data={"email": user.email, "password": PASSWORD}
    )
    assert response.headers["Location"] == "/qc/"


def test_a_polling_tab_does_not_keep_an_idle_session_alive(client, make_user, db):
    """The notice bell and the live board poll on their own; only the person's requests count."""
    from datetime import timedelta

    from console.models import utcnow

    user = make_user(Role.SUPERVISOR)
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    row = db.session.query(UserSession).filter_by(user_id=user.id).one()
    idle_since = utcnow() - timedelta(hours=1)
    row.last_seen_at = idle_since
    db.session.commit()

    poll = client.get("/reports/live", headers={"HX-Request": "true", "X-Console-Poll": "1"})
    assert poll.status_code == 200
    db.session.refresh(row)
    assert row.last_seen_at == idle_since

    assert client.get("/reports/live").status_code == 200  # the person clicks: that counts
    db.session.refresh(row)
    assert row.last_seen_at > idle_since
