"""The catatan of an achievement row: what was compared with what, and what it means, in words an
agency head reads without a formula (issue 13: plain words; no rule codes, no "rumus 2T-R").

One row, one short paragraph: the month's comparison (or why there is none), the year to date
with how many months it rests on, and what happens to the figure (awaiting verification,
counted at the cap). Numbers are written the Indonesian way (``1.234,5``).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

from iku import capaian as cp
from iku.calendar import ANNUAL, MONTH_NAMES
from iku.engine.panel import AVERAGE, LAST, P_TOO_FEW, SUM, Level, Panel, PanelResult
from iku.formatting import angka
from iku.rules import Rules, Scale

_SIGNS: Final = {
    cp.CMP_LE: "paling tinggi ",
    cp.CMP_LT: "kurang dari ",
    cp.CMP_GE: "paling sedikit ",
    cp.CMP_GT: "lebih dari ",
}


def _n(value: float, scale: Scale | None = None) -> str:
    """A number the Indonesian way; a qualitative IKU's score as its grade ("WDP")."""
    grade = scale.grade(float(value)) if scale is not None else None
    return grade if grade is not None else angka(float(value), 2, 0)


def _pct(value: float) -> str:
    return f"{_n(value)}%"


def _target(lower: float, upper: float, comparator: int, scale: Scale | None = None) -> str:
    """A target as a reader says it: "49", "kurang dari 49", "80–90"; a grade as the PK writes
    it ("WTP": a better grade meets it too)."""
    if np.isnan(lower) and np.isnan(upper):
        return "-"
    if not np.isnan(lower) and not np.isnan(upper) and lower != upper:
        return f"{_n(lower, scale)}–{_n(upper, scale)}"
    value = upper if np.isnan(lower) else lower
    if scale is not None and comparator == cp.CMP_GE and scale.grade(float(value)) is not None:
        return _n(value, scale)
    return _SIGNS.get(comparator, "") + _n(value, scale)


def _scales(panel: Panel, rules: Rules) -> list[Scale | None]:
    """Each IKU's ordinal scale (a qualitative IKU), or None."""
    codes: list[object] = panel.indicators.get("scale", pd.Series(dtype=object)).tolist()
    found: list[Scale | None] = [None] * len(panel.indicators)
    for i, code in enumerate(codes):
        if isinstance(code, str) and code:
            try:
                found[i] = rules.scale(code)
            except KeyError:  # a scale the rules file no longer has: its scores are shown
                found[i] = None
    return found


def _point(lower: float, upper: float) -> float | None:
    if not np.isnan(lower):
        return float(lower) if np.isnan(upper) else (float(lower) + float(upper)) / 2
    return None if np.isnan(upper) else float(upper)


def _month(year: int, month: int) -> str:
    return f"{MONTH_NAMES[month - 1]} {year}"


def _met(code: int) -> str:
    return {cp.MET: "target tercapai", cp.NOT_MET: "target belum tercapai"}.get(code, "")


def _comparison(
    realisasi: float,
    lower: float,
    upper: float,
    comparator: int,
    situation: int,
    raw: float,
    met: int,
    scale: Scale | None = None,
) -> str:
    """The month's own comparison, or why there is none."""
    if situation == cp.S_INSIDE:
        return (
            f"Realisasi {_n(realisasi, scale)} berada di dalam rentang target "
            f"{_target(lower, upper, comparator, scale)}: target tercapai, capaian {_pct(raw)} "
            "(nilai kebijakan untuk realisasi di dalam rentang)."
        )
    if situation == cp.S_ZERO_ZERO:
        return f"Target dan realisasi sama-sama 0: capaian {_pct(raw)} (nilai kebijakan)."
    if situation == cp.S_ZERO_TARGET:
        return "Targetnya 0, sehingga capaian tidak dapat dihitung sebagai persentase."
    if situation == cp.S_ZERO_REALISASI:
        return "Realisasi 0 pada IKU ini membuat capaian tidak dapat dihitung."
    if situation == cp.S_NO_TARGET:
        return "Belum ada target yang berlaku, sehingga capaian tidak dapat dihitung."
    if situation in (cp.S_BAD_POLARITY, cp.S_BAD_COMPARATOR, cp.S_NOT_FINITE):
        return "Capaian tidak dapat dihitung; periksa data induk IKU ini."
    if np.isnan(raw):
        return ""
    outcome = _met(met)
    outcome = f"{outcome}, " if outcome else ""
    return (
        f"Realisasi {_n(realisasi, scale)} dibandingkan target "
        f"{_target(lower, upper, comparator, scale)}: "
        f"{outcome}capaian {_pct(raw)}."
    )


def indicator_notes(panel: Panel, result: PanelResult, rules: Rules) -> list[str]:
    """The catatan of every IKU row of the panel's last month."""
    mi = panel.months - 1
    year, month_number = panel.year, panel.months
    grid = panel.targets
    month, ytd = result.month, result.ytd
    at_risk_label = rules.predikat.band(rules.projection.at_risk_below_band).label
    kind = np.where(panel.frequency == ANNUAL, LAST, panel.consolidation)
    cap = rules.aggregation.cap
    scales = _scales(panel, rules)
    notes: list[str] = []
    for i in range(len(panel.indicators)):
        parts: list[str] = []
        scale = scales[i]
        situation = int(month.situation[i, mi])
        negative = int(panel.polarity[i]) == cp.NEGATIVE
        if situation == cp.S_NOT_EXPECTED:
            parts.append("Tidak ada laporan yang dijadwalkan bulan ini.")
        elif situation == cp.S_OFF_SCHEDULE:
            parts.append("Angka yang dikirim di luar bulan pelaporannya tidak dihitung.")
        elif situation == cp.S_NOT_AVAILABLE:
            parts.append(f"Angka {_month(year, month_number)} belum tersedia.")
        elif situation in (cp.S_NOT_REPORTED, cp.S_NO_NUMBER):
            parts.append(
                f"Belum ada angka untuk {_month(year, month_number)}; IKU ini dihitung "
                "belum melapor."
            )
        else:
            parts.append(
                _comparison(
                    float(month.realisasi[i, mi]),
                    float(result.month_lower[i, mi]),
                    float(result.month_upper[i, mi]),
                    int(result.month_cmp[i, mi]),
                    situation,
                    float(month.raw[i, mi]),
                    int(result.met[i, mi]),
                    scale,
                )
            )
        if negative and not np.isnan(month.raw[i, mi]) and situation != cp.S_INSIDE:
            parts.append("Makin rendah realisasinya makin baik.")
        share = int(grid.period_derivation[i, mi])
        annual = _point(grid.annual_lower[i, mi], grid.annual_upper[i, mi])
        if 1 <= share <= 12 and annual is not None and not np.isnan(month.raw[i, mi]):
            parts.append(
                f"Target periode ini adalah bagian {share}/12 dari target tahunan {_n(annual)}."
            )

        k = int(kind[i])
        latest = int(result.latest_month[i, mi])
        reported = int(result.months_reported[i, mi])
        expected = int(result.months_expected[i, mi])
        if result.overdue[i, mi]:
            if latest > 0:
                parts.append(
                    f"Angka terakhir, {_n(result.latest_value[i, mi], scale)} dari "
                    f"{_month(year, latest)}, sudah lewat jadwal; angka terbaru belum ada, "
                    "sehingga s.d. bulan ini dihitung belum melapor."
                )
        elif not np.isnan(ytd.raw[i, mi]):
            if k == SUM:
                completeness = "" if result.ytd_complete[i, mi] else ", belum lengkap"
                parts.append(
                    f"S.d. bulan ini {_n(ytd.realisasi[i, mi])} dari target "
                    f"{_n(ytd.target_used[i, mi])} untuk {reported} dari {expected} bulan yang "
                    f"wajib dilaporkan{completeness}: capaian {_pct(ytd.raw[i, mi])}."
                )
            elif k == AVERAGE:
                parts.append(
                    f"Rata-rata {reported} bulan terlapor {_n(ytd.realisasi[i, mi])}: capaian "
                    f"s.d. bulan ini {_pct(ytd.raw[i, mi])}."
                )
            elif not np.isnan(result.year_end[i, mi]):
                parts.append(
                    f"Dibandingkan target s.d. bulan ini {_n(ytd.target_used[i, mi])}: capaian "
                    f"{_pct(ytd.raw[i, mi])}; terhadap target akhir tahun "
                    f"{_pct(result.year_end[i, mi])}."
                )
            elif latest > 0 and latest != month_number:
                parts.append(
                    f"Angka terakhir dari {_month(year, latest)}: capaian s.d. bulan ini "
                    f"{_pct(ytd.raw[i, mi])}."
                )
            if k != SUM and not result.ytd_complete[i, mi]:
                parts.append(f"Baru {reported} dari {expected} bulan yang wajib dilaporkan terisi.")
        projection = float(result.projection[i, mi])
        if not np.isnan(projection):
            risk = f", di bawah predikat {at_risk_label}" if result.is_at_risk[i, mi] else ""
            parts.append(
                f"Bila berlanjut seperti ini, capaian akhir tahun diperkirakan "
                f"{_pct(projection)}{risk}."
            )
        elif int(result.projection_method[i, mi]) == P_TOO_FEW and reported > 0:
            parts.append(
                f"Proyeksi akhir tahun belum dihitung: baru {reported} nilai terlapor "
                f"(perlu {rules.projection.min_months})."
            )
        if result.held[i, mi]:
            parts.append(
                "Menunggu verifikasi pengelola data: belum dihitung dalam capaian OPD, sektor "
                "dan provinsi."
            )
        elif result.capped[i, mi] and cap is not None:
            parts.append(f"Dalam capaian OPD, sektor dan provinsi dihitung {_pct(cap)}.")
        notes.append(" ".join(p for p in parts if p))
    return notes


def aggregate_note(level: Level, g: int, mi: int, members: str) -> str:
    """The catatan of an agency, sector or province row: what the figure rests on."""
    included = int(level.n_included[g, mi])
    total = int(level.n_indicators[g, mi])
    missing = int(level.n_missing[g, mi])
    held = int(level.n_held[g, mi])
    if members == "OPD":
        basis = (
            f"Rata-rata capaian s.d. bulan ini dari {int(level.n_members_included[g, mi])} dari "
            f"{int(level.n_members[g, mi])} OPD ({included} dari {total} IKU)."
        )
    else:
        basis = f"Rata-rata capaian s.d. bulan ini dari {included} dari {total} IKU."
    extra = []
    if missing:
        extra.append(f"{missing} IKU wajib lapor bulan ini belum ada angkanya")
    if held:
        extra.append(f"{held} IKU menunggu verifikasi dan belum dihitung")
    if not extra:
        return basis
    text = "; ".join(extra)
    return f"{basis} {text[:1].upper()}{text[1:]}."
