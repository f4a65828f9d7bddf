"""``iku demo`` from a fresh folder while both cores are busy (issue 14's acceptance).

As a newcomer runs it: a new working folder holding only the project's data (what a fresh
clone has besides the code), no ``var/``, no Prefect settings at all, the project's own
environment, and two CPU hogs started by the test so that Prefect's ephemeral server starts on a
loaded machine. The demo must pass with its own start-up defaults (flows/environment.py). It
simulates January only (``--months 1``) to keep the test short; the code path is the real demo.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
HOG = "while True: pass"


@pytest.fixture
def busy_cores() -> Iterator[int]:
    """One busy-looping process per core, killed afterwards."""
    hogs = [
        subprocess.Popen([sys.executable, "-c", HOG], start_new_session=True)
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield len(hogs)
    finally:
        for hog in hogs:
            hog.send_signal(signal.SIGKILL)
            hog.wait()


def test_demo_passes_from_a_fresh_folder_on_a_busy_machine(tmp_path: Path, busy_cores: int) -> None:
    folder = tmp_path / "iku-baru"
    shutil.copytree(PROJECT_ROOT / "data", folder / "data")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("IKU_", "PREFECT_")) and k != "DO_NOT_TRACK"
    }
    env["HOME"] = str(tmp_path / "home")  # no ~/.prefect profile of the developer's
    env["COLUMNS"] = "200"
    assert not (folder / "var").exists()
    result = subprocess.run(
        [str(BIN / "iku"), "demo", "--months", "1"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=1500,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "Traceback" not in output
    assert "Timed out while attempting to connect" not in output
    assert " | INFO " not in output  # Prefect's own INFO lines stay off the terminal
    assert "telemetry" not in output.lower()
    assert "2026-01 selesai" in output or "2026-01 sebagian" in output, output[-2000:]
    assert (folder / "out" / "2026-01" / "provinsi.pdf").is_file()
    assert (folder / "var" / "prefect").is_dir()  # PREFECT_HOME created under the state folder
    assert (folder / "var" / "iku.db").is_file()
