"""steward review: append-only decisions, issue-to-row link, per-submission routing counts

Revision ID: 0005_review
Revises: 0004_ingest
Create Date: 2026-11-28 20:10:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_review"
down_revision: str | None = "0004_ingest"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE = "review_decision is append-only: decisions cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "review_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issue_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("decided_by", sa.String(length=120), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True, comment="the value a steward entered"),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "decision IN ('accept', 'reject', 'auto_resolve')",
            name=op.f("ck_review_decision_decision"),
        ),
        sa.ForeignKeyConstraint(
            ["issue_id"],
            ["validation_issue.id"],
            name=op.f("fk_review_decision_issue_id_validation_issue"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decision")),
    )
    op.create_index(
        op.f("ix_review_decision_issue_id"), "review_decision", ["issue_id"], unique=False
    )
    with op.batch_alter_table("validation_issue") as batch:
        batch.add_column(
            sa.Column(
                "staged_row_id",
                sa.Integer(),
                nullable=True,
                comment="null: a whole-submission issue",
            )
        )
        batch.add_column(
            sa.Column(
                "suite", sa.String(length=16), nullable=True, comment="struktur/nilai/kewajaran/..."
            )
        )
        batch.create_foreign_key(
            op.f("fk_validation_issue_staged_row_id_staged_row"),
            "staged_row",
            ["staged_row_id"],
            ["id"],
            ondelete="SET NULL",
        )
    with op.batch_alter_table("submission") as batch:
        batch.add_column(
            sa.Column("accepted_rows", sa.Integer(), nullable=True, comment="set by validation")
        )
        batch.add_column(
            sa.Column("quarantined_rows", sa.Integer(), nullable=True, comment="set by validation")
        )
        batch.add_column(sa.Column("validated_at", sa.DateTime(timezone=True), nullable=True))

    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION review_decision_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{_MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER review_decision_append_only BEFORE UPDATE OR DELETE "
            "ON review_decision FOR EACH ROW EXECUTE FUNCTION review_decision_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER review_decision_no_{event.lower()} BEFORE {event} "
                f"ON review_decision BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS review_decision_append_only ON review_decision")
        op.execute("DROP FUNCTION IF EXISTS review_decision_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS review_decision_no_update")
        op.execute("DROP TRIGGER IF EXISTS review_decision_no_delete")
    with op.batch_alter_table("submission") as batch:
        batch.drop_column("validated_at")
        batch.drop_column("quarantined_rows")
        batch.drop_column("accepted_rows")
    with op.batch_alter_table("validation_issue") as batch:
        batch.drop_constraint(
            op.f("fk_validation_issue_staged_row_id_staged_row"), type_="foreignkey"
        )
        batch.drop_column("suite")
        batch.drop_column("staged_row_id")
    op.drop_index(op.f("ix_review_decision_issue_id"), table_name="review_decision")
    op.drop_table("review_decision")
