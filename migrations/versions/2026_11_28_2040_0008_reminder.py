"""submission reminders, at most one per agency, period and day

Revision ID: 0008_reminder
Revises: 0007_cycle_lock
Create Date: 2026-11-28 20:40:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_reminder"
down_revision: str | None = "0007_cycle_lock"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False, comment="the day in WIB"),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("recipients", sa.Text(), nullable=False),
        sa.Column("missing_iku", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("channel IN ('eml', 'smtp')", name=op.f("ck_reminder_channel")),
        sa.CheckConstraint("status IN ('sent', 'failed')", name=op.f("ck_reminder_status")),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_reminder_agency_id_agency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
        sa.UniqueConstraint(
            "agency_id", "period", "sent_on", name=op.f("uq_reminder_agency_id_period_sent_on")
        ),
    )


def downgrade() -> None:
    op.drop_table("reminder")
