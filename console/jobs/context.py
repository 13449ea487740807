"""Run a job function inside an application context, whoever calls it.

In a request or the inline scheduler there already is one; in an RQ worker the app is created
once per worker process and reused for every job.
"""

from __future__ import annotations

import functools

from flask import has_app_context

from console.database import writing
from console.extensions import db

_worker_app = None


def _app():
    global _worker_app
    if _worker_app is None:
        from console import create_app

        _worker_app = create_app()
    return _worker_app


def job(func):
    """A job writes: on SQLite its transactions take the write lock when they begin (see
    console/database.py), so it waits its turn instead of failing beside the web requests."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        if has_app_context():
            with writing():
                return func(*args, **kwargs)
        with _app().app_context(), writing():
            try:
                return func(*args, **kwargs)
            except Exception:
                db.session.rollback()
                raise

    return wrapper
