"""Technicians' KPI: clients' repeat-repair bonus tiers, and responses keep the weight their
score is out of (``clients.repeat_bonus_tiers``, ``responses.score_weight``; the indexes
``ix_responses_kpi`` and ``ix_orders_id_technician``)

Revision ID: e5c3a1f7b9d2
Revises: d4b7e2a9c1f6
Create Date: 2026-12-03

The KPI pays a repeat-repair bonus by tier (DOMAIN.md, 000): per role, the percent for 0, 1,
... confirmed repeat repairs; NULL (every existing client) means DOMAIN's defaults.

The KPI's score pools a period's answers: Σ(score × weight) ÷ Σ weight over the responses, so
each response keeps Σ weight of its scored questions beside its score, and two narrow indexes
hold the columns the KPI reads (the calls of a period; each call's technician), so it never
reads the wide rows. Existing responses get it from their score breakdown (the weights of
the questions it lists).
"""

from decimal import Decimal

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "e5c3a1f7b9d2"
down_revision = "d4b7e2a9c1f6"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")
BATCH = 5_000

responses = sa.table(
    "responses",
    sa.column("id", sa.Integer),
    sa.column("score", sa.Numeric(5, 2)),
    sa.column("score_weight", sa.Numeric(8, 2)),
    sa.column("score_breakdown", JSON),
)


def upgrade():
    with op.batch_alter_table("clients") as batch:
        batch.add_column(sa.Column("repeat_bonus_tiers", JSON, nullable=True))
    with op.batch_alter_table("responses") as batch:
        batch.add_column(sa.Column("score_weight", sa.Numeric(8, 2), nullable=True))
    conn = op.get_bind()
    last = 0
    while True:
        rows = conn.execute(
            sa.select(responses.c.id, responses.c.score_breakdown)
            .where(responses.c.id > last, responses.c.score.is_not(None))
            .order_by(responses.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        conn.execute(
            responses.update()
            .where(responses.c.id == sa.bindparam("rid"))
            .values(score_weight=sa.bindparam("weight")),
            [
                {
                    "rid": row.id,
                    "weight": sum(
                        (Decimal(str(q.get("weight") or 0)) for q in row.score_breakdown or []),
                        Decimal(0),
                    ),
                }
                for row in rows
            ],
        )
    with op.batch_alter_table("responses") as batch:
        batch.create_index(
            "ix_responses_kpi", ["submitted_at", "order_id", "score", "score_weight"], unique=False
        )
    with op.batch_alter_table("orders") as batch:
        batch.create_index("ix_orders_id_technician", ["id", "technician_id"], unique=False)


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_index("ix_orders_id_technician")
    with op.batch_alter_table("responses") as batch:
        batch.drop_index("ix_responses_kpi")
        batch.drop_column("score_weight")
    with op.batch_alter_table("clients") as batch:
        batch.drop_column("repeat_bonus_tiers")
