"""A cycle's lock cannot be lost silently: every step proves its run still holds the period
(the fence), a dropped PostgreSQL lock connection is noticed and the lock taken again only if
nobody ran meanwhile, a takeover waits for the steps that proved the old holder, and two runs
started at the same moment get one lock and one sentence."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select, update

from iku import models as m
from iku.db import make_engine, session_scope
from iku.locks import (
    CycleBusyError,
    CycleHold,
    CycleLockLostError,
    advisory_key,
    busy_message,
    cycle_busy,
    cycle_lock,
)
from tests.conftest import POSTGRES_URL

PERIOD = "2026-10"
#: The holder checks only when told (ensure), so a test decides who gets there first.
NO_HEARTBEAT = 3600.0


def _postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("the advisory lock and its connection are PostgreSQL's")


def lock_backend(period: str, engine: Engine) -> int | None:
    """The server process (pid) holding the period's advisory lock, if any."""
    with engine.connect() as connection:
        key = advisory_key(period, str(connection.scalar(sa.text("SELECT current_schema()"))))
    high, low = (key >> 32) & 0xFFFFFFFF, key & 0xFFFFFFFF
    admin = sa.create_engine(POSTGRES_URL, poolclass=sa.NullPool)
    with admin.connect() as connection:
        pid = connection.scalar(
            sa.text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                "AND classid::bigint = :high AND objid::bigint = :low AND objsubid = 1"
            ),
            {"high": high, "low": low},
        )
    return None if pid is None else int(pid)


def terminate_lock_backend(period: str, engine: Engine) -> int:
    """``pg_terminate_backend`` of the lock's connection (a restart or a network cut would
    do the same), and wait until the server let the lock go."""
    pid = lock_backend(period, engine)
    assert pid is not None
    admin = sa.create_engine(POSTGRES_URL, poolclass=sa.NullPool)
    with admin.connect() as connection:
        assert connection.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    deadline = time.monotonic() + 60
    while lock_backend(period, engine) == pid and time.monotonic() < deadline:
        time.sleep(0.05)
    return pid


def _waiting_on_a_lock(application_name: str) -> bool:
    admin = sa.create_engine(POSTGRES_URL, poolclass=sa.NullPool)
    with admin.connect() as connection:
        return bool(
            connection.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                    "AND wait_event_type = 'Lock'"
                ),
                {"name": application_name},
            )
        )


def _same_database(engine: Engine, application_name: str) -> Engine:
    with engine.connect() as connection:
        schema = connection.scalar(sa.text("SELECT current_schema()"))
    return make_engine(
        POSTGRES_URL,
        connect_args={"options": f"-csearch_path={schema}", "application_name": application_name},
    )


@contextlib.contextmanager
def held(engine: Engine, **kwargs: float) -> Iterator[CycleHold]:
    with cycle_lock(PERIOD, engine=engine, heartbeat_seconds=NO_HEARTBEAT, **kwargs) as hold:
        yield hold


def test_a_step_commits_only_while_its_run_holds_the_period(migrated: Engine) -> None:
    with held(migrated) as hold:
        with session_scope(migrated) as session:
            hold.fence.verify(session)
            session.add(m.EvaluationCycle(period=PERIOD, status="running"))
        # Another run wrote its token (what a takeover does): this run's next step fails
        # inside its transaction and leaves nothing behind.
        with migrated.begin() as connection:
            connection.execute(update(m.CycleLock).values(owner="vm:1:another-run"))
        lost = pytest.raises(CycleLockLostError, match="proses lain mengambil alih")
        with lost, session_scope(migrated) as session:
            session.add(m.EvaluationCycle(period="2026-11", status="running"))
            session.flush()
            hold.fence.verify(session)
        assert not hold.fence.holds(migrated)
        if migrated.dialect.name == "sqlite":
            with pytest.raises(CycleLockLostError, match="tabel kunci diambil alih"):
                hold.ensure()
    with migrated.connect() as connection:
        assert connection.scalars(select(m.EvaluationCycle.period)).all() == [PERIOD]


@pytest.mark.postgres
def test_a_dropped_lock_connection_is_taken_again_when_nobody_ran(migrated: Engine) -> None:
    _postgres(migrated)
    with held(migrated) as hold:
        first = terminate_lock_backend(PERIOD, migrated)
        assert lock_backend(PERIOD, migrated) is None
        hold.ensure()  # notices, reconnects, takes the lock again: its token is still there
        again = lock_backend(PERIOD, migrated)
        assert again is not None and again != first
        assert cycle_busy(PERIOD, engine=migrated)
        with session_scope(migrated) as session:
            hold.fence.verify(session)
    assert lock_backend(PERIOD, migrated) is None


@pytest.mark.postgres
def test_the_heartbeat_takes_the_lock_again_by_itself(migrated: Engine) -> None:
    _postgres(migrated)
    with cycle_lock(PERIOD, engine=migrated, heartbeat_seconds=0.2) as hold:
        first = terminate_lock_backend(PERIOD, migrated)
        deadline = time.monotonic() + 60  # a bound on the wait, not a speed requirement
        while lock_backend(PERIOD, migrated) in (None, first) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert lock_backend(PERIOD, migrated) not in (None, first)
        assert not hold.lost
        with pytest.raises(CycleBusyError), cycle_lock(PERIOD, engine=migrated):
            pass


@pytest.mark.postgres
def test_a_run_whose_period_was_taken_over_stops(migrated: Engine) -> None:
    _postgres(migrated)
    with held(migrated) as first:
        terminate_lock_backend(PERIOD, migrated)
        with held(migrated, wait_seconds=30) as second:  # the period is free: taken
            with pytest.raises(CycleLockLostError, match="proses lain sedang memegang periode"):
                first.ensure()
            with pytest.raises(CycleLockLostError), session_scope(migrated) as session:
                first.fence.verify(session)
            with session_scope(migrated) as session:
                second.fence.verify(session)
        # The other run has finished; this one still writes nothing.
        with pytest.raises(CycleLockLostError):
            first.ensure()
        assert first.lost


@pytest.mark.postgres
def test_a_takeover_waits_for_the_step_that_proved_the_old_holder(migrated: Engine) -> None:
    """No overlap: a step that verified its fence finishes before another run can start."""
    _postgres(migrated)
    other = _same_database(migrated, "iku-second-run")
    acquired: list[float] = []

    def second_run(release: threading.Event) -> None:
        with cycle_lock(PERIOD, engine=other, wait_seconds=60, heartbeat_seconds=NO_HEARTBEAT):
            acquired.append(time.monotonic())
            release.wait(60)

    release = threading.Event()
    try:
        with held(migrated) as first, session_scope(migrated) as step:
            first.fence.verify(step)  # the step's transaction holds the lease FOR SHARE
            terminate_lock_backend(PERIOD, migrated)
            thread = threading.Thread(target=second_run, args=(release,))
            thread.start()
            deadline = time.monotonic() + 60
            while not _waiting_on_a_lock("iku-second-run") and time.monotonic() < deadline:
                time.sleep(0.05)
            assert _waiting_on_a_lock("iku-second-run")  # blocked behind the step
            assert acquired == []
            step.add(m.EvaluationCycle(period=PERIOD, status="running"))
            committed = time.monotonic()
        # The step committed; now the second run has the period, and the first's next step
        # is refused.
        deadline = time.monotonic() + 60
        while not acquired and time.monotonic() < deadline:
            time.sleep(0.05)
        assert acquired and acquired[0] >= committed
        with pytest.raises(CycleLockLostError), session_scope(migrated) as session:
            first.fence.verify(session)
    finally:
        release.set()
        thread.join(60)
        other.dispose()


def test_two_runs_started_at_the_same_moment_get_one_lock_and_one_sentence(
    migrated: Engine,
) -> None:
    start = threading.Barrier(2)
    done = threading.Barrier(2)
    results: list[str] = []

    def run() -> None:
        start.wait(30)
        try:
            with cycle_lock(PERIOD, engine=migrated):
                results.append("ran")
                done.wait(30)
                return
        except CycleBusyError as exc:
            results.append(str(exc))
        done.wait(30)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == sorted(["ran", busy_message(PERIOD)])
    with cycle_lock(PERIOD, engine=migrated):  # released
        pass
