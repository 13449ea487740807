"""Repeat repairs (DOMAIN.md, 000): the flag at intake at the 14-day boundary, the answer flag,
the review and the weekly board."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from console.models import (
    AuditEntry,
    RepeatRepairSource,
    RepeatRepairState,
    Role,
    Technician,
)
from console.services.calls import submit as call_submit
from console.services.calls import tasks as calls
from console.services.orders import repeat_repairs
from console.services.orders.repeat_repairs import ReviewRefused
from tests.helpers import on_both_databases
from tests.operator import conftest as operator_fixtures
from tests.operator.conftest import NOON_MOSCOW
from tests.qc import intake_fixtures
from tests.qc.intake_fixtures import NOW

# Fixtures shared with other test packages.
garage, record = intake_fixtures.garage, intake_fixtures.record
base_script = operator_fixtures.base_script
make_task, operator = operator_fixtures.make_task, operator_fixtures.operator

FOURTEEN_DAYS = timedelta(days=14)


# --- detection ---------------------------------------------------------------------------------


@on_both_databases
def test_exactly_fourteen_days_later_is_a_possible_repeat(record):
    first = record(completed_at=NOW - FOURTEEN_DAYS).order
    intake = record(completed_at=NOW)
    order = intake.order
    assert intake.repeat_of == first
    assert order.repeat_repair_state == RepeatRepairState.POSSIBLE
    assert order.repeat_repair_source == RepeatRepairSource.BOOKING
    assert order.repeat_of == first
    assert order.repeat_repair_flagged_at == NOW
    assert first.repeat_repair_state is None  # the earlier visit itself is not a repeat


@on_both_databases
def test_fourteen_days_and_a_minute_later_is_not(record):
    record(completed_at=NOW - FOURTEEN_DAYS - timedelta(minutes=1))
    order = record(completed_at=NOW).order
    assert order.repeat_repair_state is None
    assert order.repeat_of is None


def test_the_window_is_configurable(app, record):
    app.config["REPEAT_REPAIR_DAYS"] = 7
    record(completed_at=NOW - timedelta(days=8))
    assert record(completed_at=NOW).order.repeat_repair_state is None


def test_same_vehicle_by_plate_spelled_otherwise_or_by_vin(record):
    # The same plate in Cyrillic letters, lower case, with spaces.
    record(completed_at=NOW - timedelta(days=3), vehicle_plate="а 123 вс 77")
    assert record().order.repeat_repair_state == RepeatRepairState.POSSIBLE

    vin = "XWEPC811DB0001234"
    record(
        completed_at=NOW - timedelta(days=3),
        phone="+79120000001",
        vehicle_vin=vin,
        vehicle_plate="B777OP99",
    )
    # New plates on the same car: the VIN says it is the same vehicle.
    order = record(phone="+79120000001", vehicle_vin=vin, vehicle_plate="K001KK77").order
    assert order.repeat_repair_state == RepeatRepairState.POSSIBLE


def test_another_vehicle_of_the_same_customer_is_not_a_repeat(record):
    record(completed_at=NOW - timedelta(days=3), vehicle_plate="B777OP99")
    assert record(vehicle_plate="A123BC77").order.repeat_repair_state is None


def test_same_address_is_a_repeat_for_a_home_job(record):
    home = {"vehicle_plate": None, "vehicle_make_model": None}
    record(
        completed_at=NOW - timedelta(days=5), address="г. Москва, ул. Лесная, д. 5, кв. 12", **home
    )
    order = record(address="Г. МОСКВА,  ул. Лесная д. 5 кв. 12", **home).order
    assert order.repeat_repair_state == RepeatRepairState.POSSIBLE
    other = record(address="г. Москва, ул. Лесная, д. 7", phone="+79120000002", **home).order
    assert other.repeat_repair_state is None


def test_another_customer_with_the_same_vehicle_is_not_flagged(record):
    record(completed_at=NOW - timedelta(days=2), phone="+79120000003", customer_name="Olga")
    order = record(phone="+79120000004", customer_name="Boris").order
    assert order.repeat_repair_state is None


def test_an_earlier_visit_imported_late_flags_the_later_order(record):
    later = record(completed_at=NOW).order
    assert later.repeat_repair_state is None
    intake = record(completed_at=NOW - timedelta(days=10))
    assert intake.order.repeat_repair_state is None
    assert intake.later_flagged == (later,)
    assert later.repeat_repair_state == RepeatRepairState.POSSIBLE
    assert later.repeat_of == intake.order


def test_flagging_is_audited(db, record):
    record(completed_at=NOW - timedelta(days=1))
    order = record().order
    entry = db.session.query(AuditEntry).filter_by(action="order.repeat_repair.flagged").one()
    assert entry.entity_id == str(order.id)


# --- the answer flag ------------------------------------------------------------------------


def test_an_answer_flag_records_when_it_was_raised(db, make_task, operator):
    """The call screen's "same defect again" answer raises the flag, with its time and an
    audit entry."""
    make_task()
    task = calls.claim_next_call(operator, now=NOON_MOSCOW)
    answered_at = NOON_MOSCOW + timedelta(minutes=3)
    call_submit.submit_call(
        task.id,
        user=operator,
        lease_token=task.lease_token,
        submit_key=task.submit_key,
        answers={
            "quality": {"options": ["bad"]},
            "what_wrong": {"options": ["again"]},
            "price": {"options": ["yes"]},
            "contacts": {"options": ["no"]},
        },
        now=answered_at,
    )
    db.session.commit()
    order = task.order
    assert order.repeat_repair_state == RepeatRepairState.POSSIBLE
    assert order.repeat_repair_source == RepeatRepairSource.ANSWER
    assert order.repeat_repair_flagged_at == answered_at
    # Audited like a booking flag, in the operator's name; and it waits in the review queue.
    entry = db.session.query(AuditEntry).filter_by(action="order.repeat_repair.flagged").one()
    assert (entry.entity_id, entry.actor_id) == (str(order.id), operator.id)
    assert entry.details["source"] == "answer"
    assert [row.order for row in repeat_repairs.review_queue().rows] == [order]


# --- the review -----------------------------------------------------------------------------


@pytest.fixture
def possible(record):
    record(completed_at=NOW - timedelta(days=6))
    return record().order


@pytest.fixture
def reviewer(make_user):
    return make_user(Role.QC)


def test_confirm_records_cause_and_responsible(db, possible, reviewer):
    orlov = possible.repeat_of.technician
    repeat_repairs.confirm(
        possible,
        cause="workmanship",
        responsible_technician=orlov,
        note="pads",
        by=reviewer,
        now=NOW,
    )
    db.session.commit()
    assert possible.repeat_repair_state == RepeatRepairState.CONFIRMED
    assert possible.repeat_repair_cause == "workmanship"
    assert possible.repeat_repair_responsible == orlov
    assert possible.repeat_repair_reviewed_by == reviewer
    assert db.session.query(AuditEntry).filter_by(action="order.repeat_repair.confirmed").count()
    with pytest.raises(ReviewRefused):  # decided once
        repeat_repairs.reject(possible, note="changed my mind", by=reviewer)


def test_confirm_needs_a_known_cause_and_a_responsible(possible, reviewer):
    orlov = possible.repeat_of.technician
    with pytest.raises(ReviewRefused) as refused:
        repeat_repairs.confirm(
            possible, cause="bad luck", responsible_technician=orlov, by=reviewer
        )
    assert refused.value.field == "cause"
    with pytest.raises(ReviewRefused) as refused:
        repeat_repairs.confirm(possible, cause="parts", responsible_technician=None, by=reviewer)
    assert refused.value.field == "responsible"
    assert possible.repeat_repair_state == RepeatRepairState.POSSIBLE


def test_an_order_without_the_flag_cannot_be_confirmed_or_rejected(record, reviewer):
    order = record().order
    with pytest.raises(ReviewRefused):
        repeat_repairs.confirm(
            order, cause="parts", responsible_technician=order.technician, by=reviewer
        )
    with pytest.raises(ReviewRefused):
        repeat_repairs.reject(order, note="no", by=reviewer)
    assert order.repeat_repair_state is None


def test_reject_needs_a_reason_and_reopen_brings_it_back(db, possible, reviewer):
    with pytest.raises(ReviewRefused):
        repeat_repairs.reject(possible, note="  ", by=reviewer)
    repeat_repairs.reject(possible, note="another defect", by=reviewer, now=NOW)
    assert possible.repeat_repair_state == RepeatRepairState.REJECTED
    repeat_repairs.reopen(possible, note="the customer called again", by=reviewer)
    assert possible.repeat_repair_state == RepeatRepairState.POSSIBLE
    assert possible.repeat_repair_note is None
    assert possible.repeat_of is not None  # the flag itself is untouched


# --- the weekly board ------------------------------------------------------------------------


@on_both_databases
def test_board_groups_by_iso_week_of_the_confirmation(db, record, reviewer):
    orlov = db.session.query(Technician).filter_by(external_id="GS-T01").one()
    confirmed_at = {
        # Thursday 19 Nov 2026 and Monday 16 Nov: ISO week 47. Sunday 15 Nov 22:30 UTC is
        # already Monday 16 Nov in Moscow (UTC+3): also week 47 for a Moscow viewer.
        "A": datetime(2026, 11, 19, 10, 0, tzinfo=UTC),
        "B": datetime(2026, 11, 15, 22, 30, tzinfo=UTC),
        # Saturday 7 Nov: week 45; week 46 has none.
        "C": datetime(2026, 11, 7, 12, 0, tzinfo=UTC),
    }
    causes = {"A": "workmanship", "B": "parts", "C": "workmanship"}
    for n, (key, at) in enumerate(confirmed_at.items()):
        phone = f"+7912000010{n}"
        record(completed_at=at - timedelta(days=5), phone=phone)
        order = record(
            completed_at=at - timedelta(days=1), phone=phone, external_id=f"R-{key}"
        ).order
        repeat_repairs.confirm(
            order, cause=causes[key], responsible_technician=orlov, by=reviewer, now=at
        )
    db.session.commit()

    board = repeat_repairs.weekly_board(timezone="Europe/Moscow", weeks=4, now=NOW)
    assert [(w.week, sorted(o.external_id for o in w.orders)) for w in board.weeks] == [
        (47, ["R-A", "R-B"]),
        (46, []),
        (45, ["R-C"]),
        (44, []),
    ]
    [orlov_stats] = board.by_technician
    assert orlov_stats.technician == orlov
    assert orlov_stats.causes == {"workmanship": 2, "parts": 1}
    assert board.total == 3

    # For a viewer in UTC, B was confirmed on Sunday: week 46.
    utc_board = repeat_repairs.weekly_board(timezone="UTC", weeks=4, now=NOW)
    assert [len(w.orders) for w in utc_board.weeks] == [1, 1, 1, 0]


# --- the pages ------------------------------------------------------------------------------


def test_the_queue_shows_the_earlier_visit_and_confirming_swaps_the_row(
    db, client, login_as, possible
):
    login_as(Role.QC)
    page = client.get("/qc/repeats")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert possible.external_id in html and possible.repeat_of.external_id in html
    assert "same vehicle, 6 days after the earlier visit" in html

    orlov = possible.repeat_of.technician
    prefix = f"c{possible.id}-"
    answer = client.post(
        f"/qc/repeats/{possible.id}/confirm",
        data={prefix + "cause": "parts", prefix + "responsible": str(orlov.id)},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 200
    assert "repeat repair confirmed" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert possible.repeat_repair_state == RepeatRepairState.CONFIRMED
    assert possible.repeat_repair_responsible == orlov
    assert possible.external_id in client.get("/qc/repeats/board").get_data(as_text=True)


def test_a_confirmation_without_a_cause_is_shown_in_the_row(db, client, login_as, possible):
    login_as(Role.SUPERVISOR)
    answer = client.post(
        f"/qc/repeats/{possible.id}/confirm",
        data={f"c{possible.id}-responsible": str(possible.technician_id)},
        headers={"HX-Request": "true"},
    )
    assert answer.status_code == 422
    assert "Choose a cause." in answer.get_data(as_text=True)
    db.session.expire_all()
    assert possible.repeat_repair_state == RepeatRepairState.POSSIBLE


def test_an_unflagged_order_cannot_be_confirmed_through_the_page(db, client, login_as, record):
    order = record().order
    login_as(Role.QC)
    answer = client.post(
        f"/qc/repeats/{order.id}/confirm",
        data={f"c{order.id}-cause": "parts", f"c{order.id}-responsible": str(order.technician_id)},
    )
    assert answer.status_code == 303
    db.session.expire_all()
    assert order.repeat_repair_state is None


def test_rejecting_from_the_page_and_reopening_from_the_board(db, client, login_as, possible):
    login_as(Role.QC)
    client.post(f"/qc/repeats/{possible.id}/reject", data={f"r{possible.id}-note": "new tyre"})
    db.session.expire_all()
    assert possible.repeat_repair_state == RepeatRepairState.REJECTED
    client.post(f"/qc/repeats/{possible.id}/reopen", data={f"o{possible.id}-note": "oops"})
    db.session.expire_all()
    assert possible.repeat_repair_state == RepeatRepairState.POSSIBLE


def test_who_may_open_the_repeat_repair_pages(client, login_as, possible):
    login_as(Role.OPERATOR)
    assert client.get("/qc/repeats").status_code == 403
    assert client.get("/qc/repeats/board").status_code == 403
    client.post("/logout")
    login_as(Role.ADMIN)
    assert client.get("/qc/repeats/board").status_code == 200
    assert client.get("/qc/repeats").status_code == 403
    assert client.post(f"/qc/repeats/{possible.id}/reject", data={}).status_code == 403
