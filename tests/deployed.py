"""The console as it is deployed: gunicorn in a subprocess (several workers and threads), the
schema made by the migrations, and the settings of the environment, optionally behind TLS with a
certificate made for the test. What the test client cannot show (the CSRF Referer check over
HTTPS, SQLite with several processes writing, a Redis that is down) shows here.

``serve(...)`` starts it and yields a ``Deployed`` with its address; ``seed(...)`` writes the
people and calls a test needs straight into its database.
"""

from __future__ import annotations

import contextlib
import html
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass
from datetime import time as clock
from datetime import timedelta
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from console import ROOT, create_app
from console.models.catalog import calling_hours_every_day
from tests.conftest import PASSWORD

BIN = Path(sys.executable).parent
SECRET = "deployed-test-secret-key-0123456789abcdef"


@dataclass
class Deployed:
    url: str
    database_url: str
    log: Path
    process: subprocess.Popen

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def self_signed_certificate(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1, made now with openssl, valid for a day."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            shutil.which("openssl") or "/usr/bin/openssl",
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def environment(database_url: str, **settings: str) -> dict:
    """The process environment of a deployed console: only what the test chose."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TZ", "TMPDIR"}
    env = {k: v for k, v in os.environ.items() if k in keep}
    env |= {
        "FLASK_APP": "console",
        "DATABASE_URL": database_url,
        "SECRET_KEY": SECRET,
        "PYTHONUNBUFFERED": "1",
    }
    env |= settings
    return env


def migrate(database_url: str) -> None:
    """The schema as `flask db upgrade` makes it on a new install."""
    subprocess.run(
        [str(BIN / "flask"), "db", "upgrade"],
        cwd=ROOT,
        env=environment(database_url),
        check=True,
        capture_output=True,
    )


@contextlib.contextmanager
def serve(
    folder: Path,
    database_url: str,
    *,
    workers: int = 2,
    threads: int = 4,
    tls: bool = False,
    **settings: str,
):
    """gunicorn serving ``wsgi:app`` on a free loopback port until the block ends."""
    port = free_port()
    command = [
        str(BIN / "gunicorn"),
        "--bind", f"127.0.0.1:{port}",
        "--workers", str(workers),
        "--threads", str(threads),
        "--access-logfile", "-",
        "--log-level", "warning",
    ]  # fmt: skip
    if tls:
        cert, key = self_signed_certificate(folder)
        command += ["--certfile", str(cert), "--keyfile", str(key)]
    command.append("wsgi:app")
    log = folder / f"gunicorn-{port}.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment(database_url, **settings),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    scheme = "https" if tls else "http"
    deployed = Deployed(f"{scheme}://127.0.0.1:{port}", database_url, log, process)
    try:
        _wait_until_up(deployed)
        yield deployed
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _wait_until_up(deployed: Deployed, seconds: float = 30) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if deployed.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited:\n{deployed.log_tail()}")
        try:
            with urllib.request.urlopen(  # noqa: S310 (our own loopback server)
                deployed.url + "/healthz", timeout=2, context=context
            ) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer in {seconds} s:\n{deployed.log_tail()}")


# --- people ---------------------------------------------------------------------------------


def field(page: str, name: str) -> str:
    found = re.search(r'<input[^>]*name="' + re.escape(name) + r'"[^>]*value="([^"]*)"', page)
    assert found, f"no field {name} on the page"
    return html.unescape(found.group(1))


class Person:
    """One browser: its cookies, and every status it was answered with."""

    def __init__(
        self, base: str, statuses: Counter, problems: list, *, verify: ssl.SSLContext | bool = True
    ):
        """``verify``: what httpx checks the server's certificate against (a console served
        over TLS with the test's own certificate: a context that trusts it)."""
        self.http = httpx.Client(base_url=base, timeout=60, follow_redirects=False, verify=verify)
        self.base = base
        self.statuses = statuses
        self.problems = problems
        self.csrf = ""

    def send(self, method: str, path: str, expect: tuple[int, ...], **kwargs) -> httpx.Response:
        headers = {"Referer": self.base + "/", **kwargs.pop("headers", {})}
        response = self.http.request(method, path, headers=headers, **kwargs)
        self.statuses[response.status_code] += 1
        if response.status_code not in expect:
            self.problems.append((method, path, response.status_code, response.text[:300]))
        return response

    def sign_in(self, email: str) -> None:
        page = self.send("GET", "/login", (200,)).text
        self.send(
            "POST",
            "/login",
            (302,),
            data={"csrf_token": field(page, "csrf_token"), "email": email, "password": PASSWORD},
        )
        home = self.send("GET", "/", (302,)).headers["location"]
        self.csrf = re.search(r'name="csrf-token" content="([^"]+)"', self.page(home)).group(1)

    def page(self, path: str) -> str:
        return self.send("GET", path, (200,)).text

    def post(self, path: str, expect=(303,), **data) -> httpx.Response:
        return self.send("POST", path, expect, data={"csrf_token": self.csrf, **data})


# The shipped base script answered in full; speed "1" opens a punctuality complaint.
BASE_ANSWERS = {
    "q-speed": "1",
    "q-service": "good",
    "q-quality": "good",
    "q-repeat_visit": "no",
    "q-price": "fair",
    "q-contacts": "no",
}


@dataclass
class HeldCall:
    """A call screen as an operator has it: where it saves and submits, and its keys."""

    url: str
    submit_url: str
    token: str
    submit_key: str


def take_call(person: Person) -> HeldCall | None:
    """Press "Next call": the call screen, or None when nothing is due (the start page)."""
    screen = person.post("/operator/next", expect=(200, 303))
    if screen.status_code == 303:
        return None
    submit_url = re.search(r'id="call-form"[^>]*\saction="([^"]+)"', screen.text).group(1)
    return HeldCall(
        url=submit_url.rsplit("/", 1)[0],
        submit_url=submit_url,
        token=field(screen.text, "token"),
        submit_key=field(screen.text, "submit_key"),
    )


def autosave(person: Person, call: HeldCall, seq: int, answers: dict) -> httpx.Response:
    """What static/call.js sends after a tick."""
    return person.send(
        "POST",
        call.url + "/autosave",
        (200,),
        data={"token": call.token, "seq": seq, **answers},
        headers={"X-CSRFToken": person.csrf, "Accept": "application/json"},
    )


# --- data --------------------------------------------------------------------------------------


@dataclass
class Seeded:
    operators: list[str]  # emails; every password is tests.conftest.PASSWORD
    qc: list[str]
    admin: str
    technician_id: int


def seed(database_url: str, *, operators: int = 2, qc: int = 1, calls: int = 10) -> Seeded:
    """People and due calls in a migrated database: a client whose calling hours never close
    (the test may run at any hour), the shipped base script published, ``calls`` orders
    completed four days ago with their follow-up calls due now."""
    from console.extensions import db
    from console.models import (
        Client,
        Customer,
        CustomerPhone,
        Order,
        Role,
        Technician,
        User,
        WorkType,
        utcnow,
    )
    from console.services.calls.generate import generate_due_calls
    from console.services.scripts import library as script_service

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": SECRET})
    with app.app_context():
        # Once (argon2 is slow on purpose), with the parameters the deployed console uses (the
        # tests' own are the cheapest): signing in does not rewrite it.
        password_hash = PasswordHasher().hash(PASSWORD)

        def person(role: Role, email: str) -> str:
            db.session.add(
                User(email=email, name=email.split("@")[0], password_hash=password_hash, role=role)
            )
            return email

        seeded = Seeded(
            operators=[person(Role.OPERATOR, f"operator{i}@test.local") for i in range(operators)],
            qc=[person(Role.QC, f"qc{i}@test.local") for i in range(qc)],
            admin=person(Role.ADMIN, "admin@test.local"),
            technician_id=0,
        )
        client = Client(
            key="garage",
            name="Garage",
            country="GB",
            timezone="Europe/London",
            currency="GBP",
            calling_hours=calling_hours_every_day(clock(0), clock(0)),  # round the clock
        )
        work_type = WorkType(key="service", name="Service")
        technician = Technician(client=client, name="Ivan Petrov")
        db.session.add_all([client, work_type, technician])
        completed = utcnow() - timedelta(days=4)
        for i in range(calls):
            customer = Customer(client=client, name=f"Customer {i}")
            customer.phones.append(CustomerPhone(e164=f"+4420794601{i:02d}", is_primary=True))
            db.session.add(
                Order(
                    client=client,
                    external_id=f"T-{i}",
                    customer=customer,
                    phone=f"+4420794601{i:02d}",
                    work_type=work_type,
                    technician=technician,
                    completed_at=completed + timedelta(minutes=i),
                    amount=100,
                )
            )
        db.session.commit()
        script_service.load_files([ROOT / "scripts_config" / "base.yaml"])
        db.session.commit()
        generate_due_calls()
        seeded.technician_id = technician.id
    return seeded
