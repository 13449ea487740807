"""Question kinds as a registry: each kind declares what the operator's form sends for it, what
makes an answer blank, its option rules and starter options, its scoring, what the constructor
offers for it, and the partial that shows it to the operator.

Nothing else branches on a kind's name: validation (``definition.py``, which gives the JSON
Schema its kinds from here), the kind column of questions (``models/scripts.py``), the
constructor, the call screen and scoring all ask the registry. Adding a kind touches only this
module, and its partial ``templates/scripts/_kind_<name>.html`` when none of the others fits (and
the list of kinds in ``scripts_config/schema.json``, a copy for YAML editors that a test keeps
equal to this one).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict


@dataclass(frozen=True)
class QuestionType:
    name: str
    label: str  # in the constructor's menu of kinds
    multiple: bool = False  # several options may be ticked
    scored: bool = True
    has_options: bool = True  # False: the answer is a text the operator writes down
    fixed_options: bool = False  # the kind sets the option keys: none added, removed, renamed
    labelled_ends: bool = False  # the lowest and highest option have labels ("not at all")
    numbered: bool = True  # the operator's 1–9 shortcut shows beside each option
    hint: str | None = None  # what the constructor says in place of the options
    partial: str = "scripts/_kind_choice.html"  # shows the question's answer to the operator

    @property
    def input_type(self) -> str:
        return "checkbox" if self.multiple else "radio"

    # --- the operator's answer -----------------------------------------------------------------

    def answer_from_form(self, question: dict, form: MultiDict) -> dict | None:
        """``q-<key>`` carries ticked option keys, ``t-<key>`` the text (a comment, or the
        answer of a text question); None when neither was given."""
        key = question["key"]
        valid = {o["key"] for o in question["options"]}
        chosen = [k for k in form.getlist(f"q-{key}") if k in valid]
        if not self.multiple:
            chosen = chosen[:1]
        text = (form.get(f"t-{key}") or "").strip()
        if chosen or text:
            return {"options": chosen, "text": text or None}
        return None

    def is_blank(self, answer: dict) -> bool:
        """Nothing that answers the question (a required one then stops the submit)."""
        return not answer.get("options")

    # --- the constructor and validation --------------------------------------------------------

    def option_problems(self, option_keys: list[str]) -> list[str]:
        """Problems with a question's list of option keys, as plain sentences."""
        if len(option_keys) < 2:
            return [_l("needs at least two options")]
        return []

    def starter_options(self) -> list[dict]:
        """The options a new question of this kind starts with (and a question changed to it,
        when its old options don't suit it)."""
        return [
            {"key": "good", "label": "Satisfied", "points": Decimal(5)},
            {"key": "bad", "label": "Not satisfied", "points": Decimal(0)},
        ]

    # --- scoring -------------------------------------------------------------------------------

    def max_points(self, points: list[Decimal]) -> Decimal:
        """The best a customer's answer can score on this question."""
        return max(points, default=Decimal(0))

    def points_for(self, ticked: list[Decimal], max_points: Decimal) -> Decimal:
        return ticked[0]


class SingleChoice(QuestionType):
    pass


class MultiChoice(QuestionType):
    """Points of the ticked options add up, out of the sum of all positive points.

    "What went wrong?" with every option at 0 points has a maximum of 0: it is not scored, it
    only creates complaints.
    """

    def option_problems(self, option_keys):
        return [] if option_keys else [_l("needs at least one option")]

    def max_points(self, points):
        return sum((p for p in points if p > 0), Decimal(0))

    def points_for(self, ticked, max_points):
        return min(sum(ticked, Decimal(0)), max_points)


class Scale(QuestionType):
    """1–5 or 0–10: the option keys are the numbers, each with explicit points."""

    ALLOWED = (
        [str(n) for n in range(1, 6)],
        [str(n) for n in range(0, 11)],
    )

    def option_problems(self, option_keys):
        if option_keys not in self.ALLOWED:
            return [_l('a scale has options "1" to "5" or "0" to "10", in order')]
        return []

    def starter_options(self):
        return [{"key": str(n), "label": str(n), "points": Decimal(n)} for n in range(1, 6)]


class YesNo(QuestionType):
    def option_problems(self, option_keys):
        if sorted(option_keys) != ["no", "yes"]:
            return [_l('a yes/no question has exactly the options "yes" and "no"')]
        return []

    def starter_options(self):
        return [
            {"key": "yes", "label": "Yes", "points": Decimal(5)},
            {"key": "no", "label": "No", "points": Decimal(0)},
        ]


class FreeText(QuestionType):
    def is_blank(self, answer):
        return not (answer.get("text") or "").strip()

    def option_problems(self, option_keys):
        return [_l("a text question has no options")] if option_keys else []

    def starter_options(self):
        return []

    def max_points(self, points):
        return Decimal(0)


QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t
    for t in (
        SingleChoice("single", _l("Single choice")),
        MultiChoice("multi", _l("Several choices"), multiple=True),
        Scale(
            "scale",
            _l("Scale"),
            fixed_options=True,
            labelled_ends=True,
            numbered=False,
            partial="scripts/_kind_scale.html",
        ),
        YesNo("yesno", _l("Yes / no"), fixed_options=True),
        FreeText(
            "text",
            _l("Free text"),
            scored=False,
            has_options=False,
            hint=_l(
                "Free text: the operator writes down what the customer says. It is not scored."
            ),
            partial="scripts/_kind_text.html",
        ),
    )
}


def question_type(kind: str) -> QuestionType:
    return QUESTION_TYPES[str(kind)]
