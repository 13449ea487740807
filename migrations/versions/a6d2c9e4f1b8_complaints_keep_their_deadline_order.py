"""Complaints keep where they stand: the running deadline and the deadline order, indexed

Revision ID: a6d2c9e4f1b8
Revises: 0b5e8d3c7a61
Create Date: 2026-12-03

The inbox filtered and sorted by an expression over six columns, computed for every open
complaint on every request. ``deadline_at`` (the next deadline while its clock runs) and
``deadline_rank`` (the deadline order) are now written with each complaint by the deadline
rule (console/services/complaints/sla.py, ``deadline_order``) and indexed. Existing rows are
filled here by the rule as it reads at this revision.
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "a6d2c9e4f1b8"
down_revision = "0b5e8d3c7a61"
branch_labels = None
depends_on = None

OPEN = ("new", "in_progress", "waiting_customer")
CLOCK_RUNS = ("new", "in_progress")
PAUSED_BAND = 95_617_584_000
NO_DEADLINE = 253_402_214_400
OLD_INBOX_COLUMNS = [
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
INBOX_COLUMNS = ["status", "category", "client_id", "assignee_id", "kind", "deadline_at", "id"]

complaints = sa.table(
    "complaints",
    sa.column("id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("first_answer_due_at", sa.DateTime(timezone=True)),
    sa.column("first_answered_at", sa.DateTime(timezone=True)),
    sa.column("resolution_due_at", sa.DateTime(timezone=True)),
    sa.column("resolved_at", sa.DateTime(timezone=True)),
    sa.column("sla_paused_at", sa.DateTime(timezone=True)),
    sa.column("deadline_at", sa.DateTime(timezone=True)),
    sa.column("deadline_rank", sa.BigInteger),
)


def _aware(value):
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def _order(row, now: datetime):
    status, answer_due, answered, resolution_due, resolved, paused_at = (
        row.status,
        _aware(row.first_answer_due_at),
        _aware(row.first_answered_at),
        _aware(row.resolution_due_at),
        _aware(row.resolved_at),
        _aware(row.sla_paused_at),
    )
    due = None
    if status in OPEN and resolved is None:
        due = answer_due if answered is None and answer_due is not None else resolution_due
    if due is None:
        return None, NO_DEADLINE
    if status in CLOCK_RUNS and paused_at is None:
        return due, int(due.timestamp())
    paused_at = paused_at or now
    return None, PAUSED_BAND + int(due.timestamp()) - int(paused_at.timestamp())


def upgrade():
    bind = op.get_bind()
    sqlite = bind.dialect.name == "sqlite"
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("deadline_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column("deadline_rank", sa.BigInteger(), nullable=False, server_default="0")
        )
    now = datetime.now(UTC)
    # Finished complaints (most of them) have no deadline: one statement.
    op.execute(
        complaints.update()
        .where(complaints.c.status.not_in(OPEN))
        .values(deadline_rank=NO_DEADLINE)
    )
    rows = bind.execute(
        sa.select(
            complaints.c.id,
            complaints.c.status,
            complaints.c.first_answer_due_at,
            complaints.c.first_answered_at,
            complaints.c.resolution_due_at,
            complaints.c.resolved_at,
            complaints.c.sla_paused_at,
        ).where(complaints.c.status.in_(OPEN))
    ).all()
    for row in rows:
        deadline_at, rank = _order(row, now)
        if sqlite and deadline_at is not None:
            deadline_at = deadline_at.astimezone(UTC).replace(tzinfo=None)
        bind.execute(
            complaints.update()
            .where(complaints.c.id == row.id)
            .values(deadline_at=deadline_at, deadline_rank=rank)
        )
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column("deadline_rank", server_default=None)
        batch.drop_index("ix_complaints_inbox")
        batch.create_index("ix_complaints_inbox", INBOX_COLUMNS, unique=False)
        batch.create_index("ix_complaints_deadline_rank", ["deadline_rank", "id"], unique=False)
        batch.create_index("ix_complaints_deadline_at", ["deadline_at"], unique=False)


def downgrade():
    with op.batch_alter_table("complaints") as batch:
        batch.drop_index("ix_complaints_deadline_at")
        batch.drop_index("ix_complaints_deadline_rank")
        batch.drop_index("ix_complaints_inbox")
        batch.create_index("ix_complaints_inbox", OLD_INBOX_COLUMNS, unique=False)
        batch.drop_column("deadline_rank")
        batch.drop_column("deadline_at")
