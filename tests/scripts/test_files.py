"""scripts_config/ files: load, validate with file:line messages, export and load back."""

from __future__ import annotations

import textwrap

import pytest
from sqlalchemy import func, select

from console.models import CallScript, ScriptVersion
from console.services.scripts import library as script_service
from tests.scripts.conftest import SCRIPTS_CONFIG

SHIPPED = sorted(SCRIPTS_CONFIG.glob("*.yaml"))

VALID = textwrap.dedent(
    """\
    key: mini
    name: Mini
    intro: "Hello {customer.name}"
    questions:
      - key: overall
        text: "How satisfied are you?"
        kind: single
        weight: 3
        required: true
        options:
          - {key: good, label: "Satisfied", points: 5}
          - {key: bad, label: "Not satisfied", points: 0, complaint: quality}
      - key: what_wrong
        text: "What went wrong?"
        kind: multi
        show_if: {question: overall, any_of: [bad]}
        options:
          - {key: late, label: "Late", points: 0, complaint: punctuality}
    closing: "Thank you"
    """
)


def load(runner, *paths):
    return runner.invoke(args=["scripts", "load", *map(str, paths)])


def count(db, model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_shipped_scripts_cover_base_and_the_russian_demo_clients(catalog, runner, db):
    result = load(runner, *SHIPPED)
    assert result.exit_code == 0, result.output
    keys = {s.key: s for s in db.session.scalars(select(CallScript))}
    assert {"base", "garage-service", "homefix", "ural-motors"} <= keys.keys()
    assert keys["base"].client is None and keys["base"].work_type is None
    assert keys["base"].current_version.language == "en"
    assert keys["homefix"].current_version.language == "ru"
    base_questions = {q.key for q in keys["base"].current_version.questions}
    # the five topics of DOMAIN.md (001), the repeat-defect question (000), the contacts one (003)
    assert {"speed", "service", "quality", "price", "comments", "repeat_visit", "contacts"} <= (
        base_questions
    )


def test_shipped_scripts_mark_what_the_reports_read_as_nps_and_csat(catalog, runner, db):
    assert load(runner, *SHIPPED).exit_code == 0
    marked = {
        (s.key, q.key): q
        for s in db.session.scalars(select(CallScript))
        for q in s.current_version.questions
        if q.role
    }
    roles = {where: q.role for where, q in marked.items()}
    assert roles == {
        ("base", "speed"): "satisfaction",
        ("base", "recommend"): "recommend",
        ("garage-service", "staff"): "satisfaction",
        ("garage-service", "recommend"): "recommend",
        ("homefix", "recommend"): "recommend",
    }
    for (_, key), question in marked.items():
        options = sorted(question.options, key=lambda o: o.position)
        if question.role == "recommend":
            # 0 to 10 in order, optional, and no complaint: a low score is a detractor, not a
            # ticket; the points follow the value.
            assert [o.key for o in options] == [str(n) for n in range(11)]
            assert not question.required
            assert all(o.complaint_category is None and not o.repeat_repair for o in options)
            assert [o.points for o in options] == list(range(11))
        else:
            # A satisfaction scale, worst first: CSAT counts its last two options.
            points = [o.points for o in options]
            assert points == sorted(points) and len(points) == 5, key


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_file_exports_to_yaml_that_loads_back_the_same(
    catalog, runner, db, path, write_script
):
    assert load(runner, path).exit_code == 0
    key = db.session.scalar(select(CallScript.key))
    exported = runner.invoke(args=["scripts", "export", key])
    assert exported.exit_code == 0, exported.output
    again = load(runner, write_script(exported.output, "exported.yaml"))
    assert again.exit_code == 0, again.output
    assert f"{key}: unchanged" in again.output
    assert count(db, ScriptVersion) == 1


def test_loading_an_unchanged_file_publishes_nothing_and_a_change_a_new_version(
    runner, db, write_script
):
    path = write_script(VALID)
    assert "mini: published version 1" in load(runner, path).output
    assert "mini: unchanged" in load(runner, path).output
    write_script(VALID.replace("weight: 3", "weight: 4"))
    assert "mini: published version 2" in load(runner, path).output
    script = db.session.scalar(select(CallScript))
    assert [v.number for v in script.versions] == [1, 2]
    assert script.current_version.questions[0].weight == 4
    assert script.versions[0].questions[0].weight == 3  # version 1 is untouched


def test_the_contacts_question_is_added_when_a_file_lacks_it(runner, db, write_script):
    assert load(runner, write_script(VALID)).exit_code == 0
    version = db.session.scalar(select(ScriptVersion))
    contacts = version.questions[-1]
    assert contacts.key == "contacts" and contacts.is_contacts and contacts.required
    yes = next(o for o in contacts.options if o.key == "yes")
    assert yes.poaching
    assert "no warranty" in contacts.note


BROKEN = {
    "malformed YAML": (
        VALID.replace("kind: multi", "kind: [multi"),
        r"script.yaml:\d+: malformed YAML",
    ),
    "unknown kind": (
        VALID.replace("kind: multi", "kind: checkboxes"),
        "script.yaml:15: questions[1].kind: unknown kind 'checkboxes'; expected one of: "
        "single, multi, scale, yesno, text",
    ),
    "duplicate question key": (
        VALID.replace("key: what_wrong", "key: overall"),
        "script.yaml:13: questions[1].key: duplicate question key 'overall'",
    ),
    "duplicate field": (
        VALID.replace("    weight: 3\n", "    weight: 3\n    weight: 4\n"),
        "script.yaml:9: questions[0]: duplicate field 'weight'",
    ),
    "show_if on itself": (
        VALID.replace("key: what_wrong", "key: later").replace(
            "{question: overall, any_of: [bad]}", "{question: later, any_of: [bad]}"
        ),
        "script.yaml:16: questions[1].show_if: a question cannot depend on itself",
    ),
    "show_if unknown option": (
        VALID.replace("any_of: [bad]", "any_of: [awful]"),
        "script.yaml:16: questions[1].show_if.any_of: show_if names unknown option 'awful' of "
        "'overall'",
    ),
    "contacts without its consequence": (
        VALID.replace(
            'closing: "Thank you"',
            "  - key: contacts\n    text: Left contacts?\n    kind: yesno\n    options:\n"
            "      - {key: 'no', label: 'No'}\n      - {key: 'yes', label: 'Yes'}\n"
            'closing: "Thank you"',
        ),
        "script.yaml:24: questions[2].options[1]: the contacts question's 'yes' option must have "
        "poaching: true",
    ),
    "unknown placeholder": (
        VALID.replace("Hello {customer.name}", "Hello {customer.nickname}"),
        "script.yaml:3: intro: unknown placeholder {customer.nickname}; known: {customer.name}",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_each_kind_of_mistake_has_its_own_clear_message(runner, db, write_script, case):
    text, expected = BROKEN[case]
    result = load(runner, write_script(text))
    assert result.exit_code != 0
    if expected.startswith("script.yaml:\\d"):
        import re

        assert re.search(expected, result.output), result.output
    else:
        assert expected in result.output, result.output
    assert "nothing was loaded" in result.output
    assert count(db, CallScript) == 0


def test_a_show_if_naming_a_later_question_says_it_points_forward(runner, write_script):
    text = VALID.replace("{question: overall, any_of: [bad]}", "{question: third, any_of: [x]}")
    text = text.replace(
        'closing: "Thank you"',
        "  - key: third\n    text: Third\n    kind: yesno\n    options:\n"
        "      - {key: 'yes', label: 'Yes'}\n      - {key: 'no', label: 'No'}\n"
        'closing: "Thank you"',
    )
    result = load(runner, write_script(text))
    assert "questions[1].show_if.question: show_if points forward to 'third'" in result.output


def test_one_bad_file_among_good_ones_loads_none_and_lists_every_problem(
    runner, db, write_script, catalog
):
    good = write_script(VALID, "good.yaml")
    bad = write_script(
        VALID.replace("key: mini", "key: other")
        .replace("kind: multi", "kind: radio")
        .replace("{customer.name}", "{customer.age}"),
        "bad.yaml",
    )
    result = load(runner, good, bad)
    assert result.exit_code != 0
    assert "bad.yaml:" in result.output and "unknown kind 'radio'" in result.output
    assert count(db, CallScript) == 0


def test_unknown_client_or_work_type_is_reported(runner, write_script):
    text = VALID.replace("name: Mini\n", "name: Mini\nclient: nobody\nwork_type: teleport\n")
    result = load(runner, write_script(text))
    assert "script.yaml:3: client: unknown client 'nobody'" in result.output
    assert "script.yaml:4: work_type: unknown work type 'teleport'" in result.output


def test_two_scripts_for_the_same_assignment_are_refused(runner, write_script, catalog):
    first = write_script(VALID.replace("name: Mini\n", "name: Mini\nclient: homefix\n"), "a.yaml")
    second = write_script(
        VALID.replace("key: mini", "key: mini2").replace(
            "name: Mini\n", "name: M\nclient: homefix\n"
        ),
        "b.yaml",
    )
    result = load(runner, first, second)
    assert "script 'mini' already covers client homefix and work type any" in result.output


def test_export_of_an_unknown_script_says_so(runner):
    result = runner.invoke(args=["scripts", "export", "nope"])
    assert result.exit_code != 0
    assert "no published script with key 'nope'" in result.output


def test_archiving_keeps_versions(runner, db, write_script):
    load(runner, write_script(VALID))
    script = db.session.scalar(select(CallScript))
    script_service.archive_script(script)
    db.session.commit()
    assert count(db, ScriptVersion) == 1


# --- hostile files: refused before anything is built from them -------------------------------

# 9 levels of 9 aliases each: 600 bytes that expand to 387 million strings ("billion laughs").
ALIAS_BOMB = "key: bomb\nname: Bomb\na0: &a0 [" + ",".join(['"lol"'] * 9) + "]\n"
ALIAS_BOMB += "".join(f"a{i}: &a{i} [{','.join([f'*a{i - 1}'] * 9)}]\n" for i in range(1, 9))
ALIAS_BOMB += "questions: *a8\n"


def test_an_alias_bomb_is_refused_with_one_short_line(runner, db, write_script, tmp_path):
    result = load(runner, write_script(ALIAS_BOMB))
    assert result.exit_code != 0
    assert result.output.splitlines()[0].endswith(
        "/script.yaml:4: YAML aliases (*a0) are not allowed in a script file: "
        "write the text out where it is needed"
    )
    assert len(result.output) < 300 + len(str(tmp_path))
    assert count(db, CallScript) == 0


def test_a_file_over_the_size_limit_is_refused_unread(runner, write_script):
    padding = "# " + "x" * 1000 + "\n"
    result = load(runner, write_script(VALID + padding * 300))
    assert result.exit_code != 0
    assert "script.yaml:1: the file is 294 KB; a script file may be 256 KB" in result.output


def test_nesting_deeper_than_any_script_is_refused(runner, write_script):
    result = load(runner, write_script("key: deep\nname: Deep\nquestions: " + "[" * 5000))
    assert result.exit_code != 0
    assert "script.yaml:3: nested more than 16 levels deep" in result.output


def test_a_message_quotes_a_long_value_cut_short(runner, write_script, tmp_path):
    kind = "checkboxes" * 1000
    name = ["a long name"] * 1000
    text = VALID.replace("kind: multi", f"kind: {kind}").replace("name: Mini", f"name: {name}")
    result = load(runner, write_script(text))
    assert result.exit_code != 0
    lines = result.output.replace(str(tmp_path), "").splitlines()
    assert any("name: ['a long name', 'a long name'," in line for line in lines), result.output
    assert any("unknown kind 'checkboxescheckboxes" in line for line in lines), result.output
    assert max(len(line) for line in lines) < 200
