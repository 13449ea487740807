"""Email to the customer from the ticket (templates per client and language) and canned replies (issue 13, QC)

Revision ID: c3e6a9d4f1b5
Revises: b2d5f8c3e0a4
Create Date: 2026-12-04

``customer_email_templates``: a client's email to its customers per language (none: the
console's default text). ``customer_emails``: each email QC sent from a complaint, with its
delivery and the contact event it was logged as; ``send_key`` is unique so a double-clicked
send is saved once. ``canned_replies``: ready texts for the complaint page. The new
notification kind ``customer_email`` fits the existing kind columns (strings of 16, no check
constraint): nothing to change there.
"""

import sqlalchemy as sa
from alembic import op

import console.models.base

revision = "c3e6a9d4f1b5"
down_revision = "b2d5f8c3e0a4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "customer_email_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "updated_at", console.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_customer_email_templates_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"],
            ["users.id"],
            name=op.f("fk_customer_email_templates_updated_by_id_users"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_email_templates")),
        sa.UniqueConstraint(
            "client_id", "locale", name=op.f("uq_customer_email_templates_client_id_locale")
        ),
    )
    op.create_table(
        "customer_emails",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("send_key", sa.String(length=64), nullable=False),
        sa.Column("complaint_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("delivery_id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=True),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("target", sa.String(length=254), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("sent_by_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at", console.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.ForeignKeyConstraint(
            ["complaint_id"], ["complaints.id"], name=op.f("fk_customer_emails_complaint_id_complaints")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_emails_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["delivery_id"],
            ["notification_deliveries.id"],
            name=op.f("fk_customer_emails_delivery_id_notification_deliveries"),
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["complaint_events.id"],
            name=op.f("fk_customer_emails_event_id_complaint_events"),
        ),
        sa.ForeignKeyConstraint(
            ["sent_by_id"], ["users.id"], name=op.f("fk_customer_emails_sent_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_emails")),
        sa.UniqueConstraint("send_key", name=op.f("uq_customer_emails_send_key")),
    )
    op.create_index(
        op.f("ix_customer_emails_complaint_id"), "customer_emails", ["complaint_id"], unique=False
    )
    op.create_table(
        "canned_replies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("locale", sa.String(length=8), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "updated_at", console.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column("updated_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name=op.f("fk_canned_replies_client_id_clients")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by_id"], ["users.id"], name=op.f("fk_canned_replies_updated_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_canned_replies")),
    )
    op.create_index(
        "ix_canned_replies_active_position", "canned_replies", ["active", "position"], unique=False
    )


def downgrade():
    op.drop_index("ix_canned_replies_active_position", table_name="canned_replies")
    op.drop_table("canned_replies")
    op.drop_index(op.f("ix_customer_emails_complaint_id"), table_name="customer_emails")
    op.drop_table("customer_emails")
    op.drop_table("customer_email_templates")
