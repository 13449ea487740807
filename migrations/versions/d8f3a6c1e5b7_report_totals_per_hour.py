"""Running totals for Reports → Overview: ``report_hours`` (sums per UTC hour, client and work
type) and ``report_stale_hours`` (hours to count again)

Revision ID: d8f3a6c1e5b7
Revises: c6a9e2d4f8b1
Create Date: 2026-12-04

Every hour that already has an order completed or a call submitted is marked stale, so the
periodic job (console/jobs/reports.py) counts the existing data, newest hours first;
``flask reports recount`` does it at once. The complaints' figures of the overview read an
index of their own, ``ix_complaints_reports``.
"""

import sqlalchemy as sa
from alembic import op

from console.models.base import UTCDateTime

revision = "d8f3a6c1e5b7"
down_revision = "c6a9e2d4f8b1"
branch_labels = None
depends_on = None

FIGURES = (
    "calls",
    "scored",
    "dissatisfied",
    "recommend_answers",
    "promoters",
    "detractors",
    "satisfaction_answers",
    "satisfied",
    "orders",
    "repeat_repairs",
    "with_task",
    "reached",
    "surveyed",
    "with_complaint",
    "resolved",
)


def upgrade():
    op.create_table(
        "report_hours",
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("clients.id"), nullable=False),
        sa.Column("work_type_id", sa.Integer(), sa.ForeignKey("work_types.id"), nullable=False),
        sa.Column("score_sum", sa.Numeric(14, 2), nullable=False),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in FIGURES),
        sa.PrimaryKeyConstraint("hour", "client_id", "work_type_id"),
    )
    op.create_table(
        "report_stale_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("marked_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_report_stale_hours_hour", "report_stale_hours", ["hour"])
    op.create_index(
        "ix_complaints_reports",
        "complaints",
        [
            "created_at",
            "kind",
            "status",
            "category",
            "cause_category",
            "first_answer_due_at",
            "first_answered_at",
            "client_id",
            "technician_id",
        ],
    )
    if op.get_bind().dialect.name == "sqlite":
        hour = "CAST(strftime('%s', {}) AS INTEGER) / 3600"
        now = "strftime('%Y-%m-%d %H:%M:%S', 'now') || '.000000'"
    else:
        hour = "CAST(floor(extract(epoch FROM {}) / 3600) AS INTEGER)"
        now = "now()"
    op.execute(
        f"INSERT INTO report_stale_hours (hour, marked_at)"
        f" SELECT hour, {now} FROM ("
        f" SELECT {hour.format('completed_at')} AS hour FROM orders"
        f" UNION SELECT {hour.format('submitted_at')} FROM responses) AS hours"
    )


def downgrade():
    op.drop_index("ix_complaints_reports", table_name="complaints")
    op.drop_table("report_stale_hours")
    op.drop_table("report_hours")
