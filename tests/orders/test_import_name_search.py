"""Customers an import brings in are found by the inbox's name search (on SQLite the import
fills the index itself, its trigger standing down meanwhile), and so is every customer added
after it."""

from __future__ import annotations

import sqlalchemy as sa

from console.models import Customer
from console.services.complaints.inbox.search import customers_named
from console.services.orders import imports
from tests.helpers import on_both_databases
from tests.orders.conftest import day

HEADER = "client,external_id,customer_name,phone,work_type,amount,completed_at"


def named(db, *words: str) -> set[str]:
    ids = db.session.scalars(customers_named(list(words))).all()
    return set(db.session.scalars(sa.select(Customer.name).where(Customer.id.in_(ids))))


@on_both_databases
def test_imported_customers_and_those_added_later_are_found_by_name(db, garage, write_file):
    path = write_file(
        HEADER,
        f"garage,Y-1,Пётр Сидоров,+79120000001,oil,100,{day(3)}",
        f"garage,Y-2,Анна Сидорова,+79120000002,oil,100,{day(3)}",
        f"garage,Y-3,Oliver Smith,+79120000003,oil,100,{day(2)}",
        f"garage,Y-4,Пётр Сидоров,+79120000001,oil,100,{day(1)}",  # the same customer again
    )
    imports.import_path(path, batch_size=2)
    assert named(db, "сидоров") == {"Пётр Сидоров", "Анна Сидорова"}
    assert named(db, "SMITH") == {"Oliver Smith"}

    db.session.add(Customer(name="Мария Сидоренко", client=garage))
    db.session.commit()
    assert named(db, "сидор") == {"Пётр Сидоров", "Анна Сидорова", "Мария Сидоренко"}
