"""Question kinds come from one registry: every kind goes through the same path (checked,
rendered by its partial, read back from what that partial posts, scored), and a kind added to
the registry alone works in all of them."""

from __future__ import annotations

import json
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from flask import render_template_string
from werkzeug.datastructures import MultiDict

from console.admin.script_forms import kind_choices
from console.scripts import definition as defn
from console.scripts import rendering
from console.scripts.question_types import QUESTION_TYPES, QuestionType
from console.scripts.scoring import evaluate


class Fields(HTMLParser):
    """The form fields of rendered HTML: (tag, type, name, value)."""

    def __init__(self, html: str):
        super().__init__()
        self.fields: list[tuple[str, str | None, str, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("input", "textarea") and a.get("name"):
            self.fields.append((tag, a.get("type"), a["name"], a.get("value")))


def render(app, sv) -> str:
    with app.test_request_context():
        return render_template_string(
            '{% from "scripts/_script.html" import script %}{{ script(sv) }}', sv=sv
        )


def as_operator_would(fields) -> MultiDict:
    """Tick the last answer of every question and write in every box, as a browser posts it."""
    last: dict[str, str] = {}
    texts = []
    for tag, _type, name, value in fields:
        if tag == "input" and name.startswith("q-"):
            last[name] = value
        if tag == "textarea":
            texts.append((name, "Said so"))
    return MultiDict(list(last.items()) + texts)


def one_question(kind: str, options: list[dict] | None = None, **extra) -> dict:
    starter = QUESTION_TYPES[kind].starter_options()
    question = {
        "key": "asked",
        "text": "Asked?",
        "kind": kind,
        "required": True,
        "options": options
        if options is not None
        else [{"key": o["key"], "label": o["label"], "points": int(o["points"])} for o in starter],
        **extra,
    }
    return {"key": "s", "name": "S", "questions": [question]}


@pytest.mark.parametrize("kind", list(QUESTION_TYPES))
def test_every_kind_is_checked_rendered_read_back_and_scored_the_same_way(app, kind):
    kind_type = QUESTION_TYPES[kind]
    source = one_question(kind)
    assert defn.check(source) == []
    definition = defn.normalise(source)

    html = render(app, rendering.view(definition))
    mine = [f for f in Fields(html).fields if f[2].endswith("-asked")]
    assert mine, html
    if kind_type.has_options:
        assert {f[1] for f in mine if f[0] == "input"} == {kind_type.input_type}
    form = as_operator_would(Fields(html).fields)

    answers = rendering.answers_from_form(definition, form)
    evaluation = evaluate(definition, answers)
    assert "asked" not in evaluation.missing
    if kind_type.has_options:
        assert answers["asked"]["options"] == [definition["questions"][0]["options"][-1]["key"]]
    else:
        assert answers["asked"]["text"] == "Said so"
    scored = [row.key for row in evaluation.score.breakdown]
    assert scored == (["asked"] if kind_type.scored else [])

    assert evaluate(definition, {}).missing["asked"] == "required"


class Thumbs(QuestionType):
    """A kind the console does not have: thumbs up or down, keys fixed."""

    def option_problems(self, option_keys):
        return [] if option_keys == ["up", "down"] else ['thumbs are "up" then "down"']

    def starter_options(self):
        return [
            {"key": "up", "label": "👍", "points": Decimal(1)},
            {"key": "down", "label": "👎", "points": Decimal(0)},
        ]


@pytest.fixture
def thumbs(monkeypatch):
    kind = Thumbs("thumbs", "Thumbs", fixed_options=True, numbered=False)
    monkeypatch.setitem(QUESTION_TYPES, "thumbs", kind)
    return kind


def test_a_kind_added_to_the_registry_alone_validates_renders_and_scores(app, thumbs):
    assert "thumbs" in [c.value for c in kind_choices()]
    wrong = one_question("thumbs", [{"key": "yes", "label": "Y"}, {"key": "no", "label": "N"}])
    assert [p.message for p in defn.check(wrong)] == ['thumbs are "up" then "down"']

    source = one_question(
        "thumbs",
        [
            {"key": "up", "label": "Up", "points": 1},
            {"key": "down", "label": "Down", "points": 0, "complaint": "quality"},
        ],
        weight=2,
    )
    assert defn.check(source) == []
    definition = defn.normalise(source)

    html = render(app, rendering.view(definition))
    assert 'type="radio"' in html and 'name="q-asked" value="down"' in html
    assert "option-key" not in html.split('data-question="contacts"')[0]  # not numbered

    answers = rendering.answers_from_form(definition, MultiDict([("q-asked", "down")]))
    evaluation = evaluate(definition, answers | {"contacts": {"options": ["no"]}})
    assert evaluation.score.score == Decimal("0.00")
    assert evaluation.complaint_categories == ["quality"]
    assert evaluation.missing == {}


def test_an_unknown_kind_is_named_with_the_registry_s_kinds(thumbs):
    source = one_question("single")
    source["questions"][0]["kind"] = "stars"
    problems = defn.check(source)
    assert [p.message for p in problems] == [
        "unknown kind 'stars'; expected one of: single, multi, scale, yesno, text, thumbs"
    ]


def test_the_schema_file_for_editors_lists_the_registry_s_kinds():
    schema = json.loads(defn.SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["$defs"]["question"]["properties"]["kind"]["enum"] == list(QUESTION_TYPES)
