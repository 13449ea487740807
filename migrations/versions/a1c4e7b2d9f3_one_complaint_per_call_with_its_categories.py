"""One complaint per call with its categories (issue 13, QC)

Revision ID: a1c4e7b2d9f3
Revises: d8f3a6c1e5b7
Create Date: 2026-12-04

``complaint_categories``: every category a complaint is about, each counted in the reports and
each with its own valid/invalid decision where QC gave one (NULL: the complaint's). Every
existing complaint gets one row, its own category; tickets opened by one call before this change
stay as they are (they are not merged).
"""

import sqlalchemy as sa
from alembic import op

revision = "a1c4e7b2d9f3"
down_revision = "d8f3a6c1e5b7"
branch_labels = None
depends_on = None

# ix_complaints_reports after its kind (d8f3a6c1e5b7 put created_at first).
REPORT_COLUMNS = (
    "created_at",
    "status",
    "category",
    "cause_category",
    "first_answer_due_at",
    "first_answered_at",
    "client_id",
    "technician_id",
)


def upgrade():
    op.create_table(
        "complaint_categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=64), nullable=False),
        sa.Column("question_key", sa.String(length=64), nullable=True),
        sa.Column(
            "validity",
            sa.Enum("valid", "invalid", name="validity", native_enum=False, length=16),
            nullable=True,
        ),
        sa.Column("validity_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_categories_complaint_id_complaints"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_categories")),
        sa.UniqueConstraint(
            "complaint_id", "category", name=op.f("uq_complaint_categories_complaint_id_category")
        ),
    )
    op.create_index(
        op.f("ix_complaint_categories_complaint_id"),
        "complaint_categories",
        ["complaint_id"],
        unique=False,
    )
    op.create_index(
        "ix_complaint_categories_category",
        "complaint_categories",
        ["category", "complaint_id"],
        unique=False,
    )
    # Reports → Overview joins a period's complaints to their other categories: its index leads
    # with the kind every figure asks for, so the join is planned along the period's range.
    op.drop_index("ix_complaints_reports", table_name="complaints")
    op.create_index("ix_complaints_reports", "complaints", ["kind", *REPORT_COLUMNS])
    # One row per existing complaint: its own category, decided as the complaint is.
    op.execute(
        "INSERT INTO complaint_categories (complaint_id, category) "
        "SELECT id, category FROM complaints ORDER BY id"
    )


def downgrade():
    op.drop_index("ix_complaints_reports", table_name="complaints")
    op.create_index("ix_complaints_reports", "complaints", [*REPORT_COLUMNS[:1], "kind", *REPORT_COLUMNS[1:]])
    op.drop_index("ix_complaint_categories_category", table_name="complaint_categories")
    op.drop_index(op.f("ix_complaint_categories_complaint_id"), table_name="complaint_categories")
    op.drop_table("complaint_categories")
