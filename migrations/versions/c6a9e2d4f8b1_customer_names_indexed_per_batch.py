"""Customer names can be indexed per batch on SQLite: ``customer_name_search_paused`` and an
insert trigger that stands down while it holds a row

Revision ID: c6a9e2d4f8b1
Revises: b3e8d1f6a2c9
Create Date: 2026-12-03

The order import inserts its new customers a thousand at a time and fills the name search
index for them in one ``INSERT ... SELECT``; the trigger, row by row, cost 12 us of the ~165 us
an imported row took on SQLite. Every other writer is indexed by the trigger as before: the
table holds a row only inside the import's own transaction (console/models/customers.py). The
DDL is the one of console/models/customers.py as this migration was written. PostgreSQL's
index is kept by PostgreSQL itself: nothing changes there.
"""

from alembic import op

revision = "c6a9e2d4f8b1"
down_revision = "b3e8d1f6a2c9"
branch_labels = None
depends_on = None

OLD_TRIGGER = (
    "CREATE TRIGGER customer_name_search_insert AFTER INSERT ON customers BEGIN"
    " INSERT INTO customer_name_search (rowid, name) VALUES (new.id, new.name); END"
)
NEW_TRIGGER = (
    "CREATE TRIGGER customer_name_search_insert AFTER INSERT ON customers"
    " WHEN NOT EXISTS (SELECT 1 FROM customer_name_search_paused) BEGIN"
    " INSERT INTO customer_name_search (rowid, name) VALUES (new.id, new.name); END"
)


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE customer_name_search_paused (paused INTEGER NOT NULL)")
    op.execute("DROP TRIGGER IF EXISTS customer_name_search_insert")
    op.execute(NEW_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER IF EXISTS customer_name_search_insert")
    op.execute(OLD_TRIGGER)
    op.execute("DROP TABLE customer_name_search_paused")
