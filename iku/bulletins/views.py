"""View models: a period's data turned into the plain template contexts of each bulletin."""

from __future__ import annotations

import logging
import math
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, Final

from markupsafe import Markup

from iku import flags
from iku.bulletins import charts
from iku.bulletins.readmodel import AgencyInfo, IndicatorInfo, IssueInfo, PeriodData, ResultRow
from iku.formatting import (
    Absent,
    MissingFigureError,
    angka,
    bulan_singkat,
    is_absent,
    periode,
)
from iku.rules import Band, Rules

log = logging.getLogger(__name__)


#: The province bulletin lists at most this many IKU needing attention (all are in the agency
#: bulletins); a longer list would bury the worst ones.
ATTENTION_LIMIT: Final = 60

#: realisasi states without a number (``achievement.realisasi_state``) and how they read.
STATE_LABELS: Final = {
    "belum_tersedia": "belum tersedia",
    "tidak_dilaporkan": "tidak dilaporkan",
    "tidak_dijadwalkan": "tidak dijadwalkan",  # nothing due this month (a quarterly IKU)
}
NO_TARGET: Final = "tanpa target"
NOT_COMPUTABLE: Final = "tidak dapat dihitung"
NO_COMPARISON: Final = "–"
NO_FIGURE: Final = "tidak ada angka"


# --------------------------------------------------------------------------------------------
# Template contexts
# --------------------------------------------------------------------------------------------


def _band_range(band: Band) -> str:
    if band.lower is None and band.upper is not None:
        return f"< {angka(band.upper, 2, 0)}"
    if band.upper is None and band.lower is not None:
        return f"≥ {angka(band.lower, 2, 0)}"
    assert band.lower is not None and band.upper is not None
    return f"{angka(band.lower, 2, 0)} – < {angka(band.upper, 2, 0)}"


def meta_context(data: PeriodData) -> dict[str, Any]:
    bands = sorted(
        data.rules.predikat.bands,
        key=lambda b: -math.inf if b.lower is None else b.lower,
        reverse=True,
    )
    return {
        "period": data.period,
        "generated_at": data.generated_at,
        "rules_version": data.rules_version,
        "scale_name": data.rules.predikat.scale_name,
        "cycle_status": data.cycle_status,
        "bands": [
            {"code": b.code, "label": b.label, "color": b.color, "range_text": _band_range(b)}
            for b in bands
        ],
    }


def _require(value: Any, what: str) -> Any:
    if value is None:
        raise MissingFigureError(f"{what} is missing")
    return value


def predikat_view(rules: Rules, code: str | None, capaian: float | Absent, what: str) -> Any:
    if isinstance(capaian, Absent):
        return Absent(NO_COMPARISON)  # the capaian cell already says why
    if code is None:
        raise MissingFigureError(f"{what}: capaian without predikat")
    try:
        band = rules.predikat.band(code)
    except KeyError:
        codes = ", ".join(b.code for b in rules.predikat.bands)
        raise MissingFigureError(
            f"{what}: predikat {code!r} is not a band of the rules file ({codes})"
        ) from None
    return {"code": band.code, "label": band.label}


def _or_dash(value: float | None) -> float | Absent:
    return Absent(NO_COMPARISON) if value is None else value


def _text(value: str | None) -> str:
    return "–" if value is None or not str(value).strip() else str(value)


def _indicator_row(
    data: PeriodData, indicator: IndicatorInfo, issue_count: int
) -> tuple[dict[str, Any], bool]:
    key = f"indicator:{indicator.code}"
    what = f"IKU {indicator.code}"
    row = data.results.get(key)
    if row is None:
        raise MissingFigureError(f"{what}: no result in the cycle of {data.period}")
    realisasi: float | Absent
    if row.realisasi is not None:
        realisasi = row.realisasi
    elif row.realisasi_state in STATE_LABELS:
        realisasi = Absent(STATE_LABELS[row.realisasi_state])
    else:
        raise MissingFigureError(
            f"{what}: realisasi is missing and its state is {row.realisasi_state!r}"
        )
    capaian: float | Absent
    if row.capaian_scored is not None:
        capaian = row.capaian_scored
    elif isinstance(realisasi, Absent):
        capaian = realisasi
    else:
        capaian = Absent(NOT_COMPUTABLE)
    target_text: str | Absent
    target_version: int | Absent
    if row.target_text is None and "no_target" in row.flags:
        target_text, target_version = Absent(NO_TARGET), Absent(NO_COMPARISON)
    else:
        target_text = _require(row.target_text, f"{what}: target")
        target_version = _require(row.target_version, f"{what}: target version")
    series = data.history.get(key, ())
    spark = charts.sparkline(
        [value for _, value in series],
        label=f"Tren capaian {indicator.code}",
    )
    return {
        "code": indicator.code,
        "name": indicator.name,
        "unit": indicator.unit,
        "target_text": target_text,
        "target_version": target_version,
        "realisasi": realisasi,
        "capaian": capaian,
        "capaian_raw": capaian if row.capaian_raw is None else row.capaian_raw,
        "predikat": predikat_view(data.rules, row.predikat, capaian, what),
        "ytd_realisasi": _or_dash(row.ytd_realisasi),
        "ytd_target": _or_dash(row.ytd_target),
        "ytd_capaian": _or_dash(row.ytd_capaian),
        "trend_delta": _or_dash(row.trend_delta),
        "projection": _or_dash(row.projection),
        "is_at_risk": row.is_at_risk,
        "flags": [flags.label(f) for f in row.flags],
        "catatan": row.note or "",
        "agency_note": data.notes.get(indicator.id, ""),
        "issue_count": issue_count,
        "sparkline": Markup(spark),
    }, row.is_at_risk


def _issue_view(issue: IssueInfo) -> dict[str, Any]:
    return {
        "indicator_code": _text(issue.indicator_code),
        "file_name": issue.file_name,
        "source_row": issue.source_row,
        "rule": flags.label(issue.rule),  # readers see the label, never the rule code
        "severity": issue.severity,
        "severity_label": flags.SEVERITY_LABELS.get(issue.severity, issue.severity),
        "observed": _text(issue.observed),
        "expected": _text(issue.expected),
        "message": issue.message,
    }


def _figure(data: PeriodData, key: str, what: str) -> tuple[ResultRow, float | Absent, Any]:
    row = data.results.get(key)
    if row is None:
        raise MissingFigureError(f"{what}: no result in the cycle of {data.period}")
    capaian: float | Absent = (
        Absent(NO_FIGURE) if row.capaian_scored is None else row.capaian_scored
    )
    return row, capaian, predikat_view(data.rules, row.predikat, capaian, what)


def agency_context(data: PeriodData, agency: AgencyInfo) -> dict[str, Any]:
    """The template context of one agency's bulletin."""
    row, capaian, predikat = _figure(data, f"agency:{agency.code}", f"agency {agency.code}")
    _, province_capaian, province_predikat = _figure(data, "province", "province")
    issues = [i for i in data.issues if i.agency_id == agency.id]
    per_indicator = Counter(i.indicator_code for i in issues)
    indicators = []
    at_risk = 0
    for indicator in agency.indicators:
        view, risky = _indicator_row(data, indicator, per_indicator.get(indicator.code, 0))
        indicators.append(view)
        at_risk += int(risky)
    return {
        "meta": meta_context(data),
        "agency": {"code": agency.code, "name": agency.name, "sector": agency.sector},
        "summary": {
            "capaian": capaian,
            "predikat": predikat,
            "n_included": _require(row.n_included, f"agency {agency.code}: IKU included"),
            "n_missing": _require(row.n_missing, f"agency {agency.code}: IKU missing"),
            "note": row.note or "",
        },
        "province": {"capaian": province_capaian, "predikat": province_predikat},
        "indicators": indicators,
        "at_risk_count": at_risk,
        "issues": [_issue_view(i) for i in issues],
    }


def _period_labels(periods: Sequence[str]) -> list[str]:
    years = {p[:4] for p in periods}
    if len(years) <= 1:
        return [bulan_singkat(p) for p in periods]
    return [f"{bulan_singkat(p)} {p[2:4]}" for p in periods]


def _band_areas(rules: Rules) -> list[charts.BandArea]:
    return [charts.BandArea(b.code, b.lower, b.upper, b.color) for b in rules.predikat.bands]


def _low_band_codes(rules: Rules) -> tuple[set[str], str]:
    """Bands entirely below the band the rules file names for "at risk" need attention."""
    threshold = rules.predikat.band(rules.projection.at_risk_below_band)
    low = {
        b.code
        for b in rules.predikat.bands
        if b.upper is not None and threshold.lower is not None and b.upper <= threshold.lower
    }
    return low, threshold.label


def _rate(counts: Mapping[str, Any], key: str) -> float | Absent:
    value = counts.get(key)
    if value is None:
        return Absent("belum tersedia")
    return float(value)


def province_context(data: PeriodData) -> dict[str, Any]:
    """The template context of the province bulletin."""
    rules = data.rules
    province, capaian, predikat = _figure(data, "province", "province")
    colors = {b.code: b.color for b in rules.predikat.bands}
    meta = meta_context(data)
    by_id = {a.id: a for a in data.agencies}

    ranking: list[dict[str, Any]] = []
    for agency in data.agencies:
        row, agency_capaian, agency_predikat = _figure(
            data, f"agency:{agency.code}", f"agency {agency.code}"
        )
        ranking.append(
            {
                "code": agency.code,
                "name": agency.name,
                "sector": agency.sector.capitalize(),
                "capaian": agency_capaian,
                "predikat": agency_predikat,
                "n_included": _require(row.n_included, f"agency {agency.code}: IKU included"),
                "n_missing": _require(row.n_missing, f"agency {agency.code}: IKU missing"),
                "trend_delta": _or_dash(row.trend_delta),
            }
        )
    ranking.sort(
        key=lambda r: (
            is_absent(r["capaian"]),
            -(0.0 if is_absent(r["capaian"]) else r["capaian"]),
            r["code"],
        )
    )
    for position, entry in enumerate(ranking, start=1):
        entry["rank"] = position

    indicator_rows = [
        (agency, indicator, data.results.get(f"indicator:{indicator.code}"))
        for agency in data.agencies
        for indicator in agency.indicators
    ]
    agency_counts = Counter(r["predikat"]["code"] for r in ranking if not is_absent(r["predikat"]))
    indicator_counts = Counter(
        row.predikat
        for _, _, row in indicator_rows
        if row is not None and row.capaian_scored is not None and row.predikat
    )
    distribution = [
        {
            "band": band,
            "agencies": agency_counts.get(band["code"], 0),
            "indicators": indicator_counts.get(band["code"], 0),
        }
        for band in meta["bands"]
    ]
    with_value = sum(1 for _, _, row in indicator_rows if row and row.capaian_scored is not None)

    sectors = []
    for key in sorted(k for k, r in data.results.items() if r.level == "sector"):
        row, sector_capaian, sector_predikat = _figure(data, key, key)
        sectors.append(
            {
                "sector": (row.sector or key.removeprefix("sector:")).capitalize(),
                "capaian": sector_capaian,
                "predikat": sector_predikat,
                "n_included": _require(row.n_included, f"{key}: included"),
                "n_missing": _require(row.n_missing, f"{key}: missing"),
            }
        )

    low_codes, threshold_label = _low_band_codes(rules)
    attention: list[dict[str, Any]] = []
    for agency, indicator, result in indicator_rows:
        if result is None:
            continue
        is_low = result.capaian_scored is not None and result.predikat in low_codes
        if not (is_low or result.is_at_risk):
            continue
        reasons = []
        if is_low:
            reasons.append("predikat rendah")
        if result.is_at_risk:
            reasons.append("proyeksi akhir tahun berisiko")
        value: float | Absent = (
            Absent(NOT_COMPUTABLE) if result.capaian_scored is None else result.capaian_scored
        )
        attention.append(
            {
                "code": indicator.code,
                "name": indicator.name,
                "agency_code": agency.code,
                "capaian": value,
                "predikat": predikat_view(rules, result.predikat, value, indicator.code),
                "projection": _or_dash(result.projection),
                "reason": ", ".join(reasons),
                "_sort": math.inf if result.capaian_scored is None else result.capaian_scored,
            }
        )
    attention.sort(key=lambda r: (r["_sort"], r["code"]))
    for entry in attention:
        del entry["_sort"]

    severities = ["blocking", "error", "warning"]
    per_agency: dict[int, Counter[str]] = defaultdict(Counter)
    for issue in data.issues:
        per_agency[issue.agency_id][issue.severity] += 1
    quality_rows: list[dict[str, Any]] = []
    for agency_id, counter in per_agency.items():
        agency_info = by_id.get(agency_id)
        quality_rows.append(
            {
                "agency_code": agency_info.code if agency_info else f"#{agency_id}",
                "agency_name": agency_info.name if agency_info else "(tidak aktif)",
                "counts": [counter.get(s, 0) for s in severities],
                "total": sum(counter.values()),
            }
        )
    quality_rows.sort(key=lambda r: (-r["total"], r["agency_code"]))
    totals = [sum(r["counts"][i] for r in quality_rows) for i in range(len(severities))]

    versions = Counter(
        row.target_version for _, _, row in indicator_rows if row and row.target_version
    )
    revised = [
        {
            "code": indicator.code,
            "name": indicator.name,
            "target_text": row.target_text or "–",
            "target_version": row.target_version,
        }
        for _, indicator, row in indicator_rows
        if row and row.target_version and row.target_version > 1
    ]

    labels = _period_labels(data.history_periods)
    province_series = dict(data.history.get("province", ()))
    trend_points = [
        (label, province_series.get(p))
        for label, p in zip(labels, data.history_periods, strict=True)
    ]
    ranking_items = [
        (
            r["code"],
            None if is_absent(r["capaian"]) else r["capaian"],
            colors.get(r["predikat"]["code"], charts.MISSING_COLOR)
            if not is_absent(r["predikat"])
            else charts.MISSING_COLOR,
        )
        for r in ranking
    ]
    shown = len(ranking_items) if len(ranking_items) <= 30 else 30
    return {
        "meta": meta,
        "headline": {
            "capaian": capaian,
            "predikat": predikat,
            "n_agencies": len(data.agencies),
            "n_included": sum(1 for r in ranking if not is_absent(r["capaian"])),
            "n_indicators": len(indicator_rows),
            "n_indicators_with_value": with_value,
            "reporting_rate": _rate(data.counts, "reporting_rate"),
            "on_time_rate": _rate(data.counts, "on_time_rate"),
            "note": province.note or "",
        },
        "trend_svg": Markup(
            charts.trend_chart(
                trend_points, _band_areas(rules), label="Tren capaian Provinsi Lampung"
            )
        ),
        "trend_caption": (
            f"{periode(data.history_periods[0])} – {periode(data.history_periods[-1])}"
            if data.history_periods
            else periode(data.period)
        ),
        "distribution": distribution,
        "distribution_missing": {
            "agencies": sum(1 for r in ranking if is_absent(r["predikat"])),
            "indicators": len(indicator_rows) - with_value,
        },
        "distribution_svg": Markup(
            charts.distribution_chart(
                [(d["band"]["code"], d["agencies"], d["band"]["color"]) for d in distribution],
                label="Sebaran predikat perangkat daerah",
            )
        ),
        "ranking": ranking,
        "ranking_svg": Markup(
            charts.ranking_chart(ranking_items, label="Peringkat capaian perangkat daerah")
        ),
        "ranking_caption": (
            "Capaian perangkat daerah, tertinggi ke terendah."
            if shown == len(ranking_items)
            else "Capaian perangkat daerah: 15 tertinggi dan 15 terendah (semua ada di tabel)."
        ),
        "sectors": sectors,
        "attention": {
            "rows": attention[:ATTENTION_LIMIT],
            "more": max(len(attention) - ATTENTION_LIMIT, 0),
            "threshold_label": threshold_label,
        },
        "quality": {
            "severities": [{"code": s, "label": flags.SEVERITY_LABELS[s]} for s in severities],
            "rows": quality_rows,
            "totals": totals,
            "total": sum(totals),
        },
        "target_versions": [
            {"version": version, "count": count} for version, count in sorted(versions.items())
        ],
        "revised_targets": revised,
    }
