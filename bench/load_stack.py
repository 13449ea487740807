"""The servers the load test talks to, started as subprocesses on 127.0.0.1, and what they cost.

* ``embedded``: ``gunicorn wsgi:app`` (2 workers x 4 threads, as ``make run``) on SQLite with no
  Redis, so jobs and the periodic work run inside the web workers.
* ``scaled``: the same gunicorn on PostgreSQL with ``REDIS_URL`` set, plus one ``flask worker``
  and one ``flask cron``, as ``deploy/compose.yaml`` runs them (one web container's worth).
* ``floor``: the same gunicorn serving ``bench.serve_bare:app``, a bare Flask page.

The app runs as in production (``CONSOLE_ENV=production``, ``PROXY_HOPS=1``: each simulated
person's address comes in X-Forwarded-For, as the TLS proxy would pass it), except
``CONSOLE_HTTPS=0``: the load generator speaks plain HTTP on the loopback, where secure cookies
would never be sent back.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import DATA_DIR, ROOT

BIN = Path(sys.executable).parent
WORKERS, THREADS = 2, 4
SECRET = "bench-load-secret-key-not-for-production"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Stack:
    name: str
    port: int
    procs: list[subprocess.Popen] = field(default_factory=list)
    logs: list[Path] = field(default_factory=list)
    settle_seconds: float = 0.0

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)

    def cpu_seconds(self) -> float:
        """CPU time used so far by every process of the stack and their children."""
        return sum(_tree_cpu(p.pid) for p in self.procs if p.poll() is None)

    def died(self) -> str | None:
        for proc in self.procs:
            if proc.poll() is not None:
                name = " ".join(Path(a).name for a in proc.args[:4])
                return f"{name} exited ({proc.returncode})"
        return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_environment(database_url: str, redis_url: str | None) -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"REDIS_URL", "DATABASE_URL", "FLASK_APP", "SMTP_HOST", "NOTIFY_WEBHOOK_URL"}
    }
    env.update(
        CONSOLE_ENV="production",
        CONSOLE_HTTPS="0",
        PROXY_HOPS="1",
        SECRET_KEY=SECRET,
        DATABASE_URL=database_url,
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def _gunicorn(app: str, port: int, env: dict, log_name: str) -> tuple[subprocess.Popen, Path]:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    error_log = DATA_DIR / f"{log_name}.log"
    command = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(WORKERS),
        "--threads",
        str(THREADS),
        "--log-level",
        "warning",
        "--error-logfile",
        str(error_log),
        app,
    ]
    return subprocess.Popen(command, cwd=ROOT, env=env), error_log


def _flask(command: str, env: dict, log_name: str) -> tuple[subprocess.Popen, Path]:
    out = DATA_DIR / f"{log_name}.log"
    handle = out.open("w")
    proc = subprocess.Popen(
        [str(BIN / "flask"), "--app", "console", command],
        cwd=ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    handle.close()
    return proc, out


def _wait_ready(stack: Stack, path: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        why = stack.died()
        if why:
            raise RuntimeError(f"{stack.name}: {why}; see {', '.join(map(str, stack.logs))}")
        try:
            with urllib.request.urlopen(stack.base + path, timeout=5) as r:  # noqa: S310
                if r.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{stack.name} did not answer {path} within {timeout:g} s")


def _settle(stack: Stack, *, quiet_percent: float = 15.0, longest: float = 300.0) -> None:
    """Wait until the stack's start-up work (the periodic jobs run once at boot: generating
    calls over every order, and so on) is over: its CPU use below ``quiet_percent`` of one core
    for two seconds running."""
    started = time.time()
    quiet = 0
    while time.time() - started < longest:
        before = stack.cpu_seconds()
        time.sleep(1.0)
        used = (stack.cpu_seconds() - before) * 100
        quiet = quiet + 1 if used < quiet_percent else 0
        if quiet >= 2:
            break
    stack.settle_seconds = round(time.time() - started, 1)


def start_embedded(database_url: str) -> Stack:
    port = _free_port()
    stack = Stack("embedded", port)
    env = app_environment(database_url, None)
    proc, error_log = _gunicorn("wsgi:app", port, env, "load-sqlite-gunicorn")
    stack.procs.append(proc)
    stack.logs.append(error_log)
    try:
        _wait_ready(stack, "/healthz")
        _settle(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def start_scaled(database_url: str, redis_url: str) -> Stack:
    port = _free_port()
    stack = Stack("scaled", port)
    env = app_environment(database_url, redis_url)
    try:
        for command in ("worker", "cron"):
            proc, out = _flask(command, env, f"load-postgresql-{command}")
            stack.procs.append(proc)
            stack.logs.append(out)
        proc, error_log = _gunicorn("wsgi:app", port, env, "load-postgresql-gunicorn")
        stack.procs.append(proc)
        stack.logs.append(error_log)
        _wait_ready(stack, "/healthz")
        _settle(stack)
    except BaseException:
        stack.stop()
        raise
    return stack


def start_floor() -> Stack:
    port = _free_port()
    stack = Stack("floor", port)
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc, error_log = _gunicorn("bench.serve_bare:app", port, env, "load-floor-gunicorn")
    stack.procs.append(proc)
    stack.logs.append(error_log)
    try:
        _wait_ready(stack, "/")
    except BaseException:
        stack.stop()
        raise
    return stack


# --- CPU accounting from /proc ----------------------------------------------------------------


def _stat(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces: split after its closing parenthesis.
    return raw[raw.rindex(")") + 2 :].split()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            fields = _stat(int(entry))
            if fields:
                tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _tree_cpu(pid: int) -> float:
    """User + system time of ``pid``, its descendants, and the children they reaped."""
    tree = _children()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        fields = _stat(current)
        if fields:
            # utime, stime, cutime, cstime: fields 14-17 of stat, here 11-14 (0-based after pid
            # and comm).
            total += sum(int(x) for x in fields[11:15])
        todo.extend(tree.get(current, []))
    return total / CLOCK_TICKS


def postgres_cpu_seconds() -> float:
    """CPU time of every PostgreSQL server process on the machine (all databases: other work on
    the same server counts too)."""
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            comm = Path(f"/proc/{entry}/comm").read_text().strip()
        except OSError:
            continue
        if comm.startswith("postgres"):
            fields = _stat(int(entry))
            if fields:
                total += sum(int(x) for x in fields[11:13])
    return total / CLOCK_TICKS


def machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of every core since boot, from /proc/stat."""
    with open("/proc/stat") as f:
        values = [int(x) for x in f.readline().split()[1:]]
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    total = sum(values[:8])
    return total - idle, total
