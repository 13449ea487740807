"""Who can be held responsible for a job: the same choice on the complaint page and in the
repeat-repair review."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from console.models import (
    Client,
    ComplaintSource,
    RepeatRepairSource,
    Role,
    Technician,
    Validity,
    utcnow,
)
from console.services.complaints import detail as complaint_detail
from console.services.complaints import workflow
from console.services.complaints.opening import open_complaint, order_snapshot
from console.services.orders import repeat_repairs


def test_the_visits_technicians_first_then_the_clients_and_independent_ones_by_name(db, make_order):
    first = make_order(completed_at=utcnow() - timedelta(days=3))
    acme = first.client
    other = Client(key="other", name="Other Co")
    db.session.add_all(
        [
            Technician(name="Zoe", client=acme),
            Technician(name="Adam (independent)"),
            Technician(name="Bella", client=other),  # another client's: never offered
        ]
    )
    second = make_order(customer=first.customer)
    repeat_repairs.flag_possible(
        second, source=RepeatRepairSource.BOOKING, repeat_of=first, now=utcnow()
    )
    complaint = open_complaint(
        second,
        category="quality",
        source=ComplaintSource.MANUAL,
        snapshot=order_snapshot(second),
        now=utcnow(),
    )
    db.session.commit()

    def names(technicians):
        return [t.name for t in technicians]

    rest = ["Adam (independent)", "Zoe"]
    assert names(repeat_repairs.responsible_choices(second)) == [
        first.technician.name,
        second.technician.name,
        *rest,
    ]
    # The complaint is about the second visit: its technician first, the rest by name.
    assert names(complaint_detail.technicians_for(complaint)) == [
        second.technician.name,
        "Adam (independent)",
        first.technician.name,
        "Zoe",
    ]


def test_the_complaint_page_offers_and_accepts_only_the_clients_and_independent_technicians(
    app, db, client, login_as, make_user, make_order
):
    qc = make_user(Role.QC, name="Quinn QC")
    order = make_order()
    acme = order.client
    other = Client(key="other-co", name="Other Co")
    db.session.add_all(
        [
            Technician(name="Aaron", client=acme),
            Technician(name="Adam (independent)"),
            Technician(name="Bella", client=other),  # another client's: never offered
        ]
    )
    complaint = open_complaint(
        order,
        category="quality",
        source=ComplaintSource.MANUAL,
        snapshot=order_snapshot(order),
        now=utcnow(),
    )
    workflow.classify(complaint, validity=Validity.VALID, reason="Leak", by=qc, now=utcnow())
    db.session.commit()
    login_as(qc)

    html = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    picker = html[html.index('name="cause-responsible"') :]
    picker = picker[: picker.index("</select>")]
    offered = re.findall(r'value="t:\d+"[^>]*>([^<]+)<', picker)
    assert offered == [order.technician.name, "Aaron", "Adam (independent)"]
    assert "Bella" not in picker

    bella = db.session.scalar(select(Technician).where(Technician.name == "Bella"))
    response = client.post(
        f"/qc/complaints/{complaint.id}/cause",
        data={"cause-cause": "workmanship", "cause-responsible": f"t:{bella.id}"},
        headers={"HX-Request": "true"},
    )
    assert response.status_code == 422  # not one of the choices
    db.session.rollback()
    assert complaint.responsible_technician_id is None
    # The rule itself, for any caller: another client's technician is refused by field.
    with app.test_request_context():
        with pytest.raises(workflow.WorkflowError) as refused:
            workflow.set_cause(
                complaint, cause="workmanship", technician=bella, by=qc, now=utcnow()
            )
        assert refused.value.field == "responsible"
        assert str(refused.value.message) == "This technician works for another client."
