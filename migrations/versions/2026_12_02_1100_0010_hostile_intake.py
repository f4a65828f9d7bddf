"""hostile intake: duplicates per agency, receipt time beside the file's own time, rows held
by ingestion, the record of files taken from the inbox

Revision ID: 0010_intake
Revises: 0009_web
Create Date: 2026-12-02 11:00:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_intake"
down_revision: str | None = "0009_web"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NOT_REJECTED = "status <> 'rejected'"
_CURRENT = "status IN ('staged', 'validated')"


def upgrade() -> None:
    # Plain ADD COLUMN first (no rebuild). Dropping the global unique sha256 needs a table
    # rebuild on SQLite; iku.migrate turns foreign keys off around it, so the realisations and
    # staged rows that refer to submission survive.
    op.add_column(
        "submission",
        sa.Column(
            "file_modified_at",
            sa.DateTime(timezone=True),
            nullable=True,
            comment="the file's own modification time, for information only (the sender sets it)",
        ),
    )
    op.add_column(
        "submission",
        sa.Column(
            "receipt_stated_by",
            sa.String(length=120),
            nullable=True,
            comment="who stated received_at for a file that came through another channel; "
            "null: the system observed the receipt",
        ),
    )
    with op.batch_alter_table("submission") as batch:
        batch.drop_constraint("uq_submission_sha256", type_="unique")
    _recreate_current_index()
    op.create_index(
        "uq_submission_agency_sha256",
        "submission",
        ["agency_id", "sha256"],
        unique=True,
        sqlite_where=sa.text(_NOT_REJECTED),
        postgresql_where=sa.text(_NOT_REJECTED),
    )
    op.create_index("ix_submission_sha256", "submission", ["sha256"], unique=False)
    op.add_column(
        "staged_row",
        sa.Column(
            "hold_reason",
            sa.Text(),
            nullable=True,
            comment="why ingestion holds the row for the stewards (a field too long, a formula "
            "without a value, a broken quote, merged data cells), in Indonesian; null: not held",
        ),
    )
    op.create_table(
        "inbox_file",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("path", sa.String(length=1000), nullable=False, comment="relative to the inbox"),
        sa.Column("size_bytes", sa.BigInteger(), nullable=False),
        sa.Column(
            "modified_ns", sa.BigInteger(), nullable=False, comment="st_mtime_ns when it was read"
        ),
        sa.Column(
            "changed_ns", sa.BigInteger(), nullable=False, comment="st_ctime_ns when it was read"
        ),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["submission_id"],
            ["submission.id"],
            name=op.f("fk_inbox_file_submission_id_submission"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_inbox_file")),
    )
    op.create_index("ix_inbox_file_path", "inbox_file", ["path"], unique=False)


def _recreate_current_index() -> None:
    """A SQLite table rebuild may bring the partial index back without its WHERE clause;
    recreate it exactly (a no-op in effect on PostgreSQL, which keeps it)."""
    op.drop_index("uq_submission_current", table_name="submission")
    op.create_index(
        "uq_submission_current",
        "submission",
        ["agency_id", "period"],
        unique=True,
        sqlite_where=sa.text(_CURRENT),
        postgresql_where=sa.text(_CURRENT),
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_file_path", table_name="inbox_file")
    op.drop_table("inbox_file")
    op.drop_column("staged_row", "hold_reason")
    op.drop_index("ix_submission_sha256", table_name="submission")
    op.drop_index("uq_submission_agency_sha256", table_name="submission")
    connection = op.get_bind()
    repeated = connection.execute(
        sa.text("SELECT sha256 FROM submission GROUP BY sha256 HAVING count(*) > 1 LIMIT 5")
    ).all()
    if repeated:
        # The earlier schema allowed one submission per sha256 in the whole database; the same
        # bytes from two agencies (or a rejected copy and its resend) cannot go back to it.
        raise RuntimeError(
            "cannot downgrade below 0010_intake: the same file is recorded more than once "
            f"(sha256 {', '.join(row[0][:12] for row in repeated)}...); keep this revision"
        )
    with op.batch_alter_table("submission") as batch:
        batch.create_unique_constraint("uq_submission_sha256", ["sha256"])
        batch.drop_column("receipt_stated_by")
        batch.drop_column("file_modified_at")
    _recreate_current_index()
