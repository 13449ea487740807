"""The QC inbox answered by the database: the name search index follows the customers' names
(however the schema was made), a name is found in every status, the deadline filters and
order are the deadline rule's own SQL, and pages follow that order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from console.models import (
    Complaint,
    ComplaintKind,
    ComplaintSource,
    ComplaintStatus,
    Customer,
    Role,
)
from console.services.complaints import inbox as inbox_queries
from console.services.complaints import sla, workflow
from console.services.complaints.inbox import InboxFilter
from tests.helpers import on_both_databases

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


@pytest.fixture
def add_complaint(db, make_order):
    """A complaint row as the inbox reads it, with its deadline fields as given."""

    def add(order=None, **fields):
        order = order or make_order()
        created = fields.pop("created_at", NOW - timedelta(hours=1))
        complaint = Complaint(
            kind=ComplaintKind.COMPLAINT,
            category=fields.pop("category", "quality"),
            source=ComplaintSource.CALL,
            status=fields.pop("status", ComplaintStatus.NEW),
            order_id=order.id,
            client_id=order.client_id,
            customer_id=order.customer_id,
            snapshot={},
            created_at=created,
            first_answer_due_at=fields.pop("first_answer_due_at", created + timedelta(hours=12)),
            resolution_due_at=fields.pop("resolution_due_at", created + timedelta(days=3)),
            **fields,
        )
        db.session.add(complaint)
        db.session.commit()
        return complaint

    return add


def found(q: str, status: str = "open") -> list[int]:
    page = inbox_queries.inbox_page(InboxFilter(q=q, status=status), me_id=None, now=NOW)
    return [c.id for c in page.items]


@on_both_databases
def test_the_name_search_index_follows_the_customers_names(db, make_order, add_complaint):
    customer = Customer(name="Пётр Сидоров", client=make_order().client)
    db.session.add(customer)
    complaint = add_complaint(make_order(customer=customer))
    # Any part of three letters or more, in any case, Cyrillic too; every word must be there.
    for q in ("сидор", "СИДОРОВ", "идоро", "пётр сидоров", "Сидоров Пётр"):
        assert found(q) == [complaint.id], q
    assert found("петр") == []  # ё is not е
    assert found("Сидоров Иван") == []
    # A renamed customer is found by the new name only.
    customer.name = "Пётр Кузнецов"
    db.session.commit()
    assert found("сидоров") == []
    assert found("кузнец") == [complaint.id]
    # Words under three letters are looked for too, alone or beside longer ones.
    assert found("пё") == [complaint.id]
    assert found("пё кузнецов") == [complaint.id]
    # A customer deleted leaves nothing behind in the index.
    other = Customer(name="Анна Кузнецова", client=customer.client)
    db.session.add(other)
    db.session.commit()
    db.session.delete(other)
    db.session.commit()
    assert found("кузнецова") == []


@on_both_databases
def test_a_name_is_found_in_every_status(db, make_order, add_complaint):
    customer = Customer(name="Oliver Smith", client=make_order().client)
    db.session.add(customer)
    order = make_order(customer=customer)
    open_one = add_complaint(order)
    closed = add_complaint(order, status=ComplaintStatus.CLOSED, resolved_at=NOW, closed_at=NOW)
    assert found("smith") == [open_one.id]  # the open ones by default, as every view
    assert sorted(found("smith", status="all")) == [open_one.id, closed.id]
    assert found("smith", status="closed") == [closed.id]


def test_the_name_search_index_is_there_however_the_schema_was_made(db):
    """The tests' schema comes from the models (``create_all``): the DDL events made the index
    (the migrations' own is checked by tests/models/test_data_layer.py)."""
    inspector = sa.inspect(db.engine)
    assert "customer_name_search" in inspector.get_table_names()
    triggers = db.session.scalars(
        sa.text("SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name")
    ).all()
    assert {"customer_name_search_insert", "customer_name_search_update"} <= set(triggers)


@on_both_databases
def test_a_database_upgraded_in_place_finds_the_customers_it_had(empty_database_url):
    """The migration indexes the names already there (and its downgrade leaves no trace)."""
    from alembic.script import ScriptDirectory
    from flask_migrate import downgrade, upgrade

    from console import create_app
    from console.extensions import db
    from console.models import Client
    from console.services.complaints.inbox.search import customers_named

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": empty_database_url,
            "REDIS_URL": None,
            "SQLALCHEMY_ENGINE_OPTIONS": {},
        }
    )
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        before = script.get_revision("f4c1d7a9b2e0").down_revision
        upgrade()
        client = Client(key="g", name="Garage", timezone="Europe/Moscow")
        db.session.add(Customer(client=client, name="Ирина Волкова"))
        db.session.commit()
        db.session.remove()
        downgrade(revision=before)  # the customer stays, its name unindexed
        upgrade()
        assert len(db.session.scalars(customers_named(["волков"])).all()) == 1
        db.session.remove()
        downgrade(revision="base")
        db.engine.dispose()


@on_both_databases
def test_the_deadline_filters_say_what_the_badge_says(app, db, add_complaint):
    """``sla.overdue_sql`` / ``due_soon_sql`` against ``sla.deadline_state``, complaint by
    complaint, in every state the rule knows."""
    cases = [
        {},  # answer due in 11 h: ok
        {"first_answer_due_at": NOW - timedelta(minutes=1)},  # overdue
        {"first_answer_due_at": NOW + timedelta(minutes=30)},  # due soon
        {"first_answer_due_at": NOW},  # due this very moment: overdue
        {  # answered: the resolution counts
            "first_answer_due_at": NOW - timedelta(hours=5),
            "first_answered_at": NOW - timedelta(hours=6),
            "resolution_due_at": NOW + timedelta(minutes=10),
        },
        {"first_answer_due_at": None, "resolution_due_at": NOW - timedelta(hours=1)},
        {"first_answer_due_at": None, "resolution_due_at": None},  # no deadline at all
        {  # waiting for the customer: paused, though past due
            "status": ComplaintStatus.WAITING_CUSTOMER,
            "sla_paused_at": NOW - timedelta(hours=3),
            "first_answer_due_at": NOW - timedelta(hours=1),
        },
        {"status": ComplaintStatus.WAITING_CUSTOMER, "first_answer_due_at": NOW},  # not stamped
        {"sla_paused_at": NOW, "first_answer_due_at": NOW - timedelta(hours=1)},
        {"resolved_at": NOW, "first_answer_due_at": NOW - timedelta(hours=1)},  # resolved
        {"status": ComplaintStatus.CLOSED, "first_answer_due_at": NOW - timedelta(hours=1)},
        {"status": ComplaintStatus.IN_PROGRESS, "first_answer_due_at": NOW - timedelta(hours=2)},
    ]
    complaints = [add_complaint(**fields) for fields in cases]
    for state, condition in ((sla.OVERDUE, sla.overdue_sql), (sla.DUE_SOON, sla.due_soon_sql)):
        chosen = set(db.session.scalars(sa.select(Complaint.id).where(condition(NOW))))
        expected = {c.id for c in complaints if sla.deadline_state(c, NOW).state == state}
        assert chosen == expected, state
        assert expected  # every state is among the cases


@on_both_databases
def test_the_deadline_order_puts_paused_ones_by_the_time_they_will_have_left(db, add_complaint):
    running = add_complaint(first_answer_due_at=NOW + timedelta(hours=20))
    # Paused long ago with little left; paused just now with more left, due earlier.
    little_left = add_complaint(
        status=ComplaintStatus.WAITING_CUSTOMER,
        sla_paused_at=NOW - timedelta(days=3),
        first_answer_due_at=NOW - timedelta(days=3) + timedelta(hours=1),
    )
    more_left = add_complaint(
        status=ComplaintStatus.WAITING_CUSTOMER,
        sla_paused_at=NOW - timedelta(minutes=5),
        first_answer_due_at=NOW + timedelta(hours=2),
    )
    no_deadline = add_complaint(first_answer_due_at=None, resolution_due_at=None)
    closed = add_complaint(status=ComplaintStatus.CLOSED, resolved_at=NOW, closed_at=NOW)
    expected = [running.id, little_left.id, more_left.id, no_deadline.id, closed.id]
    for per_page in (1, 2, 50):  # the keyset pages cross from one band to the next
        f, seen = InboxFilter(status="all"), []
        while True:
            page = inbox_queries.inbox_page(f, me_id=None, now=NOW, per_page=per_page)
            seen += [c.id for c in page.items]
            if page.next_cursor is None:
                break
            f = InboxFilter(status="all", after=page.next_cursor, start=page.end + 1)
        assert seen == expected, per_page
    newest_first = inbox_queries.inbox_page(
        InboxFilter(status="all", sort="-deadline"), me_id=None, now=NOW
    )
    assert [c.id for c in newest_first.items] == list(reversed(expected))


@on_both_databases
def test_the_deadline_order_and_filters_follow_each_step_of_the_work(db, add_complaint, make_user):
    """Where a complaint stands is kept with it: waiting for the customer takes it out of the
    overdue ones and after every running clock, the customer's return puts it back, and the
    first answer moves it on to its resolution deadline."""
    qc = make_user(Role.QC)
    late = add_complaint(first_answer_due_at=NOW - timedelta(hours=1))
    soon = add_complaint(first_answer_due_at=NOW + timedelta(hours=1))
    later = add_complaint(first_answer_due_at=NOW + timedelta(hours=2))

    def by_deadline(deadline=None):
        f = InboxFilter(status="open", deadline=deadline)
        return [c.id for c in inbox_queries.inbox_page(f, me_id=None, now=NOW).items]

    assert by_deadline() == [late.id, soon.id, later.id]
    assert by_deadline("overdue") == [late.id]

    workflow.wait_for_customer(late, by=qc, now=NOW)
    db.session.commit()
    assert by_deadline() == [soon.id, later.id, late.id]
    assert by_deadline("overdue") == []

    workflow.resume(late, by=qc, now=NOW)
    db.session.commit()
    assert by_deadline() == [late.id, soon.id, later.id]
    assert by_deadline("overdue") == [late.id]

    assert soon.id in by_deadline("due_soon")
    workflow.log_contact(soon, summary="Called back", by=qc, now=NOW)
    db.session.commit()
    assert by_deadline() == [late.id, later.id, soon.id]  # now due in three days
    assert soon.id not in by_deadline("due_soon")


@on_both_databases
def test_counts_and_totals_come_from_one_statement_over_the_open_complaints(
    db, make_order, make_user, add_complaint
):
    from console.models import Role

    colleague = make_user(Role.QC)
    order = make_order()
    add_complaint(order, first_answer_due_at=NOW - timedelta(hours=1))  # overdue, unassigned
    add_complaint(order, assignee_id=colleague.id, category="price")
    add_complaint(
        order, status=ComplaintStatus.IN_PROGRESS, first_answer_due_at=NOW + timedelta(minutes=5)
    )
    add_complaint(order, status=ComplaintStatus.CLOSED, resolved_at=NOW, closed_at=NOW)
    f = InboxFilter(category="quality")
    found_ = inbox_queries.inbox(f, me_id=colleague.id, now=NOW)
    counts = found_.counts
    assert found_.page.total == counts.total == 2
    assert counts.status == {"new": 1, "in_progress": 1, "waiting_customer": 0, "open": 2}
    assert counts.get("category", "price") == 1  # its own choice ignored
    assert counts.get("deadline", "overdue") == 1 and counts.get("deadline", "due_soon") == 1
    assert counts.get("assignee", "none") == 2 and counts.get("assignee", "me") == 0
    overdue = inbox_queries.inbox(InboxFilter(deadline="overdue"), me_id=None, now=NOW)
    assert overdue.page.total == 1 and overdue.counts.get("category", "price") == 0
