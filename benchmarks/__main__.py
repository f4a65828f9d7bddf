"""The scale benchmark harness (issue 7): ``make bench`` or ``python -m benchmarks``.

Runs every stage of the monthly cycle (ingest, validate, compute, render, deliver) and the whole
cycle (the Prefect flow) at each requested scale (:mod:`benchmarks.scales`: S province, M
province + kabupaten/kota, L national; default S and M), each beside its *floor* (the least work
the stage needs, written plainly in :mod:`benchmarks.stages`), and writes a JSON report and a
Markdown table (:mod:`benchmarks.report`) to ``benchmarks/results/`` (``latest.md``).

How a scale runs: its prepared state (generated once under ``var/bench/<scale>-<seed>/``) is the
input of the first stage; every stage runs in a fresh interpreter on a *copy* of the state the
previous stage left (the SQLite file), so stages never share a process or a cache, and the
floor of a stage runs on a copy of the same input. The whole cycle runs the flow on a fresh
copy of the prepared state and inbox. Per stage it reports wall seconds, units per second,
the peak resident memory of the process tree, the floor's seconds and the ratio stage/floor,
and how time per unit grows from the first scale to the others.

SQLite only: every stage gets its own copy of a database file, which a PostgreSQL server
cannot give as cheaply (template databases would do; not built).

The per-stage scripts of before (``python -m benchmarks.bench_capaian``, ``bench_ingest``,
``bench_validate``, ``bench_render``) still run on their own; ``--legacy`` runs them in turn.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks import report
from benchmarks.bench_ingest import PROJECT_ROOT, RULES_FILE
from benchmarks.scales import (
    DEFAULT_CACHE,
    DEFAULT_SEED,
    PERIOD,
    STAGES,
    Prepared,
    prepare,
    scale_named,
)

LEGACY = ("bench_capaian", "bench_ingest", "bench_validate", "bench_render", "bench_typst")
#: Stages in the order of the cycle (``cycle`` is apart: it starts from the prepared state).
CHAIN = tuple(s for s in STAGES if s != "cycle")
#: Stages with a floor (a rerun's render has none: its least work is what changed).
FLOORED = tuple(s for s in CHAIN if s != "rerender")
#: Stages measured beside an earlier design's engine (``benchmarks.stages.reference_*``).
REFERENCED = ("render",)


def _child(spec: dict[str, Any], folder: Path) -> dict[str, Any]:
    """Run one measured stage or floor in a fresh interpreter; its result plus process time."""
    spec_path = folder / f"{spec['stage']}-{spec['kind']}.json"
    spec["result"] = str(folder / f"{spec['stage']}-{spec['kind']}.result.json")
    spec_path.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    started = time.perf_counter()
    completed = subprocess.run(
        [sys.executable, "-m", "benchmarks.stages", str(spec_path)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    process_s = time.perf_counter() - started
    if completed.returncode != 0:
        tail = "\n".join((completed.stdout + completed.stderr).splitlines()[-30:])
        raise RuntimeError(f"{spec['stage']} ({spec['kind']}) failed:\n{tail}")
    result: dict[str, Any] = json.loads(Path(spec["result"]).read_text(encoding="utf-8"))
    result["process_s"] = round(process_s, 2)
    return result


def _spec(
    prepared: Prepared, stage: str, kind: str, db: Path, run_dir: Path, workers: int
) -> dict[str, Any]:
    out = run_dir / ("out" if kind == "stage" and stage != "cycle" else f"{stage}-{kind}-out")
    # Ingestion takes processed files out of the inbox: each run reads its own fresh copy
    # (with the files' modification times, which order them), and the prepared inbox stays
    # whole; a repeated ingest archives into an empty archive again.
    inbox = run_dir / f"{stage}-{kind}-inbox"
    if prepared.inbox.is_dir():
        shutil.rmtree(inbox, ignore_errors=True)
        shutil.copytree(prepared.inbox, inbox, copy_function=shutil.copy2)
    if kind == "stage" and stage in ("ingest", "cycle"):
        shutil.rmtree(run_dir / ("archive" if stage != "cycle" else "cycle-archive"), True)
    return {
        "stage": stage,
        "kind": kind,
        "db": str(db),
        "inbox": str(inbox),
        "archive": str(run_dir / ("archive" if stage != "cycle" else "cycle-archive")),
        "out": str(out),
        "catalog_dir": str(prepared.catalog_dir),
        "rules_file": str(RULES_FILE),
        "workers": workers,
        "period": PERIOD,
        "prefect_home": str(run_dir.parent.parent / "prefect"),
    }


def _copy(source: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "iku.db"
    shutil.copyfile(source, target)
    return target


def _log(message: str) -> None:
    print(message, flush=True)


def _median_run(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """The run of median wall time (the lower middle one of an even count), with every run's
    wall time beside it."""
    ordered = sorted(runs, key=lambda r: r["wall_s"])
    chosen = dict(ordered[(len(ordered) - 1) // 2])
    chosen["runs_wall_s"] = [r["wall_s"] for r in runs]
    return chosen


def run_scale(
    prepared: Prepared,
    stages: list[str],
    run_dir: Path,
    workers: int,
    floors: bool,
    repeat: int = 1,
) -> dict[str, Any]:
    """Every requested stage of one scale (and the chain before it), with floors timed
    interleaved with the stage (stage, floor, stage, floor, ... ``repeat`` pairs, each on a
    fresh copy of the same input), so a drift of the shared machine's speed hits both alike:
    the ratio is the median of the pairs' ratios, the times the median runs."""
    scale = prepared.scale
    wanted = [s for s in CHAIN if s in stages and s in scale.stages]
    first = CHAIN.index("ingest") if scale.has_files else CHAIN.index("validate")
    # The stages that must run to produce the input of the last wanted one.
    chain = list(CHAIN[first : CHAIN.index(wanted[-1]) + 1]) if wanted else []
    results: dict[str, Any] = {}
    state = prepared.database
    for stage in chain:
        stage_dir = run_dir / stage
        with_floor = floors and stage in wanted and stage in FLOORED
        stage_runs: list[dict[str, Any]] = []
        floor_runs: list[dict[str, Any]] = []
        for _ in range(repeat if with_floor else 1):
            db = _copy(state, stage_dir)
            _log(f"  {scale.name} {stage} ...")
            stage_runs.append(
                _child(_spec(prepared, stage, "stage", db, run_dir, workers), stage_dir)
            )
            if with_floor:
                floor_db = _copy(state, run_dir / f"{stage}-floor")
                floor_runs.append(
                    _child(
                        _spec(prepared, stage, "floor", floor_db, run_dir, workers),
                        floor_db.parent,
                    )
                )
                floor_db.unlink()
        measured = _median_run(stage_runs)
        entry: dict[str, Any] = {"stage": measured, "floor": None, "ratio": None}
        if floor_runs:
            entry["floor"] = _median_run(floor_runs)
            ratios = sorted(
                s["wall_s"] / f["wall_s"] for s, f in zip(stage_runs, floor_runs, strict=True)
            )
            entry["ratio"] = round(statistics.median(ratios), 2)
            entry["pair_ratios"] = [round(r, 2) for r in ratios]
        if floors and stage in wanted and stage in REFERENCED:
            reference_db = _copy(state, run_dir / f"{stage}-reference")
            reference = _child(
                _spec(prepared, stage, "reference", reference_db, run_dir, workers),
                reference_db.parent,
            )
            reference_db.unlink()
            entry["reference"] = reference
            skipped = reference["details"].get("skipped")
            _log(
                f"  {scale.name} {stage} reference: "
                + (skipped or f"{reference['wall_s']:.2f} s for {reference['units']} PDFs")
            )
        entry["requested"] = stage in wanted
        results[stage] = entry
        _log(
            f"  {scale.name} {stage}: {measured['wall_s']:.2f} s, {measured['units']} "
            f"{measured['unit']}, {measured['peak_rss_mib']:.0f} MiB"
            + (f"; floor {entry['floor']['wall_s']:.2f} s" if entry["floor"] else "")
        )
        if state != prepared.database:
            state.unlink()  # the previous stage's copy is no longer needed
        state = db
    if "cycle" in stages and "cycle" in scale.stages and scale.has_files:
        cycle_dir = run_dir / "cycle"
        db = _copy(prepared.database, cycle_dir)
        _log(f"  {scale.name} whole cycle (Prefect flow) ...")
        measured = _child(_spec(prepared, "cycle", "stage", db, run_dir, workers), cycle_dir)
        floor_sum = [
            results[s]["floor"]["wall_s"] for s in FLOORED if results.get(s, {}).get("floor")
        ]
        complete = len(floor_sum) == len(FLOORED)
        results["cycle"] = {
            "stage": measured,
            "floor": {"wall_s": round(sum(floor_sum), 3), "note": "sum of the stage floors"}
            if complete
            else None,
            "ratio": round(measured["wall_s"] / sum(floor_sum), 2) if complete else None,
            "requested": True,
        }
        _log(
            f"  {scale.name} cycle: {measured['wall_s']:.2f} s, "
            f"{measured['peak_rss_mib']:.0f} MiB, {measured['details'].get('timings')}"
        )
    return {
        "scale": scale.name,
        "agencies": scale.agencies,
        "description": scale.description,
        "prepared": prepared.info,
        "stages": results,
    }


def legacy() -> int:
    """The four per-stage benchmark scripts, one after another (what ``make bench`` was)."""
    failed = []
    for name in LEGACY:
        _log(f"== {name}")
        if subprocess.run([sys.executable, "-m", f"benchmarks.{name}"], check=False).returncode:
            failed.append(name)
    if failed:
        _log(f"benchmarks that did not finish: {', '.join(failed)}")
    return 1 if failed else 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--scales", default="S,M", help="S, M, L or a number of agencies")
    parser.add_argument("--stages", default=",".join(STAGES), help="subset of " + ",".join(STAGES))
    parser.add_argument("--workers", type=int, default=2, help="IKU_WORKERS for every stage")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--no-floors", action="store_true", help="skip the floors")
    parser.add_argument(
        "--repeat",
        type=int,
        default=2,
        help="stage/floor pairs per stage, interleaved (the medians are reported)",
    )
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="prepared data")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "benchmarks" / "results")
    parser.add_argument("--keep", action="store_true", help="keep the run's working folder")
    parser.add_argument("--legacy", action="store_true", help="run the four old scripts instead")
    args = parser.parse_args(argv)
    unknown = set(args.stages.split(",")) - set(STAGES)
    if unknown:
        parser.error(f"unknown stage(s) {', '.join(sorted(unknown))}")
    try:
        args.scale_list = [scale_named(s) for s in args.scales.split(",") if s.strip()]
    except ValueError as exc:
        parser.error(str(exc))
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.legacy:
        return legacy()
    started = time.perf_counter()
    stamp = datetime.now(UTC)
    load_start = list(os.getloadavg())
    stages = args.stages.split(",")
    args.cache.mkdir(parents=True, exist_ok=True)
    scales = []
    for scale in args.scale_list:
        _log(f"== {scale.name}: {scale.description}")
        prepared = prepare(scale, args.seed, args.cache)
        _log(
            f"  data {'reused' if prepared.info['reused'] else 'generated'} "
            f"({prepared.info['generation_s']} s to generate) in {prepared.folder}"
        )
        runs = args.cache / "runs"
        runs.mkdir(parents=True, exist_ok=True)
        run_dir = Path(tempfile.mkdtemp(prefix=f"{scale.name}-", dir=runs))
        try:
            scales.append(
                run_scale(
                    prepared,
                    stages,
                    run_dir,
                    args.workers,
                    not args.no_floors,
                    max(1, args.repeat),
                )
            )
        finally:
            if not args.keep:
                shutil.rmtree(run_dir, ignore_errors=True)
    result = {
        "started": stamp.isoformat(timespec="seconds"),
        "machine": report.machine(),
        "load_start": [round(x, 2) for x in load_start],
        "load_end": [round(x, 2) for x in os.getloadavg()],
        "workers": args.workers,
        "repeat": args.repeat,
        "seed": args.seed,
        "period": PERIOD,
        "scales": scales,
        "growth": report.growth(scales),
        "targets": report.targets(scales),
        "wall_s": round(time.perf_counter() - started, 1),
    }
    json_path, md_path = report.write(result, args.out)
    _log("")
    _log(md_path.read_text(encoding="utf-8"))
    _log(f"written: {json_path} and {md_path} (copied to latest.json, latest.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
