"""bulletin render inputs: the sha256 of what a bulletin's files were made from, so a rerun
renders only the bulletins whose inputs changed

Revision ID: 0016_bulletin_inputs
Revises: 0015_periods
Create Date: 2026-12-02 16:00:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016_bulletin_inputs"
down_revision: str | None = "0015_periods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(
            sa.Column(
                "inputs_sha256",
                sa.String(length=64),
                nullable=True,
                comment="sha256 of its render inputs (context, templates, fonts, engine): the "
                "same inputs are not rendered again",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_column("inputs_sha256")
