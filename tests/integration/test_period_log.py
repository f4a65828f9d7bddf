"""``period_event`` refuses every change but an insert, on both databases: update, delete,
truncate (PostgreSQL) and INSERT OR REPLACE (SQLite), as the review decision log does."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from iku import migrate
from iku import models as m
from iku.db import now_wib, session_scope


def _event(engine: Engine) -> int:
    with engine.begin() as connection:
        return int(
            connection.execute(
                sa.insert(m.PeriodEvent)
                .values(
                    period="2026-10",
                    action="reopen",
                    actor="biro",
                    role="bureau",
                    reason="koreksi",
                    occurred_at=now_wib(),
                )
                .returning(m.PeriodEvent.id)
            ).scalar_one()
        )


def test_period_events_cannot_be_changed(migrated: Engine) -> None:
    ident = _event(migrated)
    statements = [
        "UPDATE period_event SET reason = 'lain' WHERE id = :id",
        "DELETE FROM period_event WHERE id = :id",
    ]
    if migrated.dialect.name == "postgresql":
        statements.append("TRUNCATE period_event")
    else:
        statements.append(
            "INSERT OR REPLACE INTO period_event (id, period, action, actor, occurred_at) "
            "VALUES (:id, '2026-10', 'lock', 'x', '2026-11-01 00:00:00')"
        )
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), migrated.begin() as connection:
            connection.execute(sa.text(statement), {"id": ident})
    with migrated.connect() as connection:
        reason = connection.execute(
            sa.text("SELECT reason FROM period_event WHERE id = :id"), {"id": ident}
        ).scalar_one()
    assert reason == "koreksi"
    assert "period_event" in migrate.APPEND_ONLY_TABLES


def test_two_first_actions_on_a_period_at_once_keep_one_state_row(migrated: Engine) -> None:
    """The period's first action creates its state row: two at once (two agency heads
    approving in the same second) both find none; both go through and one row is kept."""
    from iku.operations.periods import _state_row

    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def first_action() -> None:
        try:
            with session_scope(migrated) as session:
                barrier.wait(30)
                _state_row(session, "2026-05", lock=True)
        except BaseException as exc:  # reported below, with its type
            errors.append(exc)

    threads = [threading.Thread(target=first_action) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors
    with session_scope(migrated) as session:
        rows = session.scalars(sa.select(m.PeriodState).where(m.PeriodState.period == "2026-05"))
        assert len(rows.all()) == 1
