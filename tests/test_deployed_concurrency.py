"""The embedded default (SQLite, no Redis) served as `make run` serves it, gunicorn with 2
workers x 4 threads, under people working at the same time: sign-ins, calls taken, saved,
submitted and ended with "No answer", pauses, and QC working complaints. Every answer is the
one a person expects; none is a 5xx ("database is locked" came back as 503 before)."""

from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from tests.deployed import BASE_ANSWERS, Person, autosave, migrate, seed, serve, take_call


def work_calls(person: Person, rounds: int, calls_done: Counter) -> None:
    """Take calls; end every other one with "No answer", save and submit the others; pause once."""
    for n in range(rounds):
        call = take_call(person)
        if call is None:  # nothing due for this one
            continue
        if n % 2:
            # The answer is the next call's screen, or the start page when none is due.
            person.post(call.url + "/outcome", (200, 303), token=call.token, outcome="no_answer")
            calls_done["no_answer"] += 1
            continue
        ticks = list(BASE_ANSWERS.items())
        for seq in range(1, len(ticks) + 1):
            autosave(person, call, seq, dict(ticks[:seq]))
        person.post(
            call.submit_url,
            (200, 303),
            token=call.token,
            submit_key=call.submit_key,
            **BASE_ANSWERS,
        )
        calls_done["submitted"] += 1
        if n == 2:
            person.post("/operator/pause", reason="break")
            person.post("/operator/resume")


def work_complaints(person: Person, operators_done: threading.Event) -> None:
    """Refresh the inbox and note on the newest complaints while the operators work."""
    while True:
        last_round = operators_done.is_set()
        inbox = person.page("/qc/")
        for number in re.findall(r'href="/qc/complaints/(\d+)"', inbox)[:3]:
            person.page(f"/qc/complaints/{number}")
            note = {"note-body": "Called the workshop", "note-csrf_token": person.csrf}
            person.post(f"/qc/complaints/{number}/note", **note)
        if last_round:
            return


def test_the_embedded_default_holds_people_working_at_once(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(database_url)
    people = seed(database_url, operators=16, qc=4, calls=80)
    statuses, problems, calls_done = Counter(), [], Counter()
    with serve(tmp_path, database_url, workers=2, threads=4) as deployed:
        operators = [Person(deployed.url, statuses, problems) for _ in people.operators]
        qc = [Person(deployed.url, statuses, problems) for _ in people.qc]
        # Sign-ins eight at a time: each checks a password (slow on purpose) and writes a
        # session row and an audit entry.
        with ThreadPoolExecutor(8) as pool:
            list(
                pool.map(Person.sign_in, operators + qc, people.operators + people.qc, timeout=300)
            )
        assert not problems, problems[:3]
        operators_done = threading.Event()
        calling = [
            threading.Thread(target=work_calls, args=(person, 6, calls_done))
            for person in operators
        ]
        desk = [threading.Thread(target=work_complaints, args=(p, operators_done)) for p in qc]
        [thread.start() for thread in calling + desk]
        [thread.join(timeout=600) for thread in calling]
        operators_done.set()
        [thread.join(timeout=600) for thread in desk]
        [person.http.close() for person in operators + qc]
        log = deployed.log_tail()

    server_errors = {status: n for status, n in statuses.items() if status >= 500}
    assert server_errors == {}, f"{server_errors}\n{problems[:3]}\n{log}"
    assert problems == [], problems[:5]
    assert "database is locked" not in log
    engine = sa.create_engine(database_url)
    with engine.connect() as db:
        responses = db.scalar(sa.text("SELECT count(*) FROM responses"))
        held = db.execute(
            sa.text(
                "SELECT held_by_id, count(*) FROM call_tasks WHERE status = 'held' "
                "GROUP BY held_by_id HAVING count(*) > 1"
            )
        ).all()
        notes = db.scalar(sa.text("SELECT count(*) FROM complaint_events WHERE kind = 'note'"))
    engine.dispose()
    assert responses == calls_done["submitted"] > 0  # every submit saved once
    assert held == []  # nobody holds two calls
    assert notes > 0


pytestmark = pytest.mark.deployed
