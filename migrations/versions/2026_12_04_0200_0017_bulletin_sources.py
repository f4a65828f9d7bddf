"""bulletin sources: the sha256 of the read-model data a bulletin was built from (a rerun does
not build the bulletins whose data did not change) and of its HTML file (a rerun does not read
the unchanged files back)

Revision ID: 0017_bulletin_sources
Revises: 0016_bulletin_inputs
Create Date: 2026-12-04 09:00:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017_bulletin_sources"
down_revision: str | None = "0016_bulletin_inputs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.add_column(
            sa.Column(
                "source_sha256",
                sa.String(length=64),
                nullable=True,
                comment="sha256 of the read-model data its context was built from: the same "
                "data is not even built again",
            )
        )
        batch.add_column(
            sa.Column(
                "html_sha256",
                sa.String(length=64),
                nullable=True,
                comment="sha256 of its HTML file (sha256 is the PDF's when it has one)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_column("html_sha256")
        batch.drop_column("source_sha256")
