"""review_decision: refuse TRUNCATE (PostgreSQL) and INSERT OR REPLACE (SQLite)

The application's database role must not own the table either (README, "Running in
production", and ``iku db grant``): only an owner can disable a trigger.

Revision ID: 0013_decision_log_guard
Revises: 0012_delivery_intent
Create Date: 2026-12-02 12:20:00+07:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013_decision_log_guard"
down_revision: str | None = "0012_delivery_intent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE = "review_decision is append-only: decisions cannot be replaced or removed"


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # The function of revision 0005 raises for any event; a statement-level trigger.
        op.execute(
            "CREATE TRIGGER review_decision_no_truncate BEFORE TRUNCATE ON review_decision "
            "FOR EACH STATEMENT EXECUTE FUNCTION review_decision_append_only()"
        )
    else:
        # INSERT OR REPLACE deletes the conflicting row without firing DELETE triggers
        # (unless recursive_triggers is on): refuse any insert that reuses an existing id.
        op.execute(
            "CREATE TRIGGER review_decision_no_replace BEFORE INSERT ON review_decision "
            "WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM review_decision WHERE id = NEW.id) "
            f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS review_decision_no_truncate ON review_decision")
    else:
        op.execute("DROP TRIGGER IF EXISTS review_decision_no_replace")
