"""One money format per language, Babel's, on every page that shows money: the same amount
reads the same on the complaint page (the order, the customer's history, the timeline), on the
customer's page and in the technicians' charges (Reports -> Technicians)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from console.models import ActionKind, Client, Role, Validity, utcnow
from console.money import format_money
from console.services.complaints import workflow
from tests.conftest import PASSWORD
from tests.qc import complaint_fixtures

open_complaint = complaint_fixtures.open_complaint

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("locale", "shown"),
    [("en", "£138.50"), ("ru", f"138,50{NBSP}£")],
)
def test_the_same_amount_reads_the_same_on_every_page(
    app, db, client, login_as, make_user, make_order, open_complaint, locale, shown
):
    uk = Client(key="uk", name="London Motors", currency="GBP", timezone="Europe/London")
    db.session.add(uk)
    order = make_order(client=uk, amount=Decimal("138.50"))
    complaint = open_complaint(order=order)
    qc = make_user(Role.QC, locale=locale)
    now = utcnow()
    workflow.classify(complaint, validity=Validity.VALID, reason="Leak", by=qc, now=now)
    workflow.set_cause(complaint, cause="workmanship", technician=order.technician, by=qc, now=now)
    workflow.add_action(complaint, kind=ActionKind.FINE, amount=Decimal("138.50"), by=qc, now=now)
    db.session.commit()
    with app.test_request_context():
        assert format_money(Decimal("138.5"), "GBP", locale=locale) == shown

    login_as(qc)
    page = client.get(f"/qc/complaints/{complaint.id}").get_data(as_text=True)
    # The order's amount, the customer's history, the fine in the timeline and under Action.
    assert page.count(shown) >= 4, page
    customer = client.get(f"/qc/customers/{order.customer_id}").get_data(as_text=True)
    assert shown in customer
    for other in ("138,5 GBP", "138.5 GBP", "GBP138", "138,50 GBP"):
        assert other not in page and other not in customer

    supervisor = make_user(Role.SUPERVISOR, locale=locale)
    reader = app.test_client()
    reader.post("/login", data={"email": supervisor.email, "password": PASSWORD})
    first, last = (now.date() + timedelta(days=d) for d in (-1, 1))  # any viewer's zone
    report = reader.get(f"/reports/technicians?from={first}&to={last}").get_data(as_text=True)
    assert order.technician.name in report
    assert shown in report  # the fines charged to the technician


@pytest.mark.parametrize(
    ("currency", "locale", "shown"),
    [
        ("RUB", "en", f"RUB{NBSP}5,650.00"),  # a code of letters keeps off the digits
        ("RUB", "en", f"-RUB{NBSP}3.00"),
        ("RUB", "ru", f"5{NBSP}650,00{NBSP}₽"),
        ("KZT", "ru", f"5{NBSP}650,00{NBSP}KZT"),
        ("GBP", "en", "£5,650.00"),  # a sign stays next to them
    ],
)
def test_a_currency_code_is_spaced_from_the_amount(app, currency, locale, shown):
    amount = Decimal("-3") if shown.startswith("-") else Decimal("5650")
    with app.test_request_context():
        assert format_money(amount, currency, locale=locale) == shown
