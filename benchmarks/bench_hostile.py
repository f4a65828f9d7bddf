"""Time and peak memory of ingesting each hostile file (not a test: the tests assert outcomes,
this measures them).

Run: ``.venv/bin/python -m benchmarks.bench_hostile``. Every file of the hostile corpus
(``tests/data/bad_submissions/hostile/``), the lying zip bomb, and the heaviest files the
limits let through (a workbook of 5.000 rows, a CSV and a JSON at the size limit) is ingested
alone into a fresh SQLite database, with the rules file's limits. For each: the wall time of
``ingest_file`` and the peak resident memory of the whole process tree (this process and its
reader process), sampled every 5 ms. The bars (issue 15): under 30 s per file and under
800 MB for one ingestion, whatever the file.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psutil

from iku import migrate
from iku.catalog import load_catalog
from iku.db import make_engine
from iku.ingest.context import IngestContext
from iku.ingest.service import ingest_file
from iku.rules import load_rules
from iku.settings import TIMEZONE

PROJECT_ROOT = Path(__file__).resolve().parent.parent
HOSTILE = PROJECT_ROOT / "tests" / "data" / "bad_submissions" / "hostile"
README = PROJECT_ROOT / "tests" / "data" / "bad_submissions" / "README.md"
RECEIVED = datetime(2026, 11, 3, 9, 0, tzinfo=TIMEZONE)


class PeakMemory:
    """The largest resident set of this process and its children while the block runs."""

    def __init__(self) -> None:
        self.peak = 0
        self._stop = threading.Event()
        self._me = psutil.Process()

    def _tree(self) -> int:
        total = 0
        for process in [self._me, *self._me.children(recursive=True)]:
            with contextlib.suppress(psutil.Error):  # a process that ended meanwhile
                total += process.memory_info().rss
        return total

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._tree())
            time.sleep(0.005)

    def __enter__(self) -> PeakMemory:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._tree())


def folders() -> dict[str, str]:
    """Each hostile file's agency folder, from the README's table (where it is staged)."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| hostile file |"))
    found: dict[str, str] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip().strip("`") for c in line.strip("|").split("|")]
        name, built, folder, outcome = cells[0], cells[1], cells[2], cells[5]
        if built == "committed" and (name not in found or outcome == "staged"):
            found[name] = folder
    return found


def _warm(context: IngestContext, root: Path) -> None:
    """Start the reader process (once per ingesting process in real runs) before timing."""
    import hashlib

    from iku.ingest.isolation import ReaderLimits

    sample = root / "warm.csv"
    sample.write_text("Kode IKU;Realisasi;Periode\nRSUDAM-02;1;2026-10\n")
    digest = hashlib.sha256(sample.read_bytes()).hexdigest()
    context.readers().read(sample, "csv", digest, ReaderLimits.of(context.rules.ingest))


def _big_workbook(path: Path) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Kode IKU", "Realisasi", "Periode", "Keterangan"])
    for n in range(5000):
        sheet.append([f"RSUDAM-0{n % 5 + 1}", 50 + n % 40, "2026-10", "catatan " * 5])
    workbook.save(path)
    return path


def _big_csv(path: Path, limit: int) -> Path:
    line = "RSUDAM;2026-10;RSUDAM-02;86,5;" + "x" * 900 + "\n"
    rows = min((limit - 100) // len(line), 4999)
    path.write_text("Kode OPD;Periode;Kode IKU;Realisasi;Keterangan\n" + line * rows)
    return path


def _big_json(path: Path, limit: int) -> Path:
    rows = [{"indicator_code": "RSUDAM-02", "realisasi": 86.5}]
    numbers = list(range(10**6, 10**6 + (limit - 200) // 9))
    path.write_text(json.dumps({"period": "2026-10", "rows": rows, "lampiran": numbers}))
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args()
    from tests.data.bad_submissions.hostile import lying_zip_bomb

    rules = load_rules(PROJECT_ROOT / "data" / "rules.yaml")
    limit = rules.ingest.max_file_bytes
    made: dict[str, Callable[[Path], Path]] = {
        "bom_zip.xlsx (generated)": lying_zip_bomb,
        "5000_baris.xlsx (generated)": _big_workbook,
        "csv_batas_ukuran.csv (generated)": lambda p: _big_csv(p, limit),
        "json_batas_ukuran.json (generated)": lambda p: _big_json(p, limit),
    }
    with tempfile.TemporaryDirectory(prefix="iku-hostile-") as tmp:
        root = Path(tmp)
        sources: list[tuple[str, Path]] = [(p.name, p) for p in sorted(HOSTILE.iterdir())]
        for label, build in made.items():
            name = label.split(" ")[0]
            sources.append((label, build(root / name)))
        where = folders()
        print(f"{'file':40} {'outcome':28} {'wall s':>8} {'peak MiB':>9}")
        worst_time = worst_memory = 0.0
        for label, source in sources:
            case = root / label.split(" ")[0].replace(".", "_")
            engine = make_engine(f"sqlite:///{case / 'db.sqlite'}")
            migrate.upgrade(engine)
            load_catalog(PROJECT_ROOT / "data" / "catalog", engine)
            context = IngestContext.load(
                engine, rules, case / "archive", case / "out", inbox_dir=case / "inbox"
            )
            context.clock = lambda: RECEIVED
            folder = where.get(source.name, "RSUDAM")
            target = case / "inbox" / folder / source.name
            target.parent.mkdir(parents=True)
            shutil.copyfile(source, target)
            os.utime(target, (RECEIVED.timestamp(), RECEIVED.timestamp()))
            _warm(context, case)
            with PeakMemory() as memory:
                started = time.perf_counter()
                outcome = ingest_file(target, context)
                elapsed = time.perf_counter() - started
            context.close()
            engine.dispose()
            shown = f"{outcome.status} {outcome.rule or ''}".strip()
            mib = memory.peak / (1024 * 1024)
            worst_time, worst_memory = max(worst_time, elapsed), max(worst_memory, mib)
            print(f"{label:40} {shown:28} {elapsed:8.2f} {mib:9.0f}")
        verdict = "PASS" if worst_time < 30 and worst_memory < 800 else "FAIL"
        print(
            f"worst: {worst_time:.2f} s, {worst_memory:.0f} MiB -> {verdict} "
            "(bars: 30 s per file, 800 MB per ingestion)"
        )


if __name__ == "__main__":
    main()
