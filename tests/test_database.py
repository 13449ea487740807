"""The database rules every unit of work relies on (console/database.py)."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from console.database import retried_when_deadlocked
from console.models import Role, User
from tests.helpers import on_postgresql

pytestmark = pytest.mark.postgres


@on_postgresql
def test_a_unit_that_postgresql_fails_to_break_a_deadlock_runs_again(app, db, make_user):
    """Two units lock the same two rows in opposite orders: PostgreSQL fails one of them with
    "deadlock detected"; run again, both are done and neither answers an error."""
    first, second = make_user(Role.QC).id, make_user(Role.QC).id
    both_hold_one = threading.Barrier(2)
    runs: list[str] = []

    def lock_in_order(name: str, ids: tuple[int, int]) -> str:
        from console.extensions import db as _db

        runs.append(name)
        _db.session.scalar(select(User.id).where(User.id == ids[0]).with_for_update())
        if runs.count(name) == 1:  # the first run of each waits for the other to hold one
            both_hold_one.wait(timeout=10)
        _db.session.scalar(select(User.id).where(User.id == ids[1]).with_for_update())
        _db.session.commit()
        return name

    done, errors = [], []

    def run(name, ids):
        from console.extensions import db as _db

        with app.app_context():
            try:
                done.append(retried_when_deadlocked(lock_in_order)(name, ids))
            except Exception as exc:
                errors.append(exc)
            finally:
                _db.session.remove()

    threads = [
        threading.Thread(target=run, args=("a", (first, second))),
        threading.Thread(target=run, args=("b", (second, first))),
    ]
    [t.start() for t in threads]
    [t.join(timeout=60) for t in threads]
    assert errors == []
    assert sorted(done) == ["a", "b"]
    assert len(runs) == 3  # one of them ran twice
