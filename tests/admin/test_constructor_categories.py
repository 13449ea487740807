"""An answer's complaint category is chosen from the categories list in the constructor, a new
one only on purpose ("New category…"), and a script file naming an unknown category is refused
with ``file:line: message`` (``cleanlines`` was once accepted, previewed and published)."""

from __future__ import annotations

from console.services.scripts import library as script_service
from tests.admin import test_constructor as constructor
from tests.admin.test_constructor import HX, add_question, question, save_card, text_of
from tests.scripts import conftest as scripts_conftest
from tests.scripts.test_files import VALID, load

admin = constructor.admin  # the fixtures these tests share with the constructor's
new_script = constructor.new_script
write_script = scripts_conftest.write_script


def test_the_category_is_chosen_from_the_list_by_its_name(client, new_script):
    script = new_script()
    add_question(client, script)
    html = text_of(client.get(f"/admin/scripts/{script.id}"))
    assert '<option value="cleanliness">cleanliness</option>' in html
    assert '<option value="+new">New category…</option>' in html
    assert 'value="poaching"' not in html  # that is the anti-poaching tick box

    q = question(script, "q1")
    bad = q.options[-1].key
    response = save_card(client, script, q, **{f"{bad}__complaint_category": "cleanliness"})
    assert response.status_code == 200
    assert question(script, "q1").options[-1].complaint_category == "cleanliness"


def test_a_typed_category_that_is_not_in_the_list_is_refused_and_nothing_saved(client, new_script):
    script = new_script()
    add_question(client, script)
    q = question(script, "q1")
    bad = q.options[-1].key
    response = save_card(client, script, q, **{f"{bad}__complaint_category": "cleanlines"})
    assert response.status_code == 422
    assert "Not a valid choice" in text_of(response)
    assert question(script, "q1").options[-1].complaint_category is None


def test_a_new_category_is_a_deliberate_second_step(client, new_script):
    script = new_script()
    add_question(client, script)
    q = question(script, "q1")
    option = q.options[-1]

    # Choosing "New category…" asks for its key, and changes nothing yet.
    asked = save_card(client, script, q, **{f"{option.key}__complaint_category": "+new"})
    assert asked.status_code == 200
    html = text_of(asked)
    assert f'id="o{option.id}-new_category"' in html and "autofocus" in html
    assert '<option selected value="+new">New category…</option>' in html
    assert question(script, "q1").options[-1].complaint_category is None

    refused = save_card(
        client,
        script,
        q,
        **{f"{option.key}__complaint_category": "+new", f"{option.key}__new_category": "Bad Key!"},
    )
    assert refused.status_code == 422
    assert "Small letters, digits and _ only" in text_of(refused)

    saved = save_card(
        client,
        script,
        q,
        **{f"{option.key}__complaint_category": "+new", f"{option.key}__new_category": "paperwork"},
    )
    assert saved.status_code == 200
    assert question(script, "q1").options[-1].complaint_category == "paperwork"
    # From now on the card shows it chosen, among the others.
    assert '<option selected value="paperwork">paperwork</option>' in text_of(saved)


def test_the_russian_list_shows_the_categories_names(client, db, admin, new_script):
    admin.locale = "ru"
    db.session.commit()
    script = new_script()
    add_question(client, script)
    html = text_of(client.get(f"/admin/scripts/{script.id}"))
    assert '<option value="cleanliness">чистота</option>' in html
    assert "Новая категория…" in html


def test_a_script_file_naming_an_unknown_category_is_refused_with_its_line(
    runner, db, write_script
):
    path = write_script(VALID.replace("complaint: punctuality", "complaint: punctualty"))
    result = load(runner, path)
    assert result.exit_code != 0
    assert (
        "script.yaml:18: questions[1].options[0].complaint: unknown complaint category "
        "'punctualty' (did you mean 'punctuality'?)"
    ) in result.output, result.output
    assert "nothing was loaded" in result.output


def test_a_category_added_in_the_constructor_and_published_loads_from_a_file(
    client, db, runner, write_script, new_script
):
    script = new_script()
    add_question(client, script)
    q = question(script, "q1")
    option = q.options[-1]
    save_card(
        client,
        script,
        q,
        **{f"{option.key}__complaint_category": "+new", f"{option.key}__new_category": "paperwork"},
    )
    script_service.publish(script)
    script_service.archive_script(script)  # the file below covers the same (any) assignment
    db.session.commit()
    assert "paperwork" in script_service.complaint_categories()
    result = load(runner, write_script(VALID.replace("complaint: quality", "complaint: paperwork")))
    assert result.exit_code == 0, result.output


def test_the_preview_names_the_category_and_writes_scores_one_way_per_language(
    client, db, admin, new_script
):
    """In Russian: "→ жалоба: пунктуальность", not the key; a score reads "12,5" there and
    "12.5" in English (not "12.50"), in the score and in what each answer cost."""
    script = new_script()
    add_question(client, script)
    q = question(script, "q1")
    bad = q.options[-1]
    save_card(
        client,
        script,
        q,
        weight="7",
        **{f"{bad.key}__complaint_category": "punctuality"},
    )
    add_question(client, script)
    q2 = question(script, "q2")
    save_card(client, script, q2)
    url = f"/admin/scripts/{script.id}/preview"
    ticks = {"q-q1": q.options[-1].key, "q-q2": q2.options[0].key}

    english = text_of(client.post(url, data=ticks, headers=HX))
    assert "Creates a complaint: punctuality" in english
    assert "<strong>12.5</strong>" in english  # q2 alone scores: 1 of 8 weights
    assert "q1 cost 87.5" in english

    admin.locale = "ru"
    db.session.commit()
    russian = text_of(client.post(url, data=ticks, headers=HX))
    # The hint beside the answer (as on the call screen) and what the ticks will create.
    assert '<span class="hint-consequence">→ жалоба: пунктуальность</span>' in russian
    assert "Будет создана жалоба: пунктуальность" in russian
    assert "<strong>12,5</strong>" in russian
    assert "q1: потеряно баллов — 87,5" in russian
    assert "punctuality" not in russian
