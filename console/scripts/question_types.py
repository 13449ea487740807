"""Question kinds as a registry: each kind declares its option rules, its scoring and its partial.

Adding a kind touches only this module (and its partial ``templates/scripts/_kind_<name>.html``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class QuestionType:
    name: str
    label: str
    multiple: bool = False  # several options may be ticked
    scored: bool = True

    def option_problems(self, option_keys: list[str]) -> list[str]:
        """Problems with a question's list of option keys, as plain sentences."""
        if len(option_keys) < 2:
            return ["needs at least two options"]
        return []

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
        return [] if option_keys else ["needs at least one option"]

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
            return ['a scale has options "1" to "5" or "0" to "10", in order']
        return []


class YesNo(QuestionType):
    def option_problems(self, option_keys):
        if sorted(option_keys) != ["no", "yes"]:
            return ['a yes/no question has exactly the options "yes" and "no"']
        return []


class FreeText(QuestionType):
    def option_problems(self, option_keys):
        return ["a text question has no options"] if option_keys else []

    def max_points(self, points):
        return Decimal(0)


QUESTION_TYPES: dict[str, QuestionType] = {
    t.name: t
    for t in (
        SingleChoice("single", "Single choice"),
        MultiChoice("multi", "Several choices", multiple=True),
        Scale("scale", "Scale"),
        YesNo("yesno", "Yes / no"),
        FreeText("text", "Free text", scored=False),
    )
}


def question_type(kind: str) -> QuestionType:
    return QUESTION_TYPES[str(kind)]
