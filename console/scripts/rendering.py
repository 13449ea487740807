"""What the operator sees for a script and an order: texts filled, questions shown or hidden by
the answers so far, and what the ticked answers will create. The constructor's live preview and
the call screen render the same thing from here (``templates/scripts/_script.html``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from console.scripts import placeholders
from console.scripts.question_types import question_type
from console.scripts.scoring import Answers, Consequence, ScoreResult, evaluate


@dataclass
class ScriptView:
    intro: str
    closing: str
    questions: list[dict]
    answers: Answers
    score: ScoreResult
    consequences: list[Consequence]
    missing: dict[str, str] = field(default_factory=dict)
    language: str = "en"


def answers_from_form(definition: dict, form: MultiDict) -> Answers:
    """Each question's answer, as its kind reads it from the form its partial wrote."""
    answers: Answers = {}
    for question in definition["questions"]:
        answer = question_type(question["kind"]).answer_from_form(question, form)
        if answer is not None:
            answers[question["key"]] = answer
    return answers


def view(
    definition: dict,
    order=None,
    answers: Answers | None = None,
    *,
    check=False,
    values: dict[str, str] | None = None,
) -> ScriptView:
    """``values``: what the placeholders are filled with, instead of the order's own."""
    answers = answers or {}
    language = definition.get("language", "en")
    if values is None:
        values = placeholders.values_for(order, language) if order is not None else {}

    def fill(text):
        return placeholders.fill(text, values) if values else (text or "")

    evaluation = evaluate(definition, answers)
    visible = evaluation.visible
    questions = []
    for q in definition["questions"]:
        chosen = set((answers.get(q["key"]) or {}).get("options") or [])
        questions.append(
            q
            | {
                "type": question_type(q["kind"]),
                "text": fill(q["text"]),
                "note": fill(q.get("note")) if q.get("note") else None,
                "visible": q["key"] in visible,
                "text_answer": (answers.get(q["key"]) or {}).get("text") or "",
                "options": [
                    o | {"label": fill(o["label"]), "ticked": o["key"] in chosen}
                    for o in q["options"]
                ],
            }
        )
    return ScriptView(
        intro=fill(definition.get("intro")),
        closing=fill(definition.get("closing")),
        questions=questions,
        answers=answers,
        score=evaluation.score,
        consequences=evaluation.consequences,
        missing=evaluation.missing if check else {},
        language=language,
    )
