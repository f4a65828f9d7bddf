"""prefect.yaml against a real Prefect server: deploy every deployment, start a process worker,
trigger ``monthly-evaluation`` for a period and wait for it to complete; a worker stops within
10 s on the signal its systemd unit uses (and on SIGTERM)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from iku import migrate
from iku.catalog import load_catalog, read_catalog
from iku.rules import load_rules
from iku.runtime import process_runtime
from iku.simulate import simulate
from tests.conftest import CATALOG_DIR, PROJECT_ROOT, RULES_FILE
from tests.integration.ingest_helpers import load_simulation

BIN = Path(os.environ.get("VIRTUAL_ENV", PROJECT_ROOT / ".venv")) / "bin"
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _prefect(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    result = subprocess.run(
        [str(BIN / "prefect"), "--no-prompt", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, f"prefect {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _wait_healthy(url: str, server: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert server.poll() is None, "the Prefect server exited"
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(1)
    raise AssertionError("the Prefect server did not become healthy")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[dict[str, str]]:
    port = _free_port()
    env = {
        **os.environ,
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "PREFECT_API_URL": f"http://127.0.0.1:{port}/api",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_UI_ENABLED": "false",
        "IKU_PROJECT_DIR": str(PROJECT_ROOT),
        "PYTHONPATH": str(PROJECT_ROOT),
        "COLUMNS": "250",  # Rich tables in the CLI output are not truncated
    }
    log = (tmp_path / "server.log").open("wb")
    server = subprocess.Popen(
        [str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(env["PREFECT_API_URL"], server)
        yield env
    finally:
        _stop(server)
        log.close()


def test_deploy_and_run_monthly_evaluation(prefect_server: dict[str, str], tmp_path: Path) -> None:
    env = prefect_server
    migrate.upgrade(process_runtime().engine)
    load_catalog(CATALOG_DIR, process_runtime().engine)
    result = simulate(
        read_catalog(CATALOG_DIR),
        load_rules(RULES_FILE),
        period="2026-10",
        out_dir=process_runtime().settings.inbox_dir,
        months=1,
        agencies=["DINKES", "RSUDAM"],
        seed=11,
    )
    load_simulation(process_runtime(), result.manifest_path)  # with the receipt times it states
    _prefect(env, "work-pool", "create", "iku-process", "--type", "process")
    deployed = _prefect(env, "deploy", "--all")
    for name in ("monthly-evaluation", "ingest-inbox", "submission-reminders"):
        assert name in deployed
    listed = _prefect(env, "deployment", "ls")
    assert "monthly-evaluation/monthly-evaluation" in listed

    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(
        [str(BIN / "prefect"), "worker", "start", "--pool", "iku-process", "--limit", "1"],
        env=env,
        cwd=PROJECT_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        started = _prefect(
            env,
            "deployment",
            "run",
            "monthly-evaluation/monthly-evaluation",
            "--param",
            "period=2026-10",
            "--watch",
            "--watch-timeout",
            "400",
            timeout=450,
        )
        assert "Completed" in started or "COMPLETED" in started.upper()
    finally:
        _stop(worker)
        log.close()
    with process_runtime().engine.connect() as connection:
        status = connection.scalar(
            sa.text("SELECT status FROM evaluation_cycle WHERE period = '2026-10'")
        )
        bulletins = connection.scalar(sa.text("SELECT count(*) FROM bulletin"))
    assert status == "completed"
    assert bulletins and bulletins > 0
    assert (process_runtime().settings.output_dir / "2026-10" / "provinsi.pdf").is_file()


def _unit_kill_signal(unit: Path) -> signal.Signals:
    for line in unit.read_text(encoding="utf-8").splitlines():
        if line.startswith("KillSignal="):
            return signal.Signals[line.partition("=")[2].strip()]
    return signal.SIGTERM  # systemd's default


def _as_systemd_starts_it() -> None:
    # systemd starts a service with default signal dispositions; a shell's `cmd &` would leave
    # SIGINT ignored, and then the worker cannot stop itself.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.setsid()


@pytest.mark.parametrize("which", ["unit", "SIGTERM"])
def test_a_worker_stops_within_ten_seconds(
    prefect_server: dict[str, str], tmp_path: Path, which: str
) -> None:
    unit = PROJECT_ROOT / "deploy" / "systemd" / "iku-worker.service"
    stop = _unit_kill_signal(unit) if which == "unit" else signal.SIGTERM
    assert which != "unit" or stop == signal.SIGINT
    log_path = tmp_path / "worker.log"
    with log_path.open("wb") as log:
        worker = subprocess.Popen(
            [str(BIN / "prefect"), "worker", "start", "--pool", "iku-stop", "--type", "process"],
            env=prefect_server,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_as_systemd_starts_it,
        )
        try:
            deadline = time.monotonic() + 180
            while b"started!" not in log_path.read_bytes():
                assert worker.poll() is None, log_path.read_text(errors="replace")
                assert time.monotonic() < deadline, "the worker did not start"
                time.sleep(0.5)
            worker.send_signal(stop)
            worker.wait(timeout=10)  # raises TimeoutExpired if the worker keeps running
        finally:
            if worker.poll() is None:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait()
    assert b"stopped!" in log_path.read_bytes()
