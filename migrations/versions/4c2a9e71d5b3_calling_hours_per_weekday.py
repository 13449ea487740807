"""calling hours per weekday, and the client's QC contact

Clients get calling hours per weekday (``clients.calling_hours``: {"0": ["09:00", "20:00"], ...,
"6": null}, Monday = 0), filled from the single window every existing client has
(``calling_hours_start`` / ``calling_hours_end``, kept for now) for all seven days; and the name,
email and phone of their own QC person.

Revision ID: 4c2a9e71d5b3
Revises: e3b8c1f07a22
Create Date: 2026-12-05 10:00:00

"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

revision = "4c2a9e71d5b3"
down_revision = "e3b8c1f07a22"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def _every_day(start, end) -> dict:
    """The single window for all seven days: equal ends meant round the clock."""
    if start == end:
        window = ["00:00", "24:00"]
    else:
        window = [start.strftime("%H:%M"), end.strftime("%H:%M")]
    return {str(day): list(window) for day in range(7)}


def upgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calling_hours", JSON, nullable=True))
        batch_op.add_column(sa.Column("qc_contact_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("qc_contact_email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("qc_contact_phone", sa.String(length=20), nullable=True))

    clients = sa.table(
        "clients",
        sa.column("id", sa.Integer),
        sa.column("calling_hours_start", sa.Time),
        sa.column("calling_hours_end", sa.Time),
        sa.column("calling_hours", JSON),
    )
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(clients.c.id, clients.c.calling_hours_start, clients.c.calling_hours_end)
    ).all()
    for row in rows:
        conn.execute(
            clients.update()
            .where(clients.c.id == row.id)
            .values(calling_hours=_every_day(row.calling_hours_start, row.calling_hours_end))
        )

    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.alter_column("calling_hours", existing_type=JSON, nullable=False)


def downgrade():
    with op.batch_alter_table("clients", schema=None) as batch_op:
        batch_op.drop_column("qc_contact_phone")
        batch_op.drop_column("qc_contact_email")
        batch_op.drop_column("qc_contact_name")
        batch_op.drop_column("calling_hours")
