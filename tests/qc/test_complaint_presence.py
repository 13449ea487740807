"""The complaint page says who else has it open: each page posts "I am still here" every ~15 s
and gets back the colleagues seen within the last minute, since when (in the reader's time zone)
and whether they are typing, and whether one of them changed the complaint meanwhile."""

from __future__ import annotations

import re
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_time

from console.jobs.housekeeping import forget_closed_complaint_pages
from console.models import ComplaintViewer, Role
from console.services.complaints import presence
from tests.browser.journeys import CSRF_ON
from tests.conftest import PASSWORD
from tests.helpers import on_both_databases
from tests.qc import complaint_fixtures

open_complaint = complaint_fixtures.open_complaint


def signed_in(app, user):
    http = app.test_client()
    response = http.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return http


def clock(at: datetime, zone: str) -> str:
    """A time of day as an English reader in ``zone`` reads it ("2:02 PM")."""
    return format_time(at, format="short", tzinfo=ZoneInfo(zone), locale="en")


def poll(http, complaint, **data) -> str:
    response = http.post(f"/qc/complaints/{complaint.id}/presence", data=data)
    assert response.status_code == 200, response.get_data(as_text=True)
    return re.sub(r"[ \t\n]+", " ", response.get_data(as_text=True))


@pytest.fixture
def complaint(open_complaint):
    return open_complaint()


@on_both_databases
def test_two_people_on_the_same_complaint_see_each_other(app, make_user, complaint, db):
    anna = make_user(Role.QC, name="Anna Petrova", timezone="Europe/Moscow")
    boris = make_user(Role.QC, name="Boris Ivanov", timezone="UTC")
    as_anna, as_boris = signed_in(app, anna), signed_in(app, boris)

    assert "has this complaint open" not in poll(as_anna, complaint)  # nobody else yet
    seen_by_boris = poll(as_boris, complaint)
    since = clock(db.session.get(ComplaintViewer, (complaint.id, anna.id)).since, "UTC")
    assert f"Anna Petrova has this complaint open (since {since})." in seen_by_boris
    # Anna reads Boris's time in her own zone (Moscow, UTC+3).
    boris_since = db.session.get(ComplaintViewer, (complaint.id, boris.id)).since
    moscow = clock(boris_since, "Europe/Moscow")
    assert moscow != clock(boris_since, "UTC")
    assert f"Boris Ivanov has this complaint open (since {moscow})." in poll(as_anna, complaint)
    assert "Anna Petrova" not in poll(as_anna, complaint)  # never oneself

    poll(as_anna, complaint, typing="y")
    assert "Anna Petrova has this complaint open" in poll(as_boris, complaint)
    assert "and is typing." in poll(as_boris, complaint)

    # Anna leaves the page: gone at once for Boris.
    left = as_anna.post(f"/qc/complaints/{complaint.id}/presence/leave")
    assert left.status_code == 204
    assert "Anna Petrova" not in poll(as_boris, complaint)


@on_both_databases
def test_a_page_not_polled_for_a_minute_no_longer_counts(app, make_user, complaint, db):
    anna = make_user(Role.QC, name="Anna Petrova")
    as_boris = signed_in(app, make_user(Role.QC))
    an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
    presence.here(complaint.id, anna.id, typing=False, now=an_hour_ago)
    db.session.commit()
    assert "Anna Petrova" not in poll(as_boris, complaint)

    # Back after the hour: a new visit, "since" is now, not an hour ago.
    as_anna = signed_in(app, anna)
    poll(as_anna, complaint)
    db.session.expire_all()
    row = db.session.get(ComplaintViewer, (complaint.id, anna.id))
    assert row.since > an_hour_ago + timedelta(minutes=59)
    assert "Anna Petrova" in poll(as_boris, complaint)

    # Housekeeping deletes the rows of pages closed long ago, not the open ones.
    presence.here(complaint.id, make_user(Role.QC).id, typing=False, now=an_hour_ago)
    db.session.commit()
    assert forget_closed_complaint_pages() == 1
    assert db.session.query(ComplaintViewer).count() == 2


def test_a_colleague_who_changed_the_complaint_meanwhile_is_named(app, make_user, complaint, db):
    anna = make_user(Role.QC, name="Anna Petrova")
    boris = make_user(Role.QC, name="Boris Ivanov")
    as_anna, as_boris = signed_in(app, anna), signed_in(app, boris)
    page = as_anna.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    seen = re.search(r'data-seen-event="(\d+)"', page).group(1)
    assert "changed this complaint" not in poll(as_anna, complaint, seen_event=seen)

    noted = as_boris.post(
        f"/qc/complaints/{complaint.id}/note", data={"note-body": "Called the workshop"}
    )
    assert noted.status_code == 303
    answer = poll(as_anna, complaint, seen_event=seen)
    assert re.search(
        r"Boris Ivanov changed this complaint at \d{1,2}:\d\d\W[AP]M, after this page", answer
    )
    assert "Reload to see the change" in answer
    # Boris's own page doesn't warn him of his own note.
    assert "changed this complaint" not in poll(as_boris, complaint, seen_event=seen)
    # Once Anna's page is brought up to date (no baseline sent), the warning goes.
    fresh = poll(as_anna, complaint)
    assert "changed this complaint" not in fresh
    newest = re.search(r'data-seen-event="(\d+)"', fresh).group(1)
    assert int(newest) > int(seen)


def test_presence_is_posted_never_read_by_a_get(client, login_as, complaint):
    login_as(Role.QC)
    assert client.get(f"/qc/complaints/{complaint.id}/presence").status_code == 405
    assert client.post("/qc/complaints/999999/presence").status_code == 404


@CSRF_ON
def test_presence_needs_the_csrf_token(client, make_user, complaint):
    user = make_user(Role.QC)
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', login).group(1)
    data = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=data).status_code == 302
    refused = client.post(f"/qc/complaints/{complaint.id}/presence")
    assert refused.status_code == 400
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    polled = client.post(f"/qc/complaints/{complaint.id}/presence", headers={"X-CSRFToken": token})
    assert polled.status_code == 200
    # The beacon of a page being left carries it in its body.
    left = client.post(f"/qc/complaints/{complaint.id}/presence/leave", data={"csrf_token": token})
    assert left.status_code == 204


@on_both_databases
def test_several_people_polling_at_once_never_lock_the_database(
    app, make_user, open_complaint, database_kind
):
    """SQLite under several people polling two complaints from threads: every poll answers
    200 (no "database is locked", which comes back as 503)."""
    complaints = [open_complaint().id, open_complaint().id]
    people = [signed_in(app, make_user(Role.QC, name=f"Person {n}")) for n in range(6)]
    statuses: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def work(http, n):
        try:
            for round_ in range(12):
                complaint_id = complaints[(n + round_) % 2]
                response = http.post(
                    f"/qc/complaints/{complaint_id}/presence",
                    data={"typing": "y" if round_ % 3 == 0 else ""},
                )
                with lock:
                    statuses.append(response.status_code)
        except BaseException as error:  # noqa: BLE001 (reported below)
            errors.append(error)

    threads = [threading.Thread(target=work, args=(http, n)) for n, http in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    assert statuses == [200] * len(statuses) and len(statuses) == 6 * 12, set(statuses)
