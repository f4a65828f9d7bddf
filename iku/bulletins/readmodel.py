"""The read model of a period's bulletins: one transaction reads all a period shows."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Final, TypeVar

from sqlalchemy import Engine, Text, cast, func, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.calendar import Period
from iku.cycles import counted_submissions, cycle_of
from iku.db import now_wib, session_scope
from iku.i18n import _
from iku.periods import approval_states
from iku.reports.attention import AttentionItem, FigureRow, attention_items
from iku.reports.issues import open_issues, reference_date
from iku.rules import Rules
from iku.settings import TIMEZONE

if TYPE_CHECKING:
    from quality.completeness import Completeness

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
    #: The ordinal scale of a qualitative IKU (its values are shown as grades), or None.
    scale: str | None = None


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
    #: When the page was built (the caller's moment, or the clock): issue ages count to it.
    generated_at: datetime
    #: agency code -> the approval state of its month (iku.periods: not_submitted, submitted,
    #: approved, verified): every bulletin states the approval status of its data.
    approvals: Mapping[str, str] = field(default_factory=dict)
    #: The date each bulletin prints and its PDF carries ("Data per ..."): "province" or an
    #: agency code -> the latest moment of the data it shows (:func:`data_dates`). Empty when
    #: the caller fixed ``generated_at``: every bulletin is then dated by it.
    data_dates: Mapping[str, datetime] = field(default_factory=dict)

    def dated(self, subject: str) -> datetime:
        """The date of the bulletin of ``subject`` ("province" or an agency code)."""
        return self.data_dates.get(subject, self.generated_at)

    def attention_of(self, agency_code: str) -> tuple[AttentionItem, ...]:
        """The items of :attr:`attention` of one agency, in their order."""
        return self._attention_by_agency.get(agency_code, ())

    def issues_of(self, agency_id: int) -> tuple[IssueInfo, ...]:
        """The items of :attr:`issues` of one agency, in their order."""
        return self._issues_by_agency.get(agency_id, ())

    def of_agency(self, agency: AgencyInfo) -> PeriodData:
        """Only what one agency's bulletin shows: its own rows and the province's headline.

        An agency bulletin built from it is the one built from the whole period (a test holds
        them equal for every agency), so its digest (:func:`iku.bulletins.jobs.source_digest`)
        tells whether the bulletin's inputs changed without building the bulletin. Its moment
        is the agency's data date: the clock at load time is not part of what it shows.
        """
        keys = [f"agency:{agency.code}", "province"]
        keys += [f"indicator:{i.code}" for i in agency.indicators]
        indicator_keys = keys[2:]
        moment = self.dated(agency.code)
        return PeriodData(
            period=self.period,
            cycle_id=self.cycle_id,
            cycle_status=self.cycle_status,
            rules_version=self.rules_version,
            counts={},
            rules=self.rules,
            agencies=(agency,),
            results={k: self.results[k] for k in keys if k in self.results},
            history={k: self.history[k] for k in indicator_keys if k in self.history},
            history_periods=self.history_periods,
            notes={i.id: self.notes[i.id] for i in agency.indicators if i.id in self.notes},
            issues=self.issues_of(agency.id),
            attention=self.attention_of(agency.code),
            generated_at=moment,
            approvals={k: self.approvals[k] for k in (agency.code,) if k in self.approvals},
            data_dates={agency.code: moment},
        )

    # Grouped once per period (a 22.000-agency period has tens of thousands of items: scanning
    # them for every agency took a minute).
    @cached_property
    def _attention_by_agency(self) -> dict[str, tuple[AttentionItem, ...]]:
        return _grouped(self.attention, lambda item: item.agency_code)

    @cached_property
    def _issues_by_agency(self) -> dict[int, tuple[IssueInfo, ...]]:
        return _grouped(self.issues, lambda issue: issue.agency_id)


_K = TypeVar("_K")
_V = TypeVar("_V")


def _grouped(items: Iterable[_V], key: Callable[[_V], _K]) -> dict[_K, tuple[_V, ...]]:
    """``items`` by ``key``, each group in the items' order."""
    groups: dict[_K, list[_V]] = defaultdict(list)
    for item in items:
        groups[key(item)].append(item)
    return {k: tuple(members) for k, members in groups.items()}


#: The achievement columns a :class:`ResultRow` holds, selected as plain columns in the order
#: of its fields (building ORM objects for every row of a 640-agency period cost more than
#: reading them).
_RESULT_FIELDS: Final = tuple(ResultRow.__dataclass_fields__)
_FLAGS: Final = _RESULT_FIELDS.index("flags")
_BOOLEANS: Final = tuple(
    _RESULT_FIELDS.index(name) for name in ("is_at_risk", "awaiting_verification")
)
#: ``flags`` as the stored JSON text: nearly every row has none ("[]"), and decoding 100.000
#: of them through the JSON type took seconds of a national rerun.
RESULT_COLUMNS: Final = tuple(
    cast(m.Achievement.flags, Text).label("flags")
    if name == "flags"
    else getattr(m.Achievement, name)
    for name in _RESULT_FIELDS
)


def _flags(stored: Any) -> tuple[str, ...]:
    if stored is None or stored == "[]":
        return ()
    value = json.loads(stored) if isinstance(stored, str) else stored
    return tuple(str(flag) for flag in (value or ()))


def _result(row: Any) -> ResultRow:
    values = list(row)
    values[_FLAGS] = _flags(values[_FLAGS])
    for index in _BOOLEANS:
        values[index] = bool(values[index])
    return ResultRow(*values)


def _agencies(session: Session) -> tuple[AgencyInfo, ...]:
    indicators: dict[int, list[IndicatorInfo]] = defaultdict(list)
    i = m.Indicator
    query = (
        select(i.agency_id, i.id, i.code, i.name, i.unit, i.scale)
        .where(i.is_active.is_(True))
        .order_by(i.code)
    )
    for agency_id, ident, code, name, unit, scale in session.execute(query):
        indicators[agency_id].append(IndicatorInfo(ident, code, name, unit, scale))
    agencies = session.execute(
        select(m.Agency.id, m.Agency.code, m.Agency.name, m.Agency.sector)
        .where(m.Agency.is_active.is_(True))
        .order_by(m.Agency.code)
    )
    return tuple(
        AgencyInfo(a.id, a.code, a.name, a.sector, tuple(indicators[a.id]))
        for a in agencies
        if indicators.get(a.id)
    )


def _history(
    session: Session, period: str, keys: Collection[str] | None = None
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
    query = select(
        m.Achievement.cycle_id, m.Achievement.subject_key, m.Achievement.capaian_scored
    ).where(m.Achievement.cycle_id.in_(list(by_cycle)))
    if keys is not None:
        query = query.where(m.Achievement.subject_key.in_(sorted(keys)))
    for cycle_id, subject_key, capaian in session.execute(query):
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


def data_dates(
    session: Session, period: str, agencies: Collection[AgencyInfo], snapshot_cycle_id: int | None
) -> dict[str, datetime]:
    """The date of each bulletin, from its data, never the clock: the latest receipt of a
    submission counted for January..``period`` and the latest steward decision on one, per
    agency; the province's is the latest of all. An agency without either gets the province's
    (and the province, without any data, the first moment after the period).

    So the same data gives the same date, hence the same PDF bytes, on any day; and one
    agency's resubmission changes its own bulletin's date and the province's, no other's.
    """
    parsed = Period.parse(period)
    first = f"{parsed.year:04d}-01"
    s = m.Submission
    in_year = (s.period >= first, s.period <= period, counted_submissions(snapshot_cycle_id))
    latest: dict[int, datetime] = {}
    received = select(s.agency_id, func.max(s.received_at)).where(*in_year).group_by(s.agency_id)
    decided = (
        select(s.agency_id, func.max(m.ValidationIssue.decided_at))
        .join(s, s.id == m.ValidationIssue.submission_id)
        .where(*in_year, m.ValidationIssue.decided_at.is_not(None))
        .group_by(s.agency_id)
    )
    for query in (received, decided):
        for agency_id, moment in session.execute(query):
            if moment is not None:
                moment = moment.astimezone(TIMEZONE)
                latest[agency_id] = max(latest.get(agency_id, moment), moment)
    after = parsed.shift(1).first_day
    empty = datetime(after.year, after.month, after.day, tzinfo=TIMEZONE)
    dates = {"province": max(latest.values(), default=empty)}
    for agency in agencies:
        dates[agency.code] = latest.get(agency.id, empty)
    return dates


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


def _figure_rows(
    results: Mapping[str, ResultRow], agencies: Collection[AgencyInfo]
) -> list[FigureRow] | None:
    """The rows "perlu tindakan" reads (:func:`iku.reports.attention.figure_rows`), from the
    results already read; None when one belongs to an agency or IKU no longer active (then
    they are read from the database, names and all)."""
    names = {a.id: a for a in agencies}
    indicators = {i.id: i for a in agencies for i in a.indicators}
    rows = []
    for row in results.values():
        if row.level not in ("indicator", "agency"):
            continue
        agency = names.get(row.agency_id) if row.agency_id is not None else None
        indicator = indicators.get(row.indicator_id) if row.indicator_id is not None else None
        if agency is None or (row.indicator_id is not None and indicator is None):
            return None
        rows.append(
            FigureRow(
                row.level,
                row.tercapai,
                row.realisasi,
                row.target_text,
                row.ytd_capaian,
                row.capaian_scored,
                row.is_at_risk,
                row.projection,
                row.awaiting_verification,
                agency.code,
                agency.name,
                None if indicator is None else indicator.code,
                None if indicator is None else indicator.name,
                None if indicator is None else indicator.scale,
            )
        )
    return rows


def _rates(session: Session, period: str, rules: Rules) -> Completeness | None:
    """The period's reporting and on-time rates (None when they cannot be computed: they are
    context, not figures, and the bulletin then says "belum tersedia")."""
    try:
        from quality.completeness import completeness

        with session.begin_nested():  # a failure must not abort the PostgreSQL transaction
            return completeness(session, period, rules)
    except Exception:
        log.warning("reporting rates of %s could not be computed", period, exc_info=True)
        return None


def _with_rates(counts: dict[str, Any], rates: Completeness | None) -> dict[str, Any]:
    """The cycle's counts; reporting and on-time rates (percent) computed when not recorded."""
    if rates is None or ("reporting_rate" in counts and "on_time_rate" in counts):
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
    history_keys: Collection[str] | None = None,
) -> PeriodData:
    """Read a period's cycle, results, trend history, notes and open issues (``frozen``: the
    notes of the running cycle's snapshot, as its results are; ``history_keys``: the trend
    history of those subjects only, as a dashboard page shows, instead of every subject's).
    Each bulletin is dated by its data (:func:`data_dates`), unless ``generated_at`` fixes one
    moment for all of them."""
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
            for row in session.execute(
                select(*RESULT_COLUMNS).where(m.Achievement.cycle_id == cycle.id)
            )
        }
        history_periods, history = _history(session, period, history_keys)
        rates = _rates(session, period, rules)  # once, for the counts and "perlu tindakan"
        generated = generated_at or now_wib()
        agencies = _agencies(session)
        snapshot = cycle.id if frozen else None
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
            counts=_with_rates(dict(cycle.counts or {}), rates),
            rules=rules,
            agencies=agencies,
            results=results,
            history=history,
            history_periods=history_periods,
            notes=_notes(session, period, snapshot),
            issues=_issues(session, period),
            attention=tuple(
                attention_items(
                    session,
                    period,
                    rules,
                    as_of=reference_date(period, rules, generated),
                    rates=rates,
                    figures=_figure_rows(results, agencies),
                )
            ),
            generated_at=generated,
            approvals=approval_states(session, period),
            data_dates={}
            if generated_at is not None
            else data_dates(session, period, agencies, snapshot),
        )
