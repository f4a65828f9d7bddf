"""Benchmark of ``iku web``'s start-up on the embedded SQLite default (not a test).

Run: ``.venv/bin/python -m benchmarks.bench_web_start [--repeat K]``. In a temporary folder it
runs ``iku setup`` once (the embedded database with the catalog), then starts ``iku web`` K
times as an operator would and measures, for each, the wall time from starting the process to
the first ``200`` answer of ``/masuk`` (the sign-in page: routing, templates, the session
table). It also lists which heavy libraries a started application has imported (none should:
pandas, Great Expectations, Prefect and WeasyPrint load inside the operations that need them).
The acceptance bar is under 2 s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
IKU = Path(sys.executable).with_name("iku")
HEAVY = ("pandas", "numpy", "great_expectations", "prefect", "typst", "matplotlib")
BAR_SECONDS = 2.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _environment(folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("IKU_")}
    env["IKU_CATALOG_DIR"] = str(PROJECT_ROOT / "data" / "catalog")
    env["IKU_RULES_FILE"] = str(PROJECT_ROOT / "data" / "rules.yaml")
    return env


def start_once(folder: Path, env: dict[str, str]) -> float:
    """Seconds from starting ``iku web`` to its first answer."""
    import httpx

    port = _free_port()
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(IKU), "web", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/masuk", timeout=5)
                if answer.status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                pass
            if process.poll() is not None:
                raise RuntimeError("iku web stopped before answering")
            time.sleep(0.01)
    finally:
        process.terminate()
        process.wait(timeout=30)


def heavy_imports(folder: Path, env: dict[str, str]) -> list[str]:
    code = (
        "import json, sys\n"
        "import iku.cli\n"
        "from iku.runtime import Runtime\n"
        "from iku.web.app import create_app\n"
        "create_app(Runtime.from_environment())\n"
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=folder, env=env, capture_output=True, text=True
    )
    result.check_returncode()
    loaded: list[str] = json.loads(result.stdout)
    return loaded


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="starts to time (default 5)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="iku-web-start-") as name:
        folder = Path(name)
        env = _environment(folder)
        subprocess.run(
            [str(IKU), "setup"], cwd=folder, env=env, check=True, stdout=subprocess.DEVNULL
        )
        times = [start_once(folder, env) for _ in range(args.repeat)]
        loaded = heavy_imports(folder, env)
    load = os.getloadavg()[0]
    print(f"iku web start-up to the first answer, {args.repeat} starts (load average {load:.1f}):")
    print("  " + ", ".join(f"{t:.2f} s" for t in times))
    median, worst = statistics.median(times), max(times)
    print(f"  median {median:.2f} s, worst {worst:.2f} s (bar: < {BAR_SECONDS:.0f} s)")
    print(f"  heavy libraries imported at start-up: {', '.join(loaded) or 'none'}")
    met = worst < BAR_SECONDS and not loaded
    print("  met" if met else "  NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
