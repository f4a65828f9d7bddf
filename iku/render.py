"""Evaluation bulletins: read a cycle from the database, build contexts, render HTML and PDF.

The steps are plain functions so a flow, the CLI, a benchmark or a test can call them alone:

1. :func:`load_period` reads everything a period's bulletins show (one query per table).
2. :func:`province_context` / :func:`agency_context` turn it into template contexts (plain
   dicts). A figure that should be there and is not raises :class:`MissingFigureError`; a
   value that is legitimately absent becomes an :class:`~iku.formatting.Absent` with the words
   the bulletin prints ("belum tersedia", "tidak dapat dihitung").
3. :func:`run_job` renders one bulletin to HTML and PDF (Jinja2 with ``StrictUndefined``,
   WeasyPrint with a URL fetcher that cannot leave ``report_templates/``).
4. :func:`render_period` does all of it for a period, one agency failing without stopping the
   others, in a process pool when asked, then writes the index, the manifest and the
   ``bulletin`` rows.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import math
import multiprocessing
import shutil
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined, select_autoescape
from markupsafe import Markup
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from iku import charts
from iku import models as m
from iku.db import now_wib, session_scope
from iku.formatting import (
    Absent,
    MissingFigureError,
    angka,
    bulan_singkat,
    is_absent,
    jam,
    period_start,
    periode,
    persen,
    rupiah,
    selisih,
    tanggal,
    waktu,
)
from iku.rules import Band, Rules, get_rules
from iku.settings import get_settings

log = logging.getLogger(__name__)

PROJECT_ROOT: Final = Path(__file__).resolve().parent.parent
TEMPLATES_DIR: Final = PROJECT_ROOT / "report_templates"
STATIC_DIR: Final = TEMPLATES_DIR / "static"

#: How many cycles (this one included) the trend lines show.
TREND_PERIODS: Final = 12
#: The province bulletin lists at most this many IKU needing attention (all are in the agency
#: bulletins); a longer list would bury the worst ones.
ATTENTION_LIMIT: Final = 60

#: realisasi states without a number (``achievement.realisasi_state``) and how they read.
STATE_LABELS: Final = {
    "belum_tersedia": "belum tersedia",
    "tidak_dilaporkan": "tidak dilaporkan",
    "tidak_dijadwalkan": "tidak dijadwalkan",  # nothing due this month (a quarterly IKU)
}
#: The engine's indicator flags (English codes, docs/engine.md) as the bulletin prints them.
FLAG_LABELS: Final = {
    "missing": "tidak dilaporkan",
    "not_expected": "tidak dijadwalkan bulan ini",
    "off_schedule": "dilaporkan di luar jadwal",
    "no_target": "tanpa target",
    "not_computable": "tidak dapat dihitung",
    "inside_range": "di dalam rentang target",
    "prorated_target": "target diprorata",
    "negative_raw": "capaian mentah negatif",
    "floored": "dibatasi batas bawah skor",
    "capped": "dibatasi batas atas skor",
    "needs_verification": "perlu verifikasi",
}
NO_TARGET: Final = "tanpa target"
NOT_COMPUTABLE: Final = "tidak dapat dihitung"
NO_COMPARISON: Final = "–"
NO_FIGURE: Final = "tidak ada angka"
SEVERITY_LABELS: Final = {"blocking": "Memblokir", "error": "Kesalahan", "warning": "Peringatan"}

PROVINCE_FILE: Final = "provinsi"
AGENCY_DIR: Final = "opd"
INDEX_FILE: Final = "index.html"
MANIFEST_FILE: Final = "manifest.json"
REVIEW_PAGE: Final = Path("review") / "index.html"


class RenderError(RuntimeError):
    """A period cannot be rendered at all (no cycle, nothing to render)."""


# --------------------------------------------------------------------------------------------
# Data read from the database
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ResultRow:
    """The columns of one ``achievement`` row that the bulletins show."""

    subject_key: str
    level: str
    indicator_id: int | None
    agency_id: int | None
    sector: str | None
    target_version: int | None
    target_text: str | None
    realisasi: float | None
    realisasi_state: str | None
    capaian_raw: float | None
    capaian_scored: float | None
    predikat: str | None
    ytd_realisasi: float | None
    ytd_target: float | None
    ytd_capaian: float | None
    trend_delta: float | None
    projection: float | None
    is_at_risk: bool
    n_included: int | None
    n_missing: int | None
    flags: tuple[str, ...]
    note: str | None


@dataclass(frozen=True)
class IndicatorInfo:
    id: int
    code: str
    name: str
    unit: str


@dataclass(frozen=True)
class AgencyInfo:
    id: int
    code: str
    name: str
    sector: str
    indicators: tuple[IndicatorInfo, ...]


@dataclass(frozen=True)
class IssueInfo:
    agency_id: int
    indicator_code: str | None
    file_name: str
    source_row: int | None
    rule: str
    severity: str
    observed: str | None
    expected: str | None
    message: str


@dataclass(frozen=True)
class PeriodData:
    """Everything the bulletins of one period show, read in one transaction."""

    period: str
    cycle_id: int
    cycle_status: str
    rules_version: str
    counts: Mapping[str, Any]
    rules: Rules
    agencies: tuple[AgencyInfo, ...]
    results: Mapping[str, ResultRow]
    #: subject_key -> [(period, capaian_scored)] over the last cycles, oldest first.
    history: Mapping[str, tuple[tuple[str, float | None], ...]]
    history_periods: tuple[str, ...]
    #: indicator id -> the agency's note on its realisasi of this period.
    notes: Mapping[int, str]
    issues: tuple[IssueInfo, ...]
    generated_at: datetime


def _result(row: m.Achievement) -> ResultRow:
    return ResultRow(
        subject_key=row.subject_key,
        level=row.level,
        indicator_id=row.indicator_id,
        agency_id=row.agency_id,
        sector=row.sector,
        target_version=row.target_version,
        target_text=row.target_text,
        realisasi=row.realisasi,
        realisasi_state=row.realisasi_state,
        capaian_raw=row.capaian_raw,
        capaian_scored=row.capaian_scored,
        predikat=row.predikat,
        ytd_realisasi=row.ytd_realisasi,
        ytd_target=row.ytd_target,
        ytd_capaian=row.ytd_capaian,
        trend_delta=row.trend_delta,
        projection=row.projection,
        is_at_risk=bool(row.is_at_risk),
        n_included=row.n_included,
        n_missing=row.n_missing,
        flags=tuple(str(flag) for flag in (row.flags or ())),
        note=row.note,
    )


def _agencies(session: Session) -> tuple[AgencyInfo, ...]:
    indicators: dict[int, list[IndicatorInfo]] = defaultdict(list)
    query = select(m.Indicator).where(m.Indicator.is_active.is_(True)).order_by(m.Indicator.code)
    for indicator in session.scalars(query):
        indicators[indicator.agency_id].append(
            IndicatorInfo(indicator.id, indicator.code, indicator.name, indicator.unit)
        )
    agencies = session.scalars(
        select(m.Agency).where(m.Agency.is_active.is_(True)).order_by(m.Agency.code)
    )
    return tuple(
        AgencyInfo(a.id, a.code, a.name, a.sector, tuple(indicators[a.id]))
        for a in agencies
        if indicators.get(a.id)
    )


def _history(
    session: Session, period: str
) -> tuple[tuple[str, ...], dict[str, tuple[tuple[str, float | None], ...]]]:
    cycles = session.execute(
        select(m.EvaluationCycle.id, m.EvaluationCycle.period)
        .where(m.EvaluationCycle.period <= period)
        .order_by(m.EvaluationCycle.period.desc())
        .limit(TREND_PERIODS)
    ).all()
    periods = tuple(sorted(p for _, p in cycles))
    by_cycle = {cycle_id: p for cycle_id, p in cycles}
    values: dict[str, dict[str, float | None]] = defaultdict(dict)
    rows = session.execute(
        select(
            m.Achievement.cycle_id, m.Achievement.subject_key, m.Achievement.capaian_scored
        ).where(m.Achievement.cycle_id.in_(list(by_cycle)))
    )
    for cycle_id, subject_key, capaian in rows:
        values[subject_key][by_cycle[cycle_id]] = capaian
    history = {key: tuple((p, series.get(p)) for p in periods) for key, series in values.items()}
    return periods, history


def _notes(session: Session, period: str) -> dict[int, str]:
    rows = session.execute(
        select(m.Realisation.indicator_id, m.Realisation.note)
        .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
        .where(
            m.Realisation.period == period,
            m.Submission.status.not_in(("superseded", "rejected")),
            m.Realisation.note.is_not(None),
        )
        .order_by(m.Submission.received_at, m.Submission.id)
    )
    notes: dict[int, str] = {}
    for indicator_id, note in rows:
        if note and note.strip():
            notes[indicator_id] = note.strip()  # later submissions win
    return notes


def _issues(session: Session, period: str) -> tuple[IssueInfo, ...]:
    issue = m.ValidationIssue
    issue_period = func.coalesce(issue.period, m.Submission.period)
    rows = session.execute(
        select(
            m.Submission.agency_id,
            issue.indicator_code,
            m.Submission.file_name,
            issue.source_row,
            issue.rule,
            issue.severity,
            issue.observed,
            issue.expected,
            issue.message,
        )
        .join(m.Submission, m.Submission.id == issue.submission_id)
        .where(issue.status == "open", issue_period == period)
        .order_by(m.Submission.agency_id, issue.indicator_code, issue.source_row, issue.id)
    )
    return tuple(IssueInfo(*row) for row in rows)


def _with_rates(
    session: Session, period: str, rules: Rules, counts: dict[str, Any]
) -> dict[str, Any]:
    """The cycle's counts; reporting and on-time rates (percent) computed when not recorded."""
    if "reporting_rate" in counts and "on_time_rate" in counts:
        return counts
    try:
        from quality.completeness import completeness

        with session.begin_nested():  # a failure must not abort the PostgreSQL transaction
            rates = completeness(session, period, rules)
    except Exception:  # the rates are context, not figures: the bulletin says "belum tersedia"
        log.warning("reporting rates of %s could not be computed", period, exc_info=True)
        return counts
    counts.setdefault("reporting_rate", rates.reporting_rate)
    counts.setdefault("on_time_rate", rates.on_time_rate)
    return counts


def load_period(
    engine: Engine | None,
    period: str,
    *,
    rules: Rules | None = None,
    generated_at: datetime | None = None,
) -> PeriodData:
    """Read a period's cycle, results, trend history, notes and open issues."""
    period_start(period)  # a clear error for a malformed period
    rules = rules or get_rules()
    with session_scope(engine) as session:
        cycle = session.scalars(
            select(m.EvaluationCycle).where(m.EvaluationCycle.period == period)
        ).one_or_none()
        if cycle is None:
            raise RenderError(
                f"there is no evaluation cycle for {period}; compute the period first "
                f"(`iku run --period {period}`)"
            )
        results = {
            row.subject_key: _result(row)
            for row in session.scalars(
                select(m.Achievement).where(m.Achievement.cycle_id == cycle.id)
            )
        }
        history_periods, history = _history(session, period)
        rules_version = cycle.rules_version or rules.version
        if cycle.rules_version and cycle.rules_version != rules.version:
            log.warning(
                "cycle %s was computed with rules %s; the rules file in force is %s "
                "(labels and colours come from the file in force)",
                period,
                cycle.rules_version,
                rules.version,
            )
        return PeriodData(
            period=period,
            cycle_id=cycle.id,
            cycle_status=cycle.status,
            rules_version=rules_version,
            counts=_with_rates(session, period, rules, dict(cycle.counts or {})),
            rules=rules,
            agencies=_agencies(session),
            results=results,
            history=history,
            history_periods=history_periods,
            notes=_notes(session, period),
            issues=_issues(session, period),
            generated_at=generated_at or now_wib(),
        )


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


def _meta(data: PeriodData) -> dict[str, Any]:
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


def _predikat(rules: Rules, code: str | None, capaian: float | Absent, what: str) -> Any:
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


def _flag_label(flag: str) -> str:
    return FLAG_LABELS.get(flag, flag.replace("_", " "))


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
        "predikat": _predikat(data.rules, row.predikat, capaian, what),
        "ytd_realisasi": _or_dash(row.ytd_realisasi),
        "ytd_target": _or_dash(row.ytd_target),
        "ytd_capaian": _or_dash(row.ytd_capaian),
        "trend_delta": _or_dash(row.trend_delta),
        "projection": _or_dash(row.projection),
        "is_at_risk": row.is_at_risk,
        "flags": [_flag_label(f) for f in row.flags],
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
        "rule": issue.rule,
        "severity": issue.severity,
        "severity_label": SEVERITY_LABELS.get(issue.severity, issue.severity),
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
    return row, capaian, _predikat(data.rules, row.predikat, capaian, what)


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
        "meta": _meta(data),
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
    meta = _meta(data)
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
                "predikat": _predikat(rules, result.predikat, value, indicator.code),
                "projection": _or_dash(result.projection),
                "reason": ", ".join(reasons),
                "_sort": math.inf if result.capaian_scored is None else result.capaian_scored,
            }
        )
    attention.sort(key=lambda r: (r["_sort"], r["code"]))
    for entry in attention:
        del entry["_sort"]

    severities = list(SEVERITY_LABELS)
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
            "severities": [{"code": s, "label": SEVERITY_LABELS[s]} for s in severities],
            "rows": quality_rows,
            "totals": totals,
            "total": sum(totals),
        },
        "target_versions": [
            {"version": version, "count": count} for version, count in sorted(versions.items())
        ],
        "revised_targets": revised,
    }


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _text_color(hex_color: str) -> str:
    """Black or white, whichever reads better on the colour (WCAG relative luminance)."""
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    on_white = 1.05 / (luminance + 0.05)
    on_black = (luminance + 0.05) / 0.05
    return "#000000" if on_black > on_white else "#ffffff"


def _strict(function: Callable[..., str]) -> Callable[..., str]:
    """A filter that raises the template's undefined error when given an undefined value."""

    def checked(value: Any, *args: Any, **kwargs: Any) -> str:
        if isinstance(value, Undefined):
            value._fail_with_undefined_error()
        return function(value, *args, **kwargs)

    checked.__name__ = function.__name__
    checked.__doc__ = function.__doc__
    return checked


@lru_cache(maxsize=8)
def make_environment(rules: Rules) -> Environment:
    """The Jinja2 environment: strict undefined, HTML autoescaping, Indonesian filters."""
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES_DIR)),
        autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    colors = {band.code: band.color for band in rules.predikat.bands}

    def predikat_color(code: str) -> str:
        try:
            return colors[code]
        except KeyError:
            raise MissingFigureError(f"predikat {code!r} has no colour in the rules file") from None

    def predikat_text_color(code: str) -> str:
        return _text_color(predikat_color(code))

    filters: dict[str, Callable[..., str]] = {
        "angka": angka,
        "persen": persen,
        "selisih": selisih,
        "rupiah": rupiah,
        "tanggal": tanggal,
        "jam": jam,
        "waktu": waktu,
        "periode": periode,
        "predikat_color": predikat_color,
        "predikat_text_color": predikat_text_color,
    }
    env.filters.update({name: _strict(function) for name, function in filters.items()})
    env.tests["absent"] = is_absent
    return env


def render_html(env: Environment, template: str, context: Mapping[str, Any]) -> str:
    """Render a template; a leftover ``{{`` or ``{%`` is an error, never a silent output."""
    html = env.get_template(template).render(context)
    for marker in ("{{", "{%"):
        if marker in html:
            raise RuntimeError(f"{template}: unrendered template syntax {marker!r} in the output")
    return html


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
    except ValueError:
        return False
    return True


def _fetcher_class() -> type:
    from urllib.parse import unquote, urlsplit

    from weasyprint.urls import URLFetcher

    class TemplatesOnlyFetcher(URLFetcher):
        """Fetches ``data:`` URLs and files under report_templates/, nothing else."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if parts.scheme == "file" and _inside(Path(unquote(parts.path)), TEMPLATES_DIR):
                return super().fetch(url, headers)
            raise ValueError(f"refused to fetch {url!r}: bulletins use only vendored files")

    return TemplatesOnlyFetcher


#: WeasyPrint objects are not shared between threads (a thread-pool task runner may render
#: several bulletins at once): each thread keeps its own fetcher, fonts and parsed stylesheet.
_thread = threading.local()


def url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that cannot reach the network or leave report_templates/."""
    fetcher = getattr(_thread, "fetcher", None)
    if fetcher is None:
        fetcher = _thread.fetcher = _fetcher_class()(allowed_protocols=("file", "data"))
    return fetcher


def _forget_pdf_resources() -> None:
    _thread.__dict__.pop("pdf", None)


def _pdf_resources() -> tuple[Any, Any]:
    """The stylesheet and its fonts, parsed once per thread (a third of a render otherwise)."""
    resources = getattr(_thread, "pdf", None)
    if resources is None:
        from weasyprint import CSS
        from weasyprint.text.fonts import FontConfiguration

        fonts = FontConfiguration()
        css = CSS(
            filename=str(STATIC_DIR / "bulletin.css"), font_config=fonts, url_fetcher=url_fetcher()
        )
        resources = _thread.pdf = (fonts, css)
        if threading.current_thread() is threading.main_thread():
            # Freed before the interpreter tears WeasyPrint's C bindings down (a noisy __del__).
            atexit.register(_forget_pdf_resources)
    return resources


#: A PDF above this size embeds a whole fallback system font: subset it instead.
FULL_FONTS_LIMIT: Final = 300_000


def html_to_pdf(html: str) -> bytes:
    """Render a bulletin's HTML (rendered with an empty ``static_url``) to an A4 PDF.

    The vendored fonts are small subsets already, so they are embedded whole: subsetting them
    per document cost a third of the writing time. Text outside them (a note in another
    script) falls back to a system font; that PDF is written again with subsetting.
    """
    from weasyprint import HTML

    fonts, css = _pdf_resources()
    document = HTML(
        string=html, base_url=TEMPLATES_DIR.as_uri() + "/", url_fetcher=url_fetcher()
    ).render(stylesheets=[css], font_config=fonts)
    pdf: bytes = document.write_pdf(full_fonts=True)
    if len(pdf) > FULL_FONTS_LIMIT:
        pdf = document.write_pdf()
    return pdf


@dataclass(frozen=True)
class RenderJob:
    """One bulletin to render: picklable, so a process pool can run it."""

    audience: str
    subject_key: str
    agency_id: int | None
    template: str
    context: Mapping[str, Any]
    html_path: Path
    pdf_path: Path | None
    #: How the written HTML file reaches the copied static/ folder (e.g. "../static/").
    static_url: str
    rules: Rules


@dataclass(frozen=True)
class RenderedFile:
    audience: str
    subject_key: str
    agency_id: int | None
    html_path: Path
    pdf_path: Path | None
    html_sha256: str
    pdf_sha256: str | None

    @property
    def sha256(self) -> str:
        """The bulletin's identity: the PDF's hash, or the HTML's for HTML-only pages."""
        return self.pdf_sha256 or self.html_sha256


@dataclass(frozen=True)
class RenderFailure:
    audience: str
    subject_key: str
    agency_id: int | None
    error: str


def _write(path: Path, payload: bytes) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(payload)
    temporary.replace(path)  # readers never see half a file
    return hashlib.sha256(payload).hexdigest()


def run_job(job: RenderJob) -> RenderedFile | RenderFailure:
    """Render one bulletin to its files; any error becomes a :class:`RenderFailure`."""
    try:
        env = make_environment(job.rules)
        html = render_html(env, job.template, {**job.context, "static_url": job.static_url})
        html_sha = _write(job.html_path, html.encode("utf-8"))
        pdf_sha = None
        if job.pdf_path is not None:
            # The PDF gets the stylesheet parsed once per process instead of a <link>.
            pdf_source = render_html(env, job.template, {**job.context, "static_url": ""})
            pdf_sha = _write(job.pdf_path, html_to_pdf(pdf_source))
    except Exception as exc:  # one bulletin failing must not stop the others
        log.exception("bulletin %s %s failed", job.audience, job.subject_key)
        for path in (job.html_path, job.pdf_path):
            if path is not None:
                path.unlink(missing_ok=True)  # never leave a stale bulletin behind
        return RenderFailure(job.audience, job.subject_key, job.agency_id, _describe(exc))
    return RenderedFile(
        job.audience, job.subject_key, job.agency_id, job.html_path, job.pdf_path, html_sha, pdf_sha
    )


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}".splitlines()[0][:500]


@dataclass
class RenderResult:
    """What :func:`render_period` produced."""

    period: str
    cycle_id: int
    output_dir: Path
    bulletins: list[RenderedFile] = field(default_factory=list)
    failures: list[RenderFailure] = field(default_factory=list)
    index_path: Path | None = None
    manifest_path: Path | None = None

    @property
    def ok(self) -> bool:
        return not self.failures


def period_dir(period: str, output_dir: Path | None = None) -> Path:
    """Where a period's bulletins go: ``IKU_OUTPUT_DIR/<period>/``."""
    return (output_dir or get_settings().output_dir) / period


def plan_jobs(
    data: PeriodData, out: Path, subjects: Collection[str] | None = None
) -> tuple[list[RenderJob], list[RenderFailure]]:
    """The render jobs of a period; contexts that cannot be built are failures already.

    ``subjects`` limits the jobs to some bulletins ("province" and/or agency codes).
    """
    jobs: list[RenderJob] = []
    failures: list[RenderFailure] = []
    wanted = None if subjects is None else set(subjects)
    if wanted is None or "province" in wanted:
        try:
            context = province_context(data)
        except Exception as exc:
            log.exception("province bulletin of %s: context failed", data.period)
            failures.append(RenderFailure("province", "province", None, _describe(exc)))
        else:
            jobs.append(
                RenderJob(
                    "province",
                    "province",
                    None,
                    "province.html",
                    context,
                    out / f"{PROVINCE_FILE}.html",
                    out / f"{PROVINCE_FILE}.pdf",
                    "static/",
                    data.rules,
                )
            )
    for agency in data.agencies:
        if wanted is not None and agency.code not in wanted:
            continue
        html_path = out / AGENCY_DIR / f"{agency.code}.html"
        try:
            context = agency_context(data, agency)
        except Exception as exc:
            log.exception("agency bulletin %s of %s: context failed", agency.code, data.period)
            failures.append(RenderFailure("agency", agency.code, agency.id, _describe(exc)))
            html_path.unlink(missing_ok=True)
            html_path.with_suffix(".pdf").unlink(missing_ok=True)
            continue
        jobs.append(
            RenderJob(
                "agency",
                agency.code,
                agency.id,
                "agency.html",
                context,
                html_path,
                html_path.with_suffix(".pdf"),
                "../static/",
                data.rules,
            )
        )
    return jobs, failures


def run_jobs(jobs: Sequence[RenderJob], workers: int = 1) -> list[RenderedFile | RenderFailure]:
    """Run render jobs in this process, or in a pool of ``workers`` processes."""
    if workers <= 1 or len(jobs) <= 1:
        return [run_job(job) for job in jobs]
    # spawn, not fork: the parent may hold database connections and Prefect's threads.
    context = multiprocessing.get_context("spawn")
    chunk = max(1, len(jobs) // (workers * 8))
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        return list(pool.map(run_job, jobs, chunksize=chunk))


def copy_static(out: Path) -> None:
    """Copy the vendored CSS and fonts next to the HTML files (they link ``static/``)."""
    shutil.copytree(STATIC_DIR, out / "static", dirs_exist_ok=True)


def _index_context(
    data: PeriodData,
    out: Path,
    rendered: Sequence[RenderedFile],
    failures: Sequence[RenderFailure],
) -> dict[str, Any]:
    by_subject = {(r.audience, r.subject_key): r for r in rendered}
    province = by_subject.get(("province", "province"))
    agencies = []
    for agency in data.agencies:
        bulletin = by_subject.get(("agency", agency.code))
        if bulletin is None or bulletin.pdf_path is None:
            continue
        row = data.results[f"agency:{agency.code}"]
        capaian: float | Absent = (
            Absent(NO_FIGURE) if row.capaian_scored is None else row.capaian_scored
        )
        agencies.append(
            {
                "code": agency.code,
                "name": agency.name,
                "capaian": capaian,
                "predikat": _predikat(data.rules, row.predikat, capaian, agency.code),
                "html": bulletin.html_path.relative_to(out).as_posix(),
                "pdf": bulletin.pdf_path.relative_to(out).as_posix(),
            }
        )
    review = out / REVIEW_PAGE
    return {
        "meta": _meta(data),
        "province": (
            {
                "html": province.html_path.relative_to(out).as_posix(),
                "pdf": province.pdf_path.relative_to(out).as_posix(),
            }
            if province is not None and province.pdf_path is not None
            else None
        ),
        "province_failed": any(f.audience == "province" for f in failures),
        "review_link": REVIEW_PAGE.as_posix() if review.is_file() else None,
        "agencies": agencies,
        "failures": [{"subject_key": f.subject_key, "error": f.error} for f in failures],
    }


def _manifest(
    data: PeriodData,
    out: Path,
    rendered: Sequence[RenderedFile],
    failures: Sequence[RenderFailure],
) -> dict[str, Any]:
    files = []
    for bulletin in sorted(rendered, key=lambda r: (r.audience, r.subject_key)):
        entries = [(bulletin.html_path, bulletin.html_sha256)]
        if bulletin.pdf_path is not None and bulletin.pdf_sha256 is not None:
            entries.append((bulletin.pdf_path, bulletin.pdf_sha256))
        for path, sha in entries:
            files.append(
                {
                    "file": path.relative_to(out).as_posix(),
                    "audience": bulletin.audience,
                    "subject": bulletin.subject_key,
                    "sha256": sha,
                    "bytes": path.stat().st_size,
                }
            )
    return {
        "period": data.period,
        "cycle_id": data.cycle_id,
        "generated_at": data.generated_at.isoformat(),
        "rules_version": data.rules_version,
        "files": files,
        "failures": [asdict(f) for f in failures],
    }


def record_bulletins(
    engine: Engine | None,
    cycle_id: int,
    rendered: Iterable[RenderedFile],
    failures: Iterable[RenderFailure],
) -> None:
    """Upsert the ``bulletin`` rows (rerun replaces); a failed bulletin loses its files."""
    with session_scope(engine) as session:
        existing = {
            (b.audience, b.subject_key): b
            for b in session.scalars(select(m.Bulletin).where(m.Bulletin.cycle_id == cycle_id))
        }
        now = now_wib()
        for item in rendered:
            row = existing.get((item.audience, item.subject_key))
            if row is None:
                row = m.Bulletin(
                    cycle_id=cycle_id, audience=item.audience, subject_key=item.subject_key
                )
                session.add(row)
            row.agency_id = item.agency_id
            row.html_path = str(item.html_path)
            row.pdf_path = None if item.pdf_path is None else str(item.pdf_path)
            row.sha256 = item.sha256
            row.created_at = now
        for failure in failures:
            row = existing.get((failure.audience, failure.subject_key))
            if row is not None:
                row.html_path = row.pdf_path = row.sha256 = None


@dataclass
class RenderPlan:
    """A period's bulletins, prepared: the data, the output folder and one job per bulletin.

    The jobs are independent and picklable, so a caller can run them anywhere (this process,
    a process pool, a Prefect task runner) before :func:`finish_render` writes the index,
    the manifest and the bulletin rows.
    """

    data: PeriodData
    out: Path
    jobs: list[RenderJob]
    failures: list[RenderFailure]


def plan_render(
    period: str,
    engine: Engine | None = None,
    *,
    output_dir: Path | None = None,
    generated_at: datetime | None = None,
    rules: Rules | None = None,
    subjects: Collection[str] | None = None,
) -> RenderPlan:
    """Load the period and plan one job per bulletin (``subjects``: only some of them)."""
    data = load_period(engine, period, rules=rules, generated_at=generated_at)
    out = period_dir(period, output_dir)
    out.mkdir(parents=True, exist_ok=True)
    copy_static(out)
    jobs, failures = plan_jobs(data, out, subjects)
    return RenderPlan(data, out, jobs, list(failures))


def finish_render(
    plan: RenderPlan,
    outcomes: Sequence[RenderedFile | RenderFailure],
    engine: Engine | None = None,
) -> RenderResult:
    """Write the index and the manifest of what was rendered and record the bulletin rows."""
    data, out = plan.data, plan.out
    failures = list(plan.failures)
    rendered: list[RenderedFile] = []
    for outcome in outcomes:
        if isinstance(outcome, RenderFailure):
            failures.append(outcome)
        else:
            rendered.append(outcome)

    index_job = RenderJob(
        "index",
        "index",
        None,
        "index.html",
        _index_context(data, out, rendered, failures),
        out / INDEX_FILE,
        None,
        "static/",
        data.rules,
    )
    index = run_job(index_job)
    if isinstance(index, RenderFailure):
        failures.append(index)
    else:
        rendered.append(index)

    manifest_path = out / MANIFEST_FILE
    manifest = _manifest(data, out, rendered, failures)
    _write(manifest_path, (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode())
    record_bulletins(engine, data.cycle_id, rendered, failures)
    if failures:
        log.warning(
            "%s: %d bulletin(s) failed: %s",
            data.period,
            len(failures),
            ", ".join(f.subject_key for f in failures),
        )
    return RenderResult(
        period=data.period,
        cycle_id=data.cycle_id,
        output_dir=out,
        bulletins=rendered,
        failures=failures,
        index_path=None if isinstance(index, RenderFailure) else index.html_path,
        manifest_path=manifest_path,
    )


def render_period(
    period: str,
    engine: Engine | None = None,
    *,
    output_dir: Path | None = None,
    workers: int = 1,
    generated_at: datetime | None = None,
    rules: Rules | None = None,
    subjects: Collection[str] | None = None,
) -> RenderResult:
    """Render every bulletin of a period, write the index and manifest, record the rows.

    ``subjects`` renders only some bulletins ("province", agency codes); the index and the
    manifest then list what this run rendered.
    """
    plan = plan_render(
        period,
        engine,
        output_dir=output_dir,
        generated_at=generated_at,
        rules=rules,
        subjects=subjects,
    )
    return finish_render(plan, run_jobs(plan.jobs, workers), engine)
