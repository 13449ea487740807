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


def test_an_entry_names_the_address_the_change_came_from_and_a_commands_none(
    app, client, db, login_as
):
    login_as(Role.OPERATOR)
    client.post(
        "/operator/pause",
        data={"reason": "training"},
        environ_overrides={"REMOTE_ADDR": "198.51.100.7"},
    )
    result = app.test_cli_runner().invoke(
        args=["create-user", "--email", "new.qc@example.test", "--name", "New QC"]
        + ["--role", "qc", "--password", "a long enough password 42"]
    )
    assert result.exit_code == 0, result.output

    addresses = dict(db.session.execute(select(AuditEntry.action, AuditEntry.ip)).all())
    assert addresses["operator.paused"] == "198.51.100.7"
    assert addresses["user.created"] is None  # no request: no address
