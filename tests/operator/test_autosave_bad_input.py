"""The call screen's autosave refuses what cannot be stored with a message call.js shows, and
stores the same answers once they can be."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from console.models import CallTask, Client, Role, utcnow
from console.models.catalog import calling_hours_every_day
from tests.conftest import on_both_databases


@on_both_databases
@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_a_nul_byte_in_an_autosaved_comment_is_a_400_the_call_screen_can_show(
    client, db, login_as, make_task, app_config
):
    db.session.add(
        Client(
            key="acme",
            name="Acme Auto",
            timezone="Europe/Moscow",
            calling_hours=calling_hours_every_day(time(0), time(0)),  # round the clock
        )
    )
    db.session.commit()
    make_task(due_at=utcnow() - timedelta(hours=1))
    login_as(Role.OPERATOR)
    assert client.post("/operator/next").status_code == 200
    task = db.session.scalar(sa.select(CallTask).where(CallTask.lease_token.is_not(None)))
    url = f"/operator/call/{task.id}/autosave"
    save = {"token": task.lease_token, "seq": "1", "q-quality": "bad", "t-quality": "no\x00ise"}
    response = client.post(url, data=save, headers={"Accept": "application/json"})
    assert response.status_code == 400
    assert "characters that cannot be stored" in response.get_json()["message"]
    db.session.rollback()
    assert not (db.session.get(CallTask, task.id, populate_existing=True).draft or {}).get("seq")

    save["t-quality"] = "noise"
    response = client.post(url, data=save, headers={"Accept": "application/json"})
    assert response.status_code == 200 and response.get_json()["stored"] is True
