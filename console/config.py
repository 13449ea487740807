"""Configuration read from the environment.

The embedded default (no environment at all) is a single SQLite file and in-process jobs, so a
laptop runs the whole console with `make run`. Production sets ``CONSOLE_ENV=production`` plus
``SECRET_KEY``, ``DATABASE_URL`` (PostgreSQL) and ``REDIS_URL``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path


def _bool(value: str | None, default: bool = False) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _secret_key(instance_path: Path) -> str:
    """A key generated once into ``instance/`` so sessions survive restarts of the embedded app."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


class ConfigError(RuntimeError):
    """The environment is not fit to run the console (said before the first request)."""


def from_environment(instance_path: Path) -> dict:
    env = os.environ
    production = env.get("CONSOLE_ENV", "development").lower() == "production"
    database_url = env.get("DATABASE_URL") or f"sqlite:///{instance_path / 'console.db'}"
    if database_url.startswith("postgres://"):  # the form many hosts hand out
        database_url = "postgresql+psycopg://" + database_url[len("postgres://") :]
    elif database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]

    secret_key = env.get("SECRET_KEY")
    if not secret_key:
        if production:
            raise ConfigError("SECRET_KEY must be set when CONSOLE_ENV=production")
        secret_key = _secret_key(instance_path)

    https = _bool(env.get("CONSOLE_HTTPS"), default=production)
    return {
        "PRODUCTION": production,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(database_url),
        "REDIS_URL": env.get("REDIS_URL") or None,
        # Sessions: a working shift is long; the server-side session row is what really ends one.
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(env.get("SESSION_HOURS", "12"))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # The cookie is not re-sent on every autosave; the server-side session row is what
        # tracks activity (its last-seen time) and what ends a session.
        "SESSION_REFRESH_EACH_REQUEST": False,
        "SESSION_COOKIE_SECURE": https,
        "PREFERRED_URL_SCHEME": "https" if https else "http",
        "CONSOLE_HTTPS": https,
        # Proxies in front of the app whose X-Forwarded-For/-Proto/-Host/-Port are believed
        # (Caddy or nginx terminating TLS: 1). 0: none, the headers are ignored.
        "PROXY_HOPS": int(env.get("PROXY_HOPS", "0")),
        # A CSRF token lives as long as the shift; an older page renews it (see static/console.js)
        # and an expired one gets a "reload" prompt, never a bare 400.
        "WTF_CSRF_TIME_LIMIT": int(env.get("CSRF_HOURS", "12")) * 3600,
        "WTF_CSRF_SSL_STRICT": https,
        # Sign-in limits, counted in the database (shared by every process, Redis or not):
        # failures per account from any address, and per address across accounts, in the window.
        "LOGIN_ACCOUNT_FAILURES": int(env.get("LOGIN_ACCOUNT_FAILURES", "10")),
        "LOGIN_ADDRESS_FAILURES": int(env.get("LOGIN_ADDRESS_FAILURES", "30")),
        "LOGIN_FAILURE_WINDOW_MINUTES": int(env.get("LOGIN_FAILURE_WINDOW_MINUTES", "15")),
        # Password checks (argon2: ~0.2 s and 64 MB each) run at once per process; the rest wait
        # this long, then are told to try again.
        "LOGIN_HASH_SLOTS": int(env.get("LOGIN_HASH_SLOTS", "2")),
        "LOGIN_HASH_WAIT_SECONDS": float(env.get("LOGIN_HASH_WAIT_SECONDS", "5")),
        # Redis (jobs): how long to wait for a connection, and how long after a failure the web
        # process leaves it alone (jobs' rows wait for the periodic retry meanwhile).
        "REDIS_CONNECT_TIMEOUT": float(env.get("REDIS_CONNECT_TIMEOUT", "2")),
        "REDIS_RETRY_SECONDS": int(env.get("REDIS_RETRY_SECONDS", "30")),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "CONSOLE_LANGUAGES": ["en", "ru"],
        "DEFAULT_USER_TIMEZONE": env.get("DEFAULT_USER_TIMEZONE", "Europe/Moscow"),
        # One request cannot hold a worker: a few MB and a bounded number of fields (a view that
        # needs more, such as an order import, says so: console.bad_input.accepts_large_body).
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
        "MAX_FORM_PARTS": 1000,
        # The call list (operator console).
        "CALL_DELAY_DAYS": int(env.get("CALL_DELAY_DAYS", "3")),  # DOMAIN.md, 001: 3 or 7
        "CALL_MAX_AGE_DAYS": int(env.get("CALL_MAX_AGE_DAYS", "30")),  # older orders: no call
        "CALL_MAX_ATTEMPTS": int(env.get("CALL_MAX_ATTEMPTS", "4")),
        "CALL_LEASE_SECONDS": int(env.get("CALL_LEASE_SECONDS", "300")),
        "CALL_RETRY_MINUTES": {"no_answer": 180, "busy": 30, "voicemail": 180},
        # Complaints (QC desk): first answer within 12 hours (DOMAIN.md, 001).
        "COMPLAINT_ANSWER_HOURS": int(env.get("COMPLAINT_ANSWER_HOURS", "12")),
        # Resolution: working days when the client counts working time only, else calendar days.
        "COMPLAINT_RESOLUTION_DAYS": int(env.get("COMPLAINT_RESOLUTION_DAYS", "3")),
        # A deadline is "due soon" (amber badge, warning to the assignee) this long before it.
        "COMPLAINT_DUE_SOON_MINUTES": int(env.get("COMPLAINT_DUE_SOON_MINUTES", "120")),
        # Departments a complaint can be handed over to (DOMAIN.md, 002).
        "COMPLAINT_DEPARTMENTS": ["qc", "service", "sales", "accounting", "management"],
        # Cause categories of valid complaints and confirmed repeat repairs.
        "COMPLAINT_CAUSES": [
            "workmanship",
            "parts",
            "diagnosis",
            "communication",
            "delay",
            "pricing",
            "customer_misuse",
            "other",
        ],
        # Repeat repairs (DOMAIN.md, 000): a visit within this many days of the previous one.
        "REPEAT_REPAIR_DAYS": int(env.get("REPEAT_REPAIR_DAYS", "14")),
        # Customers with at least this many complaints in the window are marked for QC (002).
        "FREQUENT_COMPLAINER_COUNT": int(env.get("FREQUENT_COMPLAINER_COUNT", "3")),
        "FREQUENT_COMPLAINER_DAYS": int(env.get("FREQUENT_COMPLAINER_DAYS", "365")),
        # Complaint attachments: files under ATTACHMENTS_DIR (the instance folder's attachments/),
        # or in an S3-compatible bucket when ATTACHMENTS_S3_BUCKET is set (credentials from the
        # usual AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, or the machine's role).
        "ATTACHMENTS_DIR": env.get("ATTACHMENTS_DIR") or str(instance_path / "attachments"),
        "ATTACHMENTS_S3_BUCKET": env.get("ATTACHMENTS_S3_BUCKET", ""),
        "ATTACHMENTS_S3_ENDPOINT_URL": env.get("ATTACHMENTS_S3_ENDPOINT_URL", ""),
        "ATTACHMENTS_S3_REGION": env.get("ATTACHMENTS_S3_REGION", ""),
        "ATTACHMENTS_S3_PREFIX": env.get("ATTACHMENTS_S3_PREFIX", "attachments/"),
        # Per file; files per upload; files a complaint shows at most.
        "ATTACHMENT_MAX_MB": int(env.get("ATTACHMENT_MAX_MB", "10")),
        "ATTACHMENTS_PER_UPLOAD": int(env.get("ATTACHMENTS_PER_UPLOAD", "5")),
        "ATTACHMENTS_PER_COMPLAINT": int(env.get("ATTACHMENTS_PER_COMPLAINT", "20")),
        # How often an open complaint page says "still here" (and learns who else is): seconds.
        "PRESENCE_POLL_SECONDS": float(env.get("PRESENCE_POLL_SECONDS", "15")),
        # Notifications: email through SMTP (none sent when SMTP_HOST is empty) and a webhook.
        "SMTP_HOST": env.get("SMTP_HOST", ""),
        "SMTP_PORT": int(env.get("SMTP_PORT", "587")),
        "SMTP_USERNAME": env.get("SMTP_USERNAME", ""),
        "SMTP_PASSWORD": env.get("SMTP_PASSWORD", ""),
        "SMTP_STARTTLS": env.get("SMTP_STARTTLS", "1") == "1",
        "SMTP_SENDER": env.get("SMTP_SENDER", "qc-console@localhost"),
        "SMTP_TIMEOUT": float(env.get("SMTP_TIMEOUT", "10")),
        "NOTIFY_WEBHOOK_URL": env.get("NOTIFY_WEBHOOK_URL", ""),
        # Set: each webhook POST is signed (X-Console-Signature, HMAC-SHA256) for the receiver.
        "NOTIFY_WEBHOOK_SECRET": env.get("NOTIFY_WEBHOOK_SECRET", ""),
        # The language of webhook messages, and of emails to people who chose no language.
        "NOTIFY_LANGUAGE": env.get("NOTIFY_LANGUAGE", "en"),
        # Where the console is reached (https://qc.example.com): links in emails and webhooks.
        "CONSOLE_BASE_URL": env.get("CONSOLE_BASE_URL", ""),
        "NOTIFY_WEBHOOK_TIMEOUT": float(env.get("NOTIFY_WEBHOOK_TIMEOUT", "5")),
        # Attempts per delivery, and the wait before each retry (minutes; the last one repeats).
        "NOTIFY_MAX_ATTEMPTS": int(env.get("NOTIFY_MAX_ATTEMPTS", "5")),
        "NOTIFY_RETRY_MINUTES": [1, 5, 15, 60],
    }


def _engine_options(database_url: str) -> dict:
    if database_url.startswith("sqlite"):
        # Several gunicorn workers share one file: wait for the write lock instead of failing.
        return {"connect_args": {"timeout": 15}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}
