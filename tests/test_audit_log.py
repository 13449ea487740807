"""The audit log names what each entry is about by its model, whoever passed it in."""

from __future__ import annotations

from sqlalchemy import select

from console.models import AuditEntry, Role


def entries(db) -> dict[str, tuple]:
    rows = db.session.execute(
        select(AuditEntry.action, AuditEntry.entity_type, AuditEntry.entity_id)
    ).all()
    return {action: (entity_type, entity_id) for action, entity_type, entity_id in rows}


def test_pause_resume_and_sign_out_are_logged_against_the_user(client, db, login_as):
    operator = login_as(Role.OPERATOR)
    client.post("/operator/pause", data={"reason": "training"})
    client.post("/operator/resume")
    client.post("/logout")

    logged = entries(db)
    about_operator = ("User", str(operator.id))
    assert logged["operator.paused"] == about_operator
    assert logged["operator.resumed"] == about_operator
    assert logged["auth.sign_out"] == about_operator
    assert logged["auth.sign_in"] == about_operator  # the same name as a row given the model
