"""``iku web`` as an operator starts it: a real process on a free port, the embedded SQLite
default; and what its start-up imports (no pandas, Great Expectations, Prefect, Typst)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from typer.testing import CliRunner

from iku.cli import app

HEAVY = ("pandas", "numpy", "great_expectations", "prefect", "typst", "matplotlib")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_iku_web_serves_until_stopped(isolated_settings: Path) -> None:
    assert CliRunner().invoke(app, ["setup"]).exit_code == 0
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("iku")), "web", "--port", str(port)],
        cwd=isolated_settings,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 120  # generous: the machine is shared
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/masuk", timeout=5)
                break
            except httpx.TransportError:
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                assert time.monotonic() < deadline, "iku web did not answer"
                time.sleep(0.2)
        assert answer.status_code == 200 and "Masuk" in answer.text
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=60)
    assert f"http://127.0.0.1:{port}/" in output
    assert '"GET /masuk" 200' in output  # the access log


def test_iku_web_refuses_an_unmigrated_database(isolated_settings: Path) -> None:
    result = CliRunner().invoke(app, ["web", "--port", str(_free_port())])
    assert result.exit_code == 1 and "iku db upgrade" in result.output


def test_the_web_application_starts_without_heavy_libraries(isolated_settings: Path) -> None:
    code = (
        "import json, sys\n"
        "import iku.cli\n"
        "from iku.runtime import Runtime\n"
        "from iku.web.app import create_app\n"
        "create_app(Runtime.from_environment())\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=isolated_settings, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []
