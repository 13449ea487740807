"""Calls keep their order's technician for the KPI: ``responses.technician_id`` and
``ix_responses_technician_kpi`` in place of ``ix_responses_kpi`` and ``ix_orders_id_technician``

Revision ID: f7d2b4c8a6e1
Revises: e5c3a1f7b9d2
Create Date: 2026-12-03

Measured at 5,000,000 answers a month and 1,000 technicians on SQLite, the KPI spent most of
its time finding each call's technician in the orders (a lookup per call) and sorting the calls
by technician. A response now keeps its order's technician (as a complaint does: an order's
technician never changes once stored), and one narrow index gives each technician's calls of
a period as one range, in technician order. Existing responses get it from their order.
"""

import sqlalchemy as sa
from alembic import op

revision = "f7d2b4c8a6e1"
down_revision = "e5c3a1f7b9d2"
branch_labels = None
depends_on = None

responses = sa.table(
    "responses",
    sa.column("order_id", sa.Integer),
    sa.column("technician_id", sa.Integer),
)
orders = sa.table("orders", sa.column("id", sa.Integer), sa.column("technician_id", sa.Integer))


def upgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_id_technician")
    with op.batch_alter_table("responses") as batch:
        batch.drop_index("ix_responses_kpi")
        batch.add_column(sa.Column("technician_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_responses_technician_id_technicians"),
            "technicians",
            ["technician_id"],
            ["id"],
        )
    op.execute(
        responses.update().values(
            technician_id=sa.select(orders.c.technician_id)
            .where(orders.c.id == responses.c.order_id)
            .scalar_subquery()
        )
    )
    with op.batch_alter_table("responses") as batch:
        batch.create_index(
            "ix_responses_technician_kpi",
            ["technician_id", "submitted_at", "score", "score_weight"],
            unique=False,
        )


def downgrade():
    with op.batch_alter_table("responses") as batch:
        batch.drop_index("ix_responses_technician_kpi")
        batch.drop_constraint("fk_responses_technician_id_technicians", type_="foreignkey")
        batch.drop_column("technician_id")
        batch.create_index(
            "ix_responses_kpi", ["submitted_at", "order_id", "score", "score_weight"], unique=False
        )
    with op.batch_alter_table("orders") as batch:
        batch.create_index("ix_orders_id_technician", ["id", "technician_id"], unique=False)
