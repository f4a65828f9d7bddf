"""The leaders' dashboard: a period's figures at four levels (province, sector, agency, IKU)
and the source of every IKU figure (the submission version and the row it came from).

Every level is built from the bulletins' read model (:func:`iku.bulletins.readmodel.load_period`:
results, trend history, notes, open issues, "perlu tindakan") and their view models
(:mod:`iku.bulletins.views`), so the dashboard shows the figures the bulletins print and
recomputes none. What the bulletins do not carry is read here in one query per page: the same
month last year, the target versions of an IKU, and where each IKU's value came from.

Access (role and agency scope) is the caller's: the web routes ask :mod:`iku.access` before
calling these functions, and pass what the actor may see.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.runtime import Runtime

if TYPE_CHECKING:
    from iku.bulletins.readmodel import AgencyInfo, IndicatorInfo, PeriodData

#: The province page lists at most this many "perlu tindakan" items (every item is on the
#: sector and agency pages, and in perlu_tindakan.csv).
PROVINCE_ATTENTION_LIMIT: Final = 100
#: Above this many agencies the province page ranks the highest and the lowest
#: ``RANKING_ENDS`` of them (at the M scale, 640 rows would bury the page; every agency is on
#: its sector's page).
RANKING_FULL_UP_TO: Final = 60
RANKING_ENDS: Final = 20


class DashboardNotFound(LookupError):
    """What a dashboard address names does not exist: ``kind`` is period, sector, agency,
    indicator or source; ``value`` what was asked for."""

    def __init__(self, kind: str, value: str) -> None:
        super().__init__(f"{kind} {value!r} not found")
        self.kind = kind
        self.value = value


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


def evaluated_periods(session: Session) -> list[str]:
    """The periods with computed figures (a province result), newest first."""
    query = (
        select(m.EvaluationCycle.period)
        .join(m.Achievement, m.Achievement.cycle_id == m.EvaluationCycle.id)
        .where(m.Achievement.level == "province")
        .distinct()
    )
    return sorted((p for (p,) in session.execute(query)), reverse=True)


def load(
    rt: Runtime,
    period: str,
    *,
    as_of: datetime | None = None,
    history_keys: Collection[str] | None = None,
) -> PeriodData:
    """The read model of a computed period (DashboardNotFound when it was never computed);
    ``history_keys``: the subjects whose trend the page shows (None: every subject)."""
    from iku.bulletins.readmodel import RenderError, load_period

    try:
        return load_period(
            rt.engine, period, rules=rt.rules, generated_at=as_of, history_keys=history_keys
        )
    except RenderError:
        raise DashboardNotFound("period", period) from None


def year_before(period: str) -> str:
    from iku.calendar import Period  # lazily: the web application starts without numpy

    p = Period.parse(period)
    return f"{p.year - 1:04d}-{p.month:02d}"


def last_year(session: Session, period: str, keys: Collection[str]) -> dict[str, float | None]:
    """subject_key -> the scored capaian of the same month last year (only keys it has)."""
    if not keys:
        return {}
    rows = session.execute(
        select(m.Achievement.subject_key, m.Achievement.capaian_scored)
        .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Achievement.cycle_id)
        .where(
            m.EvaluationCycle.period == year_before(period),
            m.Achievement.subject_key.in_(sorted(keys)),
        )
    )
    return {key: value for key, value in rows}


# --------------------------------------------------------------------------------------------
# Where an IKU's value came from
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SourceRef:
    """The accepted row an IKU's value of a month came from."""

    realisation_id: int
    submission_id: int
    period: str
    source_row: int | None
    evidence_url: str | None
    note: str | None


def sources(session: Session, cycle_id: int, wanted: Mapping[int, str]) -> dict[int, SourceRef]:
    """indicator id -> the row its value of ``wanted[id]`` (a period) came from, in one query:
    the versions of the cycle's snapshot, or (no snapshot recorded) the versions counting now."""
    from iku.cycles import counted_submissions

    if not wanted:
        return {}
    snapshot = session.scalar(
        select(func.count())
        .select_from(m.CycleSubmission)
        .where(m.CycleSubmission.cycle_id == cycle_id)
    )
    rows = session.execute(
        select(
            m.Realisation.indicator_id,
            m.Realisation.period,
            m.Realisation.id,
            m.Realisation.submission_id,
            m.Realisation.source_row,
            m.Realisation.evidence_url,
            m.Realisation.note,
        )
        .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
        .where(
            m.Realisation.indicator_id.in_(sorted(wanted)),
            m.Realisation.period.in_(sorted(set(wanted.values()))),
            counted_submissions(cycle_id if snapshot else None),
        )
        .order_by(m.Submission.received_at, m.Submission.id)
    )
    found: dict[int, SourceRef] = {}
    for indicator_id, period, ident, submission_id, row, evidence, note in rows:
        if wanted.get(indicator_id) == period:  # later versions win
            found[indicator_id] = SourceRef(ident, submission_id, period, row, evidence, note)
    return found


def safe_link(url: str | None) -> str | None:
    """An evidence address people may follow (http or https only: never ``javascript:``)."""
    if url and url.strip().lower().startswith(("https://", "http://")):
        return url.strip()
    return None


@dataclass(frozen=True)
class SourceDetail:
    """The source page of one IKU figure: the value, its submission version and its row."""

    indicator_code: str
    indicator_name: str
    agency_code: str
    agency_name: str
    period: str
    realisation: m.Realisation
    submission: m.Submission
    version: int
    versions: int
    staged: m.StagedRow | None


def source_detail(session: Session, realisation_id: int) -> SourceDetail:
    """The realisation, the submission version it belongs to (N of the agency's versions of
    that period) and the staged row as read from the file (DashboardNotFound when missing)."""
    found = session.execute(
        select(m.Realisation, m.Submission, m.Indicator.code, m.Indicator.name, m.Agency)
        .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
        .join(m.Indicator, m.Indicator.id == m.Realisation.indicator_id)
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .where(m.Realisation.id == realisation_id)
    ).first()
    if found is None:
        raise DashboardNotFound("source", str(realisation_id))
    realisation, submission, code, name, agency = found
    ids = list(
        session.scalars(
            select(m.Submission.id)
            .where(
                m.Submission.agency_id == submission.agency_id,
                m.Submission.period == submission.period,
            )
            .order_by(m.Submission.received_at, m.Submission.id)
        )
    )
    staged = None
    if realisation.source_row is not None:
        staged = session.scalar(
            select(m.StagedRow).where(
                m.StagedRow.submission_id == submission.id,
                m.StagedRow.source_row == realisation.source_row,
            )
        )
    return SourceDetail(
        indicator_code=code,
        indicator_name=name,
        agency_code=agency.code,
        agency_name=agency.name,
        period=realisation.period,
        realisation=realisation,
        submission=submission,
        version=ids.index(submission.id) + 1 if submission.id in ids else 1,
        versions=len(ids),
        staged=staged,
    )


# --------------------------------------------------------------------------------------------
# The levels
# --------------------------------------------------------------------------------------------


def _trend(
    data: PeriodData, key: str, last: Mapping[str, float | None], label: str
) -> dict[str, Any]:
    """A subject's capaian over the year: the chart, the table beside it, last year's month."""
    from markupsafe import Markup

    from iku.bulletins import charts
    from iku.bulletins.views import band_areas as _band_areas
    from iku.bulletins.views import period_labels as _period_labels

    series = dict(data.history.get(key, ()))
    periods = data.history_periods
    labels = _period_labels(periods)
    points = [(lbl, series.get(p)) for lbl, p in zip(labels, periods, strict=True)]
    return {
        "svg": Markup(charts.trend_chart(points, _band_areas(data.rules), label=label)),
        "label": label,
        "rows": [{"period": p, "capaian": series.get(p)} for p in periods],
        "last_year": {
            "period": year_before(data.period),
            "known": key in last,
            "capaian": last.get(key),
        },
    }


def _attention_rows(data: PeriodData, items: Sequence[Any]) -> list[dict[str, Any]]:
    from iku.reports.attention import REASON_LABELS

    return [
        {
            "reason": item.reason,
            "label": REASON_LABELS[item.reason],
            "agency_code": item.agency_code,
            "agency_name": item.agency_name,
            "indicator_code": item.indicator_code,
            "indicator_name": item.indicator_name,
            "detail": item.detail,
        }
        for item in items
    ]


def _attention(data: PeriodData, items: Sequence[Any], limit: int | None) -> dict[str, Any]:
    from iku.reports.attention import REASON_LABELS, REASONS

    counts = Counter(item.reason for item in items)
    shown = list(items) if limit is None else list(items)[:limit]
    return {
        "rows": _attention_rows(data, shown),
        "total": len(items),
        "more": len(items) - len(shown),
        "counts": [
            {"reason": r, "label": REASON_LABELS[r], "count": counts.get(r, 0)}
            for r in REASONS
            if counts.get(r)
        ],
    }


def _meta(data: PeriodData) -> dict[str, Any]:
    from iku.bulletins.views import meta_context

    return meta_context(data)


def _agency_rows(data: PeriodData, agencies: Sequence[AgencyInfo]) -> list[dict[str, Any]]:
    from iku.bulletins.views import basis_of as _basis
    from iku.bulletins.views import figure_of as _figure
    from iku.bulletins.views import or_dash as _or_dash

    rows = []
    for agency in agencies:
        row, capaian, predikat = _figure(data, f"agency:{agency.code}", f"agency {agency.code}")
        rows.append(
            {
                "code": agency.code,
                "name": agency.name,
                "sector": agency.sector,
                "capaian": capaian,
                "predikat": predikat,
                "trend_delta": _or_dash(row.trend_delta),
                **_basis(row, f"agency {agency.code}"),
            }
        )
    return rows


def _target_versions(data: PeriodData, agencies: Sequence[AgencyInfo]) -> dict[str, Any]:
    """How many IKU use each PK target version, and which use a revised one (> 1)."""
    versions: Counter[int] = Counter()
    revised = []
    for agency in agencies:
        for indicator in agency.indicators:
            row = data.results.get(f"indicator:{indicator.code}")
            if row is None or not row.target_version:
                continue
            versions[row.target_version] += 1
            if row.target_version > 1:
                revised.append(
                    {
                        "code": indicator.code,
                        "name": indicator.name,
                        "target_text": row.target_text or "–",
                        "target_version": row.target_version,
                    }
                )
    return {
        "target_versions": [{"version": v, "count": n} for v, n in sorted(versions.items())],
        "revised_targets": revised,
    }


def _issue_counts(data: PeriodData, agency_ids: Collection[int] | None) -> dict[int, int]:
    counts: Counter[int] = Counter()
    for issue in data.issues:
        if agency_ids is None or issue.agency_id in agency_ids:
            counts[issue.agency_id] += 1
    return dict(counts)


def province_view(data: PeriodData, last: Mapping[str, float | None]) -> dict[str, Any]:
    """The province at a glance: "perlu tindakan" first, then capaian with its basis, the
    predikat distribution, reporting and on-time rates, the trend, sectors and agencies."""
    from iku.bulletins.views import province_context

    context = province_context(data)
    counts = _issue_counts(data, None)
    ids = {a.code: a.id for a in data.agencies}
    ranking = context["ranking"]
    for row in ranking:
        row["issues"] = counts.get(ids[row["code"]], 0)
    shown = ranking
    if len(ranking) > RANKING_FULL_UP_TO:
        shown = ranking[:RANKING_ENDS] + ranking[-RANKING_ENDS:]
    return {
        "meta": context["meta"],
        "headline": context["headline"],
        "attention": _attention(data, data.attention, PROVINCE_ATTENTION_LIMIT),
        "trend": _trend(data, "province", last, "Tren capaian Provinsi Lampung"),
        "distribution": context["distribution"],
        "distribution_missing": context["distribution_missing"],
        "distribution_svg": context["distribution_svg"],
        "sectors": [{**s, "name": s["sector"].lower()} for s in context["sectors"]],
        "ranking": shown,
        "ranking_all": len(shown) == len(ranking),
        "n_ranked": len(ranking),
        "issues_total": sum(counts.values()),
        "target_versions": context["target_versions"],
        "revised_targets": context["revised_targets"],
    }


def sector_keys(data: PeriodData) -> list[str]:
    return sorted(
        (r.sector or k.removeprefix("sector:"))
        for k, r in data.results.items()
        if r.level == "sector"
    )


def sector_view(data: PeriodData, name: str, last: Mapping[str, float | None]) -> dict[str, Any]:
    """One sector: its capaian and basis, trend, agencies, where to act, open issues."""
    from iku.bulletins.views import basis_of as _basis
    from iku.bulletins.views import figure_of as _figure

    key = f"sector:{name}"
    if key not in data.results:
        raise DashboardNotFound("sector", name)
    row, capaian, predikat = _figure(data, key, key)
    agencies = [a for a in data.agencies if a.sector == name]
    codes = {a.code for a in agencies}
    ids = {a.id for a in agencies}
    counts = _issue_counts(data, ids)
    rows = _agency_rows(data, agencies)
    for entry, agency in zip(rows, agencies, strict=True):
        entry["issues"] = counts.get(agency.id, 0)
    rows.sort(key=_by_capaian)
    return {
        "meta": _meta(data),
        "sector": name,
        "summary": {
            "capaian": capaian,
            "predikat": predikat,
            "note": row.note or "",
            "n_agencies": len(agencies),
            **_basis(row, key),
        },
        "attention": _attention(data, [i for i in data.attention if i.agency_code in codes], None),
        "trend": _trend(data, key, last, f"Tren capaian sektor {name}"),
        "agencies": rows,
        "issues_total": sum(counts.values()),
        **_target_versions(data, agencies),
    }


def _by_capaian(row: Mapping[str, Any]) -> tuple[bool, float, str]:
    from iku.formatting import is_absent

    absent = is_absent(row["capaian"])
    return (absent, 0.0 if absent else -float(row["capaian"]), str(row["code"]))


def catalog_owner(
    session: Session, *, agency: str | None = None, indicator: str | None = None
) -> str | None:
    """The agency code an address names in the catalog, whether or not it has figures: the
    agency itself, or the agency of an IKU (None: the catalog has no such agency or IKU). An
    agency or IKU without figures is still someone's: its scope is checked before the 404."""
    if agency is not None:
        return session.scalar(select(m.Agency.code).where(m.Agency.code == agency))
    return session.scalar(
        select(m.Agency.code)
        .join(m.Indicator, m.Indicator.agency_id == m.Agency.id)
        .where(m.Indicator.code == indicator)
    )


def find_agency(data: PeriodData, code: str) -> AgencyInfo:
    for agency in data.agencies:
        if agency.code == code:
            return agency
    raise DashboardNotFound("agency", code)


def find_indicator(data: PeriodData, code: str) -> tuple[AgencyInfo, IndicatorInfo]:
    for agency in data.agencies:
        for indicator in agency.indicators:
            if indicator.code == code:
                return agency, indicator
    raise DashboardNotFound("indicator", code)


def _wanted(data: PeriodData, indicators: Sequence[IndicatorInfo]) -> dict[int, str]:
    """indicator id -> the month of the value shown (an earlier month for a stale value)."""
    wanted = {}
    for indicator in indicators:
        row = data.results.get(f"indicator:{indicator.code}")
        if row is not None and row.realisasi is not None:
            wanted[indicator.id] = row.realisasi_period or data.period
        elif row is not None and row.realisasi_state is not None:
            wanted[indicator.id] = data.period
    return wanted


def agency_view(
    data: PeriodData,
    code: str,
    last: Mapping[str, float | None],
    found: Mapping[int, SourceRef],
) -> dict[str, Any]:
    """One agency: capaian and basis, trend, every IKU with its target version, value, note,
    evidence and source row, where to act, and its open data issues."""
    from iku.bulletins.views import agency_context

    agency = find_agency(data, code)
    context = agency_context(data, agency)
    for view, indicator in zip(context["indicators"], agency.indicators, strict=True):
        ref = found.get(indicator.id)
        view["source_id"] = ref.realisation_id if ref else None
        view["evidence_link"] = safe_link(ref.evidence_url) if ref else None
        view["last_year"] = last.get(f"indicator:{indicator.code}")
    return {
        "meta": context["meta"],
        "agency": context["agency"],
        "summary": context["summary"],
        "province": context["province"],
        "indicators": context["indicators"],
        "attention": _attention(
            data, [i for i in data.attention if i.agency_code == agency.code], None
        ),
        "issues": context["issues"],
        "trend": _trend(data, f"agency:{agency.code}", last, f"Tren capaian {agency.code}"),
    }


def target_versions(session: Session, indicator_id: int, year: int) -> list[dict[str, Any]]:
    """The PK targets of an IKU for a year, every version (the engine chose the one in force)."""
    rows = session.scalars(
        select(m.Target)
        .where(m.Target.indicator_id == indicator_id, m.Target.year == year)
        .order_by(m.Target.period_key, m.Target.version)
    )
    return [
        {
            "period_key": t.period_key,
            "version": t.version,
            "text": t.original_text,
            "effective_from": t.effective_from,
            "source_document": t.source_document,
        }
        for t in rows
    ]


def indicator_view(
    data: PeriodData,
    code: str,
    last: Mapping[str, float | None],
    found: Mapping[int, SourceRef],
    targets: Sequence[Mapping[str, Any]],
) -> dict[str, Any]:
    """One IKU of its agency: the figures of the month and the year to date, the trend, the
    target versions, notes, evidence, the source row, and its open data issues."""
    from iku.bulletins.views import agency_context

    agency, indicator = find_indicator(data, code)
    context = agency_context(data, agency)
    view = next(v for v in context["indicators"] if v["code"] == code)
    ref = found.get(indicator.id)
    issues = [i for i in context["issues"] if i["indicator_code"] == code]
    return {
        "meta": context["meta"],
        "agency": context["agency"],
        "indicator": view,
        "source_id": ref.realisation_id if ref else None,
        "source_row": ref.source_row if ref else None,
        "evidence_link": safe_link(ref.evidence_url) if ref else None,
        "attention": _attention(
            data,
            [
                i
                for i in data.attention
                if i.agency_code == agency.code and i.indicator_code == code
            ],
            None,
        ),
        "issues": issues,
        "targets": list(targets),
        "trend": _trend(data, f"indicator:{code}", last, f"Tren capaian {code}"),
    }


def indicator_ids(data: PeriodData, agency: AgencyInfo) -> dict[int, str]:
    return _wanted(data, agency.indicators)
