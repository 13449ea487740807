"""Saved inbox views and who has a complaint open (issue 13, QC)

Revision ID: d4f7b0e5a2c6
Revises: c3e6a9d4f1b5
Create Date: 2026-12-04

``saved_inbox_views``: a person's named filter and sort of the QC inbox (its query string as
JSON), shared with the team by a supervisor. ``complaint_viewers``: who has a complaint page
open, one row per person and complaint, refreshed by the page's poll and deleted by
housekeeping once old.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text  # noqa: F401  (autogenerate writes JSONB(astext_type=Text()))
from sqlalchemy.dialects import postgresql

import console.models.base  # noqa: F401  (column types of our own)

revision = "d4f7b0e5a2c6"
down_revision = "c3e6a9d4f1b5"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "saved_inbox_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "query",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", console.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_saved_inbox_views_owner_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_inbox_views")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_saved_inbox_views_owner_id_name")),
    )
    with op.batch_alter_table("saved_inbox_views", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_saved_inbox_views_shared"), ["shared"], unique=False
        )

    op.create_table(
        "complaint_viewers",
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("since", console.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", console.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("typing_at", console.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_viewers_complaint_id_complaints"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_complaint_viewers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("complaint_id", "user_id", name=op.f("pk_complaint_viewers")),
    )
    with op.batch_alter_table("complaint_viewers", schema=None) as batch_op:
        batch_op.create_index("ix_complaint_viewers_seen_at", ["seen_at"], unique=False)


def downgrade():
    with op.batch_alter_table("complaint_viewers", schema=None) as batch_op:
        batch_op.drop_index("ix_complaint_viewers_seen_at")
    op.drop_table("complaint_viewers")

    with op.batch_alter_table("saved_inbox_views", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_inbox_views_shared"))
    op.drop_table("saved_inbox_views")
