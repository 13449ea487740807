"""Claim the next call and render the call screen: server time per cycle, and throughput against
a bare Flask page of the same byte size.

How it is measured: in one process, one thread, through Werkzeug's test client (no sockets, so
no load generator can be the bottleneck). A middleware around ``app.wsgi_app`` times each
request from the WSGI call until the whole body has been produced: that is the *server time*.
One cycle is what the operator's "Next call" costs: ``POST /operator/next``, which claims and
answers with the call screen itself (an older console redirected to ``GET /operator/call/<id>``;
that shape is still measured, as the sum of both requests). The screen opened again by its own
address (a reload) is timed too, outside the cycle, as ``reload_p50_ms``.
Between cycles the call is submitted through the service (not timed), so every cycle claims a
new task, as in a shift. Several operators take turns, each signed in through ``POST /login``.

Throughput is cycles per second of server time in that one process (``1000 / mean ms``); the
floor is requests per second of server time for the bare page, measured the same way in the
same run. Wall-clock figures, which include the test client, are given beside them.
"""

from __future__ import annotations

import re
import statistics
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from bench.bare import make_bare_app
from bench.common import OPERATOR_EMAIL, PASSWORD, emit, log, make_app, percentile


class ServerTimer:
    """WSGI middleware: the time from the call until the body is complete, per request."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.last_ms: float = 0.0

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        result = self.wsgi_app(environ, start_response)
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        self.last_ms = (time.perf_counter() - started) * 1000
        return [body]


@dataclass
class Screen:
    """One claimed call as the operator's browser got it."""

    task_id: int
    url: str
    html: bytes
    next_ms: float  # server time of POST /operator/next
    screen_ms: float  # server time of GET /operator/call/<id>
    wall_ms: float  # both requests through the test client
    next_status: int
    headers: dict = field(default_factory=dict)


class Unavailable(Exception):
    """The call-screen routes are not there (yet): the benchmark is skipped, with the reason."""


def sign_in(client, email: str) -> None:
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"sign-in of {email} failed: {response.status_code}")


_CALL_URL = re.compile(r"/operator/call/(\d+)")
_SCREEN_URL = re.compile(r'id="call-screen" data-url="(/operator/call/(\d+))"')


def claim_and_render(client, timer: ServerTimer) -> Screen | None:
    started = time.perf_counter()
    response = client.post("/operator/next")
    next_ms = timer.last_ms
    if response.status_code in (404, 405):
        raise Unavailable(f"POST /operator/next answered {response.status_code}")
    target = (
        response.headers.get("HX-Redirect")
        or response.headers.get("HX-Location")
        or response.headers.get("Location")
    )
    if target and response.status_code in (200, 204, 301, 302, 303):
        path = urlsplit(target).path
        match = _CALL_URL.search(path)
        if not match:
            return None  # nothing due: back to the start page
        screen = client.get(path)
        screen_ms = timer.last_ms
        wall_ms = (time.perf_counter() - started) * 1000
        if screen.status_code != 200:
            raise RuntimeError(f"GET {path} answered {screen.status_code}")
        return Screen(
            int(match.group(1)),
            path,
            screen.data,
            next_ms,
            screen_ms,
            wall_ms,
            response.status_code,
            dict(screen.headers),
        )
    if response.status_code == 200:  # the call screen came back directly
        match = _SCREEN_URL.search(response.get_data(as_text=True))
        if not match:
            return None
        wall_ms = (time.perf_counter() - started) * 1000
        return Screen(
            int(match.group(2)),
            match.group(1),
            response.data,
            next_ms,
            0.0,
            wall_ms,
            200,
            dict(response.headers),
        )
    raise RuntimeError(f"POST /operator/next answered {response.status_code}")


def release(app, task_id: int, email: str) -> None:
    """Submit the call through the service (untimed), so the next cycle claims a new one."""
    import sqlalchemy as sa

    from bench.answers import first_options
    from console.extensions import db
    from console.models import CallTask, User
    from console.services.calls.submit import submit_call
    from console.services.scripts.library import definition_of

    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == email))
        task = db.session.get(CallTask, task_id)
        submit_call(
            task.id,
            user=user,
            lease_token=task.lease_token,
            submit_key=task.submit_key,
            answers=first_options(definition_of(task.script_version)),
        )
        db.session.remove()


def run(dataset, *, iterations: int, warmup: int, operators: int = 5) -> tuple[list[dict], dict]:
    """Returns the JSON records and what the page-weight benchmark needs (a held call)."""
    app = make_app(dataset.url)
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    emails = [OPERATOR_EMAIL.format(n) for n in range(1, operators + 1)]
    clients = []
    for email in emails:
        client = app.test_client()
        sign_in(client, email)
        clients.append((email, client))

    log(f"{dataset.db}: claim + render, {warmup} warm-up and {iterations} measured cycles ...")
    cycles: list[Screen] = []
    reload_ms: list[float] = []
    for n in range(warmup + iterations):
        email, client = clients[n % len(clients)]
        screen = claim_and_render(client, timer)
        if screen is None:
            raise RuntimeError("no call was due: the data set has run out of due tasks")
        if client.get(screen.url).status_code != 200:  # the same screen, reloaded
            raise RuntimeError(f"GET {screen.url} failed")
        if n >= warmup:
            cycles.append(screen)
            reload_ms.append(timer.last_ms)
        release(app, screen.task_id, email)
    one_request = all(s.screen_ms == 0.0 for s in cycles)

    html_bytes = statistics.median(len(s.html) for s in cycles)
    server_ms = [s.next_ms + s.screen_ms for s in cycles]
    wall_ms = [s.wall_ms for s in cycles]

    # The floor: the bare page, as many requests, timed the same way, in the same process.
    bare, bare_bytes = make_bare_app(int(html_bytes))
    bare_timer = ServerTimer(bare.wsgi_app)
    bare.wsgi_app = bare_timer
    bare_client = bare.test_client()
    for _ in range(warmup):
        bare_client.get("/")
    bare_server, bare_wall = [], []
    for _ in range(iterations):
        started = time.perf_counter()
        bare_client.get("/")
        bare_wall.append((time.perf_counter() - started) * 1000)
        bare_server.append(bare_timer.last_ms)

    # The console's lightest signed-in request (the session user read, a CSRF token made, a few
    # bytes of JSON back): what any page of it costs before doing its own work.
    signed_in_ms = []
    for n in range(warmup + iterations):
        _, client = clients[n % len(clients)]
        if client.get("/auth/csrf-token").status_code != 200:
            raise RuntimeError("GET /auth/csrf-token failed")
        if n >= warmup:
            signed_in_ms.append(timer.last_ms)

    throughput = 1000 / statistics.mean(server_ms)
    signed_in = 1000 / statistics.mean(signed_in_ms)
    floor = 1000 / statistics.mean(bare_server)
    wall_throughput = 1000 / statistics.mean(wall_ms)
    wall_floor = 1000 / statistics.mean(bare_wall)
    common = {"db": dataset.db, "samples": len(cycles)}
    p50, p95 = percentile(server_ms, 50), percentile(server_ms, 95)
    records = [
        emit(
            "claim_render_p50_ms",
            round(p50, 2),
            "ms",
            **common,
            requests_per_cycle=1 if one_request else 2,
            reload_p50_ms=round(percentile(reload_ms, 50), 2),
            bare_page_p50_ms=round(percentile(bare_server, 50), 3),
        ),
        emit(
            "claim_render_p95_ms",
            round(p95, 2),
            "ms",
            **common,
            reload_p95_ms=round(percentile(reload_ms, 95), 2),
            max_ms=round(max(server_ms), 2),
            target="< 20 ms on SQLite",
            met=p95 < 20 if dataset.db == "sqlite" else None,
        ),
        emit(
            "claim_render_throughput",
            round(throughput, 1),
            "cycles/s",
            **common,
            floor=round(floor, 1),
            ratio=round(throughput / floor, 3),
            cycle=(
                "POST /operator/next (answers with the call screen)"
                if one_request
                else "POST /operator/next + GET /operator/call/<id>"
            ),
            floor_page="bare Flask app, one template rendered to the same byte size",
            page_bytes=int(html_bytes),
            floor_page_bytes=bare_bytes,
            basis="per second of server time, one process, one thread",
            signed_in_request=round(signed_in, 1),
            signed_in_request_ratio=round(signed_in / floor, 3),
            signed_in_request_is="GET /auth/csrf-token: the console's lightest signed-in request",
            wall_value=round(wall_throughput, 1),
            wall_floor=round(wall_floor, 1),
            wall_ratio=round(wall_throughput / wall_floor, 3),
            target="ratio >= 0.5",
            met=throughput / floor >= 0.5,
        ),
    ]
    return records, {"app": app, "timer": timer, "clients": clients, "cycles": cycles}
