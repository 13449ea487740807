"""Rows of one batch that depend on an earlier row of it (services/orders/imports.py: rounds)
end up as if the rows had been recorded one at a time, in the file's order."""

from __future__ import annotations

from sqlalchemy import select

from console.models import Order
from console.services.orders import imports
from tests.helpers import on_both_databases
from tests.orders.conftest import count, day

HEADER = "client,external_id,customer_name,phone,work_type,amount,completed_at,vehicle_plate"


def stored(db) -> dict[str, Order]:
    db.session.expire_all()
    return {o.external_id: o for o in db.session.scalars(select(Order))}


@on_both_databases
def test_a_row_without_a_name_finds_the_customer_an_earlier_row_of_the_batch_made(
    db, garage, write_file
):
    path = write_file(
        HEADER,
        f"garage,W-1,Ivan Petrov,+79120000001,oil,100,{day(9)},A123BC77",
        f"garage,W-2,,8 912 000-00-01,oil,100,{day(2)},A123BC77",
    )
    report = imports.import_path(path)
    assert (report.created, report.rejected_rows, report.repeat_repairs) == (2, 0, 1)
    orders = stored(db)
    assert orders["W-2"].customer == orders["W-1"].customer
    assert orders["W-2"].repeat_of == orders["W-1"]


@on_both_databases
def test_an_order_number_whose_first_row_was_rejected_goes_in_with_its_next_row(
    db, garage, write_file
):
    path = write_file(
        HEADER,
        f"garage,X-1,,+79120000001,oil,100,{day(3)},",  # a new customer without a name
        f"garage,X-1,Olga,+79120000002,oil,100,{day(3)},",
        f"garage,X-1,Anna,+79120000003,oil,100,{day(3)},",
    )
    report = imports.import_path(path)
    assert report.errors == ["line 2, customer_name: a new customer needs a name"]
    assert (report.created, report.existing) == (1, 1)
    assert stored(db)["X-1"].customer.name == "Olga"
    assert count(db, Order) == 1
