"""The answers a simulated operator gives: the first option of every question that is shown
(conditional questions appear as their parent is ticked), a short comment where one is asked."""

from __future__ import annotations

COMMENT = "bench"


def first_options(definition: dict) -> dict:
    answers: dict[str, dict] = {}
    shown: set[str] = set()
    for question in definition["questions"]:
        condition = question.get("show_if")
        if condition:
            parent = answers.get(condition["question"], {}).get("options") or []
            if condition["question"] not in shown or not set(parent) & set(condition["any_of"]):
                continue
        shown.add(question["key"])
        options = question.get("options") or []
        if question["kind"] == "text" or not options:
            if question.get("required"):
                answers[question["key"]] = {"options": [], "text": COMMENT}
            continue
        first = options[0]
        answers[question["key"]] = {
            "options": [first["key"]],
            "text": COMMENT if first.get("comment_required") else None,
        }
    return answers
