"""WSGI entry for gunicorn in the benchmarks: the console on ``BENCH_DATABASE_URL``, configured
as in ``bench.common.app_config`` (``gunicorn bench.serve:app``). ``BENCH_HTTPS=1`` turns on
what production behind a TLS proxy sends: HSTS and secure cookies."""

from __future__ import annotations

import os

from bench.common import app_config
from console import create_app

config = app_config(os.environ["BENCH_DATABASE_URL"])
if os.environ.get("BENCH_HTTPS") == "1":
    config.update(CONSOLE_HTTPS=True, SESSION_COOKIE_SECURE=True)
app = create_app(config)
