"""cycle lock lease (SQLite; PostgreSQL uses advisory locks)

Revision ID: 0007_cycle_lock
Revises: 0005_review
Create Date: 2026-11-28 20:30:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_cycle_lock"
down_revision: str | None = "0005_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cycle_lock",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column(
            "owner", sa.String(length=200), nullable=False, comment="host:pid:token of the holder"
        ),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_cycle_lock")),
    )


def downgrade() -> None:
    op.drop_table("cycle_lock")
