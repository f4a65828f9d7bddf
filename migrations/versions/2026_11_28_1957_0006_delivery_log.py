"""delivery log of bulletins (issue 6)

Revision ID: 0006_delivery
Revises: 0001
Create Date: 2026-11-28 19:57:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_delivery"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SENT_ONCE = "status = 'sent' AND NOT is_resend"


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bulletin_id", sa.Integer(), nullable=False),
        sa.Column(
            "bulletin_sha256",
            sa.String(length=64),
            nullable=True,
            comment="sha256 of the file that was attached",
        ),
        sa.Column("recipient_name", sa.String(length=255), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=False),
        sa.Column(
            "channel",
            sa.String(length=8),
            nullable=False,
            comment="eml: written to the outbox; smtp",
        ),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("is_resend", sa.Boolean(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "eml_path", sa.String(length=500), nullable=True, comment="the .eml file (channel eml)"
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("channel IN ('eml', 'smtp')", name=op.f("ck_delivery_channel")),
        sa.CheckConstraint("status IN ('sent', 'failed')", name=op.f("ck_delivery_status")),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_delivery_attempts_nonnegative")),
        sa.ForeignKeyConstraint(
            ["bulletin_id"],
            ["bulletin.id"],
            name=op.f("fk_delivery_bulletin_id_bulletin"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_delivery")),
    )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            "uq_delivery_sent_once",
            ["bulletin_id", "email", "channel"],
            unique=True,
            sqlite_where=sa.text(_SENT_ONCE),
            postgresql_where=sa.text(_SENT_ONCE),
        )


def downgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("uq_delivery_sent_once")
    op.drop_table("delivery")
