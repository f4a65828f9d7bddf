"""delivery intent: a pending row with its Message-ID before sending; unknown outcomes

Revision ID: 0012_delivery_intent
Revises: 0011_cycle_snapshot
Create Date: 2026-12-02 12:10:00+07:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_delivery_intent"
down_revision: str | None = "0011_cycle_snapshot"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD_ONCE = "status = 'sent' AND NOT is_resend"
_NEW_ONCE = "status IN ('pending', 'sent', 'unknown') AND NOT is_resend"


def _once(batch_op: object, predicate: str) -> None:
    batch_op.create_index(  # type: ignore[attr-defined]
        "uq_delivery_sent_once",
        ["bulletin_id", "email", "channel"],
        unique=True,
        sqlite_where=sa.text(predicate),
        postgresql_where=sa.text(predicate),
    )


def upgrade() -> None:
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("uq_delivery_sent_once")
        batch_op.drop_constraint(op.f("ck_delivery_status"), type_="check")
        batch_op.add_column(
            sa.Column(
                "message_id",
                sa.String(length=255),
                nullable=True,
                comment="the Message-ID recorded before sending",
            )
        )
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_check_constraint(
            "status", "status IN ('pending', 'sent', 'failed', 'unknown')"
        )
        _once(batch_op, _NEW_ONCE)


def downgrade() -> None:
    # A pending or unknown delivery may have reached its recipient: keep it as sent, so the
    # older code never sends it again.
    op.execute("UPDATE delivery SET status = 'sent' WHERE status IN ('pending', 'unknown')")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("uq_delivery_sent_once")
        batch_op.drop_constraint(op.f("ck_delivery_status"), type_="check")
        batch_op.drop_column("message_id")
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_check_constraint("status", "status IN ('sent', 'failed')")
        _once(batch_op, _OLD_ONCE)
