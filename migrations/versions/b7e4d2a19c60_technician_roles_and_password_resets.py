"""technician roles and password reset links

Technicians get a role (``mechanic``, or ``shop_master``: the one who answers for a workshop's
work, DOMAIN.md 000); every technician stored so far is a mechanic. Admins can give a user a
one-time link to set a new password: ``password_resets`` keeps a hash of each link's token.

Revision ID: b7e4d2a19c60
Revises: 4c2a9e71d5b3
Create Date: 2026-12-05 12:00:00

"""

import sqlalchemy as sa
from alembic import op

import console.models.base

revision = "b7e4d2a19c60"
down_revision = "4c2a9e71d5b3"
branch_labels = None
depends_on = None

ROLE = sa.Enum("mechanic", "shop_master", name="technicianrole", native_enum=False, length=16)


def upgrade():
    with op.batch_alter_table("technicians", schema=None) as batch_op:
        batch_op.add_column(sa.Column("role", ROLE, nullable=False, server_default="mechanic"))
    with op.batch_alter_table("technicians", schema=None) as batch_op:
        batch_op.alter_column("role", existing_type=ROLE, server_default=None)

    op.create_table(
        "password_resets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", console.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("expires_at", console.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", console.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", console.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_password_resets_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_password_resets_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_password_resets")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_password_resets_token_hash")),
    )
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_password_resets_user_id"), ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("password_resets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_password_resets_user_id"))
    op.drop_table("password_resets")
    with op.batch_alter_table("technicians", schema=None) as batch_op:
        batch_op.drop_column("role")
