"""Orders' plate is not indexed: ``ix_orders_vehicle_plate`` dropped

Revision ID: b3e8d1f6a2c9
Revises: f7d2b4c8a6e1
Create Date: 2026-12-03

No query looks orders up by plate: a repeat repair compares the plates of one customer's
orders (found by ``ix_orders_customer_completed``), spelled loosely, in Python. Every order
written paid for the index all the same: 4 us of the ~170 us an imported row took on SQLite
(the import's three INSERTs alone: 53 -> 49 us a row).
"""

from alembic import op

revision = "b3e8d1f6a2c9"
down_revision = "f7d2b4c8a6e1"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_vehicle_plate")


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.create_index("ix_orders_vehicle_plate", ["vehicle_plate"], unique=False)
