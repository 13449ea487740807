"""Background jobs: through RQ and a real worker when Redis is configured, in-process otherwise."""

from __future__ import annotations

from datetime import timedelta

import pytest

from console import jobs
from console.extensions import db as _db
from console.models import Role, UserSession, utcnow
from console.services import auth as auth_service

pytest_plugins = ["tests.qc.fake_endpoints"]  # refused_port


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


def test_with_redis_unreachable_enqueue_never_fails_and_warns_once(
    build_app, database_url, refused_port, caplog
):
    """Everything enqueued is re-derived from rows by a periodic job (see console.jobs), so a
    request that enqueues while Redis is down goes on; Redis is left alone for a while after."""
    import logging

    app = build_app(database_url, REDIS_URL=f"redis://127.0.0.1:{refused_port}/0")
    caplog.set_level(logging.WARNING, logger="console.jobs")
    tries = []
    real_enqueue = app.task_queue.enqueue

    def counting_enqueue(*args, **kwargs):
        tries.append(args[0])
        return real_enqueue(*args, **kwargs)

    app.task_queue.enqueue = counting_enqueue
    with app.app_context():
        for _ in range(3):
            assert jobs.enqueue("console.jobs.housekeeping.expire_idle_sessions") is None
        assert jobs.queue_link().down
    assert len(tries) == 1  # the next tries wait for REDIS_RETRY_SECONDS
    assert caplog.text.count("job queue (Redis) unreachable") == 1


@pytest.mark.redis
def test_when_redis_answers_again_jobs_go_to_it_and_the_log_says_so(
    build_app, database_url, redis_url, refused_port, caplog
):
    import logging

    from redis import Redis
    from rq import Queue

    app = build_app(
        database_url, REDIS_URL=f"redis://127.0.0.1:{refused_port}/0", REDIS_RETRY_SECONDS=0
    )
    caplog.set_level(logging.WARNING, logger="console.jobs")
    with app.app_context():
        assert jobs.enqueue("console.jobs.housekeeping.expire_idle_sessions") is None
        app.redis = Redis.from_url(redis_url)  # Redis is back
        app.task_queue = Queue(jobs.DEFAULT_QUEUE, connection=app.redis)
        job = jobs.enqueue("console.jobs.housekeeping.expire_idle_sessions")
        assert job is not None and app.task_queue.count == 1
        assert not jobs.queue_link().down
    assert "job queue (Redis) reachable again" in caplog.text
