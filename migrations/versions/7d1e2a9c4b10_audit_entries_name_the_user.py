"""audit entries of pauses, resumes and sign-outs name the user

They were recorded with the signed-in user's proxy object, whose class name (LocalProxy) was
stored as the entity type. Every such row is about a user.

Revision ID: 7d1e2a9c4b10
Revises: 5c6f54453ac9
Create Date: 2026-12-03 08:45:00

"""
from alembic import op

revision = "7d1e2a9c4b10"
down_revision = "5c6f54453ac9"
branch_labels = None
depends_on = None


def upgrade():
    op.execute("UPDATE audit_log SET entity_type = 'User' WHERE entity_type = 'LocalProxy'")


def downgrade():
    pass  # the old name said nothing: there is nothing to restore
