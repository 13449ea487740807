"""What every benchmark shares: the app built on a benchmark database, JSON output, timing."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
DATA_DIR = BENCH_DIR / ".data"
PG_ADMIN_URL = os.environ.get(
    "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
PASSWORD = "demo"  # every benchmark operator's password (as the demo users')
OPERATOR_EMAIL = "bench-op-{:02d}@bench.local"


def emit(name: str, value, unit: str, db: str | None = None, **extra) -> dict:
    """One figure, one JSON object on one line of stdout."""
    record = {"name": name, "value": value, "unit": unit}
    if db is not None:
        record["db"] = db
    record.update(extra)
    print(json.dumps(record, ensure_ascii=False, default=str), flush=True)
    return record


def log(message: str) -> None:
    """Progress goes to stderr, so stdout holds only the JSON lines."""
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def app_config(database_url: str, *, pool_size: int = 10) -> dict:
    """The console as it runs in production, but on the benchmark database, without CSRF (the
    load generator does not scrape tokens) and without Redis."""
    if database_url.startswith("sqlite"):
        engine = {"connect_args": {"timeout": 15}, "pool_size": pool_size, "max_overflow": 0}
    else:
        engine = {"pool_pre_ping": True, "pool_size": pool_size, "max_overflow": 0}
    return {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": engine,
        "WTF_CSRF_ENABLED": False,
        "REDIS_URL": None,
        "SECRET_KEY": "bench-secret-key-not-for-production",
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_ENABLED": False,
        "CONSOLE_HTTPS": False,
        "SESSION_COOKIE_SECURE": False,
    }


def make_app(database_url: str, *, pool_size: int = 10):
    import gc

    from console import create_app

    app = create_app(app_config(database_url, pool_size=pool_size))
    gc.freeze()  # as wsgi.py does in every worker
    return app


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]
