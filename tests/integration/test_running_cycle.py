"""A running cycle as the operator meets it: ``kill -9`` leaves no process of it behind and a
rerun completes the period; a lock connection terminated mid-cycle is taken again, or, when
another run took the period, the cycle stops with one sentence and writes nothing more; two
``iku run`` started together give one run and the "already running" sentence."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import psutil
import pytest
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url

from iku import migrate
from iku.catalog import load_catalog, read_catalog
from iku.db import now_wib
from iku.locks import CycleBusyError, busy_message, cycle_lock
from iku.runtime import process_runtime, reset_process_runtime
from iku.simulate import simulate
from tests.conftest import CATALOG_DIR, POSTGRES_URL
from tests.integration.test_lock_fencing import lock_backend, terminate_lock_backend

PERIOD = "2026-10"
IKU = Path(sys.executable).with_name("iku")
INPUT_TABLES = ("submission", "staged_row", "realisation", "validation_issue")
pytestmark = pytest.mark.slow


def _prepare(agencies: list[str] | None = None) -> int:
    """Schema, catalog and one month of simulated submissions in the inbox; the file count."""
    rt = process_runtime()
    migrate.upgrade(rt.engine)
    load_catalog(CATALOG_DIR, rt.engine)
    result = simulate(
        read_catalog(CATALOG_DIR),
        rt.rules,
        period=PERIOD,
        out_dir=rt.paths.inbox,
        months=1,
        agencies=agencies,
        seed=9,
    )
    return len(result.files)


def _iku_run(cwd: Path, *extra: str, **env: str) -> subprocess.Popen[str]:
    """``iku run`` in its own process, with its own Prefect state (a local server)."""
    home = cwd / f"prefect-{uuid.uuid4().hex[:6]}"
    home.mkdir()
    environment = {
        **os.environ,
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "180",
        "DO_NOT_TRACK": "1",
        **env,
    }
    return subprocess.Popen(
        [str(IKU), "run", "--period", PERIOD, *extra],
        cwd=cwd,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _count(table: str) -> int:
    with process_runtime().engine.connect() as connection:
        return int(connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) or 0)


def _counts() -> dict[str, int]:
    return {t: _count(t) for t in (*INPUT_TABLES, "achievement", "bulletin", "delivery")}


def _wait_for(
    condition: Any,
    what: str,
    seconds: float = 600,
    process: subprocess.Popen[str] | None = None,
) -> None:
    """A bound on a wait (the machine may be loaded), not a speed requirement; a ``process``
    that ends meanwhile fails the wait with its output."""
    deadline = time.monotonic() + seconds
    while not condition():
        if process is not None and process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(f"the cycle ended before {what}:\n{output}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def _alive(process: psutil.Process) -> bool:
    try:
        return process.is_running() and process.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _render_workers(parent: psutil.Process) -> list[psutil.Process]:
    found = []
    for child in parent.children(recursive=True):
        try:
            if "spawn_main" in " ".join(child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def _nothing_lost_or_doubled(before: dict[str, int], files: int) -> None:
    after = _counts()
    for table in INPUT_TABLES:
        assert after[table] == before[table], table  # nothing ingested or routed twice
    assert after["submission"] == files
    with process_runtime().engine.connect() as connection:
        duplicates = connection.scalar(
            sa.text(
                "SELECT count(*) FROM (SELECT bulletin_id, email, channel FROM delivery "
                "WHERE NOT is_resend GROUP BY bulletin_id, email, channel "
                "HAVING count(*) > 1) d"
            )
        )
        agencies = connection.scalar(
            sa.text("SELECT count(DISTINCT agency_id) FROM indicator WHERE is_active")
        )
    assert duplicates == 0
    assert after["bulletin"] == int(agencies or 0) + 2 and after["achievement"] > 0


@pytest.mark.parametrize("runner", ["thread", "dask"])
def test_kill_9_of_a_running_cycle_leaves_no_process_and_a_rerun_completes(
    runner: str, tmp_path: Path, prefect_harness: None
) -> None:
    files = _prepare(None if runner == "thread" else ["DINKES", "RSUDAM", "BAPENDA", "BKD"])
    # A small cycle renders in its own process by default; here the render workers start.
    cycle = _iku_run(
        tmp_path, IKU_TASK_RUNNER=runner, IKU_WORKERS="2", IKU_RENDER_POOL_MIN_JOBS="2"
    )
    parent = psutil.Process(cycle.pid)
    try:
        # Mid-cycle: the period computed, bulletins being rendered by worker processes.
        _wait_for(
            lambda: (
                cycle.poll() is None
                and _count_or_zero("achievement") > 0
                and len(_render_workers(parent)) >= 2
            ),
            "the render workers",
            process=cycle,
        )
        descendants = parent.children(recursive=True)
        assert descendants
        os.kill(cycle.pid, signal.SIGKILL)
        cycle.wait(60)
    finally:
        if cycle.poll() is None:
            cycle.kill()
        assert cycle.stdout is not None
        cycle.stdout.close()
    # Every process it started ends within 10 s (the acceptance bound of issue 15).
    deadline = time.monotonic() + 10
    while any(_alive(p) for p in descendants) and time.monotonic() < deadline:
        time.sleep(0.1)
    remaining = [(p.pid, p.name()) for p in descendants if _alive(p)]
    assert remaining == []

    before = _counts()
    from flows.monthly_evaluation import evaluate

    reset_process_runtime()
    summary = evaluate(process_runtime(), PERIOD)
    assert summary["status"] == "completed"
    _nothing_lost_or_doubled(before, files)


def _count_or_zero(table: str) -> int:
    try:
        return _count(table)
    except sa.exc.OperationalError:  # SQLite busy while the cycle writes
        return 0


def test_two_iku_run_started_together_give_one_run_and_one_sentence(tmp_path: Path) -> None:
    _prepare(["DINKES"])
    runs = [_iku_run(tmp_path), _iku_run(tmp_path)]
    outputs = []
    for run in runs:
        output, _ = run.communicate(timeout=900)
        outputs.append((run.returncode, output))
    assert sorted(code for code, _ in outputs) == [0, 1], outputs
    [(_, loser)] = [(code, out) for code, out in outputs if code == 1]
    assert busy_message(PERIOD) in " ".join(loser.split())
    assert "Traceback" not in loser


def test_a_second_start_inside_the_flow_gets_the_sentence_without_a_traceback(
    prefect_harness: None, capfd: pytest.CaptureFixture[str]
) -> None:
    """The loser of a simultaneous start passes the CLI's check and meets the lock in the
    flow: the same sentence, no traceback."""
    from flows.monthly_evaluation import evaluate

    _prepare(["DINKES"])
    rt = process_runtime()
    with cycle_lock(PERIOD, engine=rt.engine), pytest.raises(CycleBusyError) as raised:
        evaluate(rt, PERIOD)
    assert str(raised.value) == busy_message(PERIOD)
    captured = capfd.readouterr()
    assert "Traceback" not in captured.out + captured.err


@pytest.fixture
def pg_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The settings' database is a fresh PostgreSQL schema (dropped afterwards)."""
    from tests import conftest

    if conftest._postgres_problem:
        pytest.skip(f"PostgreSQL unreachable: {conftest._postgres_problem}")
    schema = f"iku_run_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    monkeypatch.setenv("IKU_DATABASE_URL", text)
    reset_process_runtime()
    try:
        yield text
    finally:
        reset_process_runtime()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.postgres
def test_a_cycle_whose_lock_was_taken_over_mid_cycle_stops_and_writes_nothing_more(
    pg_database: str, tmp_path: Path, prefect_harness: None
) -> None:
    _prepare()
    # The cycle checks its lock only between steps here, so the other run surely gets in.
    cycle = _iku_run(tmp_path, IKU_LOCK_HEARTBEAT_SECONDS="3600")
    engine = process_runtime().engine
    taken: list[datetime] = []
    release = threading.Event()

    def other_run() -> None:
        while not release.is_set():
            try:
                with cycle_lock(PERIOD, engine=engine, heartbeat_seconds=3600):
                    taken.append(now_wib())
                    release.wait(900)
                    return
            except CycleBusyError:
                time.sleep(0.005)

    try:
        _wait_for(lambda: _count_or_zero("achievement") > 0, "compute", process=cycle)
        thread = threading.Thread(target=other_run)
        thread.start()
        terminate_lock_backend(PERIOD, engine)
        _wait_for(lambda: bool(taken), "the other run to take the period", 60)
        output, _ = cycle.communicate(timeout=900)
    finally:
        release.set()
        if cycle.poll() is None:
            cycle.kill()
    thread.join(60)
    assert cycle.returncode == 1, output
    flat = " ".join(output.split())
    assert f"Siklus periode {PERIOD} dihentikan:" in flat and "Traceback" not in output
    with engine.connect() as connection:
        written = [
            at
            for table in ("bulletin", "delivery")
            for at in connection.scalars(sa.text(f"SELECT created_at FROM {table}"))
        ]
        status = connection.scalar(sa.text("SELECT status FROM evaluation_cycle"))
    # Nothing after the other run took the period; the record is not the stopped run's.
    assert all(_aware(at) < taken[0] for at in written)
    assert status == "running"

    from flows.monthly_evaluation import evaluate

    summary = evaluate(process_runtime(), PERIOD)  # the bureau's rerun completes the period
    assert summary["status"] == "completed"


def _aware(value: Any) -> datetime:
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=now_wib().tzinfo)


@pytest.mark.postgres
def test_a_lock_connection_terminated_mid_cycle_is_taken_again_and_the_cycle_completes(
    pg_database: str, prefect_harness: None
) -> None:
    from flows.monthly_evaluation import evaluate

    _prepare(["DINKES", "RSUDAM"])
    rt = process_runtime()
    probe = sa.create_engine(rt.settings.database_url, poolclass=sa.NullPool)  # not hooked
    terminated: list[int] = []

    def at_compute(*args: Any) -> None:
        if not terminated and "DELETE FROM achievement" in args[2]:
            terminated.append(terminate_lock_backend(PERIOD, probe))

    event.listen(rt.engine, "before_cursor_execute", at_compute)
    try:
        summary = evaluate(rt, PERIOD)
    finally:
        event.remove(rt.engine, "before_cursor_execute", at_compute)
    assert terminated and summary["status"] == "completed"
    assert lock_backend(PERIOD, probe) is None  # released at the end
