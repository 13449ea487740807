"""the QC inbox on indexes

The inbox filters, counts, sorts and pages its complaints in SQL instead of a copy of the open
ones kept in each process: a covering index of the open complaints' filter and deadline fields,
the archive by number, every status by age; and a name search index on customers.name (FTS5
with the trigram tokenizer on SQLite, kept in step by triggers; pg_trgm's GIN index on
PostgreSQL). The DDL of the name search is the one of console/models/customers.py, as it was
when this migration was written.

Revision ID: f4c1d7a9b2e0
Revises: 8f3b6c2d9e41
Create Date: 2026-12-03 15:20:00

"""

from alembic import op

revision = "f4c1d7a9b2e0"
down_revision = "8f3b6c2d9e41"
branch_labels = None
depends_on = None

INBOX_COLUMNS = [
    "status",
    "category",
    "client_id",
    "assignee_id",
    "kind",
    "first_answer_due_at",
    "first_answered_at",
    "resolution_due_at",
    "resolved_at",
    "sla_paused_at",
    "id",
]

NAME_SEARCH_SQLITE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS customer_name_search USING fts5(name, tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS customer_name_search_insert AFTER INSERT ON customers BEGIN"
    " INSERT INTO customer_name_search (rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER IF NOT EXISTS customer_name_search_update AFTER UPDATE OF name ON customers"
    " BEGIN UPDATE customer_name_search SET name = new.name WHERE rowid = old.id; END",
    "CREATE TRIGGER IF NOT EXISTS customer_name_search_delete AFTER DELETE ON customers BEGIN"
    " DELETE FROM customer_name_search WHERE rowid = old.id; END",
    # The customers there already.
    "INSERT INTO customer_name_search (rowid, name) SELECT id, name FROM customers",
)
# pg_trgm is a trusted extension (PostgreSQL 13+): the owner of the database may create it.
NAME_SEARCH_POSTGRESQL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS ix_customers_name_trgm ON customers USING gin (name gin_trgm_ops)",
)


def upgrade():
    op.create_index("ix_complaints_inbox", "complaints", INBOX_COLUMNS, unique=False)
    op.create_index("ix_complaints_status_id", "complaints", ["status", "id"], unique=False)
    op.create_index("ix_complaints_created", "complaints", ["created_at", "id"], unique=False)
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in NAME_SEARCH_SQLITE:
            op.execute(statement)
    elif dialect == "postgresql":
        for statement in NAME_SEARCH_POSTGRESQL:
            op.execute(statement)


def downgrade():
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for trigger in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS customer_name_search_{trigger}")
        op.execute("DROP TABLE IF EXISTS customer_name_search")
    elif dialect == "postgresql":
        # The extension stays: other databases' objects, or the owner's, may use it.
        op.execute("DROP INDEX IF EXISTS ix_customers_name_trgm")
    op.drop_index("ix_complaints_created", table_name="complaints")
    op.drop_index("ix_complaints_status_id", table_name="complaints")
    op.drop_index("ix_complaints_inbox", table_name="complaints")
