"""A complaint about several categories on its page: all of them named (header, timeline), the
decision applying to each, and a category QC decides otherwise, with errors by field."""

from __future__ import annotations

import re

import pytest

from console.models import Role, Validity
from console.services.complaints import workflow as wf
from tests.helpers import on_both_databases
from tests.qc import complaint_fixtures

open_complaint, qc_user = complaint_fixtures.open_complaint, complaint_fixtures.qc_user
in_a_request = complaint_fixtures.in_a_request

HX = {"HX-Request": "true"}


@pytest.fixture
def two(open_complaint):
    return open_complaint(categories=["quality", "price"])


@pytest.fixture
def qc(login_as):
    return login_as(Role.QC)


def page_of(client, complaint, **headers) -> str:
    response = client.get(f"/qc/complaints/{complaint.id}", headers=headers)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def field_name(complaint, category: str) -> str:
    [row] = [r for r in complaint.categories if r.category == category]
    return f"classify-category_{row.id}"


def classify(client, complaint, validity: str, per_category: dict[str, str], reason="Checked"):
    data = {"classify-validity": validity, "classify-reason": reason}
    data |= {field_name(complaint, k): v for k, v in per_category.items()}
    return client.post(f"/qc/complaints/{complaint.id}/classify", data=data, headers=HX)


def test_the_page_names_every_category_and_offers_a_choice_for_each(client, qc, two):
    html = page_of(client, two)
    assert f"#{two.id} · quality, price" in html  # the header
    assert "Opened from the call: quality, price" in html  # the timeline
    for category in ("quality", "price"):
        select = re.search(rf'<select[^>]*name="{field_name(two, category)}"', html)
        assert select is not None, category
    assert "Same as the complaint" in html


def test_a_single_category_complaint_has_no_choice_per_category(client, qc, open_complaint):
    html = page_of(client, open_complaint())
    assert "Same as the complaint" not in html and "classify-category_" not in html


@on_both_databases
def test_a_category_found_not_valid_shows_on_the_page_and_in_the_timeline(client, db, qc, two):
    response = classify(client, two, "valid", {"price": "invalid"}, reason="Scratched door")
    assert response.status_code == 200
    db.session.expire_all()
    assert two.validity == Validity.VALID
    assert [(r.category, r.validity) for r in two.categories] == [
        ("quality", None),  # as the complaint
        ("price", Validity.INVALID),
    ]
    assert two.category_validity("quality") == Validity.VALID
    [event] = [e for e in two.events if e.kind == "classified"]
    assert event.data["categories"] == {"price": "invalid"}

    html = page_of(client, two)
    start = html.index('id="complaint-header"')
    header = html[start : html.index("</header>", start)]
    assert re.search(r'data-category="quality">quality · <span[^>]*>Valid<', header)
    assert re.search(r'data-category="price">price · <span[^>]*>Invalid<', header)
    assert "Classified valid · price: Invalid" in html
    # The form shows the choice made.
    chosen = re.search(
        rf'<select[^>]*name="{field_name(two, "price")}".*?</select>', html, re.S
    ).group(0)
    assert re.search(r'<option selected value="invalid">|<option value="invalid" selected', chosen)

    # Deciding the complaint invalid later: the price agrees with it again, the quality differs
    # only if QC says so.
    classify(client, two, "invalid", {"price": "", "quality": ""}, reason="Not confirmed")
    db.session.expire_all()
    assert [r.validity for r in two.categories] == [None, None]
    assert two.category_validity("price") == Validity.INVALID


def test_every_category_otherwise_than_the_complaint_is_refused_at_the_first(client, db, qc, two):
    response = classify(client, two, "valid", {"quality": "invalid", "price": "invalid"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    error_id = f"{field_name(two, 'quality').replace('-', '-')}-error"
    assert re.search(rf'id="{error_id}">Every category is decided otherwise', html)
    db.session.expire_all()
    assert two.validity is None


def test_an_unknown_choice_is_refused_by_its_field(client, db, qc, two):
    response = classify(client, two, "valid", {"price": "maybe"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="{field_name(two, "price")}-error"' in html
    db.session.expire_all()
    assert two.validity is None


def test_the_service_keeps_a_category_that_differs_and_drops_one_that_agrees(
    db, two, qc_user, in_a_request
):
    wf.classify(
        two,
        validity=Validity.VALID,
        reason="a",
        categories={"price": "invalid"},
        by=qc_user,
        now=two.created_at,
    )
    # Changed without naming the categories: the price keeps its own, now as the complaint's.
    wf.classify(two, validity=Validity.INVALID, reason="b", by=qc_user, now=two.created_at)
    assert [r.validity for r in two.categories] == [None, None]
    with pytest.raises(wf.WorkflowError) as refused:
        wf.classify(
            two,
            validity=Validity.VALID,
            reason="c",
            categories={"damage": "invalid"},
            by=qc_user,
            now=two.created_at,
        )
    assert refused.value.field == "validity"


def test_the_same_in_russian(client, qc, two):
    html = page_of(client, two, **{"Accept-Language": "ru"})
    assert f"#{two.id} · качество, цена" in html
    assert "Как у жалобы" in html
