"""Complaint categories are those of the scripts published in the console: a category given in
the constructor (Admin → Scripts) opens complaints from calls, is offered when QC registers one
by hand, and shows by its name in the inbox and on the complaint page."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import select

from console.models import CallTask, Client, Complaint, Role, utcnow
from console.models.catalog import calling_hours_every_day
from console.services.complaints import intake as complaint_intake
from console.services.scripts import library as script_service
from tests.conftest import PASSWORD


@pytest.fixture
def published_in_the_constructor(db, make_user):
    """A script made in the constructor, asking about tidiness (the "cleanliness" category)
    and noise (a category no shipped script file has)."""
    admin = make_user(Role.ADMIN)
    script = script_service.create_script(key="tidy", name="Tidiness", by=admin)
    draft = script_service.draft_of(script)
    for key, text, category in [
        ("tidy", "Did the technician leave the place clean?", "cleanliness"),
        ("quiet", "Was the work done quietly?", "noise"),
    ]:
        question = script_service.add_question(draft, "yesno")
        script_service.update_question(question, key=key, text=text)
        no = next(o for o in question.options if o.key == "no")
        script_service.update_option(no, complaint_category=category)
    script_service.publish(script, by=admin)
    db.session.commit()
    return script


@pytest.fixture
def due_task(db, make_order, published_in_the_constructor):
    db.session.add(
        Client(
            key="acme",
            name="Acme Auto",
            timezone="Europe/Moscow",
            calling_hours=calling_hours_every_day(time(0), time(0)),  # round the clock
        )
    )
    db.session.commit()
    order = make_order()
    task = CallTask(
        order=order,
        client=order.client,
        customer=order.customer,
        due_at=utcnow() - timedelta(hours=1),
    )
    db.session.add(task)
    db.session.commit()
    return task


def sign_in(client, user):
    client.post("/logout")
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_category_given_in_the_constructor_opens_complaints_and_is_shown_by_its_name(
    app, client, db, make_user, due_task
):
    operator = make_user(Role.OPERATOR)
    sign_in(client, operator)
    response = client.post("/operator/next")
    task = db.session.get(CallTask, due_task.id, populate_existing=True)
    assert task.held_by_id == operator.id, response.status_code
    answers = {"q-tidy": "no", "q-quiet": "yes", "q-contacts": "no"}
    client.post(
        f"/operator/call/{task.id}/submit",
        data={"token": task.lease_token, "submit_key": task.submit_key, **answers},
    )
    [complaint] = db.session.scalars(select(Complaint)).all()
    assert complaint.category == "cleanliness"

    elena = make_user(Role.QC, locale="ru")
    sign_in(client, elena)
    inbox = client.get("/qc/").get_data(as_text=True)
    facet = re.search(r'<a href="[^"]*category=cleanliness[^"]*"[^>]*>(.*?)</a>', inbox, re.S)
    assert facet and 'class="inbox-facet-label">чистота<' in facet.group(1)
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    assert f"<title>#{complaint.id} · чистота" in page


def test_registering_by_hand_offers_the_published_scripts_categories(
    client, db, make_user, due_task
):
    """The scripts in the console decide, not the files on disk: "damage" is only in a shipped
    file nobody loaded here, "noise" only in the constructor's script."""
    assert complaint_intake.manual_categories() == ["cleanliness", "noise", "poaching", "other"]
    sign_in(client, make_user(Role.QC))
    page = client.get(f"/qc/complaints/new?order={due_task.order_id}").get_data(as_text=True)
    form = page[page.index('name="category"') :]
    offered = re.findall(r'<option value="([^"]+)"', form[: form.index("</select>")])
    assert offered == ["cleanliness", "noise", "poaching", "other"]
    response = client.post(
        "/qc/complaints/new",
        data={
            "order": due_task.order_id,
            "category": "noise",
            "channel": "phone",
            "summary": "Drilling at 7 in the morning",
        },
    )
    assert response.status_code == 303
    assert db.session.scalar(select(Complaint.category)) == "noise"


def test_a_script_published_later_adds_its_categories_at_once(db, make_user, due_task):
    """Read when asked, never remembered: another process may have just published."""
    admin = make_user(Role.ADMIN)
    script = script_service.create_script(key="price", name="Price", by=admin)
    question = script_service.add_question(script_service.draft_of(script), "yesno")
    script_service.update_question(question, key="fair", text="Was the price as agreed?")
    no = next(o for o in question.options if o.key == "no")
    script_service.update_option(no, complaint_category="price")
    script_service.publish(script, by=admin)
    db.session.commit()
    assert "price" in complaint_intake.manual_categories()

    script_service.archive_script(script, by=admin)
    db.session.commit()
    assert "price" not in complaint_intake.manual_categories()
