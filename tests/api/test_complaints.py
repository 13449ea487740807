"""``GET /api/v1/complaints``: keyset pages, changed-since, filters; and one complaint by id."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from console.models import Client, ComplaintStatus, Role, utcnow
from console.services.complaints import workflow
from tests.helpers import on_both_databases

pytestmark = on_both_databases

LIST = "/api/v1/complaints"
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


@pytest.fixture
def five(open_complaint, make_order, db):
    start = utcnow() - timedelta(days=2)
    made = [open_complaint(created_at=start + timedelta(hours=i)) for i in range(4)]
    other = Client(key="beta", name="Beta Service", timezone="Europe/Moscow")
    db.session.add(other)
    db.session.commit()
    made.append(open_complaint(order=make_order(client=other), created_at=start))
    return made


def test_pages_follow_each_other_without_gaps_or_repeats(api, five):
    seen, after, pages = [], None, 0
    while True:
        query = {"limit": 2} | ({"after": after} if after else {})
        page = api.get(LIST, query_string=query)
        assert page.status_code == 200
        seen += [c["id"] for c in page.json["complaints"]]
        pages += 1
        after = page.json["next_cursor"]
        if after is None:
            break
    assert seen == sorted(c.id for c in five)
    assert pages == 3


def test_a_complaint_as_other_systems_read_it(api, db, five, qc_user):
    complaint = five[0]
    workflow.assign(complaint, assignee=qc_user, by=qc_user, now=utcnow())
    db.session.commit()
    found = api.get(f"{LIST}/{complaint.id}").json
    assert found["id"] == complaint.id and found["number"] == f"#{complaint.id}"
    assert found["status"] == complaint.status.value
    assert found["category"] == "quality"
    assert found["client"] == "acme"
    assert found["order_external_id"] == complaint.order.external_id
    assert found["customer"]["name"] == complaint.customer.name
    assert found["customer"]["phone"].startswith("+7912")
    assert found["assignee"] == "Quinn QC"
    for key in ("created_at", "updated_at", "first_answer_due_at", "resolution_due_at"):
        assert ISO_Z.match(found[key]), (key, found[key])
    assert found["first_answered_at"] is None and found["resolved_at"] is None
    assert found["decision"]["validity"] is None
    assert found["updated_at"] > found["created_at"]  # assigning changed it


def test_a_complaint_lists_its_categories_each_with_its_decision(api, db, open_complaint, qc_user):
    complaint = open_complaint(categories=["quality", "price"])
    workflow.classify(
        complaint,
        validity="valid",
        reason="Scratched door",
        categories={"price": "invalid"},
        by=qc_user,
        now=utcnow(),
    )
    db.session.commit()
    found = api.get(f"{LIST}/{complaint.id}").json
    assert found["category"] == "quality"  # the main one, as before
    assert found["categories"] == [
        {"category": "quality", "validity": "valid"},
        {"category": "price", "validity": "invalid"},
    ]
    [listed] = [c for c in api.get(LIST).json["complaints"] if c["id"] == complaint.id]
    assert listed["categories"] == found["categories"]


def test_updated_since_keeps_what_changed_since(api, db, five, qc_user):
    cutoff = utcnow().replace(microsecond=0) - timedelta(seconds=1)
    assert (
        api.get(LIST, query_string={"updated_since": cutoff.isoformat()}).json["complaints"] == []
    )
    workflow.note(five[2], body="Called back", by=qc_user, now=utcnow())
    db.session.commit()
    since = cutoff.isoformat().replace("+00:00", "Z")
    changed = api.get(LIST, query_string={"updated_since": since}).json["complaints"]
    assert [c["id"] for c in changed] == [five[2].id]
    everything = (cutoff - timedelta(days=3)).isoformat()
    assert len(api.get(LIST, query_string={"updated_since": everything}).json["complaints"]) == 5


def test_filters_by_status_and_client(api, db, five, qc_user):
    workflow.assign(five[1], assignee=qc_user, by=qc_user, now=utcnow())
    db.session.commit()
    status = five[1].status.value
    assert status != ComplaintStatus.NEW.value
    by_status = api.get(LIST, query_string={"status": status}).json["complaints"]
    assert [c["id"] for c in by_status] == [five[1].id]
    by_client = api.get(LIST, query_string={"client": "beta"}).json["complaints"]
    assert [c["id"] for c in by_client] == [five[4].id]
    assert api.get(LIST, query_string={"client": "nobody"}).json["complaints"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"after": "garbage!"}, "after"),
        ({"after": "YzotNQ"}, "after"),  # "c:-5"
        ({"limit": "0"}, "limit"),
        ({"limit": "100000"}, "limit"),
        ({"updated_since": "yesterday"}, "updated_since"),
        ({"updated_since": "2026-11-19T10:00:00"}, "updated_since"),  # no offset
        ({"status": "lost"}, "status"),
    ],
)
def test_unreadable_query_parameters_are_400_naming_them(api, query, field):
    response = api.get(LIST, query_string=query)
    assert response.status_code == 400
    assert set(response.json["fields"]) == {field}


def test_an_unknown_or_impossible_id_is_404_json(api, five):
    for url in (f"{LIST}/999999", f"{LIST}/{2**31}", f"{LIST}/{'9' * 40}", f"{LIST}/abc"):
        response = api.get(url)
        assert response.status_code == 404, url
        assert response.is_json


def test_complaints_need_their_scope(client, make_token, login_as):
    login_as(Role.QC)  # a QC person's session is no token
    assert client.get(LIST).status_code == 401
    orders_token = make_token("orders:write")
    response = client.get(LIST, headers={"Authorization": f"Bearer {orders_token}"})
    assert response.status_code == 403
