"""The read model of a period's bulletins: one transaction reads all a period shows."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.calendar import Period
from iku.cycles import counted_submissions, cycle_of
from iku.db import now_wib, session_scope
from iku.i18n import _
from iku.reports.attention import AttentionItem, attention_items
from iku.reports.issues import open_issues
from iku.rules import Rules

log = logging.getLogger(__name__)


#: How many cycles (this one included) the trend lines show.
TREND_PERIODS: Final = 12


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
    #: The month of the value shown (an earlier month for a stale ``last`` value).
    realisasi_period: str | None = None
    tercapai: bool | None = None
    ytd_tercapai: bool | None = None
    ytd_months_reported: int | None = None
    ytd_months_expected: int | None = None
    ytd_complete: bool | None = None
    year_end_capaian: float | None = None
    in_aggregate: bool | None = None
    awaiting_verification: bool = False
    n_total: int | None = None
    n_held: int | None = None
    n_agencies: int | None = None
    n_agencies_included: int | None = None


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
    period: str | None
    indicator_code: str | None
    file_name: str
    source_row: int | None
    rule: str
    severity: str
    observed: str | None
    expected: str | None
    message: str
    created_at: datetime


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
    #: Every open data issue of this period and of any earlier one (iku.reports.issues).
    issues: tuple[IssueInfo, ...]
    #: Where leaders should act (iku.reports.attention), as of ``generated_at``.
    attention: tuple[AttentionItem, ...]
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
        realisasi_period=row.realisasi_period,
        tercapai=row.tercapai,
        ytd_tercapai=row.ytd_tercapai,
        ytd_months_reported=row.ytd_months_reported,
        ytd_months_expected=row.ytd_months_expected,
        ytd_complete=row.ytd_complete,
        year_end_capaian=row.year_end_capaian,
        in_aggregate=row.in_aggregate,
        awaiting_verification=bool(row.awaiting_verification),
        n_total=row.n_total,
        n_held=row.n_held,
        n_agencies=row.n_agencies,
        n_agencies_included=row.n_agencies_included,
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


def _notes(session: Session, period: str, snapshot_cycle_id: int | None) -> dict[int, str]:
    rows = session.execute(
        select(m.Realisation.indicator_id, m.Realisation.note)
        .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
        .where(
            m.Realisation.period == period,
            counted_submissions(snapshot_cycle_id),
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
    return tuple(
        IssueInfo(
            agency_id=i.agency_id,
            period=i.period,
            indicator_code=i.indicator_code,
            file_name=i.file_name,
            source_row=i.source_row,
            rule=i.rule,
            severity=i.severity,
            observed=i.observed,
            expected=i.expected,
            message=i.message,
            created_at=i.created_at,
        )
        for i in open_issues(session, period)
    )


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
    engine: Engine,
    period: str,
    *,
    rules: Rules,
    generated_at: datetime | None = None,
    frozen: bool = False,
) -> PeriodData:
    """Read a period's cycle, results, trend history, notes and open issues (``frozen``: the
    notes of the running cycle's snapshot, as its results are)."""
    Period.parse(period)  # a clear error for a malformed period
    with session_scope(engine) as session:
        cycle = cycle_of(session, period)
        if cycle is None:
            raise RenderError(
                _(
                    "There is no evaluation cycle for %(period)s yet; compute the period first "
                    "(`iku run --period %(period)s`).",
                    period=period,
                )
            )
        results = {
            row.subject_key: _result(row)
            for row in session.scalars(
                select(m.Achievement).where(m.Achievement.cycle_id == cycle.id)
            )
        }
        history_periods, history = _history(session, period)
        generated = generated_at or now_wib()
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
            notes=_notes(session, period, cycle.id if frozen else None),
            issues=_issues(session, period),
            attention=tuple(attention_items(session, period, rules, as_of=generated)),
            generated_at=generated,
        )
