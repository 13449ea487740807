"""Admin → Work types: add and edit, the sampled share 0–100 (car wash: a share, DOMAIN.md 001),
keys kept while scripts use them, no deleting, every change audited, admins only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.models import AuditEntry, Role, WorkType
from console.services.scripts import library as script_service
from tests.helpers import on_both_databases


def form(**overrides) -> dict:
    return {
        "name": "Car wash",
        "key": "car-wash",
        "call_delay_days": "1",
        "sample_percent": "20",
    } | overrides


def audit_entries(db, action: str) -> list[AuditEntry]:
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


@pytest.fixture
def oil(db) -> WorkType:
    work_type = WorkType(key="oil", name="Oil change")
    db.session.add(work_type)
    db.session.commit()
    return work_type


@on_both_databases
def test_admin_adds_a_sampled_work_type(client, db, admin):
    response = client.post("/admin/work-types", data=form(), follow_redirects=True)
    assert "Work type Car wash added." in response.get_data(as_text=True)
    wash = db.session.scalar(select(WorkType).where(WorkType.key == "car-wash"))
    assert (wash.name, wash.call_delay_days, wash.sample_percent) == ("Car wash", 1, 20)
    page = client.get("/admin/work-types").get_data(as_text=True)
    assert "20% sampled" in page
    [entry] = audit_entries(db, "work_type.created")
    assert entry.actor_id == admin.id and entry.entity_id == str(wash.id)
    assert entry.details == {
        "key": "car-wash",
        "name": "Car wash",
        "call_delay_days": 1,
        "sample_percent": 20,
    }


def test_an_empty_delay_leaves_it_to_the_client_or_the_default(client, db, admin):
    client.post("/admin/work-types", data=form(call_delay_days=""))
    assert db.session.scalar(select(WorkType)).call_delay_days is None
    assert "the client's, or 3 days" in client.get("/admin/work-types").get_data(as_text=True)


@pytest.mark.parametrize("value", ["-1", "101", "abc", "", "12.5"])
def test_the_sampled_share_is_a_percentage(client, db, admin, value):
    response = client.post("/admin/work-types", data=form(sample_percent=value))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'id="sample_percent-error"' in page
    assert "A percentage from 0 to 100." in page or "Not a valid integer value." in page
    assert db.session.scalar(select(WorkType)) is None


@pytest.mark.parametrize("value", ["0", "100"])
def test_the_ends_of_the_range_are_allowed(client, db, admin, value):
    assert client.post("/admin/work-types", data=form(sample_percent=value)).status_code == 303
    assert db.session.scalar(select(WorkType)).sample_percent == int(value)


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"key": "Car Wash"}, "key", "Lower-case letters, digits, - and _ only"),
        ({"key": "oil"}, "key", "A work type with this key already exists."),
        ({"name": ""}, "name", "This field is required."),
        ({"call_delay_days": "400"}, "call_delay_days", "Number must be between 0 and 365."),
    ],
)
@on_both_databases
def test_field_errors(client, db, admin, oil, overrides, field, message):
    response = client.post("/admin/work-types", data=form(**overrides))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert message in page and f'id="{field}-error"' in page
    assert db.session.scalar(select(WorkType).where(WorkType.id != oil.id)) is None


@on_both_databases
def test_editing_audits_the_changed_fields(client, db, admin, oil):
    page = client.get(f"/admin/work-types/{oil.id}").get_data(as_text=True)
    assert 'value="oil"' in page and 'value="100"' in page
    data = form(key="oil", name="Oil change", call_delay_days="", sample_percent="50")
    assert client.post(f"/admin/work-types/{oil.id}", data=data).status_code == 303
    db.session.expire_all()
    assert oil.sample_percent == 50
    [entry] = audit_entries(db, "work_type.updated")
    assert entry.details == {"sample_percent": [100, 50]}
    response = client.post(f"/admin/work-types/{oil.id}", data=data, follow_redirects=True)
    assert "Nothing changed." in response.get_data(as_text=True)
    assert len(audit_entries(db, "work_type.updated")) == 1


def test_the_key_is_kept_while_a_script_uses_the_work_type(client, db, admin, oil):
    script_service.create_script(key="oil-follow-up", name="After an oil change", work_type=oil)
    db.session.commit()
    page = client.get(f"/admin/work-types/{oil.id}").get_data(as_text=True)
    assert "oil-follow-up" in page and "its key cannot change" in page

    response = client.post(f"/admin/work-types/{oil.id}", data=form(key="oil-change", name="Oil"))
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The key cannot change while the script oil-follow-up uses it" in page
    db.session.expire_all()
    assert (oil.key, oil.name) == ("oil", "Oil change")
    # The rest changes as usual.
    response = client.post(f"/admin/work-types/{oil.id}", data=form(key="oil", name="Oil"))
    assert response.status_code == 303
    db.session.expire_all()
    assert oil.name == "Oil"


def test_the_key_changes_while_no_script_uses_it(client, db, admin, oil):
    assert (
        client.post(f"/admin/work-types/{oil.id}", data=form(key="oil-change")).status_code == 303
    )
    db.session.expire_all()
    assert oil.key == "oil-change"
    assert audit_entries(db, "work_type.updated")[0].details["key"] == ["oil", "oil-change"]


def test_work_types_are_never_deleted(app, client, admin, oil):
    page = client.get("/admin/work-types").get_data(as_text=True)
    assert "Delete" not in page and "delete" not in page.lower().replace("undeleted", "")
    assert not [
        r for r in app.url_map.iter_rules() if "work-types" in r.rule and "DELETE" in r.methods
    ]
    assert not [
        r for r in app.url_map.iter_rules() if "work-types" in r.rule and "delete" in r.rule
    ]


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.QC, Role.SUPERVISOR])
def test_only_admins_reach_work_types(client, db, login_as, oil, role):
    login_as(role)
    assert client.get("/admin/work-types").status_code == 403
    assert client.post("/admin/work-types", data=form()).status_code == 403
    assert client.get(f"/admin/work-types/{oil.id}").status_code == 403
    assert client.post(f"/admin/work-types/{oil.id}", data=form(key="oil")).status_code == 403
    assert db.session.scalar(select(WorkType).where(WorkType.key == "car-wash")) is None
