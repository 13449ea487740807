"""Drafts and versions: live scripts can be edited without touching answered calls."""

from __future__ import annotations

from decimal import Decimal

import pytest

from console.models import CallTask, Response, ResponseAnswer, Role, utcnow
from console.services.scripts import library as script_service


@pytest.fixture
def published(db, make_user):
    admin = make_user(Role.ADMIN)
    script = script_service.create_script(key="s", name="S", by=admin)
    draft = script_service.draft_of(script)
    question = script_service.add_question(draft, "single")
    script_service.update_question(question, key="overall", text="Satisfied?", weight=Decimal(3))
    script_service.publish(script, by=admin)
    db.session.commit()
    return script, admin


def test_a_new_script_has_the_locked_contacts_question_last(db, published):
    script, _ = published
    keys = [q.key for q in script.current_version.questions]
    assert keys == ["overall", "contacts"]


def test_the_contacts_question_can_be_reworded_but_not_removed_or_defused(db, published):
    script, _ = published
    draft = script_service.ensure_draft(script)
    contacts = next(q for q in draft.questions if q.is_contacts)
    script_service.update_question(contacts, text="Оставлял ли мастер личные контакты?")
    yes = next(o for o in contacts.options if o.key == "yes")
    script_service.update_option(yes, label="Да")
    with pytest.raises(script_service.LockedQuestion):
        script_service.update_option(yes, poaching=False)
    with pytest.raises(script_service.LockedQuestion):
        script_service.update_question(contacts, weight=Decimal(5))
    with pytest.raises(script_service.LockedQuestion):
        script_service.delete_question(contacts)
    with pytest.raises(script_service.LockedQuestion):
        script_service.add_option(contacts)
    assert yes.poaching


def test_editing_a_published_script_changes_only_later_calls(db, published, make_order, make_user):
    script, admin = published
    v1 = script.current_version
    operator = make_user(Role.OPERATOR)
    order = make_order()
    task = CallTask(
        order=order,
        client=order.client,
        customer=order.customer,
        due_at=utcnow(),
        script_version=v1,
    )
    db.session.add(task)
    response = Response(
        submit_key="k1",
        task=task,
        order=order,
        script_version=v1,
        operator_id=operator.id,
        submitted_at=utcnow(),
    )
    overall = v1.questions[0]
    response.answers.append(ResponseAnswer(question=overall, option=overall.options[0]))
    db.session.add(response)
    db.session.commit()

    draft = script_service.ensure_draft(script)
    script_service.update_question(draft.questions[0], text="How satisfied are you, really?")
    script_service.add_option(draft.questions[0])
    script_service.delete_option(draft.questions[0].options[1])
    assert script_service.pending_changes(script) == [
        "Question 'overall': text changed.",
        "Question 'overall': option 'o3' added.",
        "Question 'overall': option 'bad' removed.",
    ]
    v2 = script_service.publish(script, by=admin)
    script_service.archive_script(script, by=admin)
    db.session.commit()

    db.session.expire_all()
    assert (v1.number, v2.number) == (1, 2)
    assert v1.questions[0].text == "Satisfied?"
    assert [o.key for o in v1.questions[0].options] == ["good", "bad"]
    assert response.script_version_id == v1.id
    assert response.answers[0].option.label == "Satisfied"
    assert task.script_version_id == v1.id  # the call in progress keeps its version


def test_publishing_without_changes_or_with_problems_is_refused(db, published):
    script, admin = published
    script_service.ensure_draft(script)
    with pytest.raises(script_service.ScriptInvalid, match="nothing changed"):
        script_service.publish(script, by=admin)
    draft = script_service.draft_of(script)
    question = script_service.add_question(draft, "single")
    script_service.update_question(question, show_if={"question": "nope", "any_of": ["x"]})
    with pytest.raises(script_service.ScriptInvalid) as refused:
        script_service.publish(script, by=admin)
    assert "show_if names unknown question 'nope'" in str(refused.value)
    assert script.current_version.number == 1


def test_clone_copies_the_questions_unassigned(db, published, catalog):
    script, admin = published
    copy = script_service.clone_script(script, key="s2", name="S2", by=admin)
    db.session.commit()
    draft = script_service.draft_of(copy)
    assert [q.key for q in draft.questions] == ["overall", "contacts"]
    assert copy.client is None and copy.current_version is None


def test_assignment_applies_at_once_is_audited_and_cannot_clash(db, published, catalog):
    from console.models import AuditEntry

    script, admin = published
    clients, work_types = catalog
    draft = script_service.ensure_draft(script)
    script_service.update_settings(script, draft, by=admin, client=clients["homefix"])
    db.session.commit()
    assert script.client.key == "homefix"
    assert not script_service.has_changes(script)  # nothing for operators to re-read
    entry = db.session.query(AuditEntry).filter_by(action="script.settings_changed").one()
    assert entry.details == {"client": [None, "homefix"]}

    other = script_service.create_script(key="other", name="Other", by=admin)
    with pytest.raises(script_service.ScriptInvalid, match="script 's' already covers client"):
        script_service.update_settings(
            other, script_service.draft_of(other), by=admin, client=clients["homefix"]
        )
