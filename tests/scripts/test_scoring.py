"""Scoring, with worked examples: the score becomes the technician's KPI, so it must be exact."""

from __future__ import annotations

from decimal import Decimal

from console.scripts.definition import normalise
from console.scripts.scoring import evaluate


def q(key, kind, weight, options, **extra):
    return {
        "key": key,
        "text": key,
        "kind": kind,
        "weight": weight,
        "options": [{"key": k, "label": k, "points": p, **c} for k, p, c in options],
        **extra,
    }


SCRIPT = normalise(
    {
        "key": "s",
        "name": "S",
        "questions": [
            q(
                "overall",
                "single",
                3,
                [("good", 5, {}), ("mostly", 3, {}), ("bad", 0, {"complaint": "quality"})],
                required=True,
            ),
            q(
                "what_wrong",
                "multi",
                0,
                [("late", 0, {"complaint": "punctuality"}), ("again", 0, {"repeat_repair": True})],
                show_if={"question": "overall", "any_of": ["bad"]},
            ),
            q("liked", "multi", 2, [("clean", 2, {}), ("polite", 2, {}), ("fast", 1, {})]),
            q("price", "single", 1, [("fair", 5, {}), ("high", 2, {})]),
            q("speed", "scale", 1, [(str(n), n - 1, {}) for n in range(1, 6)]),
            q("comments", "text", 0, []),
        ],
    }
)


def answers(**ticked):
    return {k: {"options": v if isinstance(v, list) else [v]} for k, v in ticked.items()}


def test_worked_example_from_the_docstring():
    # (3 × 3/5 + 1 × 4/5) ÷ (3 + 1) × 100 = 65.00; "what_wrong" hidden, "contacts" weight 0
    script = normalise(
        {
            "key": "s",
            "name": "S",
            "questions": [
                q("overall", "single", 3, [("good", 5, {}), ("mostly", 3, {}), ("bad", 0, {})]),
                q("price", "single", 1, [("fair", 4, {}), ("great", 5, {})]),
            ],
        }
    )
    result = evaluate(script, answers(overall="mostly", price="fair", contacts="no")).score
    assert result.score == Decimal("65.00")
    lost = {row.key: row.lost for row in result.breakdown}
    assert lost == {"overall": Decimal("30.00"), "price": Decimal("5.00")}
    assert Decimal(100) - sum(lost.values()) == result.score


def test_all_best_answers_score_100():
    result = evaluate(
        SCRIPT, answers(overall="good", liked=["clean", "polite", "fast"], price="fair", speed="5")
    ).score
    assert result.score == Decimal("100.00")
    assert all(row.lost == 0 for row in result.breakdown)


def test_multi_choice_adds_ticked_points_out_of_all_positive_points():
    # liked: clean 2 + fast 1 = 3 of 5 → 2 × 3/5 = 1.2; overall good 3 × 1 = 3
    # (3 + 1.2) ÷ (3 + 2) × 100 = 84.00
    result = evaluate(SCRIPT, answers(overall="good", liked=["clean", "fast"])).score
    assert result.score == Decimal("84.00")


def test_a_question_hidden_by_show_if_does_not_count_even_if_it_has_answers():
    # "what_wrong" stays answered in the draft after "overall" changed to "good": it is hidden,
    # so neither its points nor its complaint count.
    result = evaluate(SCRIPT, answers(overall="good", what_wrong=["late"]))
    assert result.score.score == Decimal("100.00")
    assert result.consequences == []
    assert result.visible == {"overall", "liked", "price", "speed", "comments", "contacts"}


def test_a_shown_conditional_question_creates_its_consequences():
    given = answers(overall="bad", what_wrong=["late", "again"])
    kinds = [(c.kind, c.category) for c in evaluate(SCRIPT, given).consequences]
    assert kinds == [
        ("complaint", "quality"),
        ("complaint", "punctuality"),
        ("repeat_repair", None),
    ]


def test_a_category_named_by_two_answers_makes_one_complaint():
    given = answers(overall="bad", what_wrong=["late", "again"], liked=["clean"])
    script = normalise(
        SCRIPT
        | {
            "questions": [
                q
                | {
                    "options": [
                        o | {"complaint": "quality"} if o["key"] == "clean" else o
                        for o in q["options"]
                    ]
                }
                for q in SCRIPT["questions"]
            ]
        }
    )
    result = evaluate(script, given)
    assert result.complaint_categories == ["quality", "punctuality"]
    assert result.repeat_repair is True
    assert result.poaching is False
    assert evaluate(script, given | answers(contacts="yes")).poaching is True


def test_zero_weight_questions_do_not_move_the_score():
    # overall bad: 0 of 5, weight 3 → 0; price fair 1 × 5/5 = 1 → 1 ÷ 4 × 100 = 25.00
    result = evaluate(SCRIPT, answers(overall="bad", what_wrong=["late"], price="fair"))
    assert result.score.score == Decimal("25.00")


def test_unanswered_optional_questions_do_not_count():
    # only "overall" answered: 3 × 3/5 ÷ 3 × 100 = 60.00 (price, liked and speed left blank)
    assert evaluate(SCRIPT, answers(overall="mostly")).score.score == Decimal("60.00")


def test_scale_points_are_explicit_per_value():
    # speed "4" has 3 of the 4 points → 75.00
    assert evaluate(SCRIPT, answers(speed="4")).score.score == Decimal("75.00")


def test_nothing_scored_answered_means_no_score_not_zero():
    result = evaluate(SCRIPT, {"comments": {"options": [], "text": "All fine"}}).score
    assert result.score is None
    assert result.breakdown == []


def test_an_answer_worth_nothing_is_a_real_zero():
    assert evaluate(SCRIPT, answers(overall="bad")).score.score == Decimal("0.00")


def test_rounding_is_half_up_to_cents():
    # 3 × 3/5 = 1.8; liked fast 1/5 × 2 = 0.4; speed "2" 1/4 × 1 = 0.25 → 2.45 ÷ 6 = 40.8333 → 40.83
    result = evaluate(SCRIPT, answers(overall="mostly", liked=["fast"], speed="2")).score
    assert result.score == Decimal("40.83")


def test_required_and_comment_required_answers_are_named():
    script = normalise(
        {
            "key": "s",
            "name": "S",
            "questions": [
                q(
                    "overall",
                    "single",
                    1,
                    [("good", 5, {}), ("bad", 0, {"comment_required": True})],
                    required=True,
                ),
                q("why", "text", 0, [], required=True, show_if=None),
            ],
        }
    )
    assert evaluate(script, {}).missing == {
        "overall": "required",
        "why": "required",
        "contacts": "required",
    }
    given = answers(overall="bad", contacts="no") | {"why": {"options": [], "text": "x"}}
    assert evaluate(script, given).missing == {"overall": "comment"}
