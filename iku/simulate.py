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
import io
import json
import math
import os
import random
import re
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Final

from iku.catalog import Catalog, IndicatorRow, TargetRow
from iku.ingest import periods
from iku.ingest.context import reference_from_targets, target_in_force
from iku.numbers import STATE_NOT_AVAILABLE, STATE_NOT_REPORTED, STATE_NUMBER
from iku.rules import Rules
from iku.settings import TIMEZONE
from iku.template import TemplateRow, TemplateSpec, build_workbook, normalise_zip, target_text

#: Where the manifest and truth table go inside the output folder (hidden: never ingested).
SIMULATION_DIR: Final = ".simulation"
FORMAT_KINDS: Final = ("template", "xlsx", "csv", "json")

REJECTION_KINDS: Final = (
    "agency_mismatch",
    "period_outside_window",
    "missing_columns",
    "file_unreadable",
)
QUARANTINE_KINDS: Final = (
    "unknown_indicator",
    "not_a_number",
    "ambiguous_number",
    "state_without_reason",
    "duplicate_row",
    "out_of_bounds",
)
WARNING_KINDS: Final = (
    "outlier_zscore",
    "percent_as_fraction",
    "cumulative_decrease",
    "missing_evidence",
    "late_submission",
    "capaian_over_150",
)
DEFECT_KINDS: Final = REJECTION_KINDS + QUARANTINE_KINDS + WARNING_KINDS

_INTEGER_UNIT_WORDS: Final = ("rupiah", "km", "%", "indeks", "skor", "nilai", "level", "per ")
_EVIDENCE_BASE: Final = "https://data.lampungprov.go.id/bukti"
_CAPAIAN_CEILING: Final = 1.3  # clean capaian stays below 130% (verification is at 150%)
_Z_MARGIN: Final = 0.45  # clean values stay below 45% of the z-score threshold
_SMALL_NOTES: Final = (
    "Data sementara, final menyusul.",
    "Sumber: aplikasi SIMRS.",
    "Angka hasil rekapitulasi kabupaten/kota.",
    "Sudah diverifikasi Kasubbag Program.",
    "Catatan: <b>angka</b> dari laporan bulanan & rekap dinas.",
    "Termasuk data susulan bulan lalu – sudah dikoreksi.",
)


class SimulationError(ValueError):
    """Bad simulation arguments (unknown agency, bad period)."""


@dataclass
class SimLine:
    """One data row of a simulated file: what is written, and what staging must produce."""

    code: str
    name: str
    unit: str
    target_text: str
    value: float | None
    state: str
    decimals: int
    note: str | None = None
    evidence: str | None = None
    written: object = None  # text written in place of the value (defects), if set
    written_set: bool = False
    status_text: str | None = None
    expect_value: float | None = None
    expect_state: str | None = STATE_NUMBER
    expect_parse: str = "ok"
    defect_id: str | None = None
    percent_cell: bool = False
    formula: bool = False
    source_row: int = 0
    quarantined: bool = False
    warned: bool = False

    def write(self, text: object) -> None:
        self.written, self.written_set = text, True


@dataclass
class SimFile:
    agency: str
    agency_name: str
    period: str
    kind: str
    name: str
    lines: list[SimLine]
    received_at: datetime
    options: dict[str, Any] = field(default_factory=dict)
    agency_written: str = ""
    period_written: str = ""
    drop_value_column: bool = False
    corrupt: bool = False
    rejected_rule: str | None = None
    late: bool = False

    @property
    def relpath(self) -> str:
        return f"{self.agency}/{self.name}"


@dataclass
class SimulationResult:
    out_dir: Path
    files: list[SimFile]
    defects: list[dict[str, Any]]
    truth: list[dict[str, Any]]
    audit: list[str]
    manifest_path: Path
    truth_path: Path

    @property
    def rows(self) -> int:
        return sum(len(f.lines) for f in self.files)


# --- numbers as people write them --------------------------------------------------------------


def _group(integer: int) -> str:
    return f"{integer:,}".replace(",", ".")


def format_id(value: float, decimals: int, *, plain_thousands: bool = False) -> str:
    """Indonesian format that reads one way only: ``85,24``, ``1.234,50``, ``12345``.

    Never a single separator followed by exactly three digits (``1.234``, ``0,312``).
    """
    sign = "-" if value < 0 else ""
    magnitude = abs(value)
    if decimals == 0:
        integer = round(magnitude)
        if integer >= 1_000_000:
            return sign + _group(integer)
        if integer >= 1000:
            return sign + (str(integer) if plain_thousands else _group(integer) + ",00")
        return sign + str(integer)
    text = f"{magnitude:.{decimals}f}"
    integer_part, fraction = text.split(".")
    grouped = _group(int(integer_part))
    return f"{sign}{grouped},{fraction}"


def _decimals(indicator: IndicatorRow, level: float) -> int:
    unit = indicator.unit.lower()
    if indicator.consolidation == "sum" and not any(w in unit for w in _INTEGER_UNIT_WORDS):
        return 0
    return 2 if abs(level) >= 1 else 4


# --- the series --------------------------------------------------------------------------------


def _bps_lagged(indicator: IndicatorRow) -> bool:
    """A non-monthly BPS figure: released well after the submission deadline."""
    return indicator.frequency != "monthly" and bool(re.search(r"\bBPS\b", indicator.description))


@dataclass
class _Context:
    rules: Rules
    targets: dict[str, list[TargetRow]]
    years: dict[str, list[int]]


def _reference(ctx: _Context, indicator: IndicatorRow, period: str) -> float | None:
    targets = ctx.targets.get(indicator.code, [])
    years = ctx.years.get(indicator.code, [])
    if not years:
        return None
    year, month = periods.split(period)
    nearest = min(years, key=lambda y: (abs(y - year), -y))
    return reference_from_targets(
        targets, indicator.frequency, indicator.consolidation, periods.make_period(nearest, month)
    )


def _capaian(indicator: IndicatorRow, targets: list[TargetRow], period: str, value: float) -> float:
    """A close approximation of the engine's capaian (ratio, 1.0 = 100%), for the audit."""
    year = periods.split(period)[0]
    years = sorted({t.year for t in targets})
    if not years:
        return 1.0
    nearest = min(years, key=lambda y: (abs(y - year), -y))
    shifted = periods.make_period(nearest, periods.split(period)[1])
    target = None
    if indicator.consolidation == "sum":
        key = periods.breakdown_key(indicator.frequency, shifted)
        target = target_in_force(targets, shifted, key) if key != "annual" else None
    if target is None:
        target = target_in_force(targets, shifted)
    if target is None:
        return 1.0
    lower, upper = target.lower, target.upper
    if indicator.consolidation == "sum" and target.period_key == "annual":
        share = periods.periods_per_year(indicator.frequency)
        lower = None if lower is None else lower / share
        upper = None if upper is None else upper / share
    bound: float | None
    if lower is not None and upper is not None and lower != upper:
        if lower <= value <= upper:
            return 1.0
        bound = upper if value > upper else lower
    else:
        bound = lower if lower is not None else upper
    if bound is None or bound == 0:
        return 1.0
    if indicator.polarity == "negative":
        if indicator.negative_formula == "T/R":
            return bound / value if value > 0 else 9.99
        return (2 * bound - value) / bound
    return value / bound


def _robust(prior: Sequence[float], rules: Rules) -> tuple[float, float] | None:
    """(median, scale) of a history as validation computes them, or None if too short."""
    if len(prior) < rules.plausibility.min_history:
        return None
    median = statistics.median(prior)
    deviations = [abs(x - median) for x in prior]
    mad = statistics.median(deviations)
    scale = mad / 0.6745 if mad > 0 else statistics.fmean(deviations) * 1.253314
    spread = float(getattr(rules.plausibility, "min_relative_spread", 0.0))
    scale = max(scale, spread * abs(median))
    return (median, scale) if scale > 0 else None


def _zscore(value: float, prior: Sequence[float], rules: Rules) -> float:
    robust = _robust(prior, rules)
    if robust is None:
        return 0.0
    median, scale = robust
    return abs(value - median) / scale


@dataclass
class _Point:
    period: str
    value: float | None
    state: str
    reason: str | None
    decimals: int


def _series(
    ctx: _Context, indicator: IndicatorRow, window: Sequence[str], rng: random.Random
) -> dict[str, _Point]:
    points: dict[str, _Point] = {}
    factor = rng.uniform(0.95, 1.05)
    release_month = 12 if _bps_lagged(indicator) else rng.randint(3, 11)
    annual_values: dict[int, float] = {}
    prior: list[float] = []
    previous: float | None = None
    lower_bound = indicator.min_value
    upper_bound = indicator.max_value
    for period in window:
        if not periods.expects_value(indicator.frequency, period):
            continue
        year, month = periods.split(period)
        reference = _reference(ctx, indicator, period)
        level = reference if reference is not None else 50.0
        decimals = _decimals(indicator, level if level else 1.0)
        if indicator.frequency == "annual" and month < release_month:
            source = "BPS" if _bps_lagged(indicator) else "penilai"
            reason = (
                f"Angka tahun {year} belum dirilis {source}; rilis dijadwalkan "
                f"{periods.MONTHS_ID[release_month - 1]} {year}."
            )
            points[period] = _Point(period, None, STATE_NOT_AVAILABLE, reason, decimals)
            continue
        if indicator.frequency != "annual" and _bps_lagged(indicator):
            reason = (
                f"Rilis BPS untuk {periods.label(period)} dijadwalkan setelah batas pengiriman."
            )
            points[period] = _Point(period, None, STATE_NOT_AVAILABLE, reason, decimals)
            continue
        if indicator.frequency == "annual" and year in annual_values:
            points[period] = _Point(period, annual_values[year], STATE_NUMBER, None, decimals)
            continue
        if reference == 0:
            value = 0.0
        else:
            value = _draw(indicator, level * factor, decimals, prior, previous, reference, ctx, rng)
        if upper_bound is not None:
            value = min(value, upper_bound)
        if lower_bound is not None:
            value = max(value, lower_bound)
        points[period] = _Point(period, value, STATE_NUMBER, None, decimals)
        prior.append(value)
        previous = value
        if indicator.frequency == "annual":
            annual_values[year] = value
    return points


def _interval(
    indicator: IndicatorRow,
    reference: float | None,
    prior: Sequence[float],
    ctx: _Context,
) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    if indicator.min_value is not None:
        low = indicator.min_value
    if indicator.max_value is not None:
        high = indicator.max_value - 0.01 * abs(indicator.max_value)
    if indicator.unit.strip().startswith("%"):
        low = max(low, 1.0)
    if reference is not None and reference > 0:
        if indicator.polarity == "negative":
            if indicator.negative_formula == "T/R":
                low = max(low, reference / _CAPAIAN_CEILING)
            else:
                low = max(low, reference * (2 - _CAPAIAN_CEILING))
        else:
            high = min(high, reference * _CAPAIAN_CEILING)
    robust = _robust(prior, ctx.rules)
    if robust is not None:
        median, scale = robust
        reach = _Z_MARGIN * ctx.rules.plausibility.modified_zscore_threshold * scale
        z_low, z_high = median - reach, median + reach
        if max(low, z_low) <= min(high, z_high):
            low, high = max(low, z_low), min(high, z_high)
    return low, high


def _draw(
    indicator: IndicatorRow,
    level: float,
    decimals: int,
    prior: Sequence[float],
    previous: float | None,
    reference: float | None,
    ctx: _Context,
    rng: random.Random,
) -> float:
    relative = 0.03 if indicator.consolidation == "sum" else 0.012
    spread = abs(level) * relative
    if decimals == 0:
        spread = max(spread, 0.5 * math.sqrt(abs(level)))
    low, high = _interval(indicator, reference, prior, ctx)
    value = level + rng.gauss(0, spread)
    if indicator.cumulative and previous is not None:
        value = max(value, previous * 1.001 + 10 ** (-decimals))
    value = min(max(value, low), high)
    value = round(value, decimals)
    if indicator.cumulative and previous is not None and value < previous:
        value = previous
    return float(value) if decimals else float(int(value))


# --- building the files ------------------------------------------------------------------------


def _evidence(agency: str, period: str, code: str) -> str:
    return f"{_EVIDENCE_BASE}/{agency.lower()}/{period}/{code.lower()}.pdf"


def _arrival(period: str, rng: random.Random) -> datetime:
    year, month = periods.split(periods.add_months(period, 1))
    day = rng.randint(1, 4)
    return datetime(year, month, day, rng.randint(7, 16), rng.randint(0, 59), tzinfo=TIMEZONE)


def _file_name(kind: str, agency: str, period: str) -> str:
    year, month = periods.split(period)
    if kind == "template":
        return f"Realisasi_IKU_{agency}_{period}.xlsx"
    if kind == "xlsx":
        return f"Laporan IKU {agency} {periods.label(period)}.xlsx"
    if kind == "csv":
        return f"{agency.lower()}_{year}{month:02d}.csv"
    return f"{agency.lower()}-{period}.json"


def _catalog_context(catalog: Catalog, rules: Rules) -> _Context:
    targets: dict[str, list[TargetRow]] = {}
    for target in catalog.targets:
        targets.setdefault(target.indicator_code, []).append(target)
    years = {code: sorted({t.year for t in rows}) for code, rows in targets.items()}
    return _Context(rules=rules, targets=targets, years=years)


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
) -> SimulationResult:
    """Write simulated submissions for ``months`` months ending with ``period`` to ``out_dir``."""
    if not periods.is_period(period):
        raise SimulationError(f"period {period!r} must look like 2026-10")
    if months < 1:
        raise SimulationError("months must be at least 1")
    kinds = tuple(formats or FORMAT_KINDS)
    unknown_kinds = [k for k in kinds if k not in FORMAT_KINDS]
    if unknown_kinds:
        raise SimulationError(f"unknown format(s) {unknown_kinds}; use {', '.join(FORMAT_KINDS)}")
    rng = random.Random(seed)
    ctx = _catalog_context(catalog, rules)
    by_agency: dict[str, list[IndicatorRow]] = {}
    for indicator in catalog.indicators:
        by_agency.setdefault(indicator.agency_code, []).append(indicator)
    names = {a.code: a.name for a in catalog.agencies}
    if agencies:
        wanted = [a.strip().upper() for a in agencies]
        missing = [a for a in wanted if a not in by_agency]
        if missing:
            raise SimulationError(
                f"unknown agency code(s) or agencies without indicators: {', '.join(missing)}"
            )
    else:
        wanted = sorted(by_agency)
    window = [periods.add_months(period, -k) for k in range(months - 1, -1, -1)]

    series: dict[str, dict[str, _Point]] = {}
    for agency in wanted:
        for indicator in sorted(by_agency[agency], key=lambda i: i.code):
            series[indicator.code] = _series(ctx, indicator, window, rng)

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

    planted = _Planter(ctx, catalog, files, series, window, rng).plant(defects)
    out_dir.mkdir(parents=True, exist_ok=True)
    for sim in files:
        _write(sim, out_dir, rng)
    for defect in planted:
        defect.pop("_line", None)
        sim_file = defect.pop("_file")
        line = defect.pop("_line_obj", None)
        defect["file"] = sim_file.relpath
        if line is not None:
            defect["source_row"] = line.source_row
        if "_also" in defect:
            defect["also_rows"] = [other.source_row for other in defect.pop("_also")]
    truth = _truth(files)
    audit = _audit(ctx, catalog, files, window)
    manifest = {
        "generator": "iku simulate",
        "period": period,
        "months": window,
        "seed": seed,
        "rules_version": rules.version,
        "defects_requested": defects,
        "defects_planted": len(planted),
        "files": [_file_entry(sim) for sim in files],
        "defects": planted,
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


MANIFEST_NOTES: Final = (
    "expected.outcome of a file: staged or rejected (rule = the ingestion rejection rule); "
    "rejected files have no rows in truth.csv.",
    "Row defects: quarantined rows (severity error) and warnings are found by validation; "
    "file-level defects (late_submission, rejections) have source_row null.",
    "duplicate_row: every copy of the IKU is flagged; source_row is the added copy, also_rows "
    "the original.",
    "out_of_bounds plants a value below the IKU's min_value: expected rule below_minimum.",
    "History-based warnings (outlier_zscore, percent_as_fraction, cumulative_decrease) assume "
    "the months are validated in order, each before the next.",
    "audit lists clean rows that would raise a warning or error; it is empty by construction.",
)

TRUTH_COLUMNS: Final = (
    "agency",
    "period",
    "indicator_code",
    "source_file",
    "source_row",
    "value",
    "state",
    "parse_status",
    "defect_id",
)


def _line(
    ctx: _Context, agency: str, indicator: IndicatorRow, point: _Point, rng: random.Random
) -> SimLine:
    targets = ctx.targets.get(indicator.code, [])
    shown = target_text(targets, indicator.frequency, point.period) if targets else "-"
    evidence = None
    if indicator.evidence_required or rng.random() < 0.3:
        evidence = _evidence(agency, point.period, indicator.code)
    note = point.reason
    if note is None and rng.random() < 0.2:
        note = rng.choice(_SMALL_NOTES)
    return SimLine(
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


# --- planting defects --------------------------------------------------------------------------


class _Planter:
    """Seeded defects, never two on the same row, each with its expected outcome."""

    def __init__(
        self,
        ctx: _Context,
        catalog: Catalog,
        files: list[SimFile],
        series: dict[str, dict[str, _Point]],
        window: Sequence[str],
        rng: random.Random,
    ) -> None:
        self.ctx = ctx
        self.rules = ctx.rules
        self.files = files
        self.window = list(window)
        self.rng = rng
        self.indicators = {i.code: i for i in catalog.indicators}
        self.all_codes = {i.code for i in catalog.indicators}
        self.planted: list[dict[str, Any]] = []
        self.file_of: dict[tuple[str, str], SimFile] = {(f.agency, f.period): f for f in files}

    def plant(self, count: int) -> list[dict[str, Any]]:
        if count <= 0 or not self.files:
            return []
        order = list(DEFECT_KINDS)
        self.rng.shuffle(order)
        kinds = [order[i % len(order)] for i in range(count)]
        # Rejections first, row defects next, history-dependent warnings last: each later step
        # knows which rows earlier steps took out of the accepted history.
        order.sort(key=lambda k: 0 if k in REJECTION_KINDS else (1 if k in QUARANTINE_KINDS else 2))
        kinds.sort(key=order.index)
        for kind in kinds:
            if not self._plant(kind):
                for other in order:
                    if other != kind and self._plant(other):
                        break
        return self.planted

    # helpers

    def _record(
        self,
        kind: str,
        sim: SimFile,
        line: SimLine | None,
        column: str | None,
        outcome: str,
        rule: str,
        severity: str,
        **extra: Any,
    ) -> None:
        defect_id = f"D{len(self.planted) + 1:03d}"
        if line is not None:
            line.defect_id = defect_id
        self.planted.append(
            {
                "id": defect_id,
                "kind": kind,
                "agency": sim.agency,
                "period": sim.period,
                "_file": sim,
                "_line_obj": line,
                "source_row": None,
                "indicator_code": line.code if line is not None else None,
                "column": column,
                "expected": {"outcome": outcome, "rule": rule, "severity": severity},
                **extra,
            }
        )

    def _open_files(self, kinds: Sequence[str] | None = None) -> list[SimFile]:
        return [
            f
            for f in self.files
            if f.rejected_rule is None
            and (kinds is None or f.kind in kinds)
            and not any(line.defect_id for line in f.lines)
            and not f.late
        ]

    def _free_lines(self, predicate: Any = None) -> list[tuple[SimFile, SimLine]]:
        found = []
        for sim in self.files:
            if sim.rejected_rule is not None:
                continue
            for line in sim.lines:
                if line.defect_id is None and (predicate is None or predicate(sim, line)):
                    found.append((sim, line))
        return found

    def _accepted_prior(self, code: str, period: str) -> list[float]:
        """Accepted numbers of the series before ``period`` within the history window."""
        first = periods.add_months(period, -self.rules.plausibility.history_months)
        values = []
        for month in self.window:
            if not first <= month < period:
                continue
            line = self._line_at(code, month)
            if line is not None and line.expect_state == STATE_NUMBER and not line.quarantined:
                assert line.expect_value is not None
                values.append(line.expect_value)
        return values

    def _line_at(self, code: str, period: str) -> SimLine | None:
        indicator = self.indicators[code]
        sim = self.file_of.get((indicator.agency_code, period))
        if sim is None or sim.rejected_rule is not None:
            return None
        matches = [line for line in sim.lines if line.code == code]
        return matches[0] if len(matches) == 1 else None

    def _next_line(self, code: str, period: str) -> SimLine | None:
        later = [p for p in self.window if p > period]
        return self._line_at(code, later[0]) if later else None

    def _pick(self, candidates: list[Any]) -> Any:
        return candidates[self.rng.randrange(len(candidates))] if candidates else None

    # the kinds

    def _plant(self, kind: str) -> bool:
        return bool(getattr(self, f"_{kind}")())

    def _reject(self, sim: SimFile, kind: str) -> None:
        sim.rejected_rule = kind
        for line in sim.lines:
            line.quarantined = True
        self._record(kind, sim, None, None, "rejected", kind, "blocking")

    def _agency_mismatch(self) -> bool:
        sim = self._pick(self._open_files())
        if sim is None:
            return False
        others = sorted({f.agency for f in self.files if f.agency != sim.agency})
        sim.agency_written = others[0] if others else "DINAS_LAIN"
        self._reject(sim, "agency_mismatch")
        return True

    def _period_outside_window(self) -> bool:
        sim = self._pick(self._open_files())
        if sim is None:
            return False
        sim.period_written = periods.add_months(
            sim.period, -(self.rules.submission.open_months + 1)
        )
        self._reject(sim, "period_outside_window")
        return True

    def _missing_columns(self) -> bool:
        sim = self._pick(self._open_files(("template", "xlsx", "csv")))
        if sim is None:
            return False
        sim.drop_value_column = True
        self._reject(sim, "missing_columns")
        return True

    def _file_unreadable(self) -> bool:
        sim = self._pick(self._open_files(("template", "xlsx", "json")))
        if sim is None:
            return False
        sim.corrupt = True
        self._reject(sim, "file_unreadable")
        return True

    def _quarantine(
        self, kind: str, sim: SimFile, line: SimLine, column: str, **extra: Any
    ) -> None:
        line.quarantined = True
        rule = extra.pop("rule", kind)
        self._record(kind, sim, line, column, "quarantined", rule, "error", **extra)

    def _extra_line(self, sim: SimFile, base: SimLine, code: str) -> SimLine:
        extra = SimLine(
            code=code,
            name=base.name,
            unit=base.unit,
            target_text=base.target_text,
            value=base.value,
            state=base.state,
            decimals=base.decimals,
            note=base.note,
            evidence=base.evidence,
            expect_value=base.expect_value,
            expect_state=base.expect_state,
        )
        sim.lines.append(extra)
        return extra

    def _numeric(self, sim: SimFile, line: SimLine) -> bool:
        return line.expect_state == STATE_NUMBER and line.value is not None

    def _unknown_indicator(self) -> bool:
        pair = self._pick(self._free_lines(self._numeric))
        if pair is None:
            return False
        sim, base = pair
        number = 99
        while f"{sim.agency}-{number}" in self.all_codes:
            number -= 1
        line = self._extra_line(sim, base, f"{sim.agency}-{number}")
        line.name = "Indikator lama (sudah tidak dipakai)"
        self._quarantine("unknown_indicator", sim, line, "indicator_code")
        return True

    def _not_a_number(self) -> bool:
        pair = self._pick(self._free_lines(self._numeric))
        if pair is None:
            return False
        sim, line = pair
        if sim.kind in ("csv", "json"):
            text = self.rng.choice(("=SUM(F7:F9)", "sekitar 85", "85,2,1", "@HYPERLINK(1)"))
        else:
            text = self.rng.choice(("sekitar 85", "85,2,1", "n.a.", "lihat lampiran"))
        line.write(text)
        line.expect_value, line.expect_state, line.expect_parse = None, None, "invalid"
        self._quarantine("not_a_number", sim, line, "realisasi")
        return True

    def _ambiguous_number(self) -> bool:
        from iku.numbers import choose_by_magnitude, read_number

        pair = self._pick(self._free_lines(lambda s, ln: self._numeric(s, ln) and ln.value != 0))
        if pair is None:
            return False
        sim, line = pair
        indicator = self.indicators[line.code]
        assert line.value is not None
        reference = _reference(self.ctx, indicator, sim.period) or abs(line.value)
        whole = max(int(abs(line.value) * 50) + 1, 11)
        for _ in range(20):
            text = f"{whole}.{self.rng.randint(101, 999)}"
            reading = read_number(text)
            settled = choose_by_magnitude(
                reading.candidates,
                reference=reference,
                lower=indicator.min_value,
                upper=indicator.max_value,
            )
            near = choose_by_magnitude(reading.candidates, reference=line.value)
            if reading.is_ambiguous and settled is None and near is None:
                break
            whole *= 3
        else:
            return False
        line.write(text)
        line.expect_value, line.expect_state, line.expect_parse = None, None, "ambiguous"
        self._quarantine("ambiguous_number", sim, line, "realisasi")
        return True

    def _state_without_reason(self) -> bool:
        pair = self._pick(self._free_lines())
        if pair is None:
            return False
        sim, line = pair
        line.value = None
        line.state = STATE_NOT_AVAILABLE
        line.note = None
        line.expect_value, line.expect_state = None, STATE_NOT_AVAILABLE
        self._quarantine("state_without_reason", sim, line, "keterangan")
        return True

    def _duplicate_row(self) -> bool:
        pair = self._pick(self._free_lines(self._numeric))
        if pair is None:
            return False
        sim, base = pair
        line = self._extra_line(sim, base, base.code)
        base.quarantined = True
        base.defect_id = "dup-of-next"  # reserved: no second defect on the original row
        self._quarantine("duplicate_row", sim, line, "kode_iku", _also=[base])
        base.defect_id = self.planted[-1]["id"]
        return True

    def _out_of_bounds(self) -> bool:
        def eligible(sim: SimFile, line: SimLine) -> bool:
            indicator = self.indicators[line.code]
            return (
                self._numeric(sim, line)
                and indicator.polarity in ("positive", "range")
                and indicator.min_value is not None
                and not indicator.cumulative
            )

        pair = self._pick(self._free_lines(eligible))
        if pair is None:
            return False
        sim, line = pair
        indicator = self.indicators[line.code]
        assert indicator.min_value is not None and line.value is not None
        value = round(indicator.min_value - max(abs(line.value) * 0.1, 1.0), 2)
        line.value = value
        line.expect_value = value
        self._quarantine("out_of_bounds", sim, line, "realisasi", rule="below_minimum")
        return True

    def _warn(self, kind: str, sim: SimFile, line: SimLine | None, column: str | None) -> None:
        if line is not None:
            line.warned = True
        self._record(kind, sim, line, column, "warning", kind, "warning")

    def _history_ok(self, sim: SimFile, line: SimLine, minimum: int) -> list[float] | None:
        prior = self._accepted_prior(line.code, sim.period)
        return prior if len(prior) >= minimum else None

    def _outlier_zscore(self) -> bool:
        rules = self.rules
        for sim, line in self._shuffled(self._free_lines(self._numeric)):
            indicator = self.indicators[line.code]
            if indicator.cumulative or indicator.frequency == "annual":
                continue
            prior = self._history_ok(sim, line, rules.plausibility.min_history)
            robust = _robust(prior or [], rules)
            if prior is None or robust is None:
                continue
            median, scale = robust
            direction = 1 if indicator.polarity == "negative" else -1
            distance = max(8 * scale, 0.3 * abs(median))
            value = round(median + direction * distance, line.decimals)
            low = indicator.min_value if indicator.min_value is not None else -math.inf
            high = indicator.max_value if indicator.max_value is not None else math.inf
            if indicator.unit.strip().startswith("%"):
                low = max(low, 1.0)
            if not low <= value <= high:
                continue
            if _zscore(value, prior, rules) < 2 * rules.plausibility.modified_zscore_threshold:
                continue
            ratio = _capaian(indicator, self.ctx.targets.get(line.code, []), sim.period, value)
            if ratio * 100 > rules.plausibility.capaian_verification_above * 0.8:
                continue
            line.value = line.expect_value = value
            self._warn("outlier_zscore", sim, line, "realisasi")
            return True
        return False

    def _shuffled(self, items: list[Any]) -> list[Any]:
        items = list(items)
        self.rng.shuffle(items)
        return items

    def _percent_as_fraction(self) -> bool:
        rules = self.rules
        for sim, line in self._shuffled(self._free_lines(self._numeric)):
            indicator = self.indicators[line.code]
            if not indicator.unit.strip().startswith("%") or indicator.frequency == "annual":
                continue
            if indicator.cumulative or line.value is None or not 1 < line.value < 99:
                continue
            prior = self._history_ok(sim, line, rules.plausibility.min_history)
            if prior is None or statistics.median(prior) <= 1:
                continue
            value = round(line.value / 100, 4)
            line.value = line.expect_value = value
            line.decimals = 4
            line.percent_cell = False
            self._warn("percent_as_fraction", sim, line, "realisasi")
            return True
        return False

    def _cumulative_decrease(self) -> bool:
        for sim, line in self._shuffled(self._free_lines(self._numeric)):
            indicator = self.indicators[line.code]
            if not indicator.cumulative:
                continue
            previous_period = periods.add_months(sim.period, -1)
            if previous_period[:4] != sim.period[:4]:
                continue
            before = self._line_at(line.code, previous_period)
            if before is None or before.quarantined or before.expect_state != STATE_NUMBER:
                continue
            if before.defect_id is not None or before.expect_value is None:
                continue
            following = self._next_line(line.code, sim.period)
            if following is not None and following.defect_id is not None:
                continue
            step = max(abs(before.expect_value) * 0.004, 10 ** (-line.decimals))
            value = round(before.expect_value - step, line.decimals)
            if value >= before.expect_value:
                continue
            line.value = line.expect_value = value
            self._warn("cumulative_decrease", sim, line, "realisasi")
            return True
        return False

    def _missing_evidence(self) -> bool:
        def eligible(sim: SimFile, line: SimLine) -> bool:
            return self._numeric(sim, line) and self.indicators[line.code].evidence_required

        pair = self._pick(self._free_lines(eligible))
        if pair is None:
            return False
        sim, line = pair
        line.evidence = None
        self._warn("missing_evidence", sim, line, "bukti_dukung")
        return True

    def _late_submission(self) -> bool:
        candidates = [f for f in self.files if f.rejected_rule is None and not f.late]
        sim = self._pick(candidates)
        if sim is None:
            return False
        year, month = periods.split(periods.add_months(sim.period, 1))
        day = self.rules.submission.deadline_day + self.rng.randint(1, 10)
        sim.received_at = datetime(year, month, day, 10, 15, tzinfo=TIMEZONE)
        sim.late = True
        self._warn("late_submission", sim, None, "received_at")
        return True

    def _capaian_over_150(self) -> bool:
        rules = self.rules
        for sim, line in self._shuffled(self._free_lines(self._numeric)):
            indicator = self.indicators[line.code]
            if indicator.polarity != "positive" or indicator.cumulative:
                continue
            if indicator.consolidation == "sum" or indicator.frequency == "annual":
                continue
            reference = _reference(self.ctx, indicator, sim.period)
            if not reference or reference <= 0:
                continue
            value = round(reference * 1.75, line.decimals)
            if indicator.max_value is not None and value > indicator.max_value:
                continue
            targets = self.ctx.targets.get(line.code, [])
            if _capaian(indicator, targets, sim.period, value) * 100 <= (
                rules.plausibility.capaian_verification_above * 1.1
            ):
                continue
            following = self._next_line(line.code, sim.period)
            if following is not None and following.defect_id is not None:
                continue
            line.value = line.expect_value = value
            self._warn("capaian_over_150", sim, line, "capaian")
            return True
        return False


# --- writers -----------------------------------------------------------------------------------


def _cell_value(line: SimLine) -> object:
    """What goes into a spreadsheet's Realisasi cell (a number, or text for defects)."""
    if line.written_set:
        return line.written
    if line.state != STATE_NUMBER:
        return None
    return line.value


def _text_value(line: SimLine, options: dict[str, Any]) -> str:
    if line.written_set:
        return str(line.written)
    if line.state != STATE_NUMBER:
        if options.get("state_in_value"):
            return "belum tersedia" if line.state == STATE_NOT_AVAILABLE else "-"
        return ""
    assert line.value is not None
    return format_id(
        line.value, line.decimals, plain_thousands=options.get("plain_thousands", False)
    )


def _status_text(line: SimLine, options: dict[str, Any], text_value: str = "") -> str | None:
    if line.state == STATE_NOT_AVAILABLE:
        return None if text_value == "belum tersedia" else "belum tersedia"
    if line.state == STATE_NOT_REPORTED:
        return None if text_value == "-" else "tidak dilaporkan"
    return "angka" if options.get("explicit_angka") else None


def _period_text(period: str, style: str) -> str:
    year, month = periods.split(period)
    if style == "slash":
        return f"{month:02d}/{year}"
    if style == "words":
        return periods.label(period)
    return period


def _write(sim: SimFile, out_dir: Path, rng: random.Random) -> None:
    path = out_dir / sim.agency / sim.name
    path.parent.mkdir(parents=True, exist_ok=True)
    if sim.kind == "template":
        _write_template(sim, path)
    elif sim.kind == "xlsx":
        _write_xlsx(sim, path)
    elif sim.kind == "csv":
        _write_csv(sim, path)
    else:
        _write_json(sim, path)
    if sim.corrupt:
        data = path.read_bytes()
        path.write_bytes(data[: max(len(data) * 3 // 5, 10)])
    stamp = sim.received_at.timestamp()
    os.utime(path, (stamp, stamp))


def _write_template(sim: SimFile, path: Path) -> None:
    rows = []
    for line in sim.lines:
        status = _status_text(line, sim.options)
        rows.append(
            TemplateRow(
                code=line.code,
                name=line.name,
                unit=line.unit,
                target_text=line.target_text,
                realisasi=_cell_value(line),
                status=status,
                evidence=line.evidence,
                note=line.note,
            )
        )
    spec = TemplateSpec(
        agency_code=sim.agency_written,
        agency_name=sim.agency_name,
        period=sim.period_written,
        rows=rows,
        generated_at=sim.received_at - timedelta(days=3),
    )
    workbook = build_workbook(spec)
    sheet = workbook["Realisasi"]
    if sim.drop_value_column:
        sheet.cell(6, 6).value = "Nilai Capaian"
    first = 7
    for offset, line in enumerate(sim.lines):
        line.source_row = first + offset
        cell = sheet.cell(line.source_row, 6)
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text stays text, even "=..." (never a formula)
    workbook.save(path)
    normalise_zip(path, sim.received_at)


_GENERIC_HEADER: Final = (
    "No",
    "Kode Indikator",
    "Indikator Kinerja",
    "Satuan",
    "Realisasi",
    None,
    "Bukti Dukung",
    "Keterangan",
)


def _write_xlsx(sim: SimFile, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "Rekap"
    summary.append(["Rekap pengiriman tahun berjalan"])
    summary.append(["Bulan", "Jumlah baris", "Keterangan"])
    summary.append([periods.label(sim.period), len(sim.lines), "otomatis"])
    sheet = workbook.create_sheet("Data IKU")
    sheet["A1"] = f"LAPORAN REALISASI INDIKATOR KINERJA UTAMA {sim.agency_name.upper()}"
    sheet["A1"].font = Font(bold=True)
    sheet.merge_cells("A1:H1")
    sheet["A2"] = "Perangkat Daerah"
    sheet["B2"] = ":"
    sheet["C2"] = sim.agency_name
    sheet["A3"] = "Bulan"
    sheet["B3"] = ":"
    sheet["C3"] = _period_text(sim.period_written, "words")
    if sim.options.get("agency_line") or sim.agency_written != sim.agency:
        sheet["E3"] = f"Kode OPD: {sim.agency_written}"
    for column, title in enumerate(_GENERIC_HEADER, start=1):
        if title is not None:
            sheet.cell(5, column, title).font = Font(bold=True)
    sheet.cell(6, 5, "Nilai").font = Font(bold=True)
    sheet.cell(6, 6, "Status").font = Font(bold=True)
    for column in (1, 2, 3, 4, 7, 8):
        sheet.merge_cells(start_row=5, start_column=column, end_row=6, end_column=column)
    sheet.merge_cells("E5:F5")
    if sim.drop_value_column:
        sheet.cell(5, 5).value = "Capaian"
        sheet.cell(6, 5).value = "Angka"
    for column in range(1, 9):
        sheet.cell(7, column, f"({column})").alignment = Alignment(horizontal="center")
    formula_rows: dict[str, str] = {}
    row = 8
    for number, line in enumerate(sim.lines, start=1):
        value = _cell_value(line)
        status = _status_text(line, {})
        percent = (
            sim.options.get("percent_cells")
            and not line.written_set
            and line.state == STATE_NUMBER
            and line.unit.strip() == "%"
            and line.value is not None
            and number % 2 == 0
        )
        cells: list[object] = [
            number,
            line.code,
            line.name,
            line.unit,
            round(line.value / 100, 6) if percent and line.value is not None else value,
            status,
            line.evidence,
            line.note,
        ]
        for column, content in enumerate(cells, start=1):
            cell = sheet.cell(row, column, content)
            if isinstance(content, str) and column == 5:
                cell.data_type = "s"
        if percent:
            sheet.cell(row, 5).number_format = "0.00%"
            line.percent_cell = True
        elif (
            sim.options.get("formulas")
            and isinstance(value, float)
            and not line.written_set
            and number % 3 == 1
        ):
            formula_rows[f"E{row}"] = _formula_for(value, line.decimals)
            line.formula = True
        line.source_row = row
        row += 1
    sheet.cell(row + 1, 1, "Catatan: angka realisasi bersifat sementara dan dapat dikoreksi.")
    sheet.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=8)
    sheet.cell(row + 3, 6, "Mengetahui,")
    sheet.cell(row + 4, 6, f"Kepala {sim.agency_name}")
    sheet.cell(row + 7, 6, "NIP. 19700101 199503 1 001")
    workbook.properties.created = sim.received_at.replace(tzinfo=None)
    workbook.properties.modified = sim.received_at.replace(tzinfo=None)
    workbook.save(path)
    sheet_part = "xl/worksheets/sheet2.xml"
    normalise_zip(path, sim.received_at, {sheet_part: _formula_patch(formula_rows)})


def _formula_for(value: float, decimals: int) -> str:
    """A formula whose cached result is ``value`` (the reader uses the cache, never evaluates)."""
    if decimals == 0:
        half = int(value) // 2
        return f"SUM({half},{int(value) - half})"
    return f"ROUND({value:.{decimals}f}+0,{decimals})"


def _formula_patch(formulas: dict[str, str]) -> Callable[[bytes], bytes]:
    def patch(data: bytes) -> bytes:
        text = data.decode("utf-8")
        for ref, formula in formulas.items():
            pattern = re.compile(rf'(<c r="{ref}"[^>]*>)(<v>)')
            text, count = pattern.subn(rf"\1<f>{formula}</f>\2", text, count=1)
            if count != 1:
                raise RuntimeError(f"cannot plant a formula in {ref}")
        return text.encode("utf-8")

    return patch


def _write_csv(sim: SimFile, path: Path) -> None:
    options = sim.options
    delimiter = options["delimiter"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    line_number = 0
    if options.get("preamble"):
        writer.writerow([f"Laporan Realisasi IKU {sim.agency_name} - {periods.label(sim.period)}"])
        line_number += 1
    if delimiter == ",":
        header = [
            "agency_code",
            "period",
            "indicator_code",
            "indicator_name",
            "unit",
            "value",
            "state",
            "evidence",
            "note",
        ]
    else:
        header = [
            "Kode OPD",
            "Periode",
            "Kode IKU",
            "Nama Indikator",
            "Satuan",
            "Realisasi",
            "Status",
            "Link Bukti",
            "Keterangan",
        ]
    keep = [i for i in range(len(header)) if not (sim.drop_value_column and i == 5)]
    writer.writerow([header[i] for i in keep])
    line_number += 1
    period_text = _period_text(sim.period_written, options["period_style"])
    for line in sim.lines:
        value = _text_value(line, options)
        record = [
            sim.agency_written,
            period_text,
            line.code,
            line.name,
            line.unit,
            value,
            _status_text(line, options, value) or "",
            line.evidence or "",
            line.note or "",
        ]
        writer.writerow([record[i] for i in keep])
        line_number += 1
        line.source_row = line_number
    writer.writerow([])
    writer.writerow(["Sumber: rekapitulasi bidang; dicetak dari aplikasi e-Kinerja."])
    encoding = options["encoding"]
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))


def _write_json(sim: SimFile, path: Path) -> None:
    strings = sim.options.get("strings", False)
    rows = []
    for index, line in enumerate(sim.lines, start=1):
        item: dict[str, Any] = {"indicator_code": line.code}
        if line.written_set:
            item["realisasi"] = line.written
        elif line.state != STATE_NUMBER:
            item["realisasi"] = None
            item["state"] = line.state
        elif strings:
            assert line.value is not None
            item["realisasi"] = format_id(line.value, line.decimals, plain_thousands=True)
        else:
            item["realisasi"] = line.value
        if line.evidence:
            item["evidence_url"] = line.evidence
        if line.note:
            item["note"] = line.note
        rows.append(item)
        line.source_row = index
    document = {
        "agency_code": sim.agency_written,
        "period": sim.period_written,
        "generated_by": "aplikasi e-Kinerja OPD",
        "rows": rows,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


# --- manifest, truth and the self-audit --------------------------------------------------------


def _file_entry(sim: SimFile) -> dict[str, Any]:
    expected: dict[str, Any] = {"outcome": "staged"}
    if sim.rejected_rule is not None:
        expected = {"outcome": "rejected", "rule": sim.rejected_rule, "severity": "blocking"}
    return {
        "agency": sim.agency,
        "period": sim.period,
        "file": sim.relpath,
        "format": sim.kind,
        "options": sim.options,
        "received_at": sim.received_at.isoformat(),
        "rows": len(sim.lines),
        "late": sim.late,
        "expected": expected,
    }


def _truth(files: Sequence[SimFile]) -> list[dict[str, Any]]:
    rows = []
    for sim in files:
        if sim.rejected_rule is not None:
            continue
        for line in sorted(sim.lines, key=lambda x: x.source_row):
            rows.append(
                {
                    "agency": sim.agency,
                    "period": sim.period,
                    "indicator_code": line.code,
                    "source_file": sim.name,
                    "source_row": line.source_row,
                    "value": "" if line.expect_value is None else repr(float(line.expect_value)),
                    "state": line.expect_state or "",
                    "parse_status": line.expect_parse,
                    "defect_id": line.defect_id or "",
                }
            )
    return rows


def _audit(
    ctx: _Context, catalog: Catalog, files: Sequence[SimFile], window: Sequence[str]
) -> list[str]:
    """Checks that clean rows would raise nothing (outlier, capaian, bounds, evidence)."""
    rules = ctx.rules
    indicators = {i.code: i for i in catalog.indicators}
    accepted: dict[str, dict[str, float]] = {}
    problems: list[str] = []
    by_period = sorted(files, key=lambda f: f.period)
    for sim in by_period:
        if sim.rejected_rule is not None:
            continue
        for line in sim.lines:
            indicator = indicators.get(line.code)
            if indicator is None or line.quarantined:
                continue
            series = accepted.setdefault(line.code, {})
            if line.expect_state == STATE_NUMBER and line.expect_value is not None:
                value = line.expect_value
                if line.defect_id is None:
                    first = periods.add_months(sim.period, -rules.plausibility.history_months)
                    prior = [v for p, v in sorted(series.items()) if first <= p < sim.period]
                    z = _zscore(value, prior, rules)
                    if z >= rules.plausibility.modified_zscore_threshold * 0.8:
                        problems.append(f"{sim.relpath}:{line.source_row} z-score {z:.2f}")
                    targets = ctx.targets.get(line.code, [])
                    ratio = _capaian(indicator, targets, sim.period, value)
                    if ratio * 100 > rules.plausibility.capaian_verification_above * 0.95:
                        problems.append(f"{sim.relpath}:{line.source_row} capaian {ratio:.0%}")
                    low, high = indicator.min_value, indicator.max_value
                    if (low is not None and value < low) or (high is not None and value > high):
                        problems.append(f"{sim.relpath}:{line.source_row} outside bounds")
                    if indicator.evidence_required and not line.evidence:
                        problems.append(f"{sim.relpath}:{line.source_row} no evidence")
                    previous = series.get(periods.add_months(sim.period, -1))
                    same_year = periods.add_months(sim.period, -1)[:4] == sim.period[:4]
                    decreases = previous is not None and value < previous
                    if indicator.cumulative and same_year and decreases:
                        problems.append(f"{sim.relpath}:{line.source_row} decreases")
                series[sim.period] = value
    return problems


def stated_receipts(manifest_path: Path) -> list[tuple[Path, datetime]]:
    """Every simulated file with the receipt time its manifest states, in that order.

    A simulation is history that arrived earlier: it is ingested with these times stated
    (``iku ingest --manifest FILE --by NAME``, the demo), never with the time it is loaded.
    """
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    out_dir = manifest_path.parent.parent
    files = [
        (out_dir / entry["file"], datetime.fromisoformat(entry["received_at"]))
        for entry in manifest["files"]
    ]
    return sorted(files, key=lambda item: (item[1], str(item[0])))
