"""Saved views of the QC inbox: save the filter and sort under a name, find it listed, open it
in one click; a supervisor shares one with the team; junk is refused by its field."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

import pytest

from console.models import Client, Role, SavedInboxView
from console.services.complaints.saved_views import VIEWS_PER_USER
from tests.conftest import PASSWORD
from tests.qc import complaint_fixtures

open_complaint = complaint_fixtures.open_complaint


@pytest.fixture
def garage(db):
    client = Client(key="garage", name="Garage-Service", timezone="Europe/Moscow")
    db.session.add(client)
    db.session.commit()
    return client


def save(http, name: str, **filters):
    return http.post("/qc/views", data={"name": name, **filters})


def query_of(location: str) -> dict:
    return dict(parse_qsl(urlsplit(location).query))


def shelf(html: str) -> str:
    """The saved views' section of the inbox page."""
    found = re.search(r'<section id="saved-views".*?</section>', html, re.S)
    assert found, "no saved views on the page"
    return found.group(0)


def test_save_a_view_find_it_listed_and_open_it(client, login_as, garage, db):
    login_as(Role.QC)
    response = save(
        client, "Overdue · Garage-Service", deadline="overdue", client=garage.id, sort="-age"
    )
    assert response.status_code == 303
    view = db.session.query(SavedInboxView).one()
    assert view.query == {"client": str(garage.id), "deadline": "overdue", "sort": "-age"}

    inbox = client.get("/qc/").get_data(as_text=True)
    assert "Overdue · Garage-Service" in shelf(inbox)
    assert 'aria-current="true"' not in shelf(inbox)  # the default view is not this one

    opened = client.get(f"/qc/views/{view.id}")
    assert opened.status_code == 303
    assert query_of(opened.headers["Location"]) == {
        "client": str(garage.id),
        "deadline": "overdue",
        "sort": "-age",
        "view": str(view.id),
    }
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    # The inbox shows that filter: its facets chosen, its sort selected, the view marked open.
    assert re.search(
        r'class="inbox-facet is-chosen[^"]*"[^>]*>\s*<span class="inbox-facet-label">'
        r"Garage-Service",
        page,
    )
    assert '<option value="-age" selected>' in page
    link = re.search(rf'<a href="/qc/views/{view.id}"[^>]*>', shelf(page)).group(0)
    assert 'aria-current="true"' in link and "is-chosen" in link


def test_junk_in_a_saved_query_is_refused_by_its_field(client, login_as, garage, db):
    login_as(Role.QC)
    response = save(client, "Junk", status="bogus", client=999_999, deadline="overdue")
    assert response.status_code == 422
    html = shelf(response.get_data(as_text=True))
    assert "Status: Not a status of the inbox." in html
    assert "Client: This client is no longer in the list." in html
    assert '<details class="sv-box sv-save" open>' in html
    assert db.session.query(SavedInboxView).count() == 0

    nameless = save(client, "   ", deadline="overdue")
    assert nameless.status_code == 422
    assert "Give the view a name." in nameless.get_data(as_text=True)
    too_long = save(client, "x" * 61)
    assert too_long.status_code == 422
    assert db.session.query(SavedInboxView).count() == 0


def test_a_name_is_used_once_and_views_are_limited(client, login_as, db):
    user = login_as(Role.QC)
    assert save(client, "Mine", assignee="me").status_code == 303
    again = save(client, "mine", deadline="overdue")
    assert again.status_code == 422
    assert "You already have a view of that name." in again.get_data(as_text=True)
    for n in range(VIEWS_PER_USER - 1):
        db.session.add(SavedInboxView(owner_id=user.id, name=f"View {n}", query={}))
    db.session.commit()
    full = save(client, "One too many")
    assert full.status_code == 422
    assert "the most there can be" in full.get_data(as_text=True)


def test_a_view_whose_client_was_removed_opens_without_it_and_says_so(client, login_as, garage, db):
    user = login_as(Role.QC)
    view = SavedInboxView(
        owner_id=user.id,
        name="Gone client",
        query={"client": "987654", "deadline": "overdue", "status": "nonsense"},
    )
    db.session.add(view)
    db.session.commit()
    opened = client.get(f"/qc/views/{view.id}")
    assert opened.status_code == 303
    assert query_of(opened.headers["Location"]) == {"deadline": "overdue", "view": str(view.id)}
    page = client.get(opened.headers["Location"]).get_data(as_text=True)
    assert "no longer applies and was left out" in page
    assert "Client: This client is no longer in the list." in page
    assert "Status: Not a status of the inbox." in page
    link = re.search(rf'<a href="/qc/views/{view.id}"[^>]*>', shelf(page)).group(0)
    assert 'aria-current="true"' in link  # the view is the one open, what is left of it


def test_rename_and_delete_own_views_only(client, login_as, make_user, db, app):
    other = make_user(Role.QC, name="Olga Other")
    theirs = SavedInboxView(owner_id=other.id, name="Olga's", query={"assignee": "me"})
    db.session.add(theirs)
    db.session.commit()
    login_as(Role.QC)
    assert save(client, "Overdue", deadline="overdue").status_code == 303
    mine = db.session.query(SavedInboxView).filter_by(name="Overdue").one()

    renamed = client.post(
        f"/qc/views/{mine.id}/rename", data={"name": "Overdue now", "back": "deadline=overdue"}
    )
    assert renamed.status_code == 303
    assert query_of(renamed.headers["Location"]) == {"deadline": "overdue"}
    db.session.expire_all()
    assert mine.name == "Overdue now"
    refused = client.post(f"/qc/views/{mine.id}/rename", data={"name": ""})
    assert refused.status_code == 422
    assert "Give the view a name." in shelf(refused.get_data(as_text=True))

    # Someone else's private view is not there for me at all.
    assert client.get(f"/qc/views/{theirs.id}").status_code == 404
    assert client.post(f"/qc/views/{theirs.id}/delete").status_code == 404
    assert "Olga&#39;s" not in shelf(client.get("/qc/").get_data(as_text=True))

    assert client.post(f"/qc/views/{mine.id}/delete").status_code == 303
    assert db.session.query(SavedInboxView).filter_by(id=mine.id).count() == 0


def test_a_supervisor_shares_a_view_with_the_qc_team(app, client, login_as, make_user, db):
    supervisor = make_user(Role.SUPERVISOR, name="Sofia Supervisor")
    login_as(supervisor)
    assert save(client, "Team: overdue", deadline="overdue").status_code == 303
    view = db.session.query(SavedInboxView).one()
    assert client.post(f"/qc/views/{view.id}/share", data={"shared": "y"}).status_code == 303
    db.session.expire_all()
    assert view.shared

    colleague = app.test_client()
    qc = make_user(Role.QC, name="Quinn QC")
    colleague.post("/login", data={"email": qc.email, "password": PASSWORD})
    listed = shelf(colleague.get("/qc/").get_data(as_text=True))
    assert "Team: overdue" in listed and "shared" in listed
    assert "Manage views" not in listed  # nothing there the QC user may change
    assert colleague.get(f"/qc/views/{view.id}").status_code == 303
    # ...but may not change it, nor share anything.
    assert colleague.post(f"/qc/views/{view.id}/delete").status_code == 403
    assert colleague.post(f"/qc/views/{view.id}/rename", data={"name": "Mine"}).status_code == 403
    assert colleague.post(f"/qc/views/{view.id}/share", data={}).status_code == 403
    assert db.session.query(SavedInboxView).filter_by(name="Team: overdue").count() == 1

    # Another supervisor may change the shared view (stop sharing it).
    other_supervisor = app.test_client()
    boss = make_user(Role.SUPERVISOR)
    other_supervisor.post("/login", data={"email": boss.email, "password": PASSWORD})
    assert other_supervisor.post(f"/qc/views/{view.id}/share", data={}).status_code == 303
    db.session.expire_all()
    assert not view.shared
    assert "Team: overdue" not in shelf(colleague.get("/qc/").get_data(as_text=True))


def test_an_operator_gets_403_everywhere(client, login_as, make_user, db, open_complaint):
    complaint = open_complaint()
    qc = make_user(Role.QC)
    view = SavedInboxView(owner_id=qc.id, name="Shared", query={}, shared=True)
    db.session.add(view)
    db.session.commit()
    login_as(Role.OPERATOR)
    for method, url in [
        ("GET", f"/qc/views/{view.id}"),
        ("POST", "/qc/views"),
        ("POST", f"/qc/views/{view.id}/rename"),
        ("POST", f"/qc/views/{view.id}/delete"),
        ("POST", f"/qc/views/{view.id}/share"),
        ("POST", f"/qc/complaints/{complaint.id}/presence"),
        ("POST", f"/qc/complaints/{complaint.id}/presence/leave"),
    ]:
        assert client.open(url, method=method).status_code == 403, url


def test_the_rows_refresh_of_an_open_view_still_works(client, login_as, garage, db):
    login_as(Role.QC)
    save(client, "Overdue", deadline="overdue", client=garage.id)
    view = db.session.query(SavedInboxView).one()
    location = client.get(f"/qc/views/{view.id}").headers["Location"]
    page = client.get(location).get_data(as_text=True)
    refresh_url = re.search(r'id="inbox-rows"[^>]*hx-get="([^"]+)"', page).group(1)
    refresh_url = refresh_url.replace("&amp;", "&")
    assert query_of(refresh_url)["deadline"] == "overdue"
    same = client.get(refresh_url, headers={"HX-Request": "true", "HX-Target": "inbox-rows"})
    assert same.status_code == 204  # nothing changed: the rows stay as they are
