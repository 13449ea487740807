"""Complaints know when they last changed: ``updated_at``, indexed

Revision ID: c8e1f5a3d7b2
Revises: a6d2c9e4f1b8
Create Date: 2026-12-03

``GET /api/v1/complaints?updated_since=`` found a complaint's latest change by reading its
timeline for every complaint. The time is now kept on the complaint (opened, or a line added
to its timeline) and indexed; existing rows get their latest timeline line's time.
"""

import sqlalchemy as sa
from alembic import op

revision = "c8e1f5a3d7b2"
down_revision = "a6d2c9e4f1b8"
branch_labels = None
depends_on = None

complaints = sa.table(
    "complaints", sa.column("id"), sa.column("created_at"), sa.column("updated_at")
)
events = sa.table("complaint_events", sa.column("complaint_id"), sa.column("at"))


def upgrade():
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(sa.Column("updated_at", sa.DateTime(timezone=True), nullable=True))
    latest = (
        sa.select(sa.func.max(events.c.at))
        .where(events.c.complaint_id == complaints.c.id)
        .scalar_subquery()
    )
    op.execute(
        complaints.update().values(updated_at=sa.func.coalesce(latest, complaints.c.created_at))
    )
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column("updated_at", nullable=False)
        batch.create_index("ix_complaints_updated_at", ["updated_at"], unique=False)


def downgrade():
    with op.batch_alter_table("complaints") as batch:
        batch.drop_index("ix_complaints_updated_at")
        batch.drop_column("updated_at")
