"""How many operators one machine serves: simulated people over real sockets, stepped up until
the console is too slow or fails.

Two set-ups, each on the run's working copy of the data set:

* SQLite: the embedded default, ``gunicorn wsgi:app`` (2 workers x 4 threads, as ``make run``),
  no Redis: jobs and periodic work run in the web workers.
* PostgreSQL: the same gunicorn with ``REDIS_URL``, plus one ``flask worker`` and one
  ``flask cron`` (``bench/load_stack.py``).

The people (``bench/load_people.py``) are operators taking calls at a real pace (a tick every
few seconds, a call about every two minutes, a quarter of them unanswered) and a few QC users
refreshing the complaint inbox every 15 s. Each step adds operators, signing them in a few at a
time (argon2 takes a core for a while; a shift does not sign in in one second either), waits
for them to get going, then measures a window of ``seconds``. A step passes when the p95 of
every request in its window is under 300 ms with no 5xx, no timeout and no refused connection;
``operators_supported`` is the last step that passed (the run stops at the first that fails).

The load generator is one process, one asyncio loop (aiohttp). Its own cost is on every line:
its CPU time and event-loop lag in each window, and first the floor: the same gunicorn serving a
bare Flask page to the same client, as fast as they go.
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from bench import load_people as people
from bench import load_stack as stacks
from bench.common import PASSWORD, emit, log, make_app, percentile

P95_LIMIT_MS = 300.0
TARGETS = {"sqlite": 300, "postgresql": 1000}
SIGN_INS_AT_ONCE = 2  # one per core
OPERATOR_EMAIL = "bench-load-op-{:04d}@bench.local"
QC_EMAIL = "bench-load-qc-{:02d}@bench.local"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def _address(n: int, block: int = 18) -> str:
    """A made-up address per person (198.18.0.0/15, the benchmarking range): only a header
    value, never a destination."""
    return f"198.{block}.{n // 250}.{n % 250 + 1}"


# --- data -----------------------------------------------------------------------------------


def add_people(url: str, operators: int, qc: int) -> None:
    """The operators and QC users of the run, added to the working copy (one argon2 hash,
    shared)."""
    from console.extensions import db
    from console.models import Role, User
    from console.services.auth import create_user

    app = make_app(url)
    with app.app_context():
        existing = set(db.session.scalars(sa.select(User.email)))
        wanted = [(OPERATOR_EMAIL.format(n), Role.OPERATOR) for n in range(1, operators + 1)]
        wanted += [(QC_EMAIL.format(n), Role.QC) for n in range(1, qc + 1)]
        template = None
        for email, role in wanted:
            if email in existing:
                continue
            name = email.split("@")[0].replace("-", " ").title()
            if template is None:
                template = create_user(
                    email=email, name=name, password=PASSWORD, role=role, timezone="Europe/Moscow"
                )
                continue
            db.session.add(
                User(
                    email=email,
                    name=name,
                    password_hash=template.password_hash,
                    role=role,
                    timezone="Europe/Moscow",
                )
            )
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


def _complaints(url: str) -> int:
    from console.extensions import db
    from console.models import Complaint

    app = make_app(url)
    with app.app_context():
        n = db.session.scalar(sa.select(sa.func.count()).select_from(Complaint))
        db.session.remove()
        db.engine.dispose()
    return n


def _redis_ready() -> str | None:
    from redis import Redis

    try:
        conn = Redis.from_url(REDIS_URL)
        conn.ping()
        conn.flushdb()  # the benchmark's own database number: jobs of an earlier run go
        conn.close()
        return None
    except Exception as exc:
        return f"{REDIS_URL}: {exc.__class__.__name__}: {exc}"


# --- measuring --------------------------------------------------------------------------------


@dataclass
class Meter:
    """CPU of the generator, the servers, PostgreSQL and the whole machine over a window."""

    stack: stacks.Stack
    postgres: bool

    def read(self) -> dict:
        busy, total = stacks.machine_busy()
        return {
            "wall": time.perf_counter(),
            "client": time.process_time(),
            "server": self.stack.cpu_seconds(),
            "postgres": stacks.postgres_cpu_seconds() if self.postgres else 0.0,
            "busy": busy,
            "total": total,
        }

    @staticmethod
    def between(a: dict, b: dict) -> dict:
        wall = b["wall"] - a["wall"]
        out = {
            "client_cpu_percent": round(100 * (b["client"] - a["client"]) / wall, 1),
            "server_cpu_percent": round(100 * (b["server"] - a["server"]) / wall, 1),
            "machine_busy_percent": round(
                100 * (b["busy"] - a["busy"]) / max(1, b["total"] - a["total"]), 1
            ),
        }
        if b["postgres"]:
            out["postgres_cpu_percent"] = round(100 * (b["postgres"] - a["postgres"]) / wall, 1)
        return out


def _ms(values: list[float], q: float) -> float | None:
    return round(percentile(values, q) * 1000, 1) if values else None


def summarize(recorder: people.Recorder, start: float, end: float) -> dict:
    rows = [r for r in recorder.rows if start <= r[0] < end]
    seconds = [r[1] for r in rows]
    errors = Counter()
    for _t, _s, _kind, status, ok in rows:
        if status == people.TIMEOUT:
            errors["timeouts"] += 1
        elif status == people.CONNECTION:
            errors["connection"] += 1
        elif status >= 500:
            errors["5xx"] += 1
        elif not ok:
            errors["other"] += 1
    kinds: dict[str, list[float]] = {}
    for r in rows:
        kinds.setdefault(r[2], []).append(r[1])
    events = Counter(name for t, name in recorder.events if start <= t < end)
    return {
        "requests": len(rows),
        "requests_per_s": round(len(rows) / (end - start), 1),
        "p50_ms": _ms(seconds, 50),
        "p95_ms": _ms(seconds, 95),
        "p99_ms": _ms(seconds, 99),
        "max_ms": round(max(seconds) * 1000, 1) if seconds else None,
        "errors": {k: errors.get(k, 0) for k in ("5xx", "timeouts", "connection", "other")},
        "by_kind": {
            k: {"n": len(v), "p50_ms": _ms(v, 50), "p95_ms": _ms(v, 95)}
            for k, v in sorted(kinds.items())
        },
        "calls": {
            "claimed": events.get("claim", 0),
            "submitted": events.get("submit", 0),
            "no_answer": events.get("outcome", 0),
            "nothing_due": events.get("nothing_due", 0),
        },
    }


async def _lag_monitor(lags: list[tuple[float, float]], stop: asyncio.Event) -> None:
    """How late the event loop wakes up: a loaded generator shows here first."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.1)
        now = time.perf_counter()
        lags.append((now, now - before - 0.1))


async def _drained(recorder: people.Recorder, before: float) -> None:
    """Wait until every request started before ``before`` has its answer (or its timeout)."""
    while (oldest := recorder.oldest_in_flight()) is not None and oldest < before:
        await asyncio.sleep(0.05)


# --- the floor --------------------------------------------------------------------------------


async def _floor(base: str, clients: int, seconds: float):
    recorder, stop = people.Recorder(), asyncio.Event()
    tasks = [asyncio.create_task(people.hammer(base, recorder, stop)) for _ in range(clients)]
    await asyncio.sleep(1.0)  # connections made, code warm
    start, cpu = time.perf_counter(), time.process_time()
    await asyncio.sleep(seconds)
    end, cpu_used = time.perf_counter(), time.process_time() - cpu
    stop.set()
    await _wind_down(tasks)
    return recorder, start, end, cpu_used


def measure_floor(db: str, *, seconds: float, clients: int = 16) -> dict:
    from bench.serve_bare import PAGE_BYTES

    stack = stacks.start_floor()
    try:
        server_before = stack.cpu_seconds()
        recorder, start, end, cpu = asyncio.run(_floor(stack.base, clients, seconds))
        server = stack.cpu_seconds() - server_before
    finally:
        stack.stop()
    window = summarize(recorder, start, end)
    n = max(1, window["requests"])
    return emit(
        "load_floor",
        window["requests_per_s"],
        "req/s",
        db=db,
        p50_ms=window["p50_ms"],
        p95_ms=window["p95_ms"],
        errors=window["errors"],
        client_cpu_ms_per_request=round(1000 * cpu / n, 3),
        server_cpu_ms_per_request=round(1000 * server / n, 3),
        page_bytes=PAGE_BYTES,
        clients=clients,
        seconds=seconds,
        note="the same gunicorn (2 workers x 4 threads) serving a bare Flask page to the same "
        "aiohttp client, closed loop: the most this machine, server and client do at all",
    )


# --- the steps --------------------------------------------------------------------------------


async def _ladder(
    stack: stacks.Stack, db: str, args: dict, floor: dict
) -> tuple[list[dict], people.Recorder]:
    recorder, stop = people.Recorder(), asyncio.Event()
    gate = asyncio.Semaphore(SIGN_INS_AT_ONCE)
    meter = Meter(stack, postgres=db == "postgresql")
    lags: list[tuple[float, float]] = []
    tasks = [asyncio.create_task(_lag_monitor(lags, stop))]
    for n in range(1, args["qc_users"] + 1):
        tasks.append(
            asyncio.create_task(
                people.qc_user(
                    stack.base, QC_EMAIL.format(n), PASSWORD, _address(n, 19), recorder, stop, gate
                )
            )
        )
    results, running = [], 0
    try:
        for step in args["steps"]:
            ramp_start = time.perf_counter()
            signed_before = sum(1 for _t, e in recorder.events if e.startswith("sign"))
            for n in range(running + 1, step + 1):
                tasks.append(
                    asyncio.create_task(
                        people.operator(
                            stack.base,
                            OPERATOR_EMAIL.format(n),
                            PASSWORD,
                            _address(n),
                            recorder,
                            stop,
                            gate,
                        )
                    )
                )
            new = step - running + (0 if running else args["qc_users"])
            log(f"{db}: step {step} operators: signing in {new} ...")
            longest = 60 + 3 * new
            while (
                sum(1 for _t, e in recorder.events if e.startswith("sign")) - signed_before < new
                and time.perf_counter() - ramp_start < longest
                and not stack.died()
            ):
                await asyncio.sleep(0.5)
            ramp_end = time.perf_counter()
            await asyncio.sleep(args["settle"])  # the new ones take their first calls
            before = await asyncio.to_thread(meter.read)
            start = time.perf_counter()
            log(f"{db}: step {step}: measuring {args['seconds']:g} s ...")
            await asyncio.sleep(args["seconds"])
            end = time.perf_counter()
            after = await asyncio.to_thread(meter.read)
            await _drained(recorder, end)
            running = step
            window = summarize(recorder, start, end)
            # The ramp is not in the window: its requests are reported on their own. The page a
            # sign-in lands on (an operator's start page, the QC inbox) is part of signing in.
            ramp = summarize(recorder, ramp_start, ramp_end)
            failed_sign_ins = sum(
                1 for t, e in recorder.events if e == "sign_in_failed" and ramp_start <= t < end
            )
            lag = [x for t, x in lags if start <= t < end]
            died = stack.died()
            errors = window["errors"]
            reasons = []
            if window["p95_ms"] is None or window["p95_ms"] >= P95_LIMIT_MS:
                reasons.append(f"p95 {window['p95_ms']} ms")
            for key in ("5xx", "timeouts", "connection"):
                if errors[key]:
                    reasons.append(f"{errors[key]} {key}")
            if failed_sign_ins:
                reasons.append(f"{failed_sign_ins} sign-ins failed")
            if died:
                reasons.append(died)
            cpu = Meter.between(before, after)
            n = max(1, window["requests"])
            results.append(
                emit(
                    "load_step",
                    window["p95_ms"],
                    "ms",
                    db=db,
                    operators=step,
                    qc_users=args["qc_users"],
                    passed=not reasons,
                    failed_because=reasons or None,
                    seconds=args["seconds"],
                    **{k: v for k, v in window.items() if k != "p95_ms"},
                    p95_ms=window["p95_ms"],
                    sign_in={
                        "people": new,
                        "failed": failed_sign_ins,
                        "ramp_seconds": round(ramp_end - ramp_start, 1),
                        "ramp_errors": ramp["errors"],
                        "by_kind": ramp["by_kind"],
                    },
                    **cpu,
                    client_cpu_ms_per_request=round(
                        cpu["client_cpu_percent"] * args["seconds"] * 10 / n, 3
                    ),
                    loop_lag_p99_ms=_ms(lag, 99),
                    loop_lag_max_ms=round(max(lag) * 1000, 1) if lag else None,
                    floor_req_per_s=floor["value"],
                    floor_p50_ms=floor["p50_ms"],
                    floor_p95_ms=floor["p95_ms"],
                    target=f"p95 < {P95_LIMIT_MS:g} ms, no 5xx, no timeout",
                )
            )
            if reasons:
                break
    finally:
        stop.set()
        await _wind_down(tasks)
    return results, recorder


async def _wind_down(tasks: list[asyncio.Task]) -> None:
    """Let everyone finish the request on its way (each gives up after 15 s), then end what is
    left."""
    _done, pending = await asyncio.wait(tasks, timeout=people.REQUEST_TIMEOUT + 5)
    for task in pending:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def run(dataset, *, steps: list[int], seconds: float, qc_users: int, quick: bool) -> list[dict]:
    from bench.claim_render import Unavailable
    from bench.concurrent import count_double_claims
    from console.models import utcnow

    random.seed(dataset.db)
    db = dataset.db
    if db == "postgresql":
        why = _redis_ready()
        if why:
            raise Unavailable(f"Redis is not available: {why}")
    log(f"{db}: adding {max(steps)} operators and {qc_users} QC users ...")
    add_people(dataset.url, max(steps), qc_users)
    complaints = _complaints(dataset.url)
    floor = measure_floor(db, seconds=3.0 if quick else 5.0)
    log(f"{db}: floor {floor['value']} req/s; starting the {db} stack ...")
    since = utcnow()
    stack = (
        stacks.start_embedded(dataset.url)
        if db == "sqlite"
        else stacks.start_scaled(dataset.url, REDIS_URL)
    )
    log(f"{db}: {stack.name} stack up on {stack.base} (settled in {stack.settle_seconds} s)")
    args = {
        "steps": steps,
        "seconds": seconds,
        "qc_users": qc_users,
        "settle": 5.0 if quick else 15.0,
    }
    try:
        results, recorder = asyncio.run(_ladder(stack, db, args, floor))
    finally:
        stack.stop()
        if db == "postgresql":
            _redis_ready()  # leave nothing queued behind
    doubles = count_double_claims(dataset.url, since)
    passed = [r["operators"] for r in results if r["passed"]]
    supported = max(passed) if passed else 0
    target = TARGETS[db]
    summary = emit(
        "operators_supported",
        supported,
        "operators",
        db=db,
        stack={
            "sqlite": "gunicorn wsgi:app (2 workers x 4 threads), SQLite, no Redis: jobs and "
            "periodic work inside the web workers",
            "postgresql": "gunicorn wsgi:app (2 workers x 4 threads), PostgreSQL, Redis, "
            "1 flask worker, 1 flask cron",
        }[db],
        settings="CONSOLE_ENV=production, CONSOLE_HTTPS=0 (plain HTTP on 127.0.0.1), "
        "PROXY_HOPS=1 (a made-up X-Forwarded-For per person), CSRF on",
        steps=[
            {
                "operators": r["operators"],
                "p50_ms": r["p50_ms"],
                "p95_ms": r["p95_ms"],
                "requests_per_s": r["requests_per_s"],
                **r["errors"],
                "passed": r["passed"],
            }
            for r in results
        ],
        stopped_at=None if results[-1]["passed"] else results[-1]["operators"],
        qc_users=qc_users,
        complaints_in_data=complaints,
        odd_answers=dict(Counter(recorder.problems).most_common(8)) or None,
        double_claims=doubles["two_responses"] + doubles["overlapping_holds"],
        responses_saved=doubles["responses"],
        stack_settle_seconds=stack.settle_seconds,
        window_seconds=seconds,
        floor_req_per_s=floor["value"],
        target=f">= {target} operators",
        met=supported >= target,
    )
    return [floor, *results, summary]
