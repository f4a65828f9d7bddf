"""One cycle per period: the second run waits or stops with a clear message; a dead holder
never blocks."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert

from iku import migrate
from iku import models as m
from iku.db import make_engine, now_wib
from iku.locks import CycleBusyError, cycle_busy, cycle_lock


def test_second_run_of_the_same_period_is_refused(migrated: Engine) -> None:
    with cycle_lock("2026-10", engine=migrated):
        with (
            pytest.raises(CycleBusyError, match="sedang berjalan"),
            cycle_lock("2026-10", engine=migrated),
        ):
            pass
        with cycle_lock("2026-09", engine=migrated):  # another period is independent
            pass
    with cycle_lock("2026-10", engine=migrated):  # released
        pass


def test_a_waiting_run_gets_the_lock_when_the_first_finishes(migrated: Engine) -> None:
    order: list[str] = []
    held = threading.Event()

    def first() -> None:
        with cycle_lock("2026-10", engine=migrated):
            held.set()
            time.sleep(1.5)
            order.append("first done")

    thread = threading.Thread(target=first)
    thread.start()
    held.wait(10)
    with cycle_lock("2026-10", engine=migrated, wait_seconds=30):
        order.append("second runs")
    thread.join()
    assert order == ["first done", "second runs"]


def test_a_dead_holders_lease_is_taken_over(tmp_path: Path) -> None:
    """SQLite's lease (PostgreSQL releases a dead session's advisory lock by itself)."""
    migrated = make_engine(f"sqlite:///{tmp_path / 'lease.db'}")
    migrate.upgrade(migrated)
    with migrated.begin() as connection:
        connection.execute(
            insert(m.CycleLock).values(
                period="2026-10",
                owner=f"{socket.gethostname()}:999999999:dead",
                acquired_at=now_wib(),
            )
        )
    with cycle_lock("2026-10", engine=migrated):
        pass


def test_cycle_busy_reports_without_keeping_the_lock(migrated: Engine) -> None:
    assert not cycle_busy("2026-10", engine=migrated)
    with cycle_lock("2026-10", engine=migrated):
        assert cycle_busy("2026-10", engine=migrated)
    assert not cycle_busy("2026-10", engine=migrated)
