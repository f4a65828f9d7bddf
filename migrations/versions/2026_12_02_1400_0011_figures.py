"""trustworthy figures: year-to-date completeness, target met, held values, basis, scales

Revision ID: 0011_figures
Revises: 0010_intake
Create Date: 2026-12-02 14:00:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_figures"
down_revision: str | None = "0010_intake"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _achievement_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column(
            "realisasi_period",
            sa.String(length=7),
            nullable=True,
            comment="the month of the value the year to date uses (stale values show it)",
        ),
        sa.Column(
            "tercapai",
            sa.Boolean(),
            nullable=True,
            comment="the month's realisasi met the target as written (null: cannot say)",
        ),
        sa.Column("ytd_tercapai", sa.Boolean(), nullable=True),
        sa.Column("ytd_months_reported", sa.Integer(), nullable=True),
        sa.Column("ytd_months_expected", sa.Integer(), nullable=True),
        sa.Column(
            "ytd_complete",
            sa.Boolean(),
            nullable=True,
            comment="enough due months reported (rules: year_to_date.min_completeness)",
        ),
        sa.Column(
            "year_end_capaian",
            sa.Float(),
            nullable=True,
            comment="a cumulative IKU's value against the year-end target",
        ),
        sa.Column(
            "in_aggregate",
            sa.Boolean(),
            nullable=True,
            comment="an IKU counted in its agency, sector and province figures",
        ),
        sa.Column(
            "awaiting_verification",
            sa.Boolean(),
            nullable=False,
            server_default=sa.false(),
            comment="held out of the aggregates until a steward verifies it",
        ),
        sa.Column("n_total", sa.Integer(), nullable=True, comment="IKU of an aggregate"),
        sa.Column("n_held", sa.Integer(), nullable=True, comment="IKU awaiting verification"),
        sa.Column("n_agencies", sa.Integer(), nullable=True, comment="agencies of the province"),
        sa.Column("n_agencies_included", sa.Integer(), nullable=True),
    )


def upgrade() -> None:
    with op.batch_alter_table("achievement") as batch:
        for column in _achievement_columns():
            batch.add_column(column)
    with op.batch_alter_table("indicator") as batch:
        batch.add_column(
            sa.Column(
                "scale",
                sa.String(length=32),
                nullable=True,
                comment="an ordinal target scale of the rules file (qualitative IKU)",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("indicator") as batch:
        batch.drop_column("scale")
    with op.batch_alter_table("achievement") as batch:
        for column in reversed(_achievement_columns()):
            batch.drop_column(column.name)
