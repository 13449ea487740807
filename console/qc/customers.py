"""The customer page (orders, calls, complaints; "complains often") and the list of customers who
complain often (DOMAIN.md, 002). The counting rules are in ``services.customers``."""

from __future__ import annotations

from flask import abort, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from console.access import roles_required
from console.extensions import db
from console.ids import db_id
from console.labels import CALL_OUTCOMES
from console.models import Customer, Role, utcnow
from console.qc import bp
from console.qc.repeat_forms import cause_label
from console.services import catalog
from console.services import customers as customer_service


@bp.get("/customers/<int:customer_id>")
@roles_required(Role.QC, Role.SUPERVISOR)
def customer_page(customer_id: int):
    customer = db.session.scalar(
        select(Customer)
        .options(joinedload(Customer.client), selectinload(Customer.phones))
        .where(Customer.id == customer_id)
    )
    if customer is None:
        abort(404)
    now = utcnow()
    return render_template(
        "qc/customer.html",
        customer=customer,
        history=customer_service.customer_history(customer.id),
        stats=customer_service.complaint_stats(customer, now),
        cause_label=cause_label,
        outcome_name=lambda outcome: CALL_OUTCOMES.get(outcome, outcome),
    )


@bp.get("/customers/frequent")
@roles_required(Role.QC, Role.SUPERVISOR)
def frequent_complainers():
    """Customers at or above the threshold in the window, the most complaints first."""
    client_id = request.args.get("client", type=db_id)
    return render_template(
        "qc/frequent_complainers.html",
        rows=customer_service.frequent_complainers(client_id=client_id, now=utcnow()),
        clients=catalog.clients(),
        client_id=client_id,
    )
