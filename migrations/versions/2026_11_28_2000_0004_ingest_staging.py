"""ingestion: staged rows and submission bookkeeping (issue 4)

Revision ID: 0004_ingest
Revises: 0006_delivery
Create Date: 2026-11-28 20:00:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_ingest"
down_revision: str | None = "0006_delivery"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# At most one current (staged or validated) submission per agency and period: a newer file
# supersedes the current one in the same transaction; two concurrent writers cannot both win.
_CURRENT = "status IN ('staged', 'validated')"


def upgrade() -> None:
    # Plain ADD COLUMN / CREATE INDEX: no table rebuild on SQLite (a rebuild of `submission`
    # would cascade-delete its realisations while foreign keys are enforced).
    op.add_column(
        "submission",
        sa.Column(
            "ingested_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="when ingestion recorded the file (received_at: when it arrived)",
        ),
    )
    op.add_column(
        "submission",
        sa.Column(
            "rejection_rule",
            sa.String(length=40),
            nullable=True,
            comment="rule id of a whole-submission rejection, e.g. agency_mismatch",
        ),
    )
    op.add_column(
        "submission",
        sa.Column(
            "reader",
            sa.String(length=16),
            nullable=True,
            comment="template, xlsx, csv or json: which reader parsed the file",
        ),
    )
    op.create_index(
        "uq_submission_current",
        "submission",
        ["agency_id", "period"],
        unique=True,
        sqlite_where=sa.text(_CURRENT),
        postgresql_where=sa.text(_CURRENT),
    )
    op.create_table(
        "staged_row",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("source_file", sa.String(length=255), nullable=False),
        sa.Column(
            "source_row",
            sa.Integer(),
            nullable=False,
            comment="row as the agency sees it: Excel row, CSV line, JSON index + 1",
        ),
        sa.Column("agency_code", sa.String(length=40), nullable=False),
        sa.Column(
            "indicator_code",
            sa.String(length=120),
            nullable=False,
            comment="as written in the file (may be unknown)",
        ),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("raw_value", sa.Text(), nullable=True, comment="the realisasi cell as found"),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column(
            "state",
            sa.String(length=20),
            nullable=True,
            comment="angka, belum_tersedia, tidak_dilaporkan; null when unreadable",
        ),
        sa.Column("parse_status", sa.String(length=16), nullable=False),
        sa.Column(
            "parse_problem", sa.Text(), nullable=True, comment="why invalid/ambiguous (Indonesian)"
        ),
        sa.Column(
            "candidates", sa.JSON(), nullable=True, comment="both readings of an ambiguous number"
        ),
        sa.Column("unit", sa.Text(), nullable=True, comment="the unit as written, if any"),
        sa.Column("evidence_url", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "state_reason",
            sa.Text(),
            nullable=True,
            comment="the note, when the state is not a number",
        ),
        sa.CheckConstraint(
            "parse_status IN ('ok', 'ambiguous', 'invalid')",
            name=op.f("ck_staged_row_parse_status"),
        ),
        sa.CheckConstraint(
            "state IS NULL OR state IN ('angka', 'belum_tersedia', 'tidak_dilaporkan')",
            name=op.f("ck_staged_row_state"),
        ),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_staged_row_submission_id_submission"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staged_row")),
        sa.UniqueConstraint(
            "submission_id", "source_row", name=op.f("uq_staged_row_submission_id_source_row")
        ),
    )


def downgrade() -> None:
    op.drop_table("staged_row")
    op.drop_index("uq_submission_current", table_name="submission")
    # ALTER TABLE ... DROP COLUMN (SQLite >= 3.35), again without rebuilding the table.
    for column in ("reader", "rejection_rule", "ingested_at"):
        op.drop_column("submission", column)
