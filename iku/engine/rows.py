"""The ``achievement`` rows of one month: indicators, agencies, sectors, province, with catatan."""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import numpy.typing as npt

from iku import capaian as cp
from iku.engine.panel import Level, Panel, PanelResult
from iku.flags import ENGINE_FLAG_CODES
from iku.rules import Rules

#: ``achievement.realisasi_state`` of an indicator with no value and none due this month
#: (a quarterly IKU in February, an annual IKU before its release). Not "missing".
STATE_NOT_DUE: Final = "tidak_dijadwalkan"


#: Flags an indicator row can carry, in column order (:mod:`iku.flags`).
FLAGS: Final = ENGINE_FLAG_CODES


def projection_texts(rules: Rules) -> tuple[str, ...]:
    """The Indonesian sentence of each projection method code."""
    return (
        "",
        f"proyeksi belum dihitung (kurang dari {rules.projection.min_months} nilai terlapor)",
        "proyeksi: realisasi s.d. bulan ini diekstrapolasi linear mengikuti jalur target",
        "proyeksi: garis tren kuadrat terkecil pada bulan Desember",
        "proyeksi: rata-rata nilai terlapor dan garis tren bulan tersisa",
        "proyeksi: nilai tahunan yang telah dilaporkan",
        "proyeksi tidak dapat dihitung",
    )


def _py(values: npt.NDArray[Any]) -> list[Any]:
    """Python values for the database: NaN becomes None, numpy scalars become Python scalars."""
    return [None if isinstance(v, float) and v != v else v for v in values.tolist()]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "." if text else ""


def _aggregate_note(level: Level, mi: int, method: str, unit: str) -> list[str]:
    word = "tertimbang" if method == "weighted" else "sederhana"
    notes = []
    for g in range(len(level.keys)):
        included, total = int(level.n_included[g, mi]), int(level.n_indicators[g, mi])
        missing = int(level.n_missing[g, mi])
        notes.append(
            f"Rata-rata {word} capaian s.d. bulan ini (skor) atas {included} dari {total} {unit}; "
            f"{missing} IKU wajib lapor bulan ini tanpa angka."
        )
    return notes


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

    month_note = cp.catatan(
        month.situation[:, mi],
        month.formula[:, mi],
        month.adjustment[:, mi],
        rules,
        derivation=grid.period_derivation[:, mi],
    )
    ytd_note = cp.catatan(
        ytd.situation[:, mi],
        ytd.formula[:, mi],
        ytd.adjustment[:, mi],
        rules,
        derivation=grid.ytd_derivation[:, mi],
    )
    projection_note = np.take(
        np.array(projection_texts(rules), dtype=object), result.projection_method[:, mi]
    )
    notes = [
        f"Bulan ini: {a}. S.d. bulan ini: {b}." + (f" {_sentence(c)}" if c else "")
        for a, b, c in zip(month_note, ytd_note, projection_note, strict=True)
    ]

    raw = month.raw[:, mi]
    situation = month.situation[:, mi]
    derivation = grid.period_derivation[:, mi]
    with np.errstate(invalid="ignore"):
        flag_matrix = (
            np.column_stack(
                [
                    result.missing[:, mi],
                    situation == cp.S_NOT_EXPECTED,
                    result.off_schedule[:, mi],
                    situation == cp.S_NO_TARGET,
                    ~np.isnan(month.realisasi[:, mi]) & np.isnan(raw),
                    situation == cp.S_INSIDE,
                    (derivation >= 1) & (derivation <= 12),
                    raw < 0,
                    month.adjustment[:, mi] == cp.ADJ_FLOORED,
                    month.adjustment[:, mi] == cp.ADJ_CAPPED,
                    raw > rules.plausibility.capaian_verification_above,
                ]
            )
            if n
            else np.zeros((0, len(FLAGS)), dtype=bool)
        )
    flags = [[FLAGS[j] for j in np.flatnonzero(r)] for r in flag_matrix]

    state_names = np.array([STATE_NOT_DUE, *cp.STATE_NAMES[1:]], dtype=object)
    shown_state = np.where(
        result.missing[:, mi] & (panel.states[:, mi] == cp.STATE_ABSENT),
        cp.STATE_NOT_REPORTED,
        panel.states[:, mi],
    )
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
        "target_lower": _py(grid.period_lower[:, mi]),
        "target_upper": _py(grid.period_upper[:, mi]),
        "realisasi": _py(panel.values[:, mi]),
        "realisasi_state": state_names[shown_state].tolist(),
        "capaian_raw": _py(raw),
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
        "note": notes,
    }
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]

    first = ind.drop_duplicates("agency_code").set_index("agency_code")
    agency_ids: dict[Any, Any] = first["agency_id"].to_dict()
    agency_sectors: dict[Any, Any] = first["agency_sector"].to_dict()
    agg = rules.aggregation
    for level_name, level, method, unit in (
        ("agency", result.agencies, agg.agency_method, "IKU"),
        ("sector", result.sectors, agg.sector_method, "IKU"),
        ("province", result.province, agg.province_method, "IKU (rata-rata atas OPD)"),
    ):
        level_notes = _aggregate_note(level, mi, method, unit)
        figure = _py(level.figure[:, mi])
        for g, key in enumerate(level.keys):
            if level_name == "agency":
                subject = f"agency:{key}"
                agency_id, sector = int(agency_ids[key]), str(agency_sectors[key])
            elif level_name == "sector":
                subject, agency_id, sector = f"sector:{key}", None, key
            else:
                subject, agency_id, sector = "province", None, None
            rows.append(
                {
                    "cycle_id": cycle_id,
                    "period": period,
                    "level": level_name,
                    "subject_key": subject,
                    "indicator_id": None,
                    "agency_id": agency_id,
                    "sector": sector,
                    "target_id": None,
                    "target_version": None,
                    "target_text": None,
                    "target_lower": None,
                    "target_upper": None,
                    "realisasi": None,
                    "realisasi_state": None,
                    "capaian_raw": None,
                    "capaian_scored": figure[g],
                    "predikat": level.predikat[g, mi],
                    "ytd_realisasi": None,
                    "ytd_target": None,
                    "ytd_capaian": figure[g],
                    "trend_delta": _py(level.trend[g : g + 1, mi])[0],
                    "projection": _py(level.projection[g : g + 1, mi])[0],
                    "is_at_risk": bool(level.is_at_risk[g, mi]),
                    "n_included": int(level.n_included[g, mi]),
                    "n_missing": int(level.n_missing[g, mi]),
                    "flags": [],
                    "note": level_notes[g],
                }
            )
    return rows
