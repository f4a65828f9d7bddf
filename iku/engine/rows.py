"""The ``achievement`` rows of one month: indicators, agencies, sectors, province, with catatan."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from iku import capaian as cp
from iku.calendar import make_period
from iku.engine.notes import aggregate_note, indicator_notes
from iku.engine.panel import Panel, PanelResult
from iku.flags import ENGINE_FLAG_CODES
from iku.rules import Rules

#: ``achievement.realisasi_state`` of an indicator with no value and none due this month
#: (a quarterly IKU in February, an annual IKU before its release). Not "missing".
STATE_NOT_DUE: Final = "tidak_dijadwalkan"

#: Flags an indicator row can carry, in column order (:mod:`iku.flags`).
FLAGS: Final = ENGINE_FLAG_CODES


def _py(values: npt.NDArray[Any]) -> list[Any]:
    """Python values for the database: NaN becomes None, numpy scalars become Python scalars."""
    return [None if isinstance(v, float) and v != v else v for v in values.tolist()]


def _met(codes: npt.NDArray[np.int8]) -> list[bool | None]:
    return [None if c == cp.MET_UNKNOWN else bool(c == cp.MET) for c in codes.tolist()]


def _flag_matrix(panel: Panel, result: PanelResult, rules: Rules, mi: int) -> npt.NDArray[Any]:
    """One column per flag of :data:`FLAGS` (the order of :mod:`iku.flags`)."""
    grid = panel.targets
    month = result.month
    raw = month.raw[:, mi]
    situation = month.situation[:, mi]
    derivation = grid.period_derivation[:, mi]
    columns = {
        "missing": result.missing[:, mi],
        "not_expected": situation == cp.S_NOT_EXPECTED,
        "off_schedule": result.off_schedule[:, mi],
        "no_target": situation == cp.S_NO_TARGET,
        "not_computable": ~np.isnan(month.realisasi[:, mi]) & np.isnan(raw),
        "inside_range": situation == cp.S_INSIDE,
        "prorated_target": (derivation >= 1) & (derivation <= 12),
        "negative_raw": raw < 0,
        "floored": month.adjustment[:, mi] == cp.ADJ_FLOORED,
        "capped": month.adjustment[:, mi] == cp.ADJ_CAPPED,
        "needs_verification": raw > rules.plausibility.capaian_verification_above,
        "ytd_incomplete": ~result.ytd_complete[:, mi],
        "overdue": result.overdue[:, mi],
        "awaiting_verification": result.held[:, mi],
        "capped_in_aggregate": result.capped[:, mi],
        "target_to_date": ~np.isnan(result.year_end[:, mi]),
    }
    with np.errstate(invalid="ignore"):
        return np.column_stack([columns[code] for code in FLAGS])


def achievement_rows(
    panel: Panel, result: PanelResult, rules: Rules, *, cycle_id: int, period: str
) -> list[dict[str, Any]]:
    """The achievement rows of the panel's last month: indicators, agencies, sectors, province.

    Every row has the same keys (a bulk insert needs that), in a stable order.
    """
    mi = panel.months - 1
    ind = panel.indicators
    grid = panel.targets
    month, ytd = result.month, result.ytd
    n = len(ind)

    table = grid.table
    row = grid.period_row[:, mi]
    has_row = row >= 0
    safe = np.where(has_row, row, 0)

    def pick(column: str) -> list[Any]:
        if not len(table):
            return [None] * n
        picked = table[column].to_numpy(dtype=object)[safe]
        picked[~has_row] = None
        return _py(picked)

    flag_matrix = _flag_matrix(panel, result, rules, mi) if n else np.zeros((0, len(FLAGS)))
    flags = [[FLAGS[j] for j in np.flatnonzero(r)] for r in flag_matrix]

    state_names = np.array([STATE_NOT_DUE, *cp.STATE_NAMES[1:]], dtype=object)
    shown_state = np.where(
        result.missing[:, mi] & (panel.states[:, mi] == cp.STATE_ABSENT),
        cp.STATE_NOT_REPORTED,
        panel.states[:, mi],
    )
    latest = result.latest_month[:, mi]
    realisasi_period = [make_period(panel.year, int(m)) if m > 0 else None for m in latest.tolist()]
    columns: dict[str, list[Any]] = {
        "cycle_id": [cycle_id] * n,
        "period": [period] * n,
        "level": ["indicator"] * n,
        "subject_key": [f"indicator:{c}" for c in ind["code"]],
        "indicator_id": _py(ind["indicator_id"].to_numpy()),
        "agency_id": _py(ind["agency_id"].to_numpy()),
        "sector": ind["sector"].tolist(),
        "target_id": pick("target_id"),
        "target_version": pick("version"),
        "target_text": pick("text"),
        "target_lower": _py(result.month_lower[:, mi]),
        "target_upper": _py(result.month_upper[:, mi]),
        "realisasi": _py(panel.values[:, mi]),
        "realisasi_state": state_names[shown_state].tolist(),
        "capaian_raw": _py(month.raw[:, mi]),
        "capaian_scored": _py(month.scored[:, mi]),
        "predikat": month.predikat[:, mi].tolist(),
        "ytd_realisasi": _py(ytd.realisasi[:, mi]),
        "ytd_target": _py(ytd.target_used[:, mi]),
        "ytd_capaian": _py(ytd.raw[:, mi]),
        "trend_delta": _py(result.trend[:, mi]),
        "projection": _py(result.projection[:, mi]),
        "is_at_risk": result.is_at_risk[:, mi].tolist(),
        "n_included": [None] * n,
        "n_missing": [None] * n,
        "flags": flags,
        "note": indicator_notes(panel, result, rules),
        "realisasi_period": realisasi_period,
        "tercapai": _met(result.met[:, mi]),
        "ytd_tercapai": _met(result.ytd_met[:, mi]),
        "ytd_months_reported": _py(result.months_reported[:, mi]),
        "ytd_months_expected": _py(result.months_expected[:, mi]),
        "ytd_complete": result.ytd_complete[:, mi].tolist(),
        "year_end_capaian": _py(result.year_end[:, mi]),
        "in_aggregate": result.in_aggregate[:, mi].tolist(),
        "awaiting_verification": result.held[:, mi].tolist(),
        "n_total": [None] * n,
        "n_held": [None] * n,
        "n_agencies": [None] * n,
        "n_agencies_included": [None] * n,
    }
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    rows += _aggregate_rows(panel, result, cycle_id=cycle_id, period=period, template=columns)
    return rows


def _aggregate_rows(
    panel: Panel,
    result: PanelResult,
    *,
    cycle_id: int,
    period: str,
    template: dict[str, list[Any]],
) -> list[dict[str, Any]]:
    """The agency, sector and province rows (same keys as the IKU rows)."""
    mi = panel.months - 1
    ind = panel.indicators
    first = ind.drop_duplicates("agency_code").set_index("agency_code")
    agency_ids: dict[Any, Any] = first["agency_id"].to_dict()
    agency_sectors: dict[Any, Any] = first["agency_sector"].to_dict()
    blank = dict.fromkeys(template)
    rows = []
    for level_name, level, members in (
        ("agency", result.agencies, "IKU"),
        ("sector", result.sectors, "IKU"),
        ("province", result.province, "OPD"),
    ):
        figure = _py(level.figure[:, mi])
        for g, key in enumerate(level.keys):
            if level_name == "agency":
                subject = f"agency:{key}"
                agency_id, sector = int(agency_ids[key]), str(agency_sectors[key])
            elif level_name == "sector":
                subject, agency_id, sector = f"sector:{key}", None, key
            else:
                subject, agency_id, sector = "province", None, None
            province = level_name == "province"
            rows.append(
                {
                    **blank,
                    "cycle_id": cycle_id,
                    "period": period,
                    "level": level_name,
                    "subject_key": subject,
                    "agency_id": agency_id,
                    "sector": sector,
                    "capaian_scored": figure[g],
                    "predikat": level.predikat[g, mi],
                    "ytd_capaian": figure[g],
                    "trend_delta": _py(level.trend[g : g + 1, mi])[0],
                    "projection": _py(level.projection[g : g + 1, mi])[0],
                    "is_at_risk": bool(level.is_at_risk[g, mi]),
                    "n_included": int(level.n_included[g, mi]),
                    "n_missing": int(level.n_missing[g, mi]),
                    "flags": [],
                    "note": aggregate_note(level, g, mi, members),
                    "awaiting_verification": False,
                    "n_total": int(level.n_indicators[g, mi]),
                    "n_held": int(level.n_held[g, mi]),
                    "n_agencies": int(level.n_members[g, mi]) if province else None,
                    "n_agencies_included": (
                        int(level.n_members_included[g, mi]) if province else None
                    ),
                }
            )
    return rows
