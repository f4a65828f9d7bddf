"""View models: a period's data turned into the plain template contexts of each bulletin."""

from __future__ import annotations

import logging
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
from iku.glossary import band_rows, glossary, indonesian
from iku.reports.attention import REASON_LABELS, REASONS, AttentionItem
from iku.rules import Rules, per_rules

log = logging.getLogger(__name__)


#: The province bulletin lists at most this many rows of where to act (all items are in the
#: agency bulletins and in perlu_tindakan.csv); a longer list would bury the worst ones.
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


def meta_context(data: PeriodData, subject: str = "province") -> dict[str, Any]:
    """What every page prints about itself; ``subject`` ("province", an agency code) picks
    the bulletin's date ("Data per ...": its data's, :meth:`PeriodData.dated`)."""
    return {
        "period": data.period,
        "generated_at": data.dated(subject),
        # What the date is: the data's ("Data per ..."), not when the file was made.
        "date_label": "Data per",
        "issuer": data.rules.bulletin.issuer,
        "rules_version": data.rules_version,
        "scale_name": data.rules.predikat.scale_name,
        "cycle_status": data.cycle_status,
        **_rules_meta(data.rules),
    }


@per_rules
def _rules_meta(rules: Rules) -> dict[str, Any]:
    """What every page prints from the rules file alone, built once per rules (a period has
    one page per agency)."""
    return {
        "bands": tuple(
            {"code": b.code, "label": b.label, "color": b.color, "range_text": b.range_text}
            for b in band_rows(rules)
        ),
        # "How to read this bulletin" (partials/glossary): the same words as the web pages.
        "glossary": tuple(
            {"key": t.key, "word": t.word, "definition": t.definition}
            for t in glossary(rules, indonesian)
        ),
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


def _graded(data: PeriodData, indicator: IndicatorInfo, value: Any) -> Any:
    """A qualitative IKU's value as its grade ("WTP"), as the agency wrote it; others as they
    are (a score the scale does not have stays a number)."""
    if indicator.scale is None or not isinstance(value, float | int):
        return value
    try:
        grade = data.rules.scale(indicator.scale).grade(float(value))
    except KeyError:  # a scale the rules file no longer has
        return value
    return value if grade is None else grade


def _indicator_row(
    data: PeriodData, indicator: IndicatorInfo, issue_count: int
) -> tuple[dict[str, Any], bool]:
    key = f"indicator:{indicator.code}"
    what = f"IKU {indicator.code}"
    row = data.results.get(key)
    if row is None:
        raise MissingFigureError(f"{what}: no result in the cycle of {data.period}")
    realisasi: float | str | Absent
    if row.realisasi is not None:
        realisasi = _graded(data, indicator, row.realisasi)
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
    stale = row.realisasi_period is not None and row.realisasi_period != data.period
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
        "ytd_realisasi": _graded(data, indicator, _or_dash(row.ytd_realisasi)),
        "ytd_target": _graded(data, indicator, _or_dash(row.ytd_target)),
        "ytd_capaian": _or_dash(row.ytd_capaian),
        "ytd_basis": _months_basis(row),
        "ytd_incomplete": row.ytd_complete is False,
        "year_end_capaian": None if row.year_end_capaian is None else row.year_end_capaian,
        "tercapai": tercapai_view(row.tercapai),
        "realisasi_period": periode(row.realisasi_period) if stale else None,
        "held": row.awaiting_verification,
        "trend_delta": _or_dash(row.trend_delta),
        "projection": _or_dash(row.projection),
        "is_at_risk": row.is_at_risk,
        "flags": [flags.label(f) for f in row.flags],
        "catatan": row.note or "",
        "agency_note": data.notes.get(indicator.id, ""),
        "issue_count": issue_count,
        "sparkline": Markup(spark),
    }, row.is_at_risk


#: How "did the realisasi meet the target as written" reads (null: cannot say).
TERCAPAI_LABELS: Final = {True: "Tercapai", False: "Tidak tercapai", None: "–"}


def tercapai_view(value: bool | None) -> dict[str, Any]:
    return {"value": value, "label": TERCAPAI_LABELS[value]}


def _months_basis(row: ResultRow) -> str | None:
    """``9 dari 10 bulan``: the due months the year to date rests on."""
    if row.ytd_months_expected is None or row.ytd_months_reported is None:
        return None
    return f"{row.ytd_months_reported} dari {row.ytd_months_expected} bulan"


def _issue_view(issue: IssueInfo, period: str) -> dict[str, Any]:
    return {
        "period": None if issue.period in (None, period) else periode(issue.period),
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


#: What a row of several IKU of one agency and reason says (their own details are in the
#: agency's bulletin and in perlu_tindakan.csv).
GROUPED_DETAIL: Final = {
    "tidak_tercapai": "Realisasi bulan ini belum mencapai target.",
    "capaian_rendah": "Capaian s.d. bulan ini rendah.",
    "proyeksi_berisiko": "Proyeksi capaian akhir tahun berisiko.",
    "menunggu_verifikasi": (
        "Nilainya menunggu verifikasi pengelola data; belum dihitung dalam capaian OPD, "
        "sektor dan provinsi."
    ),
}


def _attention_row(item: AttentionItem) -> dict[str, Any]:
    return {
        "reason": item.label,
        "agency_code": item.agency_code,
        "agency_name": item.agency_name,
        "indicator_code": item.indicator_code,
        "indicator_name": item.indicator_name,
        "detail": item.detail,
    }


def _grouped(items: Sequence[AttentionItem]) -> list[dict[str, Any]]:
    """One row per agency and reason: the IKU of an agency missing their targets are one row
    naming them (the province bulletin; each agency's bulletin lists them one by one)."""
    groups: dict[tuple[str, str, bool], list[AttentionItem]] = defaultdict(list)
    for item in items:  # already in reading order: reason, agency, IKU
        groups[(item.reason, item.agency_code, item.indicator_code is None)].append(item)
    rows = []
    for members in groups.values():
        first = members[0]
        if len(members) == 1:
            rows.append(_attention_row(first))
            continue
        codes = ", ".join(m.indicator_code or "" for m in members)
        rows.append(
            {
                **_attention_row(first),
                "indicator_code": f"{len(members)} IKU",
                "indicator_name": codes,
                "detail": GROUPED_DETAIL.get(first.reason, first.detail),
            }
        )
    return rows


def attention_view(
    items: Sequence[AttentionItem], limit: int | None = None, *, grouped: bool = False
) -> dict[str, Any]:
    """Where to act: the rows (at most ``limit``; ``grouped``: one per agency and reason) and
    how many items there are of each reason."""
    counts = Counter(item.reason for item in items)
    rows = _grouped(items) if grouped else [_attention_row(item) for item in items]
    shown = rows if limit is None else rows[:limit]
    return {
        "rows": shown,
        "counts": [
            {"label": REASON_LABELS[reason], "count": counts.get(reason, 0)} for reason in REASONS
        ],
        "total": len(items),
        "more": len(rows) - len(shown),
    }


def _basis(row: ResultRow, what: str) -> dict[str, int]:
    """What an aggregate figure rests on: IKU counted, of all, without a number, held."""
    return {
        "n_included": _require(row.n_included, f"{what}: IKU included"),
        "n_total": _require(row.n_total, f"{what}: IKU total"),
        "n_missing": _require(row.n_missing, f"{what}: IKU missing"),
        "n_held": row.n_held or 0,
    }


def _first_upper(text: str) -> str:
    return text[:1].upper() + text[1:]


def approval_view(
    data: PeriodData, codes: Sequence[str] | None = None, limit: int | None = None
) -> dict[str, Any]:
    """The approval-status box: per agency (``codes``: only those; default every agency of
    the period's data) its month's state in words, and the rules file's policy for the
    sector and province figures (``marked`` or ``withheld``). Each state's group names at most
    ``limit`` agencies (the province bulletin's ``bulletin.province_max_agencies``), then
    says how many more there are and where they are listed."""
    from iku.glossary import indonesian
    from iku.periods import APPROVED, NOT_SUBMITTED, STATE_LABELS, SUBMITTED, VERIFIED

    policy = data.rules.approval.unapproved_in_province
    wanted = codes if codes is not None else [a.code for a in data.agencies]
    rows: list[dict[str, Any]] = []
    for code in wanted:
        state = data.approvals.get(code, NOT_SUBMITTED)
        approved = state in (APPROVED, VERIFIED)
        rows.append(
            {
                "code": code,
                "state": state,
                "label": indonesian(STATE_LABELS[state]),
                "approved": approved,
                "withheld": policy == "withheld" and not approved,
            }
        )
    groups = []
    for state in (VERIFIED, APPROVED, SUBMITTED, NOT_SUBMITTED):
        members = [r["code"] for r in rows if r["state"] == state]
        if not members:
            continue
        listed = members if limit is None else members[:limit]
        text = ", ".join(listed)
        if len(listed) < len(members):
            text += (
                f", … dan {angka(len(members) - len(listed), 0)} perangkat daerah lain "
                "(daftar lengkap di dasbor, /dasbor)"
            )
        groups.append(
            {
                "title": _first_upper(indonesian(STATE_LABELS[state])),
                "codes": text,
                "count": len(members),
            }
        )
    return {
        "policy": policy,
        # One agency's own row (its bulletin); the province box shows the groups only.
        "rows": rows if codes is not None else [],
        "groups": groups,
        "n_approved": sum(1 for r in rows if r["approved"]),
        "n_verified": sum(1 for r in rows if r["state"] == VERIFIED),
        "n_total": len(rows),
    }


def agency_context(data: PeriodData, agency: AgencyInfo) -> dict[str, Any]:
    """The template context of one agency's bulletin."""
    row, capaian, predikat = _figure(data, f"agency:{agency.code}", f"agency {agency.code}")
    _, province_capaian, province_predikat = _figure(data, "province", "province")
    issues = data.issues_of(agency.id)
    per_indicator = Counter(i.indicator_code for i in issues)
    indicators = []
    at_risk = 0
    for indicator in agency.indicators:
        view, risky = _indicator_row(data, indicator, per_indicator.get(indicator.code, 0))
        indicators.append(view)
        at_risk += int(risky)
    return {
        "meta": meta_context(data, agency.code),
        "revision": None,  # a re-issue's "Revisi N" block (iku.bulletins.revisions)
        "agency": {"code": agency.code, "name": agency.name, "sector": agency.sector},
        "summary": {
            "capaian": capaian,
            "predikat": predikat,
            **_basis(row, f"agency {agency.code}"),
            "n_not_met": sum(1 for v in indicators if v["tercapai"]["value"] is False),
            "note": row.note or "",
        },
        "province": {"capaian": province_capaian, "predikat": province_predikat},
        "indicators": indicators,
        "at_risk_count": at_risk,
        "attention": attention_view(data.attention_of(agency.code)),
        "issues": [_issue_view(i, data.period) for i in issues],
        "approval": approval_view(data, [agency.code]),
    }


def _period_labels(periods: Sequence[str]) -> list[str]:
    years = {p[:4] for p in periods}
    if len(years) <= 1:
        return [bulan_singkat(p) for p in periods]
    return [f"{bulan_singkat(p)} {p[2:4]}" for p in periods]


def _band_areas(rules: Rules) -> list[charts.BandArea]:
    return [charts.BandArea(b.code, b.lower, b.upper, b.color) for b in rules.predikat.bands]


def _rate(counts: Mapping[str, Any], key: str) -> float | Absent:
    value = counts.get(key)
    if value is None:
        return Absent("belum tersedia")
    return float(value)


def ranking_table(ranking: Sequence[dict[str, Any]], limit: int, period: str) -> dict[str, Any]:
    """The rows of the province bulletin's ranking table: every agency up to ``limit``
    (``bulletin.province_max_agencies``); beyond it the top and the bottom halves and, between
    them, what is not listed and where the full ranking is."""
    if len(ranking) <= limit:
        return {"top": list(ranking), "gap": None, "bottom": []}
    top = (limit + 1) // 2
    bottom = len(ranking) - (limit - top)
    omitted = ranking[top:bottom]
    text = (
        f"… {angka(len(omitted), 0)} perangkat daerah lain (peringkat "
        f"{angka(omitted[0]['rank'], 0)}–{angka(omitted[-1]['rank'], 0)} dari "
        f"{angka(len(ranking), 0)}) tidak dicantumkan di buletin ini. Peringkat lengkap ada di "
        f"dasbor (/dasbor, per sektor) dan di data terbuka capaian.csv (iku export --period "
        f"{period}; setelah diterbitkan juga /publik/{period}/capaian.csv)."
    )
    return {
        "top": list(ranking[:top]),
        "gap": {"count": len(omitted), "text": text},
        "bottom": list(ranking[bottom:]),
    }


def quality_table(
    rows: Sequence[dict[str, Any]], limit: int, n_severities: int
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """The agencies the data-quality annex lists (``rows`` come most open issues first: at
    most ``limit``) and one row counting the others, or None when all are listed."""
    if len(rows) <= limit:
        return list(rows), None
    rest = rows[limit:]
    counts = [sum(r["counts"][i] for r in rest) for i in range(n_severities)]
    total = sum(r["total"] for r in rest)
    text = (
        f"{angka(len(rest), 0)} perangkat daerah lain dengan {angka(total, 0)} isu terbuka, "
        "tidak dicantumkan satu per satu; rinciannya ada di buletin perangkat daerah "
        "masing-masing dan di halaman tinjauan pengelola data."
    )
    return list(rows[:limit]), {"count": len(rest), "text": text, "counts": counts, "total": total}


def revised_table(revised: Sequence[dict[str, Any]], limit: int) -> dict[str, Any]:
    """The revised targets (Perubahan PK) the province bulletin lists: at most ``limit``, then
    one row saying how many more there are and where (the dashboard lists them all)."""
    if len(revised) <= limit:
        return {"rows": list(revised), "more": None}
    count = len(revised) - limit
    text = (
        f"… {angka(count, 0)} IKU lain dengan target Perubahan PK tidak dicantumkan di buletin "
        "ini; daftar lengkapnya ada di dasbor (/dasbor)."
    )
    return {"rows": list(revised[:limit]), "more": {"count": count, "text": text}}


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
                **_basis(row, f"agency {agency.code}"),
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
                **_basis(row, key),
            }
        )

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
    limit = rules.bulletin.province_max_agencies
    quality_listed, quality_others = quality_table(quality_rows, limit, len(severities))
    table = ranking_table(ranking, limit, data.period)

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
        "revision": None,  # a re-issue's "Revisi N" block (iku.bulletins.revisions)
        "approval": approval_view(data, limit=limit),
        "headline": {
            "capaian": capaian,
            "predikat": predikat,
            "n_agencies": _require(province.n_agencies, "province: agencies"),
            "n_included": _require(province.n_agencies_included, "province: agencies included"),
            "n_indicators": len(indicator_rows),
            "n_indicators_included": _require(province.n_included, "province: IKU included"),
            "n_indicators_with_value": with_value,
            "n_held": province.n_held or 0,
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
        # Every agency (the dashboard and the revision figures use it); the bulletin's table
        # prints ``ranking_table``, at most ``bulletin.province_max_agencies`` of them.
        "ranking": ranking,
        "ranking_table": table,
        "ranking_svg": Markup(
            charts.ranking_chart(ranking_items, label="Peringkat capaian perangkat daerah")
        ),
        "ranking_caption": (
            "Capaian perangkat daerah, tertinggi ke terendah."
            if shown == len(ranking_items)
            else "Capaian perangkat daerah: 15 tertinggi dan 15 terendah (semua ada di tabel)."
            if table["gap"] is None
            else "Capaian perangkat daerah: 15 tertinggi dan 15 terendah."
        ),
        "sectors": sectors,
        "attention": attention_view(data.attention, ATTENTION_LIMIT, grouped=True),
        "quality": {
            "severities": [{"code": s, "label": flags.SEVERITY_LABELS[s]} for s in severities],
            "rows": quality_listed,
            "others": quality_others,
            "totals": totals,
            "total": sum(totals),
        },
        "target_versions": [
            {"version": version, "count": count} for version, count in sorted(versions.items())
        ],
        # Every revised IKU (the dashboard); the bulletin prints ``revised_table``.
        "revised_targets": revised,
        "revised_table": revised_table(revised, limit),
    }


# Public names of the helpers the dashboard (iku.operations.dashboard) builds its levels with,
# so both show every figure alike.
figure_of = _figure
basis_of = _basis
or_dash = _or_dash
band_areas = _band_areas
period_labels = _period_labels
