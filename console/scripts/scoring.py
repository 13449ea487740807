"""What a call's answers decide, in one ``evaluate``: the questions shown, the score, what the
ticked answers create, and what is still missing.

The response score is exact and explainable (it becomes the technician's KPI):

    score = Σ(weight × points ÷ max points of the question) ÷ Σ(weight) × 100

over the *scored* questions that were *shown* and *answered*:

- a question hidden by ``show_if`` does not count, nor does an optional question left blank;
- a question with weight 0, a text question, or one whose best answer is worth 0 points (say
  "What went wrong?" with every option at 0) is not scored: it may still create complaints;
- a multi-choice question scores the sum of the ticked options' points, out of the sum of all
  its positive points;
- a response where nothing scored was answered has no score (``None``), not 0.

Worked example (the base script): ``overall`` weight 3, answered "mostly" (3 of 5 points);
``price`` weight 1, answered "fair" (4 of 5); ``what_wrong`` hidden (``overall`` was not "bad");
``contacts`` weight 0, answered "no":

    (3 × 3/5 + 1 × 4/5) ÷ (3 + 1) × 100 = (1.8 + 0.8) ÷ 4 × 100 = 65.00

The breakdown tells what cost the points: ``overall`` lost 3 × (1 − 3/5) ÷ 4 × 100 = 30.00,
``price`` lost 1 × (1 − 4/5) ÷ 4 × 100 = 5.00; 100 − 30 − 5 = 65.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from console.scripts.question_types import question_type

HUNDRED = Decimal(100)
CENT = Decimal("0.01")

# answers: {question key: {"options": [option keys], "text": "..."}}
Answers = dict[str, dict]


@dataclass
class QuestionScore:
    key: str
    weight: Decimal
    points: Decimal
    max_points: Decimal
    lost: Decimal  # points of the 0–100 score this answer cost

    def as_json(self) -> dict:
        return {k: str(v) if isinstance(v, Decimal) else v for k, v in asdict(self).items()}


@dataclass
class ScoreResult:
    score: Decimal | None
    breakdown: list[QuestionScore]

    @property
    def weight(self) -> Decimal | None:
        """Σ weight of the scored questions: what the score is out of. Stored with it, so a
        technician's KPI pools the period's answers from the responses alone:
        Σ(score × weight) ÷ Σ weight = Σ(weight × points ÷ max) ÷ Σ weight × 100."""
        if self.score is None:
            return None
        return sum((row.weight for row in self.breakdown), Decimal(0))


def ticked(answers: Answers, key: str) -> list[str]:
    return list((answers.get(key) or {}).get("options") or [])


def shown_questions(definition: dict, answers: Answers) -> list[dict]:
    """The questions the operator sees given the answers so far (show_if, chained)."""
    shown: dict[str, dict] = {}
    for question in definition["questions"]:
        condition = question.get("show_if")
        if condition:
            parent = condition["question"]
            if parent not in shown or not set(ticked(answers, parent)) & set(condition["any_of"]):
                continue
        shown[question["key"]] = question
    return list(shown.values())


@dataclass(frozen=True)
class Consequence:
    kind: str  # complaint | poaching | repeat_repair
    question: str
    option: str
    category: str | None = None


@dataclass(frozen=True)
class Evaluation:
    """Everything the answers decide, worked out once from the questions they show: the call
    screen, the constructor's preview and the submit all read this."""

    shown: list[dict]  # the questions the operator sees, in order
    score: ScoreResult
    consequences: list[Consequence]  # what the ticked answers of the shown questions create
    missing: dict[str, str]  # {key: "required" | "comment"}: what stops a submit

    @property
    def visible(self) -> set[str]:
        return {q["key"] for q in self.shown}

    @property
    def complaint_categories(self) -> list[str]:
        """The complaint categories the answers raise, in the order they name them: the call
        opens one complaint listing them all."""
        return list(dict.fromkeys(c.category for c in self.consequences if c.kind == "complaint"))

    @property
    def poaching(self) -> bool:
        return any(c.kind == "poaching" for c in self.consequences)

    @property
    def repeat_repair(self) -> bool:
        return any(c.kind == "repeat_repair" for c in self.consequences)


def evaluate(definition: dict, answers: Answers) -> Evaluation:
    shown = shown_questions(definition, answers)
    return Evaluation(
        shown=shown,
        score=_score(shown, answers),
        consequences=_consequences(shown, answers),
        missing=_missing(shown, answers),
    )


def _score(shown: list[dict], answers: Answers) -> ScoreResult:
    rows: list[tuple[str, Decimal, Decimal, Decimal]] = []
    for question in shown:
        kind = question_type(question["kind"])
        weight = Decimal(str(question["weight"]))
        if not kind.scored or weight <= 0:
            continue
        points_by_key = {o["key"]: Decimal(str(o["points"])) for o in question["options"]}
        max_points = kind.max_points(list(points_by_key.values()))
        chosen = [points_by_key[k] for k in ticked(answers, question["key"]) if k in points_by_key]
        if max_points <= 0 or not chosen:
            continue
        rows.append((question["key"], weight, kind.points_for(chosen, max_points), max_points))

    total_weight = sum((w for _, w, _, _ in rows), Decimal(0))
    if not rows:
        return ScoreResult(None, [])
    earned = sum((w * p / m for _, w, p, m in rows), Decimal(0))
    breakdown = [
        QuestionScore(
            key=key,
            weight=w,
            points=p,
            max_points=m,
            lost=(w * (1 - p / m) / total_weight * HUNDRED).quantize(CENT, ROUND_HALF_UP),
        )
        for key, w, p, m in rows
    ]
    value = (earned / total_weight * HUNDRED).quantize(CENT, ROUND_HALF_UP)
    return ScoreResult(value, breakdown)


def _consequences(shown: list[dict], answers: Answers) -> list[Consequence]:
    out = []
    for question in shown:
        chosen = set(ticked(answers, question["key"]))
        for option in question["options"]:
            if option["key"] not in chosen:
                continue
            if option.get("complaint"):
                out.append(
                    Consequence("complaint", question["key"], option["key"], option["complaint"])
                )
            if option.get("poaching"):
                out.append(Consequence("poaching", question["key"], option["key"]))
            if option.get("repeat_repair"):
                out.append(Consequence("repeat_repair", question["key"], option["key"]))
    return out


def _missing(shown: list[dict], answers: Answers) -> dict[str, str]:
    """Required questions left blank and options that ask for a comment: {key: message}."""
    missing = {}
    for question in shown:
        key = question["key"]
        answer = answers.get(key) or {}
        if question["required"] and question_type(question["kind"]).is_blank(answer):
            missing[key] = "required"
            continue
        wants_comment = any(
            o.get("comment_required") and o["key"] in (answer.get("options") or [])
            for o in question["options"]
        )
        if wants_comment and not (answer.get("text") or "").strip():
            missing[key] = "comment"
    return missing
