"""trustworthy figures: year-to-date completeness, target met, held values, basis, scales;
bulletin revisions (re-issue when delivered figures change)

Revision ID: 0014_figures
Revises: 0013_decision_log_guard
Create Date: 2026-12-02 14:00:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014_figures"
down_revision: str | None = "0013_decision_log_guard"
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


def _bulletin_columns() -> tuple[sa.Column[object], ...]:
    return (
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column(
            "figures_sha256",
            sa.String(length=64),
            nullable=True,
            comment="sha256 of the figures it shows (a change means a new revision)",
        ),
        sa.Column(
            "figures",
            sa.JSON(),
            nullable=True,
            comment="the figures it shows, as printed (what changed is read from them)",
        ),
        sa.Column(
            "changes",
            sa.JSON(),
            nullable=True,
            comment="what changed since the previous revision, as the bulletin says it",
        ),
        sa.Column(
            "superseded_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when a later revision replaced it (null: the current one)",
        ),
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
    with op.batch_alter_table("bulletin") as batch:
        for column in _bulletin_columns():
            batch.add_column(column)
        batch.drop_constraint(op.f("uq_bulletin_cycle_id_audience_subject_key"), type_="unique")
        batch.create_unique_constraint(
            op.f("uq_bulletin_cycle_id_audience_subject_key_revision"),
            ["cycle_id", "audience", "subject_key", "revision"],
        )
        batch.create_check_constraint("revision_positive", "revision >= 1")


def downgrade() -> None:
    # Only the current revision of each bulletin survives a downgrade (the schema before had
    # one row per bulletin); the earlier revisions' files stay in the period's arsip/ folder.
    op.execute("DELETE FROM bulletin WHERE superseded_at IS NOT NULL")
    with op.batch_alter_table("bulletin") as batch:
        batch.drop_constraint(op.f("ck_bulletin_revision_positive"), type_="check")
        batch.drop_constraint(
            op.f("uq_bulletin_cycle_id_audience_subject_key_revision"), type_="unique"
        )
        batch.create_unique_constraint(
            op.f("uq_bulletin_cycle_id_audience_subject_key"),
            ["cycle_id", "audience", "subject_key"],
        )
        for column in reversed(_bulletin_columns()):
            batch.drop_column(column.name)
    with op.batch_alter_table("indicator") as batch:
        batch.drop_column("scale")
    with op.batch_alter_table("achievement") as batch:
        for column in reversed(_achievement_columns()):
            batch.drop_column(column.name)
