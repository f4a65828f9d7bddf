"""The benchmark scales and their prepared data (issue 7), cached under ``var/bench/``.

Three scales, each the repository's catalog (17 agencies with 68 IKU) replicated by
:func:`benchmarks.bench_ingest.replicated_catalog`:

- ``S``, the province: 41 agencies;
- ``M``, province + kabupaten/kota: 640 agencies;
- ``L``, a national simulation: 22.000 agencies (validation, compute and the bulletins; no files).

An integer in place of a name (``--scales 3``) is a custom scale of that many agencies with the
stages of ``S`` (the harness's own test uses it).

Every scale gets twelve months of accepted history (2025-10 .. 2026-09) before the benchmarked
month 2026-10 (the catalog's targets are for 2026, so capaian resolves for January..October).
The values come from ``iku simulate`` (seeded, a few planted defects), run for 13 months:

- ``S``, ``M`` and custom scales simulate every agency; the benchmarked month's files become the
  inbox that the ingest stage reads (every format: template, other .xlsx, CSV, JSON); the
  history months are bulk-loaded as validated submissions and realisations (their files are
  deleted: ingesting 12 x 640 files only to build a history would measure nothing useful);
- ``L`` simulates a tile of 221 agencies (13 copies of each of the 17 base agencies, CSV only)
  and deals its values out over the 22.000 agencies (agency n takes the values of tile agency
  n mod 221, which is a copy of the same base agency); the history is bulk-loaded the same way
  and the benchmarked month is *staged directly* (staged rows bulk-inserted as ingestion would
  leave them), since 286.000 files would be absurd.

After the history, the achievement engine computes 2026-01..2026-09 (so bulletins have their
trend lines and the achievement table has its realistic size). The result is a SQLite file
``prepared.db`` (the state before the first benchmarked stage), an ``inbox/`` (S, M) and a
``catalog/recipients.csv`` with one head per replicated agency (delivery needs recipients),
plus ``prepared.json`` describing it. A re-run with the same scale and seed reuses the folder;
generation time is recorded there and reported apart from the stages.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, insert, select, update

from benchmarks.bench_ingest import CATALOG_DIR, PROJECT_ROOT, RULES_FILE, replicated_catalog
from iku import migrate
from iku import models as m
from iku.calendar import periods_between
from iku.catalog import read_catalog, write_catalog
from iku.db import make_engine, session_scope
from iku.rules import load_rules
from iku.settings import TIMEZONE
from iku.simulate import SimFile, SimLine, simulate

#: The benchmarked month and its twelve months of history.
PERIOD: Final = "2026-10"
HISTORY: Final = tuple(periods_between("2025-10", "2026-09"))
#: History months of the catalog's target year: computed so bulletins have trend lines.
COMPUTED_HISTORY: Final = tuple(p for p in HISTORY if p.startswith("2026-"))
#: Bump when the generated data changes shape: cached folders of another version are rebuilt.
GENERATOR_VERSION: Final = 1
DEFAULT_CACHE: Final = PROJECT_ROOT / "var" / "bench"
DEFAULT_SEED: Final = 7

#: Every stage, in the order of the monthly cycle; ``rerender`` is the render of a rerun after
#: one agency resubmits (on the state ``render`` left); ``cycle`` is the whole flow.
STAGES: Final = ("ingest", "validate", "compute", "render", "rerender", "deliver", "cycle")


@dataclass(frozen=True)
class Scale:
    """One benchmark scale: how many agencies, which stages, how the data is generated."""

    name: str
    agencies: int
    stages: tuple[str, ...]
    #: Simulate this many agencies and deal their values out (None: simulate every agency).
    tile: int | None = None
    #: Defects planted by ``iku simulate`` over the 13 simulated months.
    defects: int = 0
    description: str = ""

    @property
    def has_files(self) -> bool:
        """Whether the benchmarked month is an inbox of files (else it is staged directly)."""
        return self.tile is None


SCALES: Final = {
    "S": Scale("S", 41, STAGES, defects=8, description="province (41 agencies)"),
    "M": Scale(
        "M", 640, STAGES, defects=40, description="province + kabupaten/kota (640 agencies)"
    ),
    "L": Scale(
        "L",
        22_000,
        ("validate", "compute", "render", "rerender"),
        tile=221,
        defects=20,
        description="national simulation (22.000 agencies; validate, compute, render)",
    ),
}


def scale_named(name: str) -> Scale:
    """``S``, ``M``, ``L``, or an integer: a custom scale of that many agencies (stages of S)."""
    key = name.strip().upper()
    if key in SCALES:
        return SCALES[key]
    if key.isdigit() and int(key) > 0:
        return Scale(key, int(key), STAGES, defects=2, description=f"custom ({key} agencies)")
    raise ValueError(f"unknown scale {name!r}: use S, M, L or a number of agencies")


@dataclass(frozen=True)
class Prepared:
    """A prepared scale: where its state lives and what it holds."""

    scale: Scale
    seed: int
    folder: Path
    info: dict[str, Any]

    @property
    def database(self) -> Path:
        return self.folder / "prepared.db"

    @property
    def inbox(self) -> Path:
        return self.folder / "inbox"

    @property
    def catalog_dir(self) -> Path:
        return self.folder / "catalog"


def prepare(scale: Scale, seed: int = DEFAULT_SEED, cache: Path = DEFAULT_CACHE) -> Prepared:
    """The prepared data of ``scale`` under ``cache/<scale>-<seed>/``, generated if missing."""
    folder = cache / f"{scale.name}-{seed}"
    marker = folder / "prepared.json"
    if marker.is_file():
        info = json.loads(marker.read_text(encoding="utf-8"))
        if (
            info.get("version") == GENERATOR_VERSION
            and info.get("agencies") == scale.agencies
            and info.get("schema") == _schema()
        ):
            return Prepared(scale, seed, folder, {**info, "reused": True})
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    info = _generate(scale, seed, folder)
    info.update(
        version=GENERATOR_VERSION,
        # The revision the database is at, not the heads now: a migration added while the data
        # was generated must not mark the older database as current.
        schema=_prepared_schema(folder),
        scale=scale.name,
        agencies=scale.agencies,
        seed=seed,
        period=PERIOD,
        history=[HISTORY[0], HISTORY[-1]],
        generation_s=round(time.perf_counter() - started, 2),
    )
    marker.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    return Prepared(scale, seed, folder, {**info, "reused": False})


def _schema() -> list[str]:
    """The migrations' head revisions: data prepared at another schema is generated again
    (a stage would otherwise query tables a later migration added)."""
    from iku import migrate

    return sorted(migrate.heads())


def _prepared_schema(folder: Path) -> list[str]:
    from iku import migrate

    engine = make_engine(f"sqlite:///{folder / 'prepared.db'}")
    try:
        revision = migrate.current_revision(engine)
    finally:
        engine.dispose()
    return [] if revision is None else [revision]


def _generate(scale: Scale, seed: int, folder: Path) -> dict[str, Any]:
    rules = load_rules(RULES_FILE)
    base = read_catalog(CATALOG_DIR)
    catalog = replicated_catalog(base, scale.agencies)
    simulated = folder / "simulated"
    sim_catalog = catalog if scale.tile is None else replicated_catalog(base, scale.tile)
    started = time.perf_counter()
    result = simulate(
        sim_catalog,
        rules,
        period=PERIOD,
        out_dir=simulated,
        months=len(HISTORY) + 1,
        defects=scale.defects,
        seed=seed,
        formats=None if scale.tile is None else ("csv",),
    )
    simulate_s = time.perf_counter() - started

    engine = make_engine(f"sqlite:///{folder / 'prepared.db'}")
    migrate.upgrade(engine)
    started = time.perf_counter()
    with session_scope(engine) as session:
        write_catalog(session, catalog)
    catalog_s = time.perf_counter() - started
    _write_recipients(folder / "catalog", [a.code for a in catalog.agencies])

    copies = _copies(scale, [a.code for a in sim_catalog.agencies])
    started = time.perf_counter()
    history_rows = _load_history(engine, result.files, copies)
    staged_rows = 0
    if scale.has_files:
        inbox = folder / "inbox"
        for sim in result.files:
            if sim.period == PERIOD:
                target = inbox / sim.relpath
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.move(simulated / sim.relpath, target)  # keeps the arrival mtime
    else:
        staged_rows = _stage_month(engine, result.files, copies)
    bulk_s = time.perf_counter() - started
    shutil.rmtree(simulated)

    started = time.perf_counter()
    from iku.engine.store import compute_period

    for period in COMPUTED_HISTORY:
        with session_scope(engine) as session:
            compute_period(session, period, rules)
            session.execute(
                update(m.EvaluationCycle)
                .where(m.EvaluationCycle.period == period)
                .values(status="completed")
            )
    history_compute_s = time.perf_counter() - started
    engine.dispose()
    inbox_files = sum(1 for _ in (folder / "inbox").rglob("*.*")) if scale.has_files else 0
    return {
        "simulated_files": len(result.files),
        "simulated_agencies": len(sim_catalog.agencies),
        "defects_planted": len(result.defects),
        "indicators": len(catalog.indicators),
        "history_rows": history_rows,
        "inbox_files": inbox_files,
        "staged_rows": staged_rows,
        "steps_s": {
            "simulate": round(simulate_s, 2),
            "catalog": round(catalog_s, 2),
            "bulk_load": round(bulk_s, 2),
            "history_compute": round(history_compute_s, 2),
        },
    }


def _copies(scale: Scale, simulated_codes: list[str]) -> dict[str, list[str]]:
    """Simulated agency code -> the agency codes that take its values."""
    if scale.tile is None:
        return {code: [code] for code in simulated_codes}
    copies: dict[str, list[str]] = {code: [] for code in simulated_codes}
    for n in range(scale.agencies):
        source = simulated_codes[n % scale.tile]
        copies[source].append(f"{source.rsplit('_', 1)[0]}_{n:04d}")
    return copies


def _write_recipients(folder: Path, agencies: list[str]) -> None:
    """The repository's province and steward recipients, and one head per agency."""
    folder.mkdir(parents=True, exist_ok=True)
    with (CATALOG_DIR / "recipients.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [r for r in csv.DictReader(handle) if r["audience"] != "agency"]
    rows += [
        {
            "audience": "agency",
            "agency_code": code,
            "name": f"Kepala {code}",
            "email": f"kepala.{code.lower()}@bench.example",
        }
        for code in agencies
    ]
    with (folder / "recipients.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=["audience", "agency_code", "name", "email"])
        writer.writeheader()
        writer.writerows(rows)


def _ids(engine: Engine) -> tuple[dict[str, int], dict[str, int]]:
    with engine.connect() as conn:
        agencies = {code: id_ for code, id_ in conn.execute(select(m.Agency.code, m.Agency.id))}
        indicators = {
            code: id_ for code, id_ in conn.execute(select(m.Indicator.code, m.Indicator.id))
        }
    return agencies, indicators


def _submission(
    sub_id: int, agency_id: int, sim: SimFile, agency: str, status: str
) -> dict[str, Any]:
    key = f"bench/{agency}/{sim.period}/{sim.name}"
    return {
        "id": sub_id,
        "agency_id": agency_id,
        "period": sim.period,
        "file_name": sim.name,
        "file_format": "xlsx" if sim.kind == "template" else sim.kind,
        "sha256": hashlib.sha256(key.encode()).hexdigest(),
        "size_bytes": 1,
        "archive_path": "/bench/" + key,
        "received_at": sim.received_at.astimezone(TIMEZONE),
        "status": status,
        "row_count": len(sim.lines),
    }


def _expanded(
    files: list[SimFile], copies: dict[str, list[str]], months: tuple[str, ...]
) -> Iterator[tuple[SimFile, str]]:
    for sim in files:
        if sim.period in months and sim.rejected_rule is None:
            for agency in copies.get(sim.agency, ()):
                yield sim, agency


def _suffix(line: SimLine) -> str:
    return line.code.rsplit("-", 1)[-1]


def _load_history(engine: Engine, files: list[SimFile], copies: dict[str, list[str]]) -> int:
    """Accepted submissions and realisations of the history months, in bulk."""
    agency_ids, indicator_ids = _ids(engine)
    submissions: list[dict[str, Any]] = []
    realisations: list[dict[str, Any]] = []
    sub_id = 0
    for sim, agency in _expanded(files, copies, HISTORY):
        sub_id += 1
        submissions.append(_submission(sub_id, agency_ids[agency], sim, agency, "validated"))
        seen: set[int] = set()
        for row, line in enumerate(sim.lines, start=2):
            indicator_id = indicator_ids.get(f"{agency}-{_suffix(line)}")
            if (
                indicator_id is None
                or indicator_id in seen
                or line.quarantined
                or line.expect_parse != "ok"
                or line.expect_state is None
            ):
                continue
            seen.add(indicator_id)
            realisations.append(
                {
                    "submission_id": sub_id,
                    "indicator_id": indicator_id,
                    "period": sim.period,
                    "value": line.expect_value if line.expect_state == "angka" else None,
                    "state": line.expect_state,
                    "state_reason": None if line.expect_state == "angka" else "belum ada data",
                    "evidence_url": line.evidence,
                    "source_row": line.source_row or row,
                    "flags": [],
                    "created_at": sim.received_at.astimezone(TIMEZONE),
                }
            )
    with engine.begin() as conn:
        for chunk in _chunks(submissions):
            conn.execute(insert(m.Submission), chunk)
        for chunk in _chunks(realisations):
            conn.execute(insert(m.Realisation), chunk)
    return len(realisations)


def _stage_month(engine: Engine, files: list[SimFile], copies: dict[str, list[str]]) -> int:
    """Staged submissions and rows of the benchmarked month, as ingestion leaves them."""
    agency_ids, _ = _ids(engine)
    with engine.connect() as conn:
        first = (conn.scalar(select(m.Submission.id).order_by(m.Submission.id.desc())) or 0) + 1
    submissions: list[dict[str, Any]] = []
    staged: list[dict[str, Any]] = []
    received = datetime(2026, 11, 3, 9, tzinfo=TIMEZONE)
    for sub_id, (sim, agency) in enumerate(_expanded(files, copies, (PERIOD,)), start=first):
        submission = _submission(sub_id, agency_ids[agency], sim, agency, "staged")
        submission["received_at"] = min(sim.received_at.astimezone(TIMEZONE), received)
        submissions.append(submission)
        for row, line in enumerate(sim.lines, start=2):
            written = line.written if line.written_set else line.expect_value
            staged.append(
                {
                    "submission_id": sub_id,
                    "source_file": sim.name,
                    "source_row": row,
                    "agency_code": agency,
                    "indicator_code": f"{agency}-{_suffix(line)}",
                    "period": PERIOD,
                    "raw_value": None if written is None else str(written),
                    "value": line.expect_value,
                    "state": line.expect_state,
                    "parse_status": line.expect_parse,
                    "state_reason": None if line.expect_state == "angka" else line.note,
                    "evidence_url": line.evidence,
                    "note": line.note,
                }
            )
    with engine.begin() as conn:
        for chunk in _chunks(submissions):
            conn.execute(insert(m.Submission), chunk)
        for chunk in _chunks(staged):
            conn.execute(insert(m.StagedRow), chunk)
    return len(staged)


def _chunks(rows: list[dict[str, Any]], size: int = 50_000) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
