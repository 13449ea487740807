"""Complaint attachments (issue 13, QC)

Revision ID: b2d5f8c3e0a4
Revises: a1c4e7b2d9f3
Create Date: 2026-12-04

``complaint_attachments``: a file added to a complaint (a customer's photo, a PDF): its name as
given, its type as its content showed, its size and SHA-256, where the attachment store keeps it
(a random key), who added it and when, and who removed it from the page and when (the row and
the file stay).
"""

import sqlalchemy as sa
from alembic import op

import console.models.base

revision = "b2d5f8c3e0a4"
down_revision = "a1c4e7b2d9f3"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "complaint_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage", sa.String(length=16), nullable=False),
        sa.Column("storage_key", sa.String(length=255), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", console.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("removed_at", console.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("removed_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["complaint_id"],
            ["complaints.id"],
            name=op.f("fk_complaint_attachments_complaint_id_complaints"),
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_complaint_attachments_uploaded_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["removed_by_id"],
            ["users.id"],
            name=op.f("fk_complaint_attachments_removed_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_complaint_attachments")),
        sa.UniqueConstraint(
            "storage_key", name=op.f("uq_complaint_attachments_storage_key")
        ),
    )
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_complaint_attachments_complaint_id"), ["complaint_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("complaint_attachments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_complaint_attachments_complaint_id"))
    op.drop_table("complaint_attachments")
