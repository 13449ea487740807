"""Language and time zone: from the profile, else from the browser."""

from __future__ import annotations

from datetime import UTC, datetime

from console.models import Role


def test_language_follows_the_browser_when_the_profile_does_not_say(client):
    html = client.get("/login", headers={"Accept-Language": "ru-RU,ru;q=0.9"}).get_data(
        as_text=True
    )
    assert '<html lang="ru">' in html
    assert "Войти" in html


def test_profile_language_wins_over_the_browser(client, login_as, db):
    user = login_as(Role.QC)
    response = client.post("/profile", data={"locale": "ru", "timezone": "Asia/Yekaterinburg"})
    assert response.status_code == 302
    db.session.refresh(user)
    assert (user.locale, user.timezone) == ("ru", "Asia/Yekaterinburg")
    html = client.get("/qc/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="ru">' in html
    assert "Жалобы" in html


def test_times_are_shown_in_the_users_time_zone(app, make_user):
    from flask_babel import format_datetime
    from flask_login import login_user

    user = make_user(Role.QC, timezone="Asia/Novosibirsk")
    with app.test_request_context():
        from console.services.auth import start_session

        start_session(user, ip=None, user_agent=None)
        login_user(user)
        shown = app.jinja_env.filters["datetime"](datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "HH:mm")
        assert shown == "16:00"  # UTC+7
        assert format_datetime  # the filter wraps Flask-Babel's formatter
