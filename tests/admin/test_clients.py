"""Admin → Clients: add and edit clients with calling hours per weekday, holidays, the
working-time SLA and the QC contact; deactivation refused while work is open; every change
audited; admins only."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from console.models import (
    AuditEntry,
    CallOutcome,
    CallTask,
    Client,
    ClientHoliday,
    Complaint,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
    Role,
    TaskStatus,
    User,
    utcnow,
)
from console.services import calling_hours
from console.services.scripts import library as script_service
from tests.helpers import on_both_databases

WEEK = {str(d): ["09:00", "20:00"] for d in range(5)} | {"5": ["10:00", "16:00"], "6": None}


def hours_fields(prefix: str, week: dict) -> dict:
    """The form fields of a week: ``{"0": ["09:00", "20:00"], "6": None, "5": "all_day"}``."""
    data = {}
    for d in range(7):
        span = week.get(str(d))
        if span is None:
            data[f"{prefix}-{d}-mode"] = "closed"
        elif span == "all_day":
            data[f"{prefix}-{d}-mode"] = "all_day"
        else:
            data[f"{prefix}-{d}-mode"] = "hours"
            data[f"{prefix}-{d}-start"], data[f"{prefix}-{d}-end"] = span
    return data


def client_form(**overrides) -> dict:
    data = {
        "name": "Brightwell Motors",
        "key": "brightwell",
        "country": "GB",
        "currency": "GBP",
        "timezone": "Europe/London",
        "call_delay_days": "7",
        "qc_contact_name": "Jane Quality",
        "qc_contact_email": "jane@brightwell.example",
        "qc_contact_phone": "020 7946 0018",
        **hours_fields("calling", overrides.pop("calling", WEEK)),
        **hours_fields(
            "working", overrides.pop("working", {str(d): ["08:00", "18:00"] for d in range(5)})
        ),
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def page_text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def admin(login_as) -> User:
    return login_as(Role.ADMIN)


@pytest.fixture
def brightwell(db) -> Client:
    client = Client(
        key="brightwell",
        name="Brightwell Motors",
        timezone="Europe/London",
        currency="GBP",
        country="GB",
        calling_hours=dict(WEEK),
    )
    db.session.add(client)
    db.session.commit()
    return client


# --- adding ---------------------------------------------------------------------------------


@on_both_databases
def test_admin_adds_a_client_with_hours_per_weekday_and_a_holiday(client, db, admin):
    response = client.post("/admin/clients/new", data=client_form(sla_working_time_only="y"))
    assert response.status_code == 303, page_text(response)
    added = db.session.scalar(select(Client).where(Client.key == "brightwell"))
    assert response.headers["Location"].endswith(f"/admin/clients/{added.id}")
    assert added.name == "Brightwell Motors"
    assert (added.country, added.currency, added.timezone) == ("GB", "GBP", "Europe/London")
    assert added.calling_hours == WEEK
    assert added.sla_working_time_only is True
    assert added.working_hours["0"] == ["08:00", "18:00"] and added.working_hours["5"] is None
    assert added.call_delay_days == 7
    assert added.qc_contact_phone == "+442079460018"  # typed the British way, stored E.164
    assert added.qc_contact_email == "jane@brightwell.example"
    assert added.active

    response = client.post(
        f"/admin/clients/{added.id}/holidays",
        data={"holiday-day": "2026-12-28", "holiday-name": "Bank holiday"},
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert [(h.day, h.name) for h in added.holidays] == [(date(2026, 12, 28), "Bank holiday")]
    # Monday 28 December at noon: a holiday, so no calls; Tuesday as usual.
    assert not calling_hours.within(added, datetime(2026, 12, 28, 12, tzinfo=UTC))
    assert calling_hours.within(added, datetime(2026, 12, 29, 12, tzinfo=UTC))

    page = page_text(client.get(f"/admin/clients/{added.id}"))
    assert "Bank holiday" in page and "2026-12-28" in page

    created = audit_entries(db, "client.created")
    assert len(created) == 1 and created[0].actor_id == admin.id
    assert created[0].entity_type == "Client" and created[0].entity_id == str(added.id)
    assert created[0].details["key"] == "brightwell"
    assert created[0].details["calling_hours"] == WEEK
    [holiday] = audit_entries(db, "client.holiday_added")
    assert holiday.details == {"day": "2026-12-28", "name": "Bank holiday"}


def test_round_the_clock_and_hours_past_midnight(client, db, admin):
    week = {"0": "all_day", "4": ["18:00", "02:00"], "5": ["20:00", "24:00"]}
    response = client.post("/admin/clients/new", data=client_form(calling=week))
    assert response.status_code == 303, page_text(response)
    added = db.session.scalar(select(Client).where(Client.key == "brightwell"))
    assert added.calling_hours == {
        "0": ["00:00", "24:00"],
        "1": None,
        "2": None,
        "3": None,
        "4": ["18:00", "02:00"],
        "5": ["20:00", "24:00"],
        "6": None,
    }
    # Saturday 01:30 in London belongs to Friday's window.
    assert calling_hours.within(added, datetime(2026, 12, 12, 1, 30, tzinfo=UTC))
    page = page_text(client.get(f"/admin/clients/{added.id}"))
    assert "the next day" in page  # Friday's end reads as the next morning
    listing = page_text(client.get("/admin/clients"))
    assert "round the clock" in listing and "18:00–02:00 next day" in listing


def test_times_are_normalised_to_hh_mm(client, db, admin):
    week = {"0": ["9:00", " 17:30 "]}
    assert client.post("/admin/clients/new", data=client_form(calling=week)).status_code == 303
    added = db.session.scalar(select(Client).where(Client.key == "brightwell"))
    assert added.calling_hours["0"] == ["09:00", "17:30"]


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"key": "Bright Well!"}, "key", "Lower-case letters, digits, - and _ only"),
        ({"key": ""}, "key", "This field is required."),
        ({"name": ""}, "name", "This field is required."),
        ({"timezone": "Mars/Olympus"}, "timezone", "Not a valid choice"),
        ({"country": "QQ"}, "country", "Not a valid choice"),
        ({"currency": "ABC"}, "currency", "Not a valid choice"),
        ({"call_delay_days": "-1"}, "call_delay_days", "Number must be between 0 and 365."),
        ({"qc_contact_email": "not an email"}, "qc_contact_email", "Invalid email address."),
        ({"qc_contact_phone": "12"}, "qc_contact_phone", "12 is not a valid phone number."),
        ({"calling-2-start": "9am"}, "calling-2-start", "A time as HH:MM, e.g. 09:00."),
        ({"calling-2-end": "25:00"}, "calling-2-end", "A time as HH:MM, from 00:00 to 24:00."),
        ({"calling-2-end": ""}, "calling-2-end", "Required when the day has hours."),
        ({"calling-2-end": "09:00"}, "calling-2-end", "The same time twice"),
        ({"working-1-end": "07:00"}, "working-1-end", "Working hours end after they start"),
    ],
)
def test_field_errors_show_next_to_the_field_and_nothing_is_added(
    client, db, admin, overrides, field, message
):
    response = client.post("/admin/clients/new", data=client_form(**overrides))
    assert response.status_code == 422
    page = page_text(response)
    assert message in page
    assert f'id="{field}-error"' in page  # next to its field, which points at it
    assert f'aria-describedby="{field}-error"' in page
    assert db.session.scalar(select(Client)) is None
    assert audit_entries(db, "client.created") == []


def test_a_week_without_any_calls_is_refused(client, db, admin):
    response = client.post("/admin/clients/new", data=client_form(calling={}))
    assert response.status_code == 422
    assert "Open at least one day for calls" in page_text(response)
    assert 'id="calling-hours-error"' in page_text(response)
    assert db.session.scalar(select(Client)) is None


def test_working_time_deadlines_need_working_hours(client, db, admin):
    response = client.post(
        "/admin/clients/new", data=client_form(working={}, sla_working_time_only="y")
    )
    assert response.status_code == 422
    assert "Working-time deadlines need working hours" in page_text(response)


def test_closed_days_ignore_what_their_time_boxes_hold(client, db, admin):
    data = client_form(**{"calling-6-mode": "closed", "calling-6-start": "junk"})
    assert client.post("/admin/clients/new", data=data).status_code == 303
    assert db.session.scalar(select(Client)).calling_hours["6"] is None


@on_both_databases
def test_a_taken_key_is_refused(client, db, admin, brightwell):
    response = client.post("/admin/clients/new", data=client_form(name="Another"))
    assert response.status_code == 422
    assert "A client with this key already exists." in page_text(response)
    assert db.session.scalar(select(Client).where(Client.name == "Another")) is None


def test_the_new_client_form_offers_places_in_the_readers_language(client, db, login_as, make_user):
    login_as(make_user(Role.ADMIN, locale="ru"))
    page = page_text(client.get("/admin/clients/new"))
    assert "Понедельник" in page and "Воскресенье" in page
    assert "Россия — Москва" in page  # the time zone, by Babel
    assert "Великобритания (GB)" in page
    assert "RUB — российский рубль" in page
    assert "Кому" not in page  # calling hours run "С … До …", not to a person
    assert "До" in page


# --- editing --------------------------------------------------------------------------------


@on_both_databases
def test_editing_audits_only_the_fields_that_changed(client, db, admin, brightwell):
    page = page_text(client.get(f"/admin/clients/{brightwell.id}"))
    assert 'value="brightwell"' in page and 'value="10:00"' in page
    data = client_form(
        name="Brightwell Motors Ltd",
        call_delay_days="",
        **{"calling-6-mode": "hours", "calling-6-start": "11:00", "calling-6-end": "15:00"},
    )
    response = client.post(f"/admin/clients/{brightwell.id}", data=data)
    assert response.status_code == 303, page_text(response)
    db.session.expire_all()
    assert brightwell.name == "Brightwell Motors Ltd"
    assert brightwell.calling_hours["6"] == ["11:00", "15:00"]
    assert brightwell.call_delay_days is None
    [entry] = audit_entries(db, "client.updated")
    assert entry.details["name"] == ["Brightwell Motors", "Brightwell Motors Ltd"]
    assert entry.details["calling_hours"][0]["6"] is None
    assert entry.details["calling_hours"][1]["6"] == ["11:00", "15:00"]
    assert "key" not in entry.details and "timezone" not in entry.details

    # The same values again: nothing to audit.
    response = client.post(f"/admin/clients/{brightwell.id}", data=data, follow_redirects=True)
    assert "Nothing changed." in page_text(response)
    assert len(audit_entries(db, "client.updated")) == 1


def test_the_key_changes_while_no_script_uses_the_client(client, db, admin, brightwell):
    data = client_form(key="brightwell-motors", working={})
    assert client.post(f"/admin/clients/{brightwell.id}", data=data).status_code == 303
    db.session.expire_all()
    assert brightwell.key == "brightwell-motors"
    [entry] = audit_entries(db, "client.updated")
    assert entry.details["key"] == ["brightwell", "brightwell-motors"]


def test_the_key_does_not_change_while_a_script_uses_the_client(client, db, admin, brightwell):
    script_service.create_script(key="brightwell-follow-up", name="Follow-up", client=brightwell)
    db.session.commit()
    page = page_text(client.get(f"/admin/clients/{brightwell.id}"))
    assert "brightwell-follow-up" in page and "its key cannot change" in page

    data = client_form(key="brightwell-motors", name="Renamed")
    response = client.post(f"/admin/clients/{brightwell.id}", data=data)
    assert response.status_code == 422
    page = page_text(response)
    assert "The key cannot change while the script brightwell-follow-up uses it" in page
    assert 'id="key-error"' in page
    db.session.expire_all()
    assert (brightwell.key, brightwell.name) == ("brightwell", "Brightwell Motors")
    assert audit_entries(db, "client.updated") == []
    # Everything else still changes.
    assert (
        client.post(f"/admin/clients/{brightwell.id}", data=client_form(name="Renamed")).status_code
        == 303
    )


def test_an_unknown_client_is_404(client, admin):
    assert client.get("/admin/clients/999").status_code == 404
    assert (
        client.post("/admin/clients/999/holidays", data={"holiday-day": "2026-01-01"}).status_code
        == 404
    )


# --- holidays -------------------------------------------------------------------------------


@on_both_databases
def test_a_holiday_twice_is_refused_and_one_can_be_removed(client, db, admin, brightwell):
    url = f"/admin/clients/{brightwell.id}/holidays"
    assert (
        client.post(url, data={"holiday-day": "2026-12-25", "holiday-name": ""}).status_code == 303
    )
    response = client.post(url, data={"holiday-day": "2026-12-25", "holiday-name": "Christmas"})
    assert response.status_code == 422
    assert "This day is already a holiday." in page_text(response)
    response = client.post(url, data={"holiday-day": "not a date"})
    assert response.status_code == 422
    assert 'id="holiday-day-error"' in page_text(response)

    db.session.expire_all()
    [holiday] = brightwell.holidays
    assert holiday.name is None
    response = client.post(f"/admin/clients/{brightwell.id}/holidays/{holiday.id}/remove")
    assert response.status_code == 303
    db.session.expire_all()
    assert brightwell.holidays == []
    [removed] = audit_entries(db, "client.holiday_removed")
    assert removed.details == {"day": "2026-12-25", "name": None}


def test_another_clients_holiday_cannot_be_removed_through_this_one(client, db, admin, brightwell):
    other = Client(key="other", name="Other", holidays=[ClientHoliday(day=date(2026, 1, 1))])
    db.session.add(other)
    db.session.commit()
    holiday_id = other.holidays[0].id
    response = client.post(f"/admin/clients/{brightwell.id}/holidays/{holiday_id}/remove")
    assert response.status_code == 404
    assert db.session.get(ClientHoliday, holiday_id) is not None


# --- deactivating ---------------------------------------------------------------------------


@pytest.fixture
def busy_client(db, make_order, make_user):
    """Acme with two calls waiting, one an operator is making, and one open complaint."""
    orders = [make_order() for _ in range(4)]
    acme = orders[0].client
    for order, status in zip(
        orders[:3], [TaskStatus.PENDING, TaskStatus.PENDING, TaskStatus.HELD], strict=True
    ):
        db.session.add(
            CallTask(
                order=order, client=acme, customer=order.customer, due_at=utcnow(), status=status
            )
        )
    db.session.add(
        CallTask(
            order=orders[3],
            client=acme,
            customer=orders[3].customer,
            due_at=utcnow(),
            status=TaskStatus.DONE,
            outcome=CallOutcome.COMPLETED,
        )
    )
    db.session.add(
        Complaint(
            kind=ComplaintKind.COMPLAINT,
            category="quality",
            source=ComplaintSource.CALL,
            order=orders[0],
            client=acme,
            customer=orders[0].customer,
            snapshot={},
            created_at=utcnow(),
        )
    )
    db.session.add(
        Complaint(
            kind=ComplaintKind.COMPLAINT,
            category="quality",
            source=ComplaintSource.CALL,
            order=orders[1],
            client=acme,
            customer=orders[1].customer,
            snapshot={},
            created_at=utcnow(),
            status=ComplaintStatus.CLOSED,
        )
    )
    db.session.commit()
    return acme


def test_deactivation_is_refused_with_the_counts_of_open_work(client, db, admin, busy_client):
    response = client.post(f"/admin/clients/{busy_client.id}/active/off")
    assert response.status_code == 409
    page = page_text(response)
    assert "3 calls still to make and 1 open complaint: finish or cancel them first." in page
    assert "Cancel 2 pending calls" in page  # the deliberate second step, for the waiting ones
    db.session.expire_all()
    assert busy_client.active
    assert audit_entries(db, "client.deactivated") == []


@on_both_databases
def test_pending_calls_are_cancelled_only_when_confirmed(client, db, admin, busy_client):
    url = f"/admin/clients/{busy_client.id}/cancel-pending-calls"
    response = client.post(url, data={})
    assert response.status_code == 422
    assert "Tick to confirm." in page_text(response)
    assert db.session.query(CallTask).filter_by(status=TaskStatus.PENDING).count() == 2

    response = client.post(url, data={"cancel-confirm": "y"}, follow_redirects=True)
    assert "2 pending calls cancelled." in page_text(response)
    tasks = db.session.scalars(select(CallTask).order_by(CallTask.id)).all()
    assert [(t.status, t.outcome) for t in tasks] == [
        (TaskStatus.DONE, CallOutcome.CANCELLED),
        (TaskStatus.DONE, CallOutcome.CANCELLED),
        (TaskStatus.HELD, None),  # an operator is on this call: it finishes
        (TaskStatus.DONE, CallOutcome.COMPLETED),
    ]
    [entry] = audit_entries(db, "client.calls_cancelled")
    assert entry.details == {"cancelled": 2}

    # The call in progress and the complaint still hold the client.
    response = client.post(f"/admin/clients/{busy_client.id}/active/off")
    assert response.status_code == 409
    assert "1 call still to make and 1 open complaint" in page_text(response)


def test_a_client_without_open_work_is_deactivated_and_reactivated(client, db, admin, busy_client):
    db.session.execute(CallTask.__table__.update().values(status=TaskStatus.DONE))
    db.session.execute(Complaint.__table__.update().values(status=ComplaintStatus.RESOLVED))
    db.session.commit()
    response = client.post(f"/admin/clients/{busy_client.id}/active/off", follow_redirects=True)
    assert "is deactivated: its customers are no longer called." in page_text(response)
    db.session.expire_all()
    assert not busy_client.active
    assert "deactivated" in page_text(client.get("/admin/clients"))
    assert client.post(f"/admin/clients/{busy_client.id}/active/on").status_code == 303
    db.session.expire_all()
    assert busy_client.active
    assert len(audit_entries(db, "client.deactivated")) == 1
    assert len(audit_entries(db, "client.reactivated")) == 1


def test_only_complaints_name_only_complaints(client, db, admin, busy_client):
    db.session.execute(CallTask.__table__.update().values(status=TaskStatus.DONE))
    db.session.commit()
    response = client.post(f"/admin/clients/{busy_client.id}/active/off")
    assert response.status_code == 409
    page = page_text(response)
    assert "1 open complaint: finish or cancel them first." in page
    assert "pending call" not in page


# --- the list, escaping, access -------------------------------------------------------------


def test_the_list_shows_each_clients_week_and_escapes_names(client, db, admin, brightwell):
    brightwell.name = '<script>alert("x")</script>'
    db.session.commit()
    page = page_text(client.get("/admin/clients"))
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert" in page
    assert "Mon–Fri" in page and "09:00–20:00" in page and "Sun" in page and "closed" in page
    assert page.count('href="/admin/clients/new"') >= 1


def test_the_admin_navigation_links_clients_and_work_types(client, admin):
    page = page_text(client.get("/admin/"))
    assert 'href="/admin/clients"' in page and 'href="/admin/work-types"' in page


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.QC, Role.SUPERVISOR])
def test_only_admins_reach_clients(client, db, login_as, brightwell, role):
    login_as(role)
    assert client.get("/admin/clients").status_code == 403
    assert client.get("/admin/clients/new").status_code == 403
    assert client.post("/admin/clients/new", data=client_form(key="x")).status_code == 403
    assert client.post(f"/admin/clients/{brightwell.id}/active/off").status_code == 403
    assert (
        client.post(
            f"/admin/clients/{brightwell.id}/holidays", data={"holiday-day": "2026-01-01"}
        ).status_code
        == 403
    )
    db.session.expire_all()
    assert brightwell.active and brightwell.holidays == []
    assert db.session.scalar(select(Client).where(Client.key == "x")) is None


def test_every_post_needs_the_csrf_token(app, client, db, admin, brightwell):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        for url, data in [
            ("/admin/clients/new", client_form(key="x")),
            (f"/admin/clients/{brightwell.id}", client_form(name="Changed")),
            (f"/admin/clients/{brightwell.id}/holidays", {"holiday-day": "2026-01-01"}),
            (f"/admin/clients/{brightwell.id}/active/off", {}),
            (f"/admin/clients/{brightwell.id}/cancel-pending-calls", {"cancel-confirm": "y"}),
        ]:
            response = client.post(url, data=data)
            assert response.status_code in (400, 422), (url, response.status_code)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.session.expire_all()
    assert brightwell.name == "Brightwell Motors" and brightwell.active
    assert brightwell.holidays == []
    assert db.session.scalar(select(Client).where(Client.key == "x")) is None
