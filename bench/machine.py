"""The description of the machine and the software a run measured."""

from __future__ import annotations

import os
import platform
import sqlite3
from importlib import metadata

import sqlalchemy as sa

from bench.common import PG_ADMIN_URL


def _cpu_model() -> str | None:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def _memory_gib() -> float | None:
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemTotal:"):
                    return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        pass
    return None


def _postgres_version() -> str | None:
    try:
        engine = sa.create_engine(PG_ADMIN_URL)
        with engine.connect() as conn:
            version = conn.execute(sa.text("SHOW server_version")).scalar()
        engine.dispose()
        return version
    except Exception:  # noqa: BLE001 - no server: said as null
        return None


def _versions(*names: str) -> dict:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def describe() -> dict:
    return {
        "cores": os.cpu_count(),
        "cpu": _cpu_model(),
        "memory_gib": _memory_gib(),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": _postgres_version(),
        "packages": _versions("Flask", "Werkzeug", "Jinja2", "SQLAlchemy", "psycopg", "gunicorn"),
    }
