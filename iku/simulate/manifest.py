"""The simulation's manifest, its truth table and the self-audit of clean rows."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from iku import calendar
from iku.catalog import Catalog
from iku.numbers import STATE_NUMBER
from iku.simulate.model import SimFile
from iku.simulate.series import SeriesContext, capaian_ratio, zscore

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


def file_entry(sim: SimFile) -> dict[str, Any]:
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


def truth_rows(files: Sequence[SimFile]) -> list[dict[str, Any]]:
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


def audit_rows(
    ctx: SeriesContext, catalog: Catalog, files: Sequence[SimFile], window: Sequence[str]
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
                    first = calendar.shift_period(sim.period, -rules.plausibility.history_months)
                    prior = [v for p, v in sorted(series.items()) if first <= p < sim.period]
                    z = zscore(value, prior, rules)
                    if z >= rules.plausibility.modified_zscore_threshold * 0.8:
                        problems.append(f"{sim.relpath}:{line.source_row} z-score {z:.2f}")
                    ratio = capaian_ratio(ctx, indicator, sim.period, value)
                    if ratio * 100 > rules.plausibility.capaian_verification_above * 0.95:
                        problems.append(f"{sim.relpath}:{line.source_row} capaian {ratio:.0%}")
                    low, high = indicator.min_value, indicator.max_value
                    if (low is not None and value < low) or (high is not None and value > high):
                        problems.append(f"{sim.relpath}:{line.source_row} outside bounds")
                    if indicator.evidence_required and not line.evidence:
                        problems.append(f"{sim.relpath}:{line.source_row} no evidence")
                    previous = series.get(calendar.shift_period(sim.period, -1))
                    same_year = calendar.shift_period(sim.period, -1)[:4] == sim.period[:4]
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
