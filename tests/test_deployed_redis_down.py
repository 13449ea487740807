"""At scale with Redis down: gunicorn configured with a Redis where nothing listens. People sign
in and calls are taken, saved and submitted as usual; /healthz says "degraded" with a 200, so a
load balancer keeps the instance; the webhook a new complaint sends waits as a row."""

from __future__ import annotations

import re
from collections import Counter

import httpx
import pytest
import sqlalchemy as sa

from tests.deployed import Person, field, free_port, migrate, seed, serve

pytestmark = pytest.mark.deployed

ANSWERS = {  # the shipped base script; speed "1" opens a punctuality complaint
    "q-speed": "1",
    "q-service": "good",
    "q-quality": "good",
    "q-repeat_visit": "no",
    "q-price": "fair",
    "q-contacts": "no",
}


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
        screen = operator.post("/operator/next", expect=(200,))
        action = re.search(r'id="call-form"[^>]*\saction="([^"]+)"', screen.text).group(1)
        token, key = field(screen.text, "token"), field(screen.text, "submit_key")
        saved = operator.send(
            "POST",
            action.rsplit("/", 1)[0] + "/autosave",
            (200,),
            data={"token": token, "seq": 1, **ANSWERS},
            headers={"X-CSRFToken": operator.csrf, "Accept": "application/json"},
        )
        assert saved.json()["stored"] is True
        done = operator.post(action, (200,), token=token, submit_key=key, **ANSWERS)
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
