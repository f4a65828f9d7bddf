"""the submissions a cycle run works on (its snapshot of current versions)

Revision ID: 0011_cycle_snapshot
Revises: 0010_intake
Create Date: 2026-12-02 12:00:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_cycle_snapshot"
down_revision: str | None = "0010_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cycle_submission",
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column(
            "period",
            sa.String(length=7),
            nullable=False,
            comment="the submission's period (the cycle reads January..its own period)",
        ),
        sa.ForeignKeyConstraint(
            ["cycle_id"],
            ["evaluation_cycle.id"],
            name=op.f("fk_cycle_submission_cycle_id_evaluation_cycle"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_cycle_submission_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cycle_id", "submission_id", name=op.f("pk_cycle_submission")),
    )


def downgrade() -> None:
    op.drop_table("cycle_submission")
