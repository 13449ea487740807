"""The script constructor through its routes: what an admin does, what the database holds after,
and the fragment htmx gets back (requests carry ``HX-Request: true`` like the browser's)."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from console.models import CallScript, Client, Question, Role, ScriptStatus, ScriptVersion, WorkType
from console.services.scripts import library as script_service

HX = {"HX-Request": "true"}
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


@pytest.fixture
def acme(db):
    client = Client(key="acme", name="Acme Auto", timezone="Europe/Moscow")
    work_type = WorkType(key="oil", name="Oil change")
    db.session.add_all([client, work_type])
    db.session.commit()
    return client, work_type


@pytest.fixture
def new_script(db, admin):
    def make(key="follow-up", name="Follow-up", **kw) -> CallScript:
        script = script_service.create_script(key=key, name=name, by=admin, **kw)
        db.session.commit()
        return script

    return make


def draft(script) -> ScriptVersion:
    return script_service.draft_of(script)


def questions(script) -> list[Question]:
    return list(draft(script).questions)


def question(script, key) -> Question:
    return next(q for q in questions(script) if q.key == key)


def card_data(q: Question, **changes) -> dict:
    """The card's fields as the browser posts them; ``changes`` use the form's field names
    (``text``, ``weight``, ``show_if_any_of``...) or ``<option key>__<field>`` for an answer."""
    p = f"q{q.id}-"
    data = {
        p + "key": q.key,
        p + "kind": q.kind.value,
        p + "text": q.text,
        p + "weight": str(q.weight),
        p + "note": q.note or "",
        p + "show_if_question": (q.show_if or {}).get("question", ""),
        p + "show_if_any_of": list((q.show_if or {}).get("any_of", [])),
        p + "scale_low_label": q.scale_low_label or "",
        p + "scale_high_label": q.scale_high_label or "",
    }
    if q.required:
        data[p + "required"] = "y"
    for o in q.options:
        op = f"o{o.id}-"
        data |= {
            op + "key": o.key,
            op + "label": o.label,
            op + "points": str(o.points),
            op + "complaint_category": o.complaint_category or "",
        }
        for flag in ("poaching", "repeat_repair", "comment_required"):
            if getattr(o, flag):
                data[op + flag] = "y"
    for name, value in changes.items():
        if "__" in name:
            option_key, field = name.split("__")
            option = next(o for o in q.options if o.key == option_key)
            target = f"o{option.id}-{field}"
        else:
            target = p + name
        if value is None:
            data.pop(target, None)
        else:
            data[target] = value
    return data


def save_card(client, script, q, **changes):
    return client.post(
        f"/admin/scripts/{script.id}/questions/{q.id}", data=card_data(q, **changes), headers=HX
    )


def add_question(client, script, kind="single"):
    return client.post(f"/admin/scripts/{script.id}/questions", data={"new-kind": kind}, headers=HX)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def error_block(html: str, field_id: str) -> str:
    """The messages shown next to the field with this id."""
    ident = re.escape(f"{field_id}-error")
    found = re.findall(
        rf'<div id="{ident}">(.*?)</div>|<p class="error" id="{ident}">(.*?)</p>', html, re.S
    )
    assert found, f"no messages next to {field_id}"
    return " ".join("".join(parts) for parts in found)


# --- the list, creating, cloning, archiving ----------------------------------------------------


def test_the_list_shows_assignment_version_and_unpublished_changes(client, db, admin, acme):
    client_row, work_type = acme
    base = script_service.create_script(key="base", name="Base follow-up", by=admin)
    script_service.publish(base, by=admin)
    script_service.create_script(
        key="acme-oil", name="Acme oil", client=client_row, work_type=work_type, by=admin
    )
    db.session.commit()

    html = text_of(client.get("/admin/scripts"))
    assert "Base follow-up" in html and "Acme oil" in html
    assert "base</span>" in html  # the base script's assignment
    assert "Acme Auto / Oil change" in html
    assert "v1" in html and "not published" in html
    assert "unpublished changes" in html


def test_create_a_script_for_a_client(client, db, admin, acme):
    client_row, work_type = acme
    response = client.post(
        "/admin/scripts",
        data={"key": "acme-oil", "name": "Acme oil", "client": client_row.id, "work_type": ""},
    )
    assert response.status_code == 302
    script = db.session.scalar(select(CallScript).where(CallScript.key == "acme-oil"))
    assert response.headers["Location"] == f"/admin/scripts/{script.id}"
    assert script.client == client_row and script.work_type is None
    assert [q.key for q in questions(script)] == ["contacts"]

    editor = text_of(client.get(response.headers["Location"]))
    assert "Draft — not published yet" in editor
    assert "Locked: only the wording can change" in editor


def test_script_keys_are_unique_with_a_message_beside_the_field(client, new_script):
    new_script(key="base")
    response = client.post("/admin/scripts", data={"key": "base", "name": "Another"})
    assert response.status_code == 422
    assert "A script with this key already exists." in error_block(text_of(response), "key")
    response = client.post("/admin/scripts", data={"key": "no spaces", "name": "Another"})
    assert "Letters, digits" in error_block(text_of(response), "key")


def test_clone_asks_for_a_key_and_name_and_copies_the_draft(client, db, new_script):
    source = new_script()
    add_question(client, source)
    form = text_of(client.get(f"/admin/scripts/{source.id}/clone"))
    assert 'value="follow-up-copy"' in form

    taken = client.post(f"/admin/scripts/{source.id}/clone", data={"key": "follow-up", "name": "X"})
    assert taken.status_code == 422
    assert "already exists" in error_block(text_of(taken), "key")

    response = client.post(
        f"/admin/scripts/{source.id}/clone", data={"key": "copy", "name": "The copy"}
    )
    assert response.status_code == 302
    copy = db.session.scalar(select(CallScript).where(CallScript.key == "copy"))
    assert copy.name == "The copy"
    assert [q.key for q in questions(copy)] == [q.key for q in questions(source)]


def test_archive_and_restore(client, db, new_script, acme):
    client_row, _ = acme
    script = new_script(client=client_row)
    response = client.post(f"/admin/scripts/{script.id}/archive")
    assert response.status_code == 302
    db.session.refresh(script)
    assert script.status == ScriptStatus.ARCHIVED
    assert "archived" in text_of(client.get("/admin/scripts"))

    # Another active script took the same assignment meanwhile: restoring would be ambiguous.
    new_script(key="other", client=client_row)
    client.post(f"/admin/scripts/{script.id}/restore")
    db.session.refresh(script)
    assert script.status == ScriptStatus.ARCHIVED
    assert "Not restored" in text_of(client.get("/admin/scripts"))

    other = db.session.scalar(select(CallScript).where(CallScript.key == "other"))
    client.post(f"/admin/scripts/{other.id}/archive")
    client.post(f"/admin/scripts/{script.id}/restore")
    db.session.refresh(script)
    assert script.status == ScriptStatus.ACTIVE


# --- editing questions and answers ---------------------------------------------------------------


def test_add_a_question_renders_the_list_before_the_contacts_question(client, new_script):
    script = new_script()
    response = add_question(client, script, "single")
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#questions"
    assert response.headers["HX-Trigger"] == "script-changed"
    html = text_of(response)
    assert html.lstrip().startswith('<section class="ctor-questions" id="questions"')
    assert 'id="script-head" hx-swap-oob="true"' in html
    assert "Draft — not published yet" in html
    assert [q.key for q in questions(script)] == ["q1", "contacts"]


def test_edit_a_question_saves_the_draft_and_returns_its_card(client, new_script):
    script = new_script()
    add_question(client, script, "single")
    q = question(script, "q1")
    response = save_card(
        client,
        script,
        q,
        text="How satisfied are you with the work?",
        weight="3",
        required="y",
        bad__complaint_category="quality",
        bad__comment_required="y",
        good__points="5",
    )
    assert response.status_code == 200
    assert "HX-Retarget" not in response.headers  # only this card changed
    assert response.headers["HX-Trigger"] == "script-changed"
    html = text_of(response)
    assert html.lstrip().startswith(f'<article class="card ctor-card" id="card-{q.id}"')
    assert "How satisfied are you with the work?" in html

    q = question(script, "q1")
    assert q.text == "How satisfied are you with the work?"
    assert q.weight == Decimal(3) and q.required
    bad = q.options[1]
    assert (bad.complaint_category, bad.comment_required, bad.poaching) == ("quality", True, False)


def test_a_form_error_keeps_what_was_typed_and_saves_nothing(client, new_script):
    script = new_script()
    add_question(client, script)
    q = question(script, "q1")
    response = save_card(client, script, q, weight="-1", text="Changed")
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == f"#card-{q.id}"
    html = text_of(response)
    assert "Number must be between 0 and 1000." in error_block(html, f"q{q.id}-weight")
    assert 'value="-1"' in html
    assert question(script, "q1").text == "New question"


def test_question_and_answer_keys_are_unique(client, new_script):
    script = new_script()
    add_question(client, script)
    q = question(script, "q1")
    response = save_card(client, script, q, key="contacts")
    assert response.status_code == 422
    assert "Another question" in error_block(text_of(response), f"q{q.id}-key")
    response = save_card(client, script, q, bad__key="good")
    bad = q.options[1]
    assert "Another answer" in error_block(text_of(response), f"o{bad.id}-key")


def test_changing_the_kind_gives_the_kind_its_answers(client, new_script):
    script = new_script()
    add_question(client, script)
    q = question(script, "q1")
    response = save_card(client, script, q, kind="scale")
    assert response.status_code == 200
    q = question(script, "q1")
    assert [o.key for o in q.options] == ["1", "2", "3", "4", "5"]
    assert "Low end label" in text_of(response)


def test_add_and_delete_answers(client, new_script):
    script = new_script()
    add_question(client, script)
    q = question(script, "q1")
    response = client.post(
        f"/admin/scripts/{script.id}/questions/{q.id}/options", data=card_data(q), headers=HX
    )
    assert response.status_code == 200
    assert "HX-Retarget" not in response.headers  # no "shown if" names it: its card is enough
    q = question(script, "q1")
    assert [o.key for o in q.options] == ["good", "bad", "o3"]
    assert f'id="opt-{q.options[2].id}"' in text_of(response)

    response = client.post(
        f"/admin/scripts/{script.id}/options/{q.options[0].id}/delete",
        data=card_data(q, bad__label="Unhappy"),  # the card's typing is saved too
        headers=HX,
    )
    assert response.status_code == 200
    q = question(script, "q1")
    assert [(o.key, o.label) for o in q.options] == [("bad", "Unhappy"), ("o3", "New answer")]
    assert [o.position for o in q.options] == [1, 2]


def test_reorder_questions(client, new_script):
    script = new_script()
    add_question(client, script)
    add_question(client, script, "yesno")
    first = question(script, "q1")
    response = client.post(f"/admin/scripts/{script.id}/questions/{first.id}/move/down", headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#questions"
    assert [q.key for q in questions(script)] == ["q2", "q1", "contacts"]
    html = text_of(response)
    assert html.index(f'id="card-{first.id}"') > html.index('id="card-')

    client.post(f"/admin/scripts/{script.id}/questions/{first.id}/move/up", headers=HX)
    assert [q.key for q in questions(script)] == ["q1", "q2", "contacts"]


def test_delete_a_question_after_a_second_click(client, new_script):
    script = new_script()
    add_question(client, script)
    q = question(script, "q1")
    url = f"/admin/scripts/{script.id}/questions/{q.id}/delete"

    ask = text_of(client.get(url, headers=HX))
    assert "Really delete this question?" in ask
    assert "Really delete" not in text_of(client.get(url + "?cancel=1", headers=HX))
    assert [q.key for q in questions(script)] == ["q1", "contacts"]

    response = client.post(url, headers=HX)
    assert response.status_code == 200
    assert response.headers["HX-Retarget"] == "#questions"
    assert [q.key for q in questions(script)] == ["contacts"]


def test_the_contacts_question_cannot_be_deleted_nor_its_poaching_switched_off(client, new_script):
    script = new_script()
    contacts = question(script, "contacts")
    editor = text_of(client.get(f"/admin/scripts/{script.id}"))
    card = editor[editor.index(f'id="card-{contacts.id}"') :]
    card = card[: card.index("</article>")]
    assert "Delete…" not in card
    yes = next(o for o in contacts.options if o.key == "yes")
    assert f'id="o{yes.id}-poaching" name="o{yes.id}-poaching" type="checkbox" value="y"' in card
    assert "disabled" in card

    response = client.post(f"/admin/scripts/{script.id}/questions/{contacts.id}/delete", headers=HX)
    assert response.status_code == 422
    assert "the contacts question is part of every script" in text_of(response)
    assert response.headers["HX-Retarget"] == f"#card-{contacts.id}"

    response = save_card(client, script, contacts, yes__poaching=None)
    assert response.status_code == 422
    assert "Not changed: only the wording of the contacts question can change." in text_of(response)
    assert question(script, "contacts").options[1].poaching is True

    # Its wording can change: what the browser sends (locked values ride in hidden inputs).
    response = save_card(client, script, contacts, text="Did they leave a phone number?")
    assert response.status_code == 200
    assert question(script, "contacts").text == "Did they leave a phone number?"


def test_show_if_problems_are_shown_next_to_the_field(client, new_script):
    script = new_script()
    add_question(client, script)
    add_question(client, script, "multi")
    first, second = question(script, "q1"), question(script, "q2")

    # "Shown if" offers the earlier questions only, then the answers of the one chosen.
    html = text_of(save_card(client, script, second, show_if_question="q1"))
    assert '<option selected value="q1">1. q1</option>' in html
    assert "q2</option>" not in html.split(f'id="q{second.id}-show_if_question"')[1][:400]
    second = question(script, "q2")
    assert second.show_if == {"question": "q1", "any_of": []}
    assert error_block(html, f"q{second.id}-show_if_question")  # no answer ticked yet
    save_card(client, script, second, show_if_any_of=["bad"])
    assert question(script, "q2").show_if == {"question": "q1", "any_of": ["bad"]}

    # Moving it above the question it depends on: the problem appears beside its "shown if".
    response = client.post(f"/admin/scripts/{script.id}/questions/{second.id}/move/up", headers=HX)
    messages = error_block(text_of(response), f"q{second.id}-show_if_question")
    assert "show_if points forward to &#39;q1&#39;: it must name an earlier question" in messages
    client.post(f"/admin/scripts/{script.id}/questions/{second.id}/move/down", headers=HX)

    # Removing the answer it names: the whole list comes back, with the problem on question 2.
    bad = question(script, "q1").options[1]
    response = client.post(
        f"/admin/scripts/{script.id}/options/{bad.id}/delete",
        data=card_data(question(script, "q1")),
        headers=HX,
    )
    assert response.headers["HX-Retarget"] == "#questions"
    html = text_of(response)
    messages = error_block(html, f"q{second.id}-show_if_question")
    assert "show_if names unknown option &#39;bad&#39; of &#39;q1&#39;" in messages
    assert "bad (unknown answer)" in html
    assert "2 problems to fix" in html  # and q1 now has too few answers
    assert first.id  # the first card is still there
    assert f'id="card-{first.id}"' in html


def test_settings_save_and_show_placeholder_problems_beside_the_field(client, new_script, acme):
    client_row, _ = acme
    script = new_script()
    response = client.post(
        f"/admin/scripts/{script.id}/settings",
        data={
            "settings-name": "Renamed",
            "settings-client": str(client_row.id),
            "settings-work_type": "",
            "settings-language": "ru",
            "settings-intro": "Hello {customer.nmae}!",
            "settings-closing": "Bye",
        },
        headers=HX,
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "script-changed"
    html = text_of(response)
    assert "unknown placeholder {customer.nmae}" in error_block(html, "settings-intro")
    assert "<h1>Renamed</h1>" in html  # the page head, out of band
    db_script = script_service.draft_of(script).script
    assert db_script.name == "Renamed" and db_script.client == client_row
    assert draft(script).language == "ru" and draft(script).closing == "Bye"


# --- preview -----------------------------------------------------------------------------------


def test_the_preview_shows_the_operator_view_score_and_consequences(
    client, new_script, acme, make_order
):
    client_row, _ = acme
    order = make_order(client=client_row)
    script = new_script(client=client_row)
    add_question(client, script)
    save_card(
        client,
        script,
        question(script, "q1"),
        text="Was {customer.name} satisfied?",
        weight="2",
        bad__complaint_category="quality",
    )
    add_question(client, script, "text")
    save_card(client, script, question(script, "q2"), show_if_question="q1")
    save_card(client, script, question(script, "q2"), show_if_any_of=["bad"])

    editor = text_of(client.get(f"/admin/scripts/{script.id}"))
    assert f"Was {order.customer.name} satisfied?" in editor
    assert "none yet" in editor

    url = f"/admin/scripts/{script.id}/preview"
    html = text_of(client.post(url, data={"preview-order": order.id, "q-q1": "good"}, headers=HX))
    assert "<strong>100</strong>" in html
    assert "Nothing will be created." in html
    assert 'id="pv-q-q2" data-question="q2" hidden' in html

    html = text_of(client.post(url, data={"preview-order": order.id, "q-q1": "bad"}, headers=HX))
    assert "<strong>0</strong>" in html
    assert "Creates a complaint: quality" in html
    assert 'data-question="q2" hidden' not in html  # shown: q1 has "bad"


# --- publishing and versions ---------------------------------------------------------------------


def test_publish_shows_the_changes_then_creates_the_next_version(client, db, new_script, admin):
    script = new_script()
    add_question(client, script)
    page = text_of(client.get(f"/admin/scripts/{script.id}/publish"))
    assert "First version: 2 questions." in page
    assert "Publish version 1" in page

    response = client.post(f"/admin/scripts/{script.id}/publish", data={"note": "First"})
    assert response.status_code == 302
    assert "Version 1 published." in text_of(client.get(response.headers["Location"]))
    v1 = script_service.published_version(script, 1)
    assert v1.note == "First" and v1.published_by_id == admin.id

    assert "Nothing to publish" in text_of(client.get(f"/admin/scripts/{script.id}/publish"))
    editor = text_of(client.get(f"/admin/scripts/{script.id}"))
    assert "Published version 1" in editor

    # Edit the new draft: version 1 stays as published.
    save_card(client, script, question(script, "q1"), text="Reworded")
    assert v1.questions[0].text == "New question"
    page = text_of(client.get(f"/admin/scripts/{script.id}/publish"))
    assert "Changes since version 1" in page
    assert "Question &#39;q1&#39;: text changed." in page
    client.post(f"/admin/scripts/{script.id}/publish", data={"note": ""})
    db.session.expire_all()
    assert script.current_version.number == 2
    assert script_service.published_version(script, 1).questions[0].text == "New question"
    assert script_service.published_version(script, 2).questions[0].text == "Reworded"

    history = text_of(client.get(f"/admin/scripts/{script.id}/versions"))
    assert "Version 1" in history and "Version 2" in history and admin.name in history


def test_problems_block_publishing(client, new_script):
    script = new_script()
    add_question(client, script)
    save_card(client, script, question(script, "q1"), text="Hi {nobody}")
    page = text_of(client.get(f"/admin/scripts/{script.id}/publish"))
    assert "Fix these before publishing:" in page
    assert "Question 1 (q1): unknown placeholder {nobody}" in page
    assert re.search(r'<button type="button" class="button primary" disabled>', page)
    response = client.post(f"/admin/scripts/{script.id}/publish", data={})
    assert response.status_code == 422
    assert script.current_version is None


def test_an_edit_to_a_published_draft_from_a_stale_page_is_refused(client, new_script):
    script = new_script()
    add_question(client, script)
    stale = question(script, "q1")
    data = card_data(stale, text="Too late")
    client.post(f"/admin/scripts/{script.id}/publish", data={})
    response = client.post(
        f"/admin/scripts/{script.id}/questions/{stale.id}", data=data, headers=HX
    )
    assert response.status_code == 409
    assert response.headers["HX-Retarget"] == "#notices"
    assert script_service.published_version(script, 1).questions[0].text == "New question"


def test_the_version_view_is_read_only_and_shows_every_question(client, new_script):
    script = new_script()
    add_question(client, script)
    add_question(client, script, "text")
    save_card(client, script, question(script, "q2"), show_if_question="q1")
    save_card(client, script, question(script, "q2"), show_if_any_of=["bad"])
    client.post(f"/admin/scripts/{script.id}/publish", data={})
    html = text_of(client.get(f"/admin/scripts/{script.id}/versions/1"))
    assert "Version 1 of" in html
    assert "<fieldset disabled>" in html
    assert 'data-question="q2" hidden' not in html
    assert client.get(f"/admin/scripts/{script.id}/versions/2").status_code == 404


# --- escaping ----------------------------------------------------------------------------------


def test_admin_text_is_escaped_in_the_editor_preview_and_version_view(client, new_script):
    script = new_script(name=XSS)
    add_question(client, script)
    q = question(script, "q1")
    response = save_card(client, script, q, text=XSS, good__label=XSS)
    assert XSS not in text_of(response) and XSS_ESCAPED in text_of(response)

    pages = [
        text_of(client.get(f"/admin/scripts/{script.id}")),
        text_of(client.post(f"/admin/scripts/{script.id}/preview", data={}, headers=HX)),
        text_of(client.get("/admin/scripts")),
        text_of(client.get(f"/admin/scripts/{script.id}/publish")),
    ]
    client.post(f"/admin/scripts/{script.id}/publish", data={})
    pages.append(text_of(client.get(f"/admin/scripts/{script.id}/versions/1")))
    for html in pages:
        assert XSS not in html
        assert XSS_ESCAPED in html
