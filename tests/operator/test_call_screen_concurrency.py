"""The call screen as production serves it: several processes on one database (gunicorn
workers), each with several threads. A script published in one process is what the next call
in any other shows, without a restart; operators served at the same moment by threads of one
process each see their own customer, script and language."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import time, timedelta

import pytest

from console.models import CallTask, Client, Customer, CustomerPhone, Role, utcnow
from console.models.catalog import calling_hours_every_day
from console.scripts.definition import normalise, to_yaml
from console.services.scripts import library as script_service
from tests.conftest import PASSWORD
from tests.operator.conftest import BASE


def round_the_clock(key: str, name: str) -> Client:
    """A client open for calls at any hour (the tests run at any hour)."""
    return Client(
        key=key,
        name=name,
        timezone="Europe/Moscow",
        calling_hours=calling_hours_every_day(time(0), time(0)),  # round the clock
    )


@pytest.fixture
def task_for(db, make_order):
    def make(client: Client, customer_name: str, *, hours_ago: int = 1) -> CallTask:
        customer = Customer(client=client, name=customer_name)
        customer.phones.append(CustomerPhone(e164=f"+7912{hours_ago:07d}", is_primary=True))
        db.session.add(customer)
        order = make_order(client=client, customer=customer)
        task = CallTask(
            order=order,
            client=client,
            customer=customer,
            due_at=utcnow() - timedelta(hours=hours_ago),
        )
        db.session.add(task)
        db.session.commit()
        return task

    return make


def signed_in(app, user):
    browser = app.test_client()
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def test_a_script_published_by_another_process_is_used_by_the_next_call(
    app, db, database_url, make_user, task_for, tmp_path
):
    """This process shows a call with version 1 (and keeps what it caches); ``flask scripts
    load`` in a process of its own publishes version 2; the next call here reads version 2."""
    acme = round_the_clock("acme", "Acme Auto")
    db.session.add(acme)
    script_service.publish_definition(normalise(BASE | {"intro": "Hello {customer.name}"}))
    db.session.commit()
    first = task_for(acme, "Alice Smith", hours_ago=2)
    second = task_for(acme, "Bob Jones", hours_ago=1)
    browser = signed_in(app, make_user(Role.OPERATOR))
    assert "Hello Alice Smith" in browser.post("/operator/next").get_data(as_text=True)

    version_two = tmp_path / "base.yaml"
    version_two.write_text(
        to_yaml(normalise(BASE | {"intro": "Good afternoon {customer.name}, version two"}))
    )
    loaded = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "console", "scripts", "load", str(version_two)],
        env=os.environ | {"DATABASE_URL": database_url, "SECRET_KEY": "test-secret"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "base: published version 2" in loaded.stdout, loaded.stderr

    db.session.rollback()  # see what the other process committed
    busy = {"token": first.lease_token, "outcome": "busy"}
    # "Busy" reschedules Alice's call and answers with the next call: Bob's.
    with browser.post(f"/operator/call/{first.id}/outcome", data=busy) as response:
        html = response.get_data(as_text=True)
    assert "Good afternoon Bob Jones, version two" in html
    assert "Hello Bob Jones" not in html
    db.session.rollback()
    assert second.script_version.number == 2


def test_threads_rendering_screens_at_once_each_show_their_own_call(app, db, make_user, task_for):
    """Two operators, one in English with an English script, one in Russian with a Russian
    one, served at the same moment by the threads of one process, again and again."""
    acme = round_the_clock("acme", "Acme Auto")
    dom = round_the_clock("dom", "Дом-Сервис")
    db.session.add_all([acme, dom])
    script_service.publish_definition(normalise(BASE | {"intro": "Hello {customer.name}"}))
    russian_script = {
        **BASE,
        "key": "dom",
        "name": "Дом",
        "client": "dom",
        "language": "ru",
        "intro": "Здравствуйте, {customer.name}! Звоним из {client.name}.",
    }
    script_service.publish_definition(normalise(russian_script))
    db.session.commit()
    alice = task_for(acme, "Alice Smith", hours_ago=2)
    ivan = task_for(dom, "Иван Петров", hours_ago=1)

    anna = make_user(Role.OPERATOR, name="Anna")
    boris = make_user(Role.OPERATOR, name="Boris", locale="ru")
    screens = {}
    for operator, task in ((anna, alice), (boris, ivan)):
        browser = signed_in(app, operator)
        browser.post("/operator/next")
        db.session.refresh(task)
        assert task.held_by_id == operator.id
        screens[operator.id] = (browser, task.id)

    own = {
        anna.id: ["Hello Alice Smith", "Intro (read aloud)", "Take the next call"],
        boris.id: [
            "Здравствуйте, Иван Петров! Звоним из Дом-Сервис.",
            "Вступление (прочитать вслух)",
            "Когда перезвонить (время клиента)",
        ],
    }
    theirs = {anna.id: own[boris.id], boris.id: own[anna.id]}
    start = threading.Barrier(2)
    wrong: list[str] = []

    def render_again_and_again(operator_id: int) -> None:
        browser, task_id = screens[operator_id]
        start.wait()
        for _ in range(25):
            response = browser.get(f"/operator/call/{task_id}")
            html = response.get_data(as_text=True)
            if response.status_code != 200:
                wrong.append(f"{operator_id}: HTTP {response.status_code}")
            wrong.extend(f"{operator_id} misses {t!r}" for t in own[operator_id] if t not in html)
            wrong.extend(f"{operator_id} shows {t!r}" for t in theirs[operator_id] if t in html)

    threads = [threading.Thread(target=render_again_and_again, args=(i,)) for i in screens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
