"""API tokens, their rate-limit counter, and the telephony provider's call events

``api_tokens`` keeps each token's SHA-256 (never the token) with its scopes; ``api_rate_windows``
counts one token's requests in the current minute; ``call_events`` keeps what a telephony provider
reported (one row per provider call and event), and call attempts get the provider's call id,
the time the customer answered and the seconds they talked.

Revision ID: c41f9a7e2d18
Revises: b7e4d2a19c60
Create Date: 2026-12-05 14:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import console.models.base

revision = "c41f9a7e2d18"
down_revision = "b7e4d2a19c60"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
UTC = console.models.base.UTCDateTime(timezone=True)


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("scopes", JSON, nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_used_at", UTC, nullable=True),
        sa.Column("revoked_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_api_tokens_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_table(
        "api_rate_windows",
        sa.Column("token_id", sa.Integer(), nullable=False),
        sa.Column("window_start", UTC, nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["token_id"], ["api_tokens.id"], name=op.f("fk_api_rate_windows_token_id_api_tokens")
        ),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_api_rate_windows")),
    )
    op.create_table(
        "call_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider_call_id", sa.String(length=128), nullable=False),
        sa.Column("event", sa.String(length=16), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("call_ref", sa.String(length=64), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("duration_seconds", sa.Integer(), nullable=True),
        sa.Column("recording_url", sa.String(length=500), nullable=True),
        sa.Column("attempt_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["attempt_id"],
            ["call_attempts.id"],
            name=op.f("fk_call_events_attempt_id_call_attempts"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_events")),
        sa.UniqueConstraint(
            "provider_call_id", "event", name=op.f("uq_call_events_provider_call_id_event")
        ),
    )
    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.create_index("ix_call_events_attempt", ["attempt_id"], unique=False)

    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("provider_call_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("answered_at", UTC, nullable=True))
        batch_op.add_column(sa.Column("talk_seconds", sa.Integer(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_call_attempts_provider_call_id"), ["provider_call_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("call_attempts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_call_attempts_provider_call_id"))
        batch_op.drop_column("talk_seconds")
        batch_op.drop_column("answered_at")
        batch_op.drop_column("provider_call_id")

    with op.batch_alter_table("call_events", schema=None) as batch_op:
        batch_op.drop_index("ix_call_events_attempt")
    op.drop_table("call_events")
    op.drop_table("api_rate_windows")
    op.drop_table("api_tokens")
