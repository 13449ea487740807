"""Script questions have a role in the reports: ``recommend`` (0-10) or ``satisfaction``

Revision ID: d4b7e2a9c1f6
Revises: c8e1f5a3d7b2
Create Date: 2026-12-04

Reports → Overview counts NPS over the answers to the questions a script marks "recommend"
and CSAT over those marked "satisfaction" (a scale). Existing questions have no role.
"""

import sqlalchemy as sa
from alembic import op

revision = "d4b7e2a9c1f6"
down_revision = "c8e1f5a3d7b2"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("script_questions") as batch:
        batch.add_column(sa.Column("role", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("script_questions") as batch:
        batch.drop_column("role")
