"""Background jobs: RQ when ``REDIS_URL`` is set, in-process otherwise.

Jobs get ids, never ORM objects. Whatever a request must record it records in its own database
transaction before enqueuing: a job only does follow-up work (notifications, generation), so a
lost or failed job never loses a response or a complaint.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app
from redis import Redis
from rq import Queue, Retry

log = logging.getLogger(__name__)

DEFAULT_QUEUE = "console"


@dataclass(frozen=True)
class Periodic:
    """A job that runs every ``interval`` seconds: by ``flask cron`` (RQ's cron scheduler) when
    Redis is configured, by a thread in the web process otherwise."""

    func: str
    interval: int
    timeout: int = 300


# The periodic work of the console; the QC desk adds deadline warnings.
PERIODIC: list[Periodic] = [
    Periodic("console.jobs.housekeeping.expire_idle_sessions", interval=15 * 60),
    Periodic("console.jobs.calls.generate", interval=5 * 60, timeout=600),
    Periodic("console.jobs.complaints.warn_deadlines", interval=60),
    Periodic("console.jobs.notifications.retry_due", interval=60),
]


def resolve(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        app.redis = Redis.from_url(url)
        app.task_queue = Queue(DEFAULT_QUEUE, connection=app.redis)
    else:
        app.redis = None
        app.task_queue = None


def enqueue(
    func: str,
    *args,
    retries: int = 3,
    retry_intervals: tuple[int, ...] = (10, 60, 300),
    timeout: int = 120,
    failure_ttl: int = 7 * 24 * 3600,
    **kwargs,
):
    """Run ``func`` (a dotted path) in the background with an explicit retry policy.

    Without Redis the job runs now, in this process, with the same retries (without waiting
    between them); a job that still fails is logged, not raised into the request that asked.
    """
    queue: Queue | None = current_app.task_queue
    if queue is not None:
        return queue.enqueue(
            func,
            *args,
            retry=Retry(max=retries, interval=list(retry_intervals)) if retries else None,
            job_timeout=timeout,
            failure_ttl=failure_ttl,
            **kwargs,
        )
    return run_inline(func, *args, retries=retries, **kwargs)


def run_inline(func: str, *args, retries: int = 0, **kwargs):
    target = resolve(func)
    for attempt in range(retries + 1):
        try:
            return target(*args, **kwargs)
        except Exception:
            log.exception("job %s failed (attempt %d of %d)", func, attempt + 1, retries + 1)
    return None


def start_inline_scheduler(app: Flask, *, stop: threading.Event | None = None) -> threading.Thread:
    """Run ``PERIODIC`` jobs in a daemon thread of this process (the embedded default)."""
    stop = stop or threading.Event()
    next_run = {p.func: 0.0 for p in PERIODIC}

    def loop():
        while not stop.is_set():
            now = time.monotonic()
            for periodic in PERIODIC:
                if now >= next_run[periodic.func]:
                    next_run[periodic.func] = now + periodic.interval
                    with app.app_context():
                        run_inline(periodic.func)
            stop.wait(5)

    thread = threading.Thread(target=loop, name="console-periodic", daemon=True)
    thread.start()
    return thread
