"""A period's figures as rows: ``capaian.csv`` of ``iku export``, the API and the public pages.

One row per agency x IKU (``level`` indicator), then one row per agency (``level`` agency,
``indicator_code`` empty), per sector
(``agency_code`` = ``sektor:<name>``) and the province (``agency_code`` = ``provinsi``). The
columns are documented in docs/exports.md. Numbers are plain (dot decimals, no grouping),
booleans ``true``/``false``, unknown empty; a qualitative IKU's realisasi is its grade ("WTP").
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Collection, Iterable, Mapping
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from iku import models as m
from iku.cycles import cycle_of
from iku.rules import Rules

CAPAIAN_COLUMNS: Final = (
    "level",
    "agency_code",
    "indicator_code",
    "period",
    "target_text",
    "target_value",
    "target_lower",
    "target_upper",
    "realisasi",
    "realisasi_period",
    "capaian_pct",
    "capaian_scored_pct",
    "predikat",
    "tercapai",
    "ytd_realisasi",
    "ytd_target",
    "ytd_capaian_pct",
    "ytd_months_reported",
    "ytd_months_expected",
    "ytd_complete",
    "year_end_capaian_pct",
    "in_aggregate",
    "projection_pct",
    "is_at_risk",
    "n_included",
    "n_total",
    "n_held",
    "n_agencies_included",
    "n_agencies",
    "flags",
)
PROVINCE_CODE: Final = "provinsi"
SECTOR_PREFIX: Final = "sektor:"


def _target_value(lower: float | None, upper: float | None, comparator: str | None) -> Any:
    """One number for a target that has one (a range has none: its bounds say it)."""
    if lower is not None and upper is not None and lower != upper:
        return None
    return lower if lower is not None else upper


def capaian_rows(
    session: Session,
    period: str,
    rules: Rules,
    *,
    agencies: Collection[str] | None = None,
) -> list[dict[str, Any]]:
    """The rows of ``capaian.csv`` for a computed period (empty when it was never computed).

    ``agencies`` limits the rows to those agencies' IKU and agency rows (sector and province
    rows are then left out: they are not one agency's).
    """
    cycle = cycle_of(session, period)
    if cycle is None:
        return []
    a, i = m.Achievement, m.Indicator
    rows: list[tuple[m.Achievement, str | None, str | None, str | None]] = [
        tuple(r)  # type: ignore[misc]
        for r in session.execute(
            select(a, m.Agency.code, i.code, i.scale)
            .outerjoin(m.Agency, m.Agency.id == a.agency_id)
            .outerjoin(i, i.id == a.indicator_id)
            .where(a.cycle_id == cycle.id)
        )
    ]
    order = {"indicator": 0, "agency": 1, "sector": 2, "province": 3}
    rows.sort(key=lambda r: (order[r[0].level], r[1] or "", r[2] or "", r[0].subject_key))
    out = []
    for achievement, agency_code, indicator_code, scale_code in rows:
        level = achievement.level
        if agencies is not None and (
            level in ("sector", "province") or agency_code not in agencies
        ):
            continue
        out.append(_row(achievement, agency_code, indicator_code, scale_code, rules))
    return out


def _row(
    row: m.Achievement,
    agency_code: str | None,
    indicator_code: str | None,
    scale_code: str | None,
    rules: Rules,
) -> dict[str, Any]:
    level = row.level
    if level == "sector":
        agency_code = f"{SECTOR_PREFIX}{row.sector}"
    elif level == "province":
        agency_code = PROVINCE_CODE
    realisasi: Any = row.realisasi
    if scale_code is not None and realisasi is not None:
        with contextlib.suppress(KeyError):  # a scale the rules file no longer has: the score
            realisasi = rules.scale(scale_code).grade(realisasi) or realisasi
    is_indicator = level == "indicator"
    return {
        "level": level,
        "agency_code": agency_code,
        "indicator_code": indicator_code if is_indicator else None,
        "period": row.period,
        "target_text": row.target_text,
        "target_value": _target_value(row.target_lower, row.target_upper, None)
        if is_indicator
        else None,
        "target_lower": row.target_lower,
        "target_upper": row.target_upper,
        "realisasi": realisasi,
        "realisasi_period": row.realisasi_period,
        "capaian_pct": row.capaian_raw if is_indicator else row.capaian_scored,
        "capaian_scored_pct": row.capaian_scored,
        "predikat": row.predikat,
        "tercapai": row.tercapai,
        "ytd_realisasi": row.ytd_realisasi,
        "ytd_target": row.ytd_target,
        "ytd_capaian_pct": row.ytd_capaian,
        "ytd_months_reported": row.ytd_months_reported,
        "ytd_months_expected": row.ytd_months_expected,
        "ytd_complete": row.ytd_complete,
        "year_end_capaian_pct": row.year_end_capaian,
        "in_aggregate": row.in_aggregate if is_indicator else None,
        "projection_pct": row.projection,
        "is_at_risk": row.is_at_risk,
        "n_included": row.n_included,
        "n_total": row.n_total,
        "n_held": row.n_held,
        "n_agencies_included": row.n_agencies_included,
        "n_agencies": row.n_agencies,
        "flags": list(row.flags or []),
    }


def cell(value: Any) -> str:
    """A value as ``capaian.csv`` writes it: dot decimals, booleans true/false, None empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if value != value:
            return ""
        # Plain Python, not numpy: the web application imports this module and starts
        # without the numerical libraries.
        text = f"{round(value, 6):.6f}".rstrip("0").rstrip(".")
        return "0" if text == "-0" else text
    if isinstance(value, list | tuple):
        return ";".join(str(v) for v in value)
    return str(value)


def to_csv(rows: Iterable[Mapping[str, Any]], columns: tuple[str, ...]) -> str:
    """UTF-8 text, comma separated, one header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([cell(row.get(column)) for column in columns])
    return buffer.getvalue()
