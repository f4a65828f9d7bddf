"""Start-up benchmark of the command line (not a test): ``iku --help`` and ``iku review list``.

Run: ``.venv/bin/python -m benchmarks.bench_startup [--runs N]`` (or ``make bench-startup``).
Each command runs N times (default 7) as a user runs it: a fresh ``iku`` process from the
project's environment, in a scratch folder whose embedded database was set up once (schema,
catalog, one simulated month with planted defects, ingested and validated, so the queue holds
issues). Prints the minimum and median wall time of each against its target (``iku --help``
< 0,3 s, ``iku review list`` < 1,5 s) and PASS or FAIL; exits 1 on a FAIL. The load average is
printed too: on a shared machine a busy minute shows in the median first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
#: (label, arguments, target seconds)
COMMANDS: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("iku --help", ("--help",), 0.3),
    ("iku review list", ("review", "list"), 1.5),
)


def _env(folder: Path) -> dict[str, str]:
    return {
        **os.environ,
        "IKU_DATABASE_URL": f"sqlite:///{folder / 'var' / 'iku.db'}",
        "IKU_STATE_DIR": str(folder / "var"),
        "IKU_INBOX_DIR": str(folder / "inbox"),
        "IKU_OUTPUT_DIR": str(folder / "out"),
        "IKU_ARCHIVE_DIR": str(folder / "var" / "archive"),
        "IKU_CATALOG_DIR": str(PROJECT_ROOT / "data" / "catalog"),
        "IKU_RULES_FILE": str(PROJECT_ROOT / "data" / "rules.yaml"),
        "COLUMNS": "200",
    }


def _iku(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "iku"), *args],
        cwd=folder,
        env=_env(folder),
        capture_output=True,
        text=True,
        check=False,
    )


def prepare(folder: Path) -> int:
    """Set the scratch folder up; return how many issues the queue holds."""
    steps = (
        ("setup",),
        ("simulate", "--period", "2026-10", "--months", "1", "--defects", "8", "--out", "inbox"),
        ("ingest",),
        ("validate", "--period", "2026-10"),
    )
    for step in steps:
        done = _iku(folder, *step)
        if done.returncode != 0:
            raise SystemExit(f"setting up failed at `iku {' '.join(step)}`:\n{done.stderr}")
    listed = _iku(folder, "review", "list", "--json")
    return listed.stdout.count('"id":')


def measure(folder: Path, args: tuple[str, ...], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        done = _iku(folder, *args)
        times.append(time.perf_counter() - started)
        if done.returncode != 0:
            raise SystemExit(f"`iku {' '.join(args)}` failed:\n{done.stderr}")
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="runs per command (default 7)")
    options = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="iku-startup-") as scratch:
        folder = Path(scratch)
        issues = prepare(folder)
        print(f"scratch folder set up: {issues} issue(s) in the queue; {options.runs} runs each")
        failed = False
        for label, args, target in COMMANDS:
            _iku(folder, *args)  # warm the file cache once, as a second use would find it
            times = measure(folder, args, options.runs)
            low, middle = min(times), statistics.median(times)
            verdict = "PASS" if middle < target else "FAIL"
            failed = failed or verdict == "FAIL"
            print(
                f"{label:<18} min {low:6.3f} s  median {middle:6.3f} s  "
                f"target < {target:.1f} s  {verdict}"
            )
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"load average: {load} ({os.cpu_count()} cores)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
