"""periods: approval, verification, lock and publication (period_state, period_agency_state)
and the append-only period_event log

Revision ID: 0015_periods
Revises: 0014_figures
Create Date: 2026-12-02 15:00:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015_periods"
down_revision: str | None = "0014_figures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE = "period_event is append-only: period events cannot be changed or deleted"


def upgrade() -> None:
    op.create_table(
        "period_state",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("locked_by", sa.String(length=64), nullable=True),
        sa.Column("published", sa.Boolean(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.Column("reopened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reopened_by", sa.String(length=64), nullable=True),
        sa.Column("reopen_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_period_state")),
    )
    op.create_table(
        "period_agency_state",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_period_agency_state_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("period", "agency_id", name=op.f("pk_period_agency_state")),
    )
    op.create_table(
        "period_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("agency_code", sa.String(length=40), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "action IN ('approve', 'verify', 'lock', 'reopen', 'publish')",
            name=op.f("ck_period_event_action"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_period_event")),
    )
    with op.batch_alter_table("period_event") as batch:
        batch.create_index(batch.f("ix_period_event_period"), ["period"], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION period_event_append_only() RETURNS trigger AS $$
            BEGIN
                RAISE EXCEPTION '{_MESSAGE}';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER period_event_append_only BEFORE UPDATE OR DELETE "
            "ON period_event FOR EACH ROW EXECUTE FUNCTION period_event_append_only()"
        )
        op.execute(
            "CREATE TRIGGER period_event_no_truncate BEFORE TRUNCATE ON period_event "
            "FOR EACH STATEMENT EXECUTE FUNCTION period_event_append_only()"
        )
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER period_event_no_{event.lower()} BEFORE {event} "
                f"ON period_event BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )
        op.execute(
            "CREATE TRIGGER period_event_no_replace BEFORE INSERT ON period_event "
            "WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM period_event WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS period_event_no_truncate ON period_event")
        op.execute("DROP TRIGGER IF EXISTS period_event_append_only ON period_event")
        op.execute("DROP FUNCTION IF EXISTS period_event_append_only()")
    else:
        for name in ("update", "delete", "replace"):
            op.execute(f"DROP TRIGGER IF EXISTS period_event_no_{name}")
    with op.batch_alter_table("period_event") as batch:
        batch.drop_index(batch.f("ix_period_event_period"))
    op.drop_table("period_event")
    op.drop_table("period_agency_state")
    op.drop_table("period_state")
