"""Run every stage benchmark in turn: ``make bench`` (or ``python -m benchmarks``).

Each benchmark is its own module (run one with ``python -m benchmarks.<name> --help``); this
runner starts each in a fresh interpreter so one's memory never weighs on the next, and prints
their reports. The scale harness of issue 7 (S/M/L with floors) will replace this.
"""

from __future__ import annotations

import subprocess
import sys

BENCHMARKS = ("bench_capaian", "bench_ingest", "bench_validate", "bench_render")


def main() -> int:
    failed = []
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        result = subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], check=False)
        if result.returncode != 0:
            failed.append(name)
    if failed:
        print(f"benchmarks that did not finish: {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
