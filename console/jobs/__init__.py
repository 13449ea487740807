"""Background jobs: RQ when ``REDIS_URL`` is set, in-process otherwise.

Jobs get ids, never ORM objects. Whatever a request must record it records in its own database
transaction before enqueuing: a job only does follow-up work (notifications, generation), so a
lost or failed job never loses a response or a complaint.

Redis down is not an error for the web: ``enqueue`` then hands nothing over (a warning is logged
once per outage, and Redis is left alone for ``REDIS_RETRY_SECONDS``). That must lose nothing: only
work that rows can re-derive may be enqueued. The web enqueues one kind of job: an order import,
started from the upload's request (``console.jobs.imports.start``) once its run is a committed
row. When the queue is unreachable the import runs in a thread of the web process instead (the
gunicorn worker that took the upload), and a run whose job was lost is taken up by the periodic
``console.jobs.imports.take_up_waiting``. Notification deliveries are not enqueued by the web:
they are rows that the periodic ``console.jobs.notifications.send_due`` sends once the queue runs
again. A new kind of job must keep to that rule.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time
from dataclasses import dataclass

from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
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
    Periodic("console.jobs.housekeeping.forget_old_login_failures", interval=15 * 60),
    Periodic("console.jobs.housekeeping.forget_closed_complaint_pages", interval=15 * 60),
    Periodic("console.jobs.calls.generate", interval=5 * 60, timeout=600),
    Periodic("console.jobs.complaints.warn_deadlines", interval=60),
    # The only sender of emails and webhooks, new or retried: a few seconds' wait at most.
    Periodic("console.jobs.notifications.send_due", interval=10),
    Periodic("console.jobs.imports.take_up_waiting", interval=60),
    Periodic("console.jobs.reports.refresh_totals", interval=60),
]


def resolve(dotted: str):
    module, _, name = dotted.rpartition(".")
    return getattr(importlib.import_module(module), name)


class QueueLink:
    """Whether this process can reach Redis, as far as it last found out. After a failure it
    leaves Redis alone for ``retry_seconds`` (requests do not each wait on a dead connection),
    and an outage is logged when it starts and when it ends, not on every request."""

    def __init__(self, retry_seconds: float):
        self.retry_seconds = retry_seconds
        self.down_since: float | None = None
        self._retry_at = 0.0
        self._lock = threading.Lock()

    @property
    def down(self) -> bool:
        return self.down_since is not None

    def worth_trying(self) -> bool:
        return self.down_since is None or time.monotonic() >= self._retry_at

    def failed(self, exc: Exception) -> None:
        with self._lock:
            now = time.monotonic()
            self._retry_at = now + self.retry_seconds
            if self.down_since is None:
                self.down_since = now
                log.warning(
                    "job queue (Redis) unreachable, jobs are left to the periodic retry: %s: %s",
                    type(exc).__name__,
                    exc,
                )

    def succeeded(self) -> None:
        with self._lock:
            if self.down_since is not None:
                log.warning(
                    "job queue (Redis) reachable again after %.0f s",
                    time.monotonic() - self.down_since,
                )
                self.down_since = None


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    if url:
        # A bounded connect: an unreachable host must not hold a request for the OS's timeout.
        app.redis = Redis.from_url(url, socket_connect_timeout=app.config["REDIS_CONNECT_TIMEOUT"])
        app.task_queue = Queue(DEFAULT_QUEUE, connection=app.redis)
    else:
        app.redis = None
        app.task_queue = None
    app.extensions["console.queue_link"] = QueueLink(app.config["REDIS_RETRY_SECONDS"])


def queue_link() -> QueueLink:
    return current_app.extensions["console.queue_link"]


def queue_state() -> str:
    """Where jobs go, asking Redis now: "inline" (no Redis configured), "ok" or "down"."""
    if current_app.redis is None:
        return "inline"
    try:
        current_app.redis.ping()
    except RedisError as exc:
        queue_link().failed(exc)
        return "down"
    queue_link().succeeded()
    return "ok"


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
    With Redis configured but unreachable, returns None and the job is not run: see the module's
    docstring for why nothing is lost.
    """
    queue: Queue | None = current_app.task_queue
    if queue is None:
        return run_inline(func, *args, retries=retries, **kwargs)
    link = queue_link()
    if not link.worth_trying():
        return None
    try:
        job = queue.enqueue(
            func,
            *args,
            retry=Retry(max=retries, interval=list(retry_intervals)) if retries else None,
            job_timeout=timeout,
            failure_ttl=failure_ttl,
            **kwargs,
        )
    except RedisError as exc:
        link.failed(exc)
        return None
    link.succeeded()
    return job


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
