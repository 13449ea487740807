"""index for a client's next call

The start page asks when each client's next pending call falls due; with only (client_id,
status) indexed, that read every pending task (half a second at 100,000 of them).

Revision ID: e3b8c1f07a22
Revises: 7d1e2a9c4b10
Create Date: 2026-12-03 09:10:00

"""

from alembic import op

revision = "e3b8c1f07a22"
down_revision = "7d1e2a9c4b10"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("call_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_call_tasks_client_status")
        batch_op.create_index(
            "ix_call_tasks_client_status_due", ["client_id", "status", "due_at"], unique=False
        )


def downgrade():
    with op.batch_alter_table("call_tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_call_tasks_client_status_due")
        batch_op.create_index("ix_call_tasks_client_status", ["client_id", "status"], unique=False)
