"""Bad requests are refused cleanly: ids no row can have are a 404, NUL bytes and text that is
not UTF-8 a 400, bodies too large a 413; a database error that is not an outage does not say
"cannot reach the database". On SQLite and PostgreSQL alike."""

from __future__ import annotations

import io
import sqlite3

import psycopg
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DataError, IntegrityError, OperationalError

from console.access import public
from console.bad_input import accepts_large_body
from console.models import Complaint, ComplaintEvent, Role
from tests.conftest import on_both_databases
from tests.qc import complaint_fixtures

open_complaint = complaint_fixtures.open_complaint

ABOVE_64_BITS = "99999999999999999999999"
ABOVE_32_BITS = str(2**31)
FAR_ABOVE_32_BITS = str(2**40)
HUGE_IDS = [ABOVE_64_BITS, ABOVE_32_BITS, FAR_ABOVE_32_BITS, "9" * 5000]

BAD_CHARACTERS = "characters that cannot be stored"


def statuses(client, requests, **kw) -> dict[str, int]:
    """{"GET /path": status} for every (method, url, data) request."""
    out = {}
    for method, url, data in requests:
        response = client.open(url, method=method, data=data, **kw)
        out[f"{method} {url[:60]}"] = response.status_code
    return out


# --- ids out of range ------------------------------------------------------------------------


@on_both_databases
@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_ids_no_row_can_have_are_not_found_for_the_qc_desk(client, login_as, app_config):
    login_as(Role.QC)
    requests = []
    for n in HUGE_IDS:
        requests += [
            ("GET", f"/qc/complaints/{n}", None),
            ("GET", f"/qc/customers/{n}", None),
            ("POST", f"/qc/complaints/{n}/note", {"body": "hello"}),
            ("POST", f"/qc/complaints/{n}/assign", {"assignee": "1"}),
            ("POST", f"/qc/repeats/{n}/confirm", {}),
            ("POST", f"/qc/orders/flagged/{n}/handled", {}),
            ("POST", f"/notices/{n}/read", {}),
            ("GET", f"/qc/complaints/new?order={n}", None),
        ]
    found = statuses(client, requests)
    assert {k: v for k, v in found.items() if v != 404} == {}


@on_both_databases
@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_ids_no_row_can_have_are_not_found_for_admins_and_operators(
    client, login_as, make_user, app_config
):
    login_as(Role.ADMIN)
    requests = []
    for n in HUGE_IDS:
        requests += [
            ("GET", f"/admin/scripts/{n}", None),
            ("GET", f"/admin/scripts/{n}/versions", None),
            ("GET", f"/admin/scripts/1/versions/{n}", None),
            ("POST", f"/admin/technicians/{n}/unblock", {}),
            ("POST", f"/admin/users/{n}/active/on", {}),
            ("POST", f"/admin/notifications/{n}/retry", {}),
        ]
    found = statuses(client, requests)
    client.post("/logout")
    login_as(Role.OPERATOR)
    found |= statuses(
        client,
        [("GET", f"/operator/call/{n}", None) for n in HUGE_IDS]
        + [("POST", f"/operator/call/{n}/autosave", {"token": "t", "seq": "1"}) for n in HUGE_IDS],
    )
    assert {k: v for k, v in found.items() if v != 404} == {}


@on_both_databases
@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_filters_and_pages_in_the_address_ignore_numbers_no_row_can_have(
    client, login_as, app_config
):
    """A filter ignores a value it cannot use (as it ignores "abc"): the page still opens."""
    login_as(Role.QC)
    requests = []
    for n in HUGE_IDS:
        requests += [
            ("GET", f"/qc/?client={n}", None),
            ("GET", f"/qc/?assignee={n}", None),
            ("GET", f"/qc/?start={n}", None),
            ("GET", f"/qc/?after={n[:20]}_{n[:18]}", None),
            ("GET", f"/qc/?q={n[:12]}", None),
            ("GET", f"/qc/?q=%23{n[:12]}", None),
            ("GET", f"/qc/customers/frequent?client={n}", None),
            ("GET", f"/qc/repeats?client={n}&page={n}", None),
            ("GET", f"/qc/orders/flagged?client={n}&page={n}", None),
            ("GET", f"/qc/repeats/board?client={n}&weeks={n}", None),
            ("GET", f"/reports/deadlines?client={n}&days={n}", None),
            ("GET", f"/notices/?page={n}", None),
        ]
    found = statuses(client, requests)
    assert {k: v for k, v in found.items() if v != 200} == {}


@on_both_databases
@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_ids_in_forms_no_row_can_have_are_refused_as_input(
    client, db, login_as, open_complaint, app_config
):
    complaint = open_complaint()
    order = complaint.order
    qc = login_as(Role.QC)
    url = f"/qc/complaints/{complaint.id}"
    requests = []
    for n in HUGE_IDS[:3]:
        requests += [
            ("POST", "/qc/assign", {"complaint": n, "assignee": str(qc.id)}),
            ("POST", "/qc/assign", {"complaint": str(complaint.id), "assignee": n}),
            ("POST", f"{url}/assign", {"assignee": n}),
            ("POST", f"{url}/merge", {"into": n, "note": "same"}),
            ("POST", "/qc/complaints/new", {"order": n, "category": "quality", "summary": "x"}),
            ("POST", f"/qc/repeats/{order.id}/confirm", {"responsible": n}),
            ("POST", f"{url}/cause", {"cause": "parts", "responsible": f"t:{n}"}),
        ]
    found = statuses(client, requests, headers={"HX-Request": "true"})
    assert {k: v for k, v in found.items() if not 400 <= v < 500} == {}
    db.session.rollback()
    assert db.session.get(Complaint, complaint.id).assignee_id is None


# --- characters a database cannot store -----------------------------------------------------


@on_both_databases
@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_a_nul_byte_in_a_search_or_a_note_is_a_400_that_says_why(
    client, db, login_as, open_complaint, app_config
):
    complaint = open_complaint()
    login_as(Role.QC)

    search = client.get("/qc/?q=Ivan%00ov")
    assert search.status_code == 400
    assert BAD_CHARACTERS in search.get_data(as_text=True)

    note = client.post(f"/qc/complaints/{complaint.id}/note", data={"note-body": "called\x00back"})
    assert note.status_code == 400
    assert BAD_CHARACTERS in note.get_data(as_text=True)
    fragment = client.post(
        f"/qc/complaints/{complaint.id}/note",
        data={"note-body": "called\x00back"},
        headers={"HX-Request": "true"},
    )
    assert fragment.status_code == 400 and fragment.headers["HX-Retarget"] == "#notices"
    assert BAD_CHARACTERS in fragment.get_data(as_text=True)
    db.session.rollback()
    notes = db.session.scalars(
        sa.select(ComplaintEvent.body).where(ComplaintEvent.complaint_id == complaint.id)
    ).all()
    assert not any("called" in (body or "") for body in notes)
    # The same note without the NUL is stored: the refusal was the character's.
    assert client.post(
        f"/qc/complaints/{complaint.id}/note", data={"note-body": "called back"}
    ).status_code in (200, 303)


@on_both_databases
@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_text_that_is_not_utf8_is_a_400(client, login_as, app_config):
    login_as(Role.QC)
    assert client.get("/qc/?q=%FF%FE").status_code == 400
    response = client.post(
        "/qc/assign",
        data=b"note=%FF&complaint=1",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert BAD_CHARACTERS in response.get_data(as_text=True)
    raw = client.post(
        "/qc/assign", data=b"note=\xff\xfe", content_type="application/x-www-form-urlencoded"
    )
    assert raw.status_code == 400
    assert client.get("/qc/?q=%D0%98%D0%B2%D0%B0%D0%BD").status_code == 200  # "Иван" is fine


def test_a_nul_byte_in_a_json_body_is_a_400(client, login_as):
    login_as(Role.QC)
    response = client.post("/qc/assign", json={"note": ["fine", {"deep": "a\u0000b"}]})
    assert response.status_code == 400
    assert BAD_CHARACTERS in response.get_data(as_text=True)


# --- bodies too large -------------------------------------------------------------------------


def post_form(client, url, body: bytes, **kw):
    return client.post(url, data=body, content_type="application/x-www-form-urlencoded", **kw)


def test_a_3_mb_body_is_refused_with_a_clear_413(client, login_as):
    login_as(Role.QC)
    response = post_form(client, "/qc/assign", b"note=" + b"x" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert "too large or has too many fields" in response.get_data(as_text=True)
    fragment = post_form(
        client, "/qc/assign", b"note=" + b"x" * (3 * 1024 * 1024), headers={"HX-Request": "true"}
    )
    assert fragment.status_code == 413 and fragment.headers["HX-Retarget"] == "#notices"
    assert "too large" in fragment.get_data(as_text=True)


def test_a_body_is_refused_before_it_is_read(client, login_as):
    """The declared length decides: a worker does not read 30 MB to refuse it."""
    login_as(Role.QC)

    class Body(io.BytesIO):
        read_bytes = 0

        def read(self, size=-1):
            data = super().read(size)
            self.read_bytes += len(data)
            return data

    body = Body(b"note=" + b"x" * 1000)
    response = client.post(
        "/qc/assign",
        input_stream=body,
        content_type="application/x-www-form-urlencoded",
        environ_overrides={"CONTENT_LENGTH": str(30 * 1024 * 1024)},
    )
    assert response.status_code == 413
    assert body.read_bytes == 0


@pytest.mark.parametrize("content_type", ["urlencoded", "multipart"])
def test_a_form_of_5000_fields_is_refused_with_a_clear_message(client, login_as, content_type):
    login_as(Role.QC)
    if content_type == "multipart":  # werkzeug's own limit (kept small: no temporary file)
        fields = {f"f{i}": "1" for i in range(1500)} | {"file": (io.BytesIO(b"x"), "x.txt")}
    else:
        fields = {f"f{i}": "1" for i in range(5000)}
    response = client.post("/qc/assign", data=fields)
    assert response.status_code == 413
    assert "too many fields" in response.get_data(as_text=True)


def test_the_413_page_speaks_russian(client, make_user):
    user = make_user(Role.QC, locale="ru")
    client.post("/login", data={"email": user.email, "password": "correct horse battery"})
    response = post_form(client, "/qc/assign", b"note=" + b"x" * (3 * 1024 * 1024))
    assert response.status_code == 413
    assert "Слишком много сразу" in response.get_data(as_text=True)


def test_a_view_that_needs_a_bigger_body_says_so(app, client):
    @public
    @accepts_large_body(8 * 1024 * 1024, max_fields=20_000)
    def import_orders():
        from flask import request

        return f"{len(request.form)} fields, {len(request.form.get('rows', ''))} bytes"

    app.add_url_rule("/test-import", view_func=import_orders, methods=["POST"])
    big = post_form(client, "/test-import", b"rows=" + b"x" * (3 * 1024 * 1024))
    assert big.status_code == 200 and big.get_data(as_text=True) == "1 fields, 3145728 bytes"
    many = client.post("/test-import", data={f"f{i}": "1" for i in range(5000)})
    assert many.get_data(as_text=True).startswith("5000 fields")
    too_big = post_form(client, "/test-import", b"rows=" + b"x" * (9 * 1024 * 1024))
    assert too_big.status_code == 413


# --- what a database error is called -------------------------------------------------------


def _raising(app, name, error):
    @public
    def view():
        raise error

    app.add_url_rule(f"/test-{name}", endpoint=name, view_func=view)
    return f"/test-{name}"


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
@pytest.mark.parametrize(
    ("orig", "status", "says"),
    [
        (sqlite3.OperationalError("database is locked"), 503, "busy right now"),
        (psycopg.errors.DeadlockDetected("deadlock detected"), 503, "busy right now"),
        (psycopg.errors.LockNotAvailable("could not obtain lock"), 503, "busy right now"),
        (sqlite3.OperationalError("unable to open database file"), 503, "cannot reach"),
        (psycopg.OperationalError("connection refused"), 503, "cannot reach"),
        (psycopg.errors.AdminShutdown("terminating connection"), 503, "cannot reach"),
        (None, 503, "busy right now"),  # every pooled connection in use
    ],
)
def test_only_a_lost_connection_is_called_unreachable(app, client, app_config, orig, status, says):
    error = OperationalError("SELECT 1", {}, orig) if orig else sa.exc.TimeoutError("pool")
    url = _raising(app, "db", error)
    response = client.get(url)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert says in html
    if says == "busy right now":
        assert response.headers["Retry-After"].isdigit()
        assert "cannot reach" not in html


@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_data_and_integrity_errors_are_4xx_logged_as_bugs(app, client, app_config, caplog):
    bad = _raising(
        app, "data", DataError("INSERT", {}, psycopg.errors.NumericValueOutOfRange("out of range"))
    )
    clash = _raising(
        app, "clash", IntegrityError("INSERT", {}, sqlite3.IntegrityError("UNIQUE constraint"))
    )
    response = client.get(bad)
    assert response.status_code == 400
    assert "cannot reach" not in response.get_data(as_text=True)
    response = client.get(clash)
    assert response.status_code == 409
    assert "changed at the same time" in response.get_data(as_text=True)
    bugs = [r for r in caplog.records if r.levelname == "ERROR" and "bug" in r.getMessage()]
    assert len(bugs) == 2 and all(r.exc_info for r in bugs)


@on_both_databases
@pytest.mark.parametrize("app_config", [{"PROPAGATE_EXCEPTIONS": False}])
def test_a_real_constraint_clash_is_a_409_on_both_databases(app, client, db, app_config):
    """What each driver really raises for a duplicate, not a constructed error."""

    @public
    def duplicate():
        db.session.execute(sa.text("CREATE TEMP TABLE IF NOT EXISTS t (x INTEGER UNIQUE)"))
        db.session.execute(sa.text("INSERT INTO t VALUES (1)"))
        db.session.execute(sa.text("INSERT INTO t VALUES (1)"))
        return "stored twice"

    app.add_url_rule("/test-duplicate", view_func=duplicate, methods=["POST"])
    response = client.post("/test-duplicate")
    assert response.status_code == 409
    assert "cannot reach" not in response.get_data(as_text=True)
