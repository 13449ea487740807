"""Background jobs: through RQ and a real worker when Redis is configured, in-process otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console import jobs
from console.extensions import db as _db
from console.models import Role, UserSession, utcnow
from console.services import auth as auth_service


def _stale_and_fresh_sessions(make_user):
    user = make_user(Role.OPERATOR)
    stale = auth_service.start_session(user, ip=None, user_agent=None)
    fresh = auth_service.start_session(user, ip=None, user_agent=None)
    stale.last_seen_at = utcnow() - timedelta(days=2)
    _db.session.commit()
    return stale.id, fresh.id


def test_without_redis_a_job_runs_at_once_in_process(app, make_user):
    stale_id, fresh_id = _stale_and_fresh_sessions(make_user)
    revoked = jobs.enqueue("console.jobs.housekeeping.expire_idle_sessions")
    assert revoked == 1
    _db.session.rollback()  # end the read snapshot taken above; see what the job wrote
    assert _db.session.get(UserSession, stale_id).revoked_at is not None
    assert _db.session.get(UserSession, fresh_id).revoked_at is None


FAILING_CALLS: list[int] = []


def always_failing_job():
    FAILING_CALLS.append(1)
    raise RuntimeError("smtp down")


def test_an_inline_job_that_keeps_failing_is_retried_then_logged_not_raised(app, caplog):
    FAILING_CALLS.clear()
    assert jobs.enqueue("tests.jobs.test_queue.always_failing_job", retries=2) is None
    assert len(FAILING_CALLS) == 3
    assert caplog.text.count("job tests.jobs.test_queue.always_failing_job failed") == 3


@pytest.mark.redis
def test_with_redis_a_worker_runs_the_job(build_app, database_url, redis_url, make_user):
    stale_id, fresh_id = _stale_and_fresh_sessions(make_user)
    app = build_app(database_url, REDIS_URL=redis_url)
    with app.app_context():
        job = jobs.enqueue("console.jobs.housekeeping.expire_idle_sessions", retries=2)
        assert job.retries_left == 2
        assert job.timeout == 120
        assert app.task_queue.count == 1
        result = app.test_cli_runner().invoke(args=["worker", "--burst"])
        assert result.exit_code == 0, result.output
        job.refresh()
        assert job.get_status() == "finished"
        assert job.return_value() == 1
        assert app.task_queue.count == 0
    _db.session.rollback()  # end the read snapshot taken above; see what the job wrote
    assert _db.session.get(UserSession, stale_id).revoked_at is not None
    assert _db.session.get(UserSession, fresh_id).revoked_at is None


def test_worker_command_explains_when_there_is_no_redis(runner):
    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code != 0
    assert "REDIS_URL is not set" in result.output


def test_every_periodic_job_resolves_to_a_function():
    for periodic in jobs.PERIODIC:
        assert callable(jobs.resolve(periodic.func))
        assert periodic.interval > 0


def test_without_redis_periodic_jobs_run_in_a_thread_of_the_web_process(app, make_user):
    import threading
    import time

    stale_id, _ = _stale_and_fresh_sessions(make_user)
    stop = threading.Event()
    thread = jobs.start_inline_scheduler(app, stop=stop)
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            _db.session.rollback()
            if _db.session.get(UserSession, stale_id).revoked_at is not None:
                break
            time.sleep(0.1)
        assert _db.session.get(UserSession, stale_id).revoked_at is not None
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
