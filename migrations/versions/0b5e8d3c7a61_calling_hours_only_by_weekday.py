"""Calling hours are read only per weekday: the single window every day is dropped

Revision ID: 0b5e8d3c7a61
Revises: f4c1d7a9b2e0
Create Date: 2026-12-03

The claim now reads ``clients.calling_hours`` (weekly windows and holidays,
services/calling_hours.py); the older two columns, filled into it by 4c2a9e71d5b3, go.
"""


import sqlalchemy as sa
from alembic import op

revision = "0b5e8d3c7a61"
down_revision = "f4c1d7a9b2e0"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("calling_hours_start")
        batch.drop_column("calling_hours_end")


def downgrade():
    # Back to one window every day: 09:00-20:00 (the weekly form cannot always be one window).
    with op.batch_alter_table("clients") as batch:
        batch.add_column(
            sa.Column("calling_hours_start", sa.Time(), nullable=False, server_default="09:00:00")
        )
        batch.add_column(
            sa.Column("calling_hours_end", sa.Time(), nullable=False, server_default="20:00:00")
        )
