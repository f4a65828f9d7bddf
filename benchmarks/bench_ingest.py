"""Benchmark of ingestion: 640 small agency workbooks, archived, read and staged (not a test).

Run: ``.venv/bin/python -m benchmarks.bench_ingest [--files 640] [--database URL]``. Builds a
synthetic catalog by replicating the repository's agencies (with their IKU and targets) under
generated codes until there are enough agencies for one workbook each, loads it into a fresh
database (a temporary SQLite file unless ``--database`` names another, e.g. PostgreSQL),
simulates one month of submissions as the template and the other .xlsx layout, then times
``ingest_paths`` over the folder. Prints files/s and rows/s; the bar is 640 files in under
20 s on the project's 2-core machine.
"""

from __future__ import annotations

import argparse
import dataclasses
import tempfile
import time
from pathlib import Path

from iku import migrate
from iku.catalog import Catalog, read_catalog, write_catalog
from iku.db import make_engine, session_scope
from iku.ingest.context import IngestContext
from iku.ingest.service import ingest_paths
from iku.rules import load_rules
from iku.simulate import simulate

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CATALOG_DIR = PROJECT_ROOT / "data" / "catalog"
RULES_FILE = PROJECT_ROOT / "data" / "rules.yaml"


def replicated_catalog(base: Catalog, agencies: int) -> Catalog:
    """``agencies`` agencies, each a copy of a base agency that has IKU, under a new code."""
    with_indicators = sorted({i.agency_code for i in base.indicators})
    by_code = {a.code: a for a in base.agencies}
    indicators = [i for i in base.indicators]
    catalog = Catalog()
    for n in range(agencies):
        source = with_indicators[n % len(with_indicators)]
        code = f"{source[:30]}_{n:04d}"
        catalog.agencies.append(
            dataclasses.replace(by_code[source], code=code, region_codes={}, kind="opd")
        )
        for indicator in indicators:
            if indicator.agency_code != source:
                continue
            new_code = f"{code}-{indicator.code.rsplit('-', 1)[1]}"
            catalog.indicators.append(
                dataclasses.replace(indicator, code=new_code, agency_code=code)
            )
            for target in base.targets:
                if target.indicator_code == indicator.code:
                    catalog.targets.append(dataclasses.replace(target, indicator_code=new_code))
    return catalog


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=640, help="workbooks (one per agency)")
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--database", default="", help="SQLAlchemy URL (default: temp SQLite)")
    args = parser.parse_args()

    rules = load_rules(RULES_FILE)
    with tempfile.TemporaryDirectory(prefix="iku-bench-") as tmp:
        root = Path(tmp)
        engine = make_engine(args.database or f"sqlite:///{root / 'bench.db'}")
        migrate.upgrade(engine)
        catalog = replicated_catalog(read_catalog(CATALOG_DIR), args.files)
        with session_scope(engine) as session:
            write_catalog(session, catalog)

        started = time.perf_counter()
        result = simulate(
            catalog,
            rules,
            period=args.period,
            out_dir=root / "inbox",
            months=1,
            seed=640,
            formats=("template", "xlsx"),
        )
        simulated = time.perf_counter() - started
        print(f"simulated {len(result.files)} workbooks, {result.rows} rows in {simulated:.1f} s")

        context = IngestContext.load(engine, rules, root / "archive", root / "out")
        started = time.perf_counter()
        summary = ingest_paths(
            [root / "inbox" / sim.agency for sim in result.files], context=context
        )
        elapsed = time.perf_counter() - started
        staged = summary.rows_staged
        problems = [f for f in summary.files if f.status != "staged"]
        print(
            f"ingested {summary.files_seen} files, {summary.submissions_created} submissions, "
            f"{staged} rows in {elapsed:.2f} s: {summary.files_seen / elapsed:.0f} files/s, "
            f"{staged / elapsed:.0f} rows/s ({engine.dialect.name})"
        )
        if problems:
            print(f"unexpected outcomes: {[(p.file, p.status, p.reason) for p in problems[:5]]}")
        print("PASS" if elapsed < 20 and not problems else "FAIL", "(bar: 640 files < 20 s)")
        engine.dispose()


if __name__ == "__main__":
    main()
