"""Realistic agency submissions for the catalog, with seeded planted defects (``iku simulate``).

For every agency with indicators and every month of the window it writes
``DIR/<AGENCY_CODE>/<file>`` in a seeded mix of formats (the template, another .xlsx layout with
merged headers, an extra sheet, formula cells and trailing notes, semicolon CSV in Indonesian
number format in UTF-8, UTF-8 with BOM or cp1252, JSON), with file modification times on
plausible arrival days. ``DIR/.simulation/manifest.json`` lists every file and every planted
defect with its expected outcome; ``DIR/.simulation/truth.csv`` holds the exact value or state
ingestion must stage for every data row of every file that is not rejected. The hidden folder
keeps them out of ingestion when DIR is used as the inbox.

Clean data is kept clean on purpose, so validation finds exactly the planted defects: values
stay inside hard bounds, close to their series (the modified z-score is kept well below the
threshold with the validation's own robust scale), capaian well under the verification level,
evidence present where required, files on time, numbers written so they read only one way.
"""

from __future__ import annotations

import csv
import json
import random
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from iku import calendar
from iku.catalog import Catalog, IndicatorRow
from iku.i18n import _
from iku.numbers import STATE_NUMBER
from iku.rules import Rules
from iku.settings import TIMEZONE
from iku.simulate import realism
from iku.simulate.defects import Planter
from iku.simulate.manifest import (
    MANIFEST_NOTES,
    TRUTH_COLUMNS,
    audit_rows,
    file_entry,
    stated_receipts,
    truth_rows,
)
from iku.simulate.model import (
    DEFECT_KINDS,
    FORMAT_KINDS,
    QUARANTINE_KINDS,
    REJECTION_KINDS,
    SIMULATION_DIR,
    WARNING_KINDS,
    SimFile,
    SimLine,
    SimulationError,
    SimulationResult,
    format_id,
)
from iku.simulate.series import (
    Point,
    SeriesContext,
    build_series,
    catalog_context,
    grade_text,
)
from iku.simulate.writers import write_file

__all__ = [
    "DEFECT_KINDS",
    "FORMAT_KINDS",
    "QUARANTINE_KINDS",
    "REJECTION_KINDS",
    "SIMULATION_DIR",
    "WARNING_KINDS",
    "SimFile",
    "SimLine",
    "SimulationError",
    "SimulationResult",
    "format_id",
    "simulate",
    "stated_receipts",
]

_EVIDENCE_BASE: Final = "https://data.lampungprov.go.id/bukti"
_SMALL_NOTES: Final = (
    "Data sementara, final menyusul.",
    "Sumber: aplikasi SIMRS.",
    "Angka hasil rekapitulasi kabupaten/kota.",
    "Sudah diverifikasi Kasubbag Program.",
    "Catatan: <b>angka</b> dari laporan bulanan & rekap dinas.",
    "Termasuk data susulan bulan lalu – sudah dikoreksi.",
)


def _evidence(agency: str, period: str, code: str) -> str:
    return f"{_EVIDENCE_BASE}/{agency.lower()}/{period}/{code.lower()}.pdf"


def _arrival(period: str, rng: random.Random) -> datetime:
    year, month = calendar.split(calendar.shift_period(period, 1))
    day = rng.randint(1, 4)
    return datetime(year, month, day, rng.randint(7, 16), rng.randint(0, 59), tzinfo=TIMEZONE)


def _file_name(kind: str, agency: str, period: str) -> str:
    year, month = calendar.split(period)
    if kind == "template":
        return f"Realisasi_IKU_{agency}_{period}.xlsx"
    if kind == "xlsx":
        return f"Laporan IKU {agency} {calendar.label(period)}.xlsx"
    if kind == "csv":
        return f"{agency.lower()}_{year}{month:02d}.csv"
    return f"{agency.lower()}-{period}.json"


def simulate(
    catalog: Catalog,
    rules: Rules,
    *,
    period: str,
    out_dir: Path,
    months: int = 3,
    agencies: Sequence[str] | None = None,
    defects: int = 0,
    seed: int = 2026,
    formats: Sequence[str] | None = None,
    realistic: bool = False,
) -> SimulationResult:
    """Write simulated submissions for ``months`` months ending with ``period`` to ``out_dir``
    (``realistic``: with what real agencies send, :mod:`iku.simulate.realism`)."""
    if not calendar.is_period(period):
        raise SimulationError(
            _("The period '%(period)s' must be written like 2026-10.", period=period)
        )
    if months < 1:
        raise SimulationError(_("The number of months is at least 1."))
    kinds = tuple(formats or FORMAT_KINDS)
    unknown_kinds = [k for k in kinds if k not in FORMAT_KINDS]
    if unknown_kinds:
        raise SimulationError(
            _(
                "The formats %(formats)s are unknown; use %(known)s.",
                formats=", ".join(unknown_kinds),
                known=", ".join(FORMAT_KINDS),
            )
        )
    rng = random.Random(seed)
    ctx = catalog_context(catalog, rules)
    by_agency: dict[str, list[IndicatorRow]] = {}
    for indicator in catalog.indicators:
        by_agency.setdefault(indicator.agency_code, []).append(indicator)
    names = {a.code: a.name for a in catalog.agencies}
    if agencies:
        wanted = [a.strip().upper() for a in agencies]
        missing = [a for a in wanted if a not in by_agency]
        if missing:
            raise SimulationError(
                _(
                    "Agency codes unknown or without indicators: %(codes)s; see "
                    "data/catalog/agencies.csv.",
                    codes=", ".join(missing),
                )
            )
    else:
        wanted = sorted(by_agency)
    window = [calendar.shift_period(period, -k) for k in range(months - 1, -1, -1)]

    real = realism.plan(by_agency, wanted, window, seed) if realistic else None
    series: dict[str, dict[str, Point]] = {}
    for agency in wanted:
        for indicator in sorted(by_agency[agency], key=lambda i: i.code):
            if real is None:
                series[indicator.code] = build_series(ctx, indicator, window, rng)
            else:
                series[indicator.code] = build_series(
                    ctx,
                    indicator,
                    window,
                    rng,
                    performance=real.performance(agency),
                    releases=True,
                )
    if real is not None:
        realism.release_late(real, ctx.indicators, series)

    files: list[SimFile] = []
    for agency in wanted:
        for month in window:
            lines = []
            for indicator in sorted(by_agency[agency], key=lambda i: i.code):
                point = series[indicator.code].get(month)
                if point is None:
                    continue
                lines.append(_line(ctx, agency, indicator, point, rng))
            if not lines:
                continue
            files.append(
                SimFile(
                    agency=agency,
                    agency_name=names.get(agency, agency),
                    period=month,
                    kind="",
                    name="",
                    lines=lines,
                    received_at=_arrival(month, rng),
                    agency_written=agency,
                    period_written=month,
                )
            )
    order = list(range(len(files)))
    rng.shuffle(order)
    offset = rng.randrange(len(kinds))
    for rank, index in enumerate(order):
        sim = files[index]
        sim.kind = kinds[(rank + offset) % len(kinds)]
        sim.name = _file_name(sim.kind, sim.agency, sim.period)
        sim.options = _options(sim.kind, rng)

    if real is not None:
        files = realism.shape_files(real, files, ctx.indicators, rules, seed)
    planter = Planter(ctx, catalog, files, series, window, rng)
    planted = planter.plant(defects)
    planter.settle()
    out_dir.mkdir(parents=True, exist_ok=True)
    for sim in files:
        write_file(sim, out_dir, rng)
    for defect in planted:
        defect.pop("_line", None)
        sim_file = defect.pop("_file")
        line = defect.pop("_line_obj", None)
        defect["file"] = sim_file.relpath
        if line is not None:
            defect["source_row"] = line.source_row
        if "_also" in defect:
            defect["also_rows"] = [other.source_row for other in defect.pop("_also")]
    truth = truth_rows(files)
    audit = audit_rows(ctx, catalog, files, window)
    manifest = {
        "generator": "iku simulate",
        "period": period,
        "months": window,
        "seed": seed,
        "rules_version": rules.version,
        "defects_requested": defects,
        "defects_planted": len(planted),
        "files": [file_entry(sim) for sim in files],
        "defects": planted,
        "realistic": realistic,
        "realism": [] if real is None else real.events,
        "audit": audit,
        "notes": MANIFEST_NOTES,
    }
    # In a hidden folder: ingesting DIR (or using it as the inbox) never sees them as submissions.
    (out_dir / SIMULATION_DIR).mkdir(parents=True, exist_ok=True)
    manifest_path = out_dir / SIMULATION_DIR / "manifest.json"
    manifest_path.write_text(
        json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    truth_path = out_dir / SIMULATION_DIR / "truth.csv"
    with truth_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(TRUTH_COLUMNS), lineterminator="\n")
        writer.writeheader()
        writer.writerows(truth)
    return SimulationResult(out_dir, files, planted, truth, audit, manifest_path, truth_path)


def _line(
    ctx: SeriesContext, agency: str, indicator: IndicatorRow, point: Point, rng: random.Random
) -> SimLine:
    shown = ctx.target_text(indicator.code, point.period)
    evidence = None
    if indicator.evidence_required or rng.random() < 0.3:
        evidence = _evidence(agency, point.period, indicator.code)
    note = point.reason
    if note is None and rng.random() < 0.2:
        note = rng.choice(_SMALL_NOTES)
    line = SimLine(
        code=indicator.code,
        name=indicator.name,
        unit=indicator.unit,
        target_text=shown,
        value=point.value,
        state=point.state,
        decimals=point.decimals,
        note=note,
        evidence=evidence,
        expect_value=point.value,
        expect_state=point.state,
    )
    grade = grade_text(ctx, indicator, point.value) if point.state == STATE_NUMBER else None
    if grade is not None:
        line.write(grade)  # a qualitative IKU is written as its grade, staged as its score
    return line


def _options(kind: str, rng: random.Random) -> dict[str, Any]:
    if kind == "csv":
        delimiter = ";" if rng.random() < 0.75 else ","
        return {
            "delimiter": delimiter,
            "encoding": rng.choice(("utf-8", "utf-8-sig", "cp1252")),
            "period_style": rng.choice(("iso", "slash", "words")),
            "preamble": rng.random() < 0.4,
            "plain_thousands": rng.random() < 0.5,
            "state_in_value": rng.random() < 0.3,
        }
    if kind == "xlsx":
        return {"agency_line": rng.random() < 0.5, "formulas": True, "percent_cells": True}
    if kind == "json":
        return {"strings": rng.random() < 0.4}
    return {"explicit_angka": rng.random() < 0.3}
