"""Who can be held responsible for a job: the same choice on the complaint page and in the
repeat-repair review."""

from __future__ import annotations

from datetime import timedelta

from console.models import Client, ComplaintSource, RepeatRepairSource, Technician, utcnow
from console.services.complaints import detail as complaint_detail
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
