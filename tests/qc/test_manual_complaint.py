"""Registering a complaint by hand: the customer called or wrote in, QC finds the order and
records what it is about; the complaint carries the order's snapshot like one from a call."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import sqlalchemy as sa

from console.models import (
    Client,
    Complaint,
    ComplaintEvent,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
    Customer,
    CustomerPhone,
    Role,
    utcnow,
)
from console.services.complaints import intake as complaint_intake
from console.services.complaints import opening as complaints
from console.services.scripts import library as script_service

SCRIPTS_CONFIG = Path(__file__).resolve().parents[2] / "scripts_config"


@pytest.fixture(autouse=True)
def base_script(db):
    """The shipped base script, published: its answers raise the categories offered here."""
    script_service.load_files([SCRIPTS_CONFIG / "base.yaml"])
    db.session.commit()


@pytest.fixture
def qc(login_as):
    return login_as(Role.QC)


@pytest.fixture
def order(db, make_order):
    acme = Client(key="acme", name="Acme Auto", country="RU")
    customer = Customer(client=acme, name="Ivan Petrov")
    customer.phones.append(CustomerPhone(e164="+79123456789", is_primary=True))
    db.session.add_all([acme, customer])
    return make_order(
        client=acme, customer=customer, external_id="A-10482", vehicle_plate="A123BC77"
    )


def register(client, order, **data):
    form = {"order": order.id, "category": "quality", "channel": "phone", "summary": "Noise again"}
    form.update(data)
    return client.post("/qc/complaints/new", data=form)


def test_find_the_order_by_number_or_phone_then_choose_it(client, qc, order, make_order):
    make_order()  # someone else's
    for query in ("A-10482", "a-10482", "8 912 345-67-89", "+7 912 345 67 89"):
        html = client.get("/qc/complaints/new", query_string={"find": query}).get_data(as_text=True)
        assert "A-10482" in html and "Ivan Petrov" in html, query
        assert f'href="/qc/complaints/new?order={order.id}"' in html, query
    html = client.get("/qc/complaints/new?find=Z-404").get_data(as_text=True)
    assert "No order with this number or phone" in html
    # Active search asks for the results only.
    fragment = client.get(
        "/qc/complaints/new?find=A-10482",
        headers={"HX-Request": "true", "HX-Target": "order-results"},
    ).get_data(as_text=True)
    assert fragment.lstrip().startswith('<div id="order-results"') and "<html" not in fragment

    page = client.get(f"/qc/complaints/new?order={order.id}").get_data(as_text=True)
    assert "Order A-10482" in page and "A123BC77" in page
    assert 'name="summary"' in page


def test_the_categories_are_the_scripts_ones_and_other(app, client, qc, order):
    categories = complaint_intake.manual_categories()
    for category in ("quality", "punctuality", "service", "damage", "cleanliness", "price"):
        assert category in categories
    assert "poaching" in categories  # the scripts ask the contacts question
    assert categories[-1] == "other"
    page = client.get(f"/qc/complaints/new?order={order.id}").get_data(as_text=True)
    offered = re.findall(r'<option value="([^"]*)"', page[page.index('name="category"') :])
    assert [o for o in offered if o][: len(categories)] == categories


def test_registering_opens_a_manual_complaint_with_the_order_snapshot(client, qc, db, order):
    response = register(client, order, category="punctuality", summary="Came 3 hours late")
    complaint = db.session.scalar(sa.select(Complaint))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/qc/complaints/{complaint.id}")
    assert complaint.source == ComplaintSource.MANUAL
    assert complaint.kind == ComplaintKind.COMPLAINT
    assert complaint.category == "punctuality"
    assert complaint.summary == "Came 3 hours late"
    assert complaint.status == ComplaintStatus.NEW
    assert complaint.created_by_id == qc.id
    assert complaint.first_answer_due_at is not None
    expected = complaints.order_snapshot(order)
    snapshot = dict(complaint.snapshot)
    assert snapshot.pop("intake") == {"channel": "phone", "registered_by": qc.name}
    assert snapshot == expected
    created = db.session.scalar(
        sa.select(ComplaintEvent).where(ComplaintEvent.complaint_id == complaint.id)
    )
    assert created.kind == "created" and created.data["source"] == "manual"
    # It is in the inbox, marked as registered by hand.
    inbox = client.get("/qc/").get_data(as_text=True)
    row = inbox[inbox.index(f'data-complaint="{complaint.id}"') :]
    assert "by hand" in row[: row.index("</tr>")]


def test_a_poaching_report_opens_a_case_and_puts_the_technician_under_review(client, qc, db, order):
    register(client, order, category="poaching", summary="He gave me his own number")
    case = db.session.scalar(sa.select(Complaint))
    assert case.kind == ComplaintKind.POACHING
    db.session.refresh(order.technician)
    assert order.technician.under_review_since is not None


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"category": "teleportation"}, "Not a valid choice"),
        ({"category": ""}, "This field is required"),
        ({"summary": "   "}, "Write down what the customer said."),
    ],
)
def test_what_is_missing_is_said_next_to_the_field(client, qc, db, order, data, message):
    response = register(client, order, **data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0


def test_a_second_open_complaint_of_the_same_kind_needs_a_tick(client, qc, db, order):
    first = complaint_intake.register_manual_complaint(
        order, category="quality", summary="Noise", by=qc, now=utcnow()
    )
    db.session.commit()
    response = register(client, order, category="quality")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert f"Complaint #{first.id} about quality on this order is still open." in html
    assert f'href="/qc/complaints/{first.id}"' in html
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 1
    # Another category is fine; so is the same one, ticked as separate.
    assert register(client, order, category="price").status_code == 303
    assert register(client, order, category="quality", allow_duplicate="y").status_code == 303
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 3


def test_only_qc_and_supervisors_register(client, login_as, order, db):
    login_as(Role.OPERATOR)
    assert client.get("/qc/complaints/new").status_code == 403
    assert register(client, order).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Complaint)) == 0
