"""The engine's database side: read a period's inputs, replace its ``achievement`` rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Integer, Select, case, cast, delete, func, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.calendar import Period
from iku.cycles import counted_submissions, get_or_create_cycle
from iku.db import bulk_insert, read_frame, table_of
from iku.engine.panel import (
    INDICATOR_COLUMNS,
    OPTIONAL_INDICATOR_COLUMNS,
    REALISATION_COLUMNS,
    Panel,
    PanelResult,
    build_panel,
    compute_panel,
)
from iku.engine.rows import achievement_rows
from iku.rules import Rules
from iku.targets.read import load_targets


def _held_rows(rules: Rules) -> Select[int, int]:
    """(submission, source row) of staged rows with an open issue of a rule whose values wait
    for a steward's verification before they count in aggregates."""
    return (
        select(m.StagedRow.submission_id, m.StagedRow.source_row)
        .join(m.ValidationIssue, m.ValidationIssue.staged_row_id == m.StagedRow.id)
        .where(
            m.ValidationIssue.status == "open",
            m.ValidationIssue.rule.in_(rules.aggregation.hold_until_verified),
        )
        .distinct()
    )


def load_inputs(
    session: Session, period: Period, rules: Rules, snapshot_cycle_id: int | None = None
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Active indicators, that year's targets and the current accepted realisations.

    A realisation counts when its submission is neither superseded nor rejected, or, in a
    cycle run (``snapshot_cycle_id``), when its submission is in the run's snapshot
    (:func:`iku.cycles.counted_submissions`); when several submissions hold the same
    indicator and month, the latest ``received_at`` wins (then the highest submission id).
    ``held``: the value has an open issue of a rule in ``rules.aggregation.hold_until_verified``
    (it waits for a steward's verification).
    """
    indicators = read_frame(
        session,
        select(
            m.Indicator.id,
            m.Indicator.code,
            m.Indicator.agency_id,
            m.Agency.code,
            m.Agency.sector,
            m.Indicator.sector,
            m.Indicator.polarity,
            m.Indicator.negative_formula,
            m.Indicator.consolidation,
            m.Indicator.frequency,
            m.Indicator.weight,
            m.Indicator.cumulative,
            m.Indicator.scale,
        )
        .join(m.Agency, m.Agency.id == m.Indicator.agency_id)
        .where(m.Indicator.is_active, m.Agency.is_active)
        .order_by(m.Indicator.code),
    )
    indicators.columns = pd.Index([*INDICATOR_COLUMNS, *OPTIONAL_INDICATOR_COLUMNS])
    if rules.approval.unapproved_in_province == "withheld":
        approved = set(
            session.scalars(
                select(m.Agency.code)
                .join(m.PeriodAgencyState, m.PeriodAgencyState.agency_id == m.Agency.id)
                .where(
                    m.PeriodAgencyState.period == str(period),
                    m.PeriodAgencyState.approved_at.is_not(None),
                )
            )
        )
        indicators["withheld"] = ~indicators["agency_code"].isin(approved)

    targets = load_targets(session, period.year)

    held = _held_rows(rules).subquery()
    realisations = read_frame(
        session,
        select(
            m.Realisation.indicator_id,
            # The month as a number from the database: a national year has a million
            # realisations, and their period strings were a fifth of this read in pandas.
            cast(func.substr(m.Realisation.period, 6, 2), Integer).label("month"),
            m.Realisation.value,
            m.Realisation.state,
            case((held.c.submission_id.is_not(None), 1), else_=0).label("held"),
        )
        .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
        .outerjoin(
            held,
            (held.c.submission_id == m.Realisation.submission_id)
            & (held.c.source_row == m.Realisation.source_row),
        )
        .where(
            counted_submissions(snapshot_cycle_id),
            m.Realisation.period >= f"{period.year:04d}-01",
            m.Realisation.period <= str(period),
        )
        .order_by(m.Submission.received_at, m.Submission.id, m.Realisation.id),
    )
    realisations = realisations.drop_duplicates(["indicator_id", "month"], keep="last")
    realisations["month"] = realisations["month"].astype("int64")
    realisations["value"] = realisations["value"].astype("float64")
    realisations["held"] = realisations["held"].astype(bool)
    indicators["cumulative"] = indicators["cumulative"].astype(bool)
    return indicators, targets, realisations.loc[:, list(REALISATION_COLUMNS)]


@dataclass(frozen=True)
class ComputeSummary:
    """What :func:`compute_period` stored."""

    period: str
    cycle_id: int
    rules_version: str
    rows: dict[str, int]
    indicators: int
    with_capaian: int
    with_ytd_capaian: int
    missing: int
    at_risk: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "cycle_id": self.cycle_id,
            "rules_version": self.rules_version,
            "rows": dict(self.rows),
            "indicators": self.indicators,
            "with_capaian": self.with_capaian,
            "with_ytd_capaian": self.with_ytd_capaian,
            "missing": self.missing,
            "at_risk": self.at_risk,
        }


def compute_frames(
    indicators: pd.DataFrame,
    targets: pd.DataFrame,
    realisations: pd.DataFrame,
    period: Period,
    rules: Rules,
) -> tuple[Panel, PanelResult]:
    """Build the panel of ``period``'s year up to its month and compute it (no database)."""
    panel = build_panel(indicators, targets, realisations, period.year, period.month)
    return panel, compute_panel(panel, rules)


def compute_period(
    session: Session, period: str | Period, rules: Rules, *, frozen: bool = False
) -> ComputeSummary:
    """Compute a period and replace its cycle's achievement rows, in the caller's transaction.

    Reads the active indicators, the year's targets and the current accepted realisations of
    January..``period`` (``frozen``: those of the running cycle's snapshot); creates the
    period's evaluation_cycle if missing (its status is left to the caller; ``rules_version``
    is set to the rules used); deletes the cycle's achievement rows and bulk-inserts the new
    ones, so running it twice leaves the same rows.
    """
    when = period if isinstance(period, Period) else Period.parse(period)
    cycle = get_or_create_cycle(session, str(when))
    indicators, targets, realisations = load_inputs(
        session, when, rules, cycle.id if frozen else None
    )
    panel, result = compute_frames(indicators, targets, realisations, when, rules)
    cycle.rules_version = rules.version
    rows = achievement_rows(panel, result, rules, cycle_id=cycle.id, period=str(when))
    session.execute(delete(m.Achievement).where(m.Achievement.cycle_id == cycle.id))
    session.flush()
    # A direct executemany: the ORM's bulk insert split these rows into one statement each
    # (8 of the 12,5 s of a 88.000-IKU national compute).
    bulk_insert(session, table_of(m.Achievement), rows)
    mi = when.month - 1
    counted: dict[str, int] = {}
    for r in rows:
        counted[r["level"]] = counted.get(r["level"], 0) + 1
    n = len(indicators)
    return ComputeSummary(
        period=str(when),
        cycle_id=cycle.id,
        rules_version=rules.version,
        rows=counted,
        indicators=n,
        with_capaian=int(np.count_nonzero(~np.isnan(result.month.raw[:, mi]))) if n else 0,
        with_ytd_capaian=int(np.count_nonzero(~np.isnan(result.ytd.raw[:, mi]))) if n else 0,
        missing=int(np.count_nonzero(result.missing[:, mi])) if n else 0,
        at_risk=int(np.count_nonzero(result.is_at_risk[:, mi])) if n else 0,
    )
