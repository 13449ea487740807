"""At scale with Redis down: gunicorn configured with a Redis where nothing listens. People sign
in and calls are taken, saved and submitted as usual; /healthz says "degraded" with a 200, so a
load balancer keeps the instance; the webhook a new complaint sends waits as a row."""

from __future__ import annotations

from collections import Counter

import httpx
import pytest
import sqlalchemy as sa

from tests.deployed import (
    BASE_ANSWERS,
    Person,
    autosave,
    free_port,
    migrate,
    seed,
    serve,
    take_call,
)

pytestmark = pytest.mark.deployed


def test_with_redis_down_calls_are_saved_and_the_instance_stays_in_service(tmp_path):
    database_url = f"sqlite:///{tmp_path / 'console.db'}"
    migrate(database_url)
    people = seed(database_url, operators=1, qc=1, calls=2)
    nowhere = f"127.0.0.1:{free_port()}"  # nothing listens there
    statuses, problems = Counter(), []
    with serve(
        tmp_path,
        database_url,
        REDIS_URL=f"redis://{nowhere}/0",
        NOTIFY_WEBHOOK_URL=f"http://{nowhere}/hook",
    ) as deployed:
        health = httpx.get(deployed.url + "/healthz", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "degraded" and health.json()["queue"] == "down"

        operator = Person(deployed.url, statuses, problems)
        operator.sign_in(people.operators[0])
        call = take_call(operator)
        assert autosave(operator, call, 1, BASE_ANSWERS).json()["stored"] is True
        done = operator.post(
            call.submit_url, (200,), token=call.token, submit_key=call.submit_key, **BASE_ANSWERS
        )
        assert "Complaint #" in done.text

        qc = Person(deployed.url, statuses, problems)
        qc.sign_in(people.qc[0])
        assert "Customer 0" in qc.page("/qc/")
        operator.http.close()
        qc.http.close()
        log = deployed.log.read_text()

    assert problems == [], problems[:3]
    assert not [status for status in statuses if status >= 500]
    assert "Traceback" not in log
    engine = sa.create_engine(database_url)
    with engine.connect() as db:
        responses = db.scalar(sa.text("SELECT count(*) FROM responses"))
        waiting = db.execute(sa.text("SELECT channel, status FROM notification_deliveries")).all()
    engine.dispose()
    assert responses == 1
    assert ("webhook", "pending") in [tuple(row) for row in waiting]
