"""The embedded default (SQLite, gunicorn with 2 workers x 4 threads) while the QC desk has
complaint pages open: every page posts "I am still here" every few seconds (here much faster),
colleagues add notes meanwhile. Every poll is answered with the page's note, none with a 5xx
("database is locked" comes back as 503), and each person's row is one row, however often
it was written."""

from __future__ import annotations

import re
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from tests.deployed import BASE_ANSWERS, Person, migrate, seed, serve, take_call

pytestmark = pytest.mark.deployed

ROUNDS = 25


def open_complaints(operator: Person, calls: int) -> None:
    """Calls answered "slow" (speed 1): each opens a punctuality complaint."""
    for _ in range(calls):
        call = take_call(operator)
        if call is None:
            return
        operator.post(
            call.submit_url,
            (200, 303),
            token=call.token,
            submit_key=call.submit_key,
            **BASE_ANSWERS,
        )


def keep_pages_open(person: Person, numbers: list[str], n: int, seen: Counter) -> None:
    """Poll the complaint pages as static/complaint_presence.js does, typing now and then, and
    add a note every few rounds."""
    for round_ in range(ROUNDS):
        number = numbers[(n + round_) % len(numbers)]
        answer = person.send(
            "POST",
            f"/qc/complaints/{number}/presence",
            (200,),
            data={"typing": "y" if round_ % 4 == 0 else "", "seen_event": "0"},
            headers={"X-CSRFToken": person.csrf, "HX-Request": "true"},
        )
        if answer.status_code == 200 and "has this complaint open" in answer.text:
            seen["colleague"] += 1
        if round_ % 8 == n % 8:
            note = {"note-body": "Called the workshop", "note-csrf_token": person.csrf}
            person.post(f"/qc/complaints/{number}/note", **note)
    person.send(
        "POST",
        f"/qc/complaints/{numbers[n % len(numbers)]}/presence/leave",
        (204,),
        data={"csrf_token": person.csrf},
    )


def test_many_open_complaint_pages_never_lock_the_database(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(database_url)
    people = seed(database_url, operators=1, qc=8, calls=4)
    statuses, problems, seen = Counter(), [], Counter()
    with serve(tmp_path, database_url, workers=2, threads=4) as deployed:
        operator = Person(deployed.url, statuses, problems)
        operator.sign_in(people.operators[0])
        open_complaints(operator, 4)
        desk = [Person(deployed.url, statuses, problems) for _ in people.qc]
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(Person.sign_in, desk, people.qc, timeout=300))
        inbox = desk[0].page("/qc/")
        numbers = list(dict.fromkeys(re.findall(r'href="/qc/complaints/(\d+)"', inbox)))[:2]
        assert len(numbers) == 2, "the calls opened too few complaints"
        assert not problems, problems[:3]
        threads = [
            threading.Thread(target=keep_pages_open, args=(person, numbers, n, seen))
            for n, person in enumerate(desk)
        ]
        [thread.start() for thread in threads]
        [thread.join(timeout=600) for thread in threads]
        [person.http.close() for person in [operator, *desk]]
        log = deployed.log_tail()

    server_errors = {status: n for status, n in statuses.items() if status >= 500}
    assert server_errors == {}, f"{server_errors}\n{problems[:3]}\n{log}"
    assert problems == [], problems[:5]
    assert "database is locked" not in log
    assert seen["colleague"] > 0  # they did see each other
    engine = sa.create_engine(database_url)
    with engine.connect() as db:
        rows = db.execute(
            sa.text(
                "SELECT complaint_id, user_id, count(*) FROM complaint_viewers "
                "GROUP BY complaint_id, user_id HAVING count(*) > 1"
            )
        ).all()
        kept = db.scalar(sa.text("SELECT count(*) FROM complaint_viewers"))
    engine.dispose()
    assert rows == []  # one row per person and page, however many polls
    # Each person left one of the pages (forgotten at once) and still has the other open.
    assert kept == len(desk) * (len(numbers) - 1)
