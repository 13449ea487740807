"""Limits on password guessing: per account from any address, per address across accounts,
counted in the database (every process sees the same counts, with or without Redis), refused
before any password is checked; and password checks that cannot take every core."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import func, select

from console.models import LoginFailure, Role, utcnow
from console.services import auth as auth_service
from console.services import login_throttle
from tests.conftest import PASSWORD
from tests.helpers import on_both_databases


class WatchedHasher(PasswordHasher):
    """Cheap argon2 parameters (thirty failed sign-ins stay fast), and a record of each check:
    how many ran, and whether a database transaction was open during one. A check started while
    ``slow`` is set takes until it is cleared (a sign-in that holds its password check)."""

    def __init__(self, db):
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.db = db
        self.checks = 0
        self.in_transaction = []
        self.slow = threading.Event()
        self.checking = threading.Event()
        self.done = threading.Event()

    def verify(self, hash, password):
        self.checks += 1
        self.in_transaction.append(self.db.session().in_transaction())
        if self.slow.is_set():
            self.checking.set()
            self.done.wait(timeout=10)
        return super().verify(hash, password)


@pytest.fixture
def hasher(db):
    watched = WatchedHasher(db)
    previous = auth_service.use_password_hasher(watched)
    yield watched
    auth_service.use_password_hasher(previous)


def sign_in(client, email, password="wrong", address="203.0.113.5", **headers):  # noqa: S107
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_overrides={"REMOTE_ADDR": address},
        headers=headers,
    )


def text(response) -> str:
    return response.get_data(as_text=True)


def test_one_address_trying_many_accounts_is_refused(client, hasher, make_user):
    """30 failures from one address (the default), each on another account: the 31st attempt
    from there is refused whatever the account; the same account elsewhere is not."""
    user = make_user(Role.QC)
    for n in range(30):
        assert sign_in(client, f"guess{n}@example.test").status_code == 200
    refused = sign_in(client, user.email, PASSWORD)
    assert refused.status_code == 429
    assert "Too many attempts from your network address. Try again in 15 minutes." in text(refused)
    assert sign_in(client, user.email, PASSWORD, address="198.51.100.7").status_code == 302


def test_many_addresses_trying_one_account_are_refused_after_the_account_limit(
    client, hasher, make_user
):
    """10 failures on one account (the default), each from another address: from then on the
    account is refused from anywhere, even with its password; other accounts are not."""
    user = make_user(Role.QC)
    answers = [sign_in(client, user.email, address=f"192.0.2.{n}") for n in range(1, 13)]
    assert [r.status_code for r in answers] == [200] * 10 + [429, 429]
    assert "Too many attempts for this account. Try again in 15 minutes." in text(answers[10])
    assert sign_in(client, user.email, PASSWORD, address="192.0.2.99").status_code == 429
    other = make_user(Role.QC)
    assert sign_in(client, other.email, PASSWORD, address="192.0.2.1").status_code == 302


def test_an_unknown_email_is_limited_like_an_account(client, hasher):
    """Or the refusal would tell which emails have accounts."""
    for _ in range(10):
        assert sign_in(client, "nobody@example.test").status_code == 200
    assert sign_in(client, "nobody@example.test").status_code == 429


@pytest.mark.parametrize("app_config", [{"LOGIN_ACCOUNT_FAILURES": 2}])
def test_a_refused_attempt_checks_no_password_and_counts_nothing(
    client, db, hasher, make_user, app_config
):
    user = make_user(Role.QC)
    sign_in(client, user.email)
    sign_in(client, user.email)
    checks = hasher.checks
    for _ in range(5):
        assert sign_in(client, user.email, PASSWORD).status_code == 429
    assert hasher.checks == checks
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 2


@on_both_databases
def test_the_message_names_the_wait_in_the_readers_language(client, db, hasher):
    """The 10th latest failure is 3½ minutes old: it leaves the 15-minute window in 11½."""
    failed_at = utcnow() - timedelta(minutes=3, seconds=30)
    for _ in range(10):
        login_throttle.record_failure("anna@example.test", "198.51.100.1", now=failed_at)
    db.session.commit()

    english = sign_in(client, "Anna@Example.test", PASSWORD)
    assert english.status_code == 429
    assert "Too many attempts for this account. Try again in 12 minutes." in text(english)
    assert 680 <= int(english.headers["Retry-After"]) <= 690
    russian = sign_in(client, "anna@example.test", PASSWORD, **{"Accept-Language": "ru"})
    assert "Слишком много попыток входа в эту учётную запись" in text(russian)
    assert "Попробуйте снова через 12 минут." in text(russian)


@pytest.mark.parametrize("app_config", [{"LOGIN_ADDRESS_FAILURES": 3}])
def test_a_sign_in_forgets_only_the_persons_own_failures(
    app, client, hasher, make_user, app_config
):
    """Someone at the same address signing in does not give a guesser more tries; the person's
    own typos are forgotten once they get in."""
    guessed, colleague = make_user(Role.QC), make_user(Role.QC)
    sign_in(client, guessed.email)
    colleagues_browser = app.test_client()
    sign_in(colleagues_browser, colleague.email)  # the colleague's own typo...
    assert sign_in(colleagues_browser, colleague.email, PASSWORD).status_code == 302  # forgotten
    assert sign_in(client, guessed.email).status_code == 200
    assert sign_in(client, "third@example.test").status_code == 200  # 3 here, the guesser's
    assert sign_in(client, guessed.email, PASSWORD).status_code == 429


@on_both_databases
def test_every_process_counts_the_same_failures_without_redis(build_app, database_url):
    """Two app instances on one database stand for two gunicorn workers."""
    first, second = (
        build_app(database_url, LOGIN_ACCOUNT_FAILURES=2, REDIS_URL=None) for _ in range(2)
    )
    data = {"email": "someone@example.test", "password": "wrong"}
    assert first.test_client().post("/login", data=data).status_code == 200
    assert second.test_client().post("/login", data=data).status_code == 200
    assert first.test_client().post("/login", data=data).status_code == 429
    assert second.test_client().post("/login", data=data).status_code == 429


def test_a_password_longer_than_1024_characters_is_refused_before_hashing(
    client, hasher, make_user
):
    user = make_user(Role.QC)
    response = sign_in(client, user.email, "x" * 1025)
    assert response.status_code == 200
    assert "Field cannot be longer than 1024 characters." in text(response)
    assert hasher.checks == 0
    assert sign_in(client, user.email, PASSWORD).status_code == 302


def test_the_password_is_checked_with_no_transaction_open(client, hasher, make_user):
    """On SQLite a sign-in writes (its session, the audit log): the lock is not held while
    argon2 runs, so sign-ins do not queue behind each other's password checks."""
    user = make_user(Role.QC)
    sign_in(client, user.email)
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    assert hasher.in_transaction == [False, False]


@pytest.mark.parametrize("app_config", [{"LOGIN_HASH_SLOTS": 1, "LOGIN_HASH_WAIT_SECONDS": 0}])
def test_when_every_password_check_is_taken_sign_in_says_busy(
    app, client, db, hasher, make_user, app_config
):
    user = make_user(Role.QC)
    hasher.slow.set()  # someone else signs in, and their password check takes its time
    elsewhere = threading.Thread(target=sign_in, args=(app.test_client(), user.email, PASSWORD))
    elsewhere.start()
    try:
        assert hasher.checking.wait(timeout=10)
        hasher.slow.clear()
        busy = sign_in(client, user.email, PASSWORD)
    finally:
        hasher.done.set()
        elsewhere.join(timeout=10)
    assert busy.status_code == 503
    assert "Sign-in is busy right now. Try again in a few seconds." in text(busy)
    assert busy.headers["Retry-After"] == "5"
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 0
    assert sign_in(client, user.email, PASSWORD).status_code == 302


def test_a_stale_session_cookie_does_not_break_sign_in(app, client, db, hasher, make_user):
    """A browser that still carries an ended session's cookie signs in (and fails) as usual."""
    user = make_user(Role.QC)
    assert sign_in(client, user.email, PASSWORD).status_code == 302
    stale = client.get_cookie("session").value
    auth_service.revoke_all_sessions(user)
    db.session.commit()
    other = app.test_client()
    other.set_cookie("session", stale)
    assert sign_in(other, user.email).status_code == 200
    assert sign_in(other, user.email, PASSWORD).status_code == 302


def test_an_ipv6_network_counts_as_one_address():
    """A home line gets a whole /64: one address each would be no limit."""
    key = login_throttle.address_key
    assert key("2001:db8:1:2::1") == key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert key("2001:db8:1:3::1") != key("2001:db8:1:2::1")
    assert key("::ffff:192.0.2.1") == key("192.0.2.1") == "192.0.2.1"
    assert key(None) == "unknown"


def test_old_failures_are_deleted_by_housekeeping(app, db):
    from console.jobs.housekeeping import forget_old_login_failures

    now = utcnow()
    login_throttle.record_failure("a@example.test", "192.0.2.1", now=now - timedelta(minutes=16))
    login_throttle.record_failure("a@example.test", "192.0.2.1", now=now - timedelta(minutes=1))
    db.session.commit()
    assert forget_old_login_failures() == 1
    assert db.session.scalar(select(func.count()).select_from(LoginFailure)) == 1
