"""Which script an order gets, and what the operator sees of it."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import render_template_string

from console.scripts import rendering
from console.services.scripts import library as script_service
from tests.scripts.conftest import SCRIPTS_CONFIG


def mini(key, client=None, work_type=None, text="Q?"):
    return {
        "key": key,
        "name": key,
        "client": client,
        "work_type": work_type,
        "questions": [
            {
                "key": "q",
                "text": text,
                "kind": "yesno",
                "options": [
                    {"key": "yes", "label": "Yes", "points": 1},
                    {"key": "no", "label": "No", "points": 0},
                ],
            }
        ],
    }


def publish(definition):
    from console.scripts.definition import normalise

    script_service.publish_definition(normalise(definition))


def test_selection_prefers_client_and_work_type_then_client_then_work_type_then_base(
    db, catalog, make_order
):
    clients, work_types = catalog
    order = make_order(client=clients["homefix"], work_type=work_types["plumbing"])
    publish(mini("base"))
    assert script_service.select_for(order).key == "base"
    publish(mini("plumbing", work_type="plumbing"))
    assert script_service.select_for(order).key == "plumbing"
    publish(mini("homefix", client="homefix"))
    assert script_service.select_for(order).key == "homefix"
    publish(mini("homefix-plumbing", client="homefix", work_type="plumbing"))
    assert script_service.select_for(order).key == "homefix-plumbing"
    # another client's script and an archived one are never chosen
    other = make_order(client=clients["garage-service"], work_type=work_types["oil-change"])
    assert script_service.select_for(other).key == "base"
    script_service.archive_script(script_service.select_for(order))
    db.session.flush()
    assert script_service.select_for(order).key == "homefix"


def test_placeholders_are_filled_from_the_order_in_the_script_language(
    db, catalog, make_order, runner
):
    clients, work_types = catalog
    runner.invoke(args=["scripts", "load", str(SCRIPTS_CONFIG / "homefix.yaml")])
    order = make_order(
        client=clients["homefix"],
        work_type=work_types["plumbing"],
        external_id="HF-10482",
        completed_at=datetime(2026, 11, 19, 20, 0, tzinfo=UTC),  # 20 Nov 03:00 in Novosibirsk
    )
    script = script_service.select_for(order)
    sv = rendering.view(script_service.definition_of(script.current_version), order)
    assert order.customer.name in sv.intro
    assert "HF-10482" in sv.intro
    assert "20 ноября 2026" in sv.intro  # the client's local date, in Russian
    assert "{" not in sv.intro + sv.closing
    contacts = next(q for q in sv.questions if q["key"] == "contacts")
    assert "HomeFix" in contacts["note"]  # the warranty reminder names the client


def test_admin_text_and_customer_data_are_escaped_in_the_operator_view(
    app, db, catalog, make_order
):
    evil = "<script>alert(1)</script>"
    definition = mini("x", text=f"Did it work? {evil}")
    definition["questions"][0]["options"][0]["label"] = f"Yes {evil}"
    definition["intro"] = "Hello {customer.name}"
    from console.scripts.definition import normalise

    order = make_order()
    order.customer.name = f"Mallory {evil}"
    sv = rendering.view(normalise(definition), order)
    with app.test_request_context():
        html = render_template_string(
            '{% from "scripts/_script.html" import script %}{{ script(sv) }}', sv=sv
        )
    assert "<script>" not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 3


def test_conditional_questions_appear_when_their_condition_is_met(db, catalog, runner):
    runner.invoke(args=["scripts", "load", str(SCRIPTS_CONFIG / "base.yaml")])
    from sqlalchemy import select

    from console.models import CallScript

    definition = script_service.definition_of(db.session.scalar(select(CallScript)).current_version)
    hidden = rendering.view(definition, answers={"quality": {"options": ["good"]}})
    shown = rendering.view(definition, answers={"quality": {"options": ["bad"]}})
    visible = lambda sv: {q["key"] for q in sv.questions if q["visible"]}  # noqa: E731
    assert "what_wrong" not in visible(hidden)
    assert "what_wrong" in visible(shown)
    assert [c.category for c in shown.consequences] == ["quality"]
