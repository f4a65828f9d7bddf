"""Build the frames the checks judge: staged rows with their indicator, history and target.

Row frame: one row per staged row of the submissions being validated, with the indicator's
master data (matched within the submitting agency only), the series history statistics for the
modified z-score, the previous month's value for cumulative series, and the capaian against the
target in force computed by the achievement engine (never a second formula).
Submission frame: one row per submission, with what the structure and timeliness checks need.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, case, select
from sqlalchemy.orm import Session

from iku import capaian as cp
from iku import models as m
from iku.calendar import Period, shift_period
from iku.db import read_frame
from iku.formatting import angka
from iku.rules import Rules
from iku.schedule import EVALUATION_HOUR
from iku.settings import TIMEZONE
from iku.stats import series_stats
from iku.targets.read import load_targets
from iku.targets.resolve import month_targets, uses_line


@dataclass
class Frames:
    """What :func:`quality.runner.run_checks` needs for one period."""

    rows: pd.DataFrame
    submissions: pd.DataFrame
    context: dict[str, Any]


def deadline_of(period: str, rules: Rules) -> datetime:
    """Submissions for ``period`` are due on the rules' deadline day of the next month, 23:59:59
    WIB."""
    following = Period.parse(period).shift(1)
    day = following.first_day.replace(day=rules.submission.deadline_day)
    return datetime.combine(day, time(23, 59, 59), tzinfo=TIMEZONE)


def evaluation_of(period: str, rules: Rules) -> datetime:
    """When ``period`` is evaluated: the rules' evaluation day of the next month, 06:00 WIB."""
    following = Period.parse(period).shift(1)
    day = following.first_day.replace(day=rules.submission.evaluation_day)
    return datetime.combine(day, time(EVALUATION_HOUR), tzinfo=TIMEZONE)


def indicator_frame(session: Session, only: Select[int] | None = None) -> pd.DataFrame:
    """Active indicators with what validation needs, keyed ``AGENCY|CODE`` (only the ids
    ``only`` selects, when given)."""
    query = (
        select(
            m.Indicator.id.label("indicator_id"),
            m.Indicator.code,
            m.Agency.code.label("indicator_agency"),
            m.Indicator.unit,
            m.Indicator.polarity,
            m.Indicator.negative_formula,
            m.Indicator.consolidation,
            m.Indicator.frequency,
            m.Indicator.min_value,
            m.Indicator.max_value,
            m.Indicator.evidence_required,
            m.Indicator.cumulative,
        )
        .join(m.Agency, m.Agency.id == m.Indicator.agency_id)
        .where(m.Indicator.is_active.is_(True))
        .order_by(m.Indicator.id)
    )
    if only is not None:
        query = query.where(m.Indicator.id.in_(only))
    frame = read_frame(session, query)
    if frame.empty:
        return frame
    frame["agency_indicator"] = frame["indicator_agency"] + "|" + frame["code"]
    return frame


def accepted_values(session: Session, first: str, last: str) -> pd.DataFrame:
    """Accepted numbers of periods ``first``..``last`` from current (validated) submissions:
    ``indicator_id``, ``value`` and ``is_last`` (1 for the values of period ``last``).

    One value per indicator x period, with no ordering or de-duplication needed: an agency has
    at most one current (staged or validated) submission per period (the partial unique index
    ``uq_submission_current``), an indicator belongs to one agency, and a submission holds one
    realisation per indicator x period (a unique constraint). Skipping the sort saves a
    third of this read, the largest of validation.
    """
    query = (
        select(
            m.Realisation.indicator_id,
            m.Realisation.value,
            # Whether the value is of ``last``, as a number: a million period strings cost a
            # third of this read in pandas, and only the last month's values are looked up.
            case((m.Realisation.period == last, 1), else_=0).label("is_last"),
        )
        .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
        .where(
            m.Submission.status == "validated",
            m.Realisation.state == "angka",
            m.Realisation.period >= first,
            m.Realisation.period <= last,
        )
    )
    return read_frame(session, query)


def history_stats(history: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Per indicator: n, median and robust scale of the accepted history (:mod:`iku.stats`)."""
    stats = series_stats(history["indicator_id"], history["value"], rules.plausibility)
    return stats.rename(columns={"key": "indicator_id"})


def target_frame(
    session: Session,
    indicators: pd.DataFrame,
    period: str,
    indicator_ids: Select[int] | None = None,
    *,
    cumulative_target: str = "annual",
) -> pd.DataFrame:
    """The target a month's value is compared with per indicator, from the one resolver
    (reading only the targets of ``indicator_ids``, when given): the target of the month's
    reporting period, or for a cumulative IKU under ``cumulative_target: to_date`` the target
    line to date, as the engine compares it (``target_text`` then names the line and the
    year-end target)."""
    year = Period.parse(period).year
    resolved = month_targets(
        indicators["indicator_id"],
        indicators["frequency"],
        indicators["consolidation"],
        load_targets(session, year, indicator_ids),
        period,
    )
    frame = resolved.frame().drop(columns=["target_version"])
    cumulative = (
        indicators["cumulative"].fillna(False).astype(bool)
        if "cumulative" in indicators
        else [False] * len(indicators)
    )
    line = uses_line(
        cumulative, indicators["consolidation"], indicators["frequency"], cumulative_target
    )
    if line.any():
        lower, upper, comparator = resolved.compared(line)
        frame["target_lower"], frame["target_upper"] = lower, upper
        frame["target_cmp"] = comparator
        texts = frame["target_text"].tolist()
        for i in (int(k) for k in np.flatnonzero(line)):
            point = resolved.line_point(i)
            if point is not None:
                year_end = texts[i] or "-"
                texts[i] = f"s.d. bulan ini {angka(point, 2, 0)} (akhir tahun {year_end})"
        frame["target_text"] = texts
    return frame


def reported_indicators(submission_ids: Select[Any]) -> Select[int]:
    """The ids of the indicators the staged rows of these submissions report: each row's code
    among the indicators of the submitting agency (the match the row frame makes)."""
    return (
        select(m.Indicator.id)
        .join(m.Submission, m.Submission.agency_id == m.Indicator.agency_id)
        .join(
            m.StagedRow,
            (m.StagedRow.submission_id == m.Submission.id)
            & (m.StagedRow.indicator_code == m.Indicator.code),
        )
        .where(m.Submission.id.in_(submission_ids))
    )


def identical_elsewhere(
    session: Session, subs: pd.DataFrame, submission_ids: Select[Any]
) -> list[str | None]:
    """Per submission: the other agencies' submissions of the very same bytes (``AGENCY #id``),
    or None. The same file from two agencies is two submissions; the stewards are told."""
    if subs.empty:
        return []
    shas = select(m.Submission.sha256).where(m.Submission.id.in_(submission_ids))
    others = session.execute(
        select(m.Submission.sha256, m.Submission.agency_id, m.Submission.id, m.Agency.code)
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .where(m.Submission.sha256.in_(shas), m.Submission.status != "rejected")
        .order_by(m.Submission.id)
    ).all()
    by_sha: dict[str, list[tuple[str, int]]] = {}
    for sha, _agency_id, submission_id, code in others:
        by_sha.setdefault(sha, []).append((code, submission_id))
    found: list[str | None] = []
    for sha, agency in zip(subs["sha256"], subs["folder_agency"], strict=True):
        matches = [f"{code} #{sid}" for code, sid in by_sha.get(sha, []) if code != agency]
        found.append(", ".join(matches[:5]) if matches else None)
    return found


def build_frames(
    session: Session, period: str, submission_ids: Select[Any], rules: Rules
) -> Frames:
    """Frames for the given staged submissions of ``period``."""
    subs = read_frame(
        session,
        select(
            m.Submission.id,
            m.Submission.file_name,
            m.Submission.received_at,
            m.Submission.sha256,
            m.Agency.code.label("folder_agency"),
        )
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .where(m.Submission.id.in_(submission_ids))
        .order_by(m.Submission.id),
    )
    subs["identical_to"] = identical_elsewhere(session, subs, submission_ids)
    agency_of = dict(zip(subs["id"], subs["folder_agency"], strict=True))
    staged = read_frame(
        session,
        select(
            m.StagedRow.id.label("row_id"),
            m.StagedRow.submission_id,
            m.StagedRow.source_file,
            m.StagedRow.source_row,
            m.StagedRow.agency_code,
            m.StagedRow.indicator_code,
            m.StagedRow.period,
            m.StagedRow.raw_value,
            m.StagedRow.value,
            m.StagedRow.state,
            m.StagedRow.parse_status,
            m.StagedRow.candidates,
            m.StagedRow.evidence_url,
            m.StagedRow.note,
            m.StagedRow.state_reason,
            m.StagedRow.hold_reason,
        )
        .where(m.StagedRow.submission_id.in_(submission_ids))
        .order_by(m.StagedRow.id),
    )
    # Indicators and targets are read for the reported indicators only: at national scale that
    # halves the targets read (quarterly and annual IKU are not reported every month). A row
    # whose code is not among them stays unmatched: unknown.
    reported = reported_indicators(submission_ids)
    indicators = indicator_frame(session, reported)
    rows = _row_frame(session, staged, indicators, agency_of, period, rules, reported)
    submissions = _submission_frame(subs, staged, period, rules)
    return Frames(rows, submissions, {})


def _row_frame(
    session: Session,
    staged: pd.DataFrame,
    indicators: pd.DataFrame,
    agency_of: dict[int, str],
    period: str,
    rules: Rules,
    reported: Select[int],
) -> pd.DataFrame:
    if staged.empty:
        return staged
    rows = staged.copy()
    for column in ("evidence_url", "state_reason", "note"):
        # An empty cell and a blank string mean the same: nothing written.
        rows[column] = rows[column].where(rows[column].fillna("").str.strip() != "", None)
    rows["folder_agency"] = rows["submission_id"].map(agency_of)
    rows["agency_indicator"] = rows["folder_agency"] + "|" + rows["indicator_code"].astype(str)
    meta = indicators.drop(columns=["code"], errors="ignore")
    if meta.empty:
        # No row names a known IKU (a file of unknown codes validated alone): the indicator
        # columns are still there, empty, so every check runs and every row is routed.
        for column in meta.columns:
            if column not in rows:
                rows[column] = pd.Series([None] * len(rows), index=rows.index, dtype=object)
    else:
        rows = rows.merge(meta, on="agency_indicator", how="left")
    # Known = an active IKU of the submitting agency (matched on AGENCY|CODE above).
    if "indicator_id" not in rows:
        rows["indicator_id"] = np.nan
    elif rows["indicator_id"].dtype == object:
        # Only unknown codes (the empty columns above): numeric NaN, so the merges with the
        # history's integer ids below work.
        rows["indicator_id"] = pd.to_numeric(rows["indicator_id"], errors="coerce")
    rows["is_known_indicator"] = rows["indicator_id"].notna()
    rows["is_percent"] = rows["unit"].fillna("").str.strip().str.startswith("%")
    rows["evidence_required"] = rows["evidence_required"].fillna(False).astype(bool)
    rows["cumulative"] = rows["cumulative"].fillna(False).astype(bool)
    rows["value"] = rows["value"].astype("float64")

    first = shift_period(period, -rules.plausibility.history_months)
    previous = shift_period(period, -1)
    history = accepted_values(session, first, previous)
    rows = rows.merge(history_stats(history, rules), on="indicator_id", how="left")
    prev = history[history["is_last"] == 1][["indicator_id", "value"]].rename(
        columns={"value": "prev_value"}
    )
    rows = rows.merge(prev, on="indicator_id", how="left")
    same_year = period[:4] == previous[:4]
    rows["prev_value"] = rows["prev_value"].where(rows["cumulative"] & same_year)

    if indicators.empty:
        rows["capaian_pct"] = np.nan
        rows["target_text"] = None
    else:
        targets = target_frame(
            session,
            indicators,
            period,
            reported,
            cumulative_target=rules.year_to_date.cumulative_target,
        )
        rows = rows.merge(targets, on="indicator_id", how="left")
        scored = cp.evaluate(
            rows["value"].to_numpy(dtype=np.float64),
            rows["target_lower"].to_numpy(dtype=np.float64),
            rows["target_upper"].to_numpy(dtype=np.float64),
            rows["target_cmp"].fillna(-1).to_numpy(dtype=np.int8),
            cp.encode(rows["polarity"], cp.POLARITIES),
            cp.encode(rows["negative_formula"], cp.NEGATIVE_FORMULAS),
            rules,
        )
        rows["capaian_pct"] = scored.raw
    for column in ("hist_median", "hist_scale", "hist_n", "prev_value", "min_value", "max_value"):
        rows[column] = rows[column].astype("float64")
    return rows


def _submission_frame(
    subs: pd.DataFrame, staged: pd.DataFrame, period: str, rules: Rules
) -> pd.DataFrame:
    """One row per submission: what its rows say about agency and period (vectorised)."""
    frame = subs.rename(columns={"id": "submission_id", "file_name": "source_file"})
    frame["row_id"] = frame["submission_id"]
    frame["period"] = period
    frame["deadline_epoch"] = deadline_of(period, rules).timestamp()
    frame["received_epoch"] = [moment.timestamp() for moment in frame.pop("received_at")]
    if staged.empty:
        frame["n_rows"] = 0
        frame["n_periods"] = 1
        frame["agency_matches"] = True
        frame["file_agencies"] = frame["folder_agency"]
        frame["file_periods"] = period
        return frame
    rows = staged[["submission_id", "agency_code", "period"]].merge(
        frame[["submission_id", "folder_agency"]], on="submission_id"
    )
    rows["matches"] = rows["agency_code"].isna() | (rows["agency_code"] == rows["folder_agency"])
    grouped = rows.groupby("submission_id")
    stats = pd.DataFrame(
        {
            "n_rows": grouped.size(),
            "n_periods": grouped["period"].nunique(),
            "agency_matches": grouped["matches"].all(),
        }
    )
    # The lists of codes and periods are only read in messages about failing files: build
    # them for those few, not for every submission.
    odd = stats.index[~stats["agency_matches"] | (stats["n_periods"] > 1)]
    suspects = rows[rows["submission_id"].isin(odd)].groupby("submission_id")
    stats["file_agencies"] = suspects["agency_code"].agg(_joined)
    stats["file_periods"] = suspects["period"].agg(_joined)
    frame = frame.merge(stats, left_on="submission_id", right_index=True, how="left")
    frame["n_rows"] = frame["n_rows"].fillna(0).astype(int)
    frame["n_periods"] = frame["n_periods"].fillna(1).clip(lower=1).astype(int)
    frame["agency_matches"] = frame["agency_matches"].fillna(True).astype(bool)
    frame["file_agencies"] = frame["file_agencies"].where(
        frame["file_agencies"].fillna("") != "", frame["folder_agency"]
    )
    frame["file_periods"] = frame["file_periods"].where(
        frame["file_periods"].fillna("") != "", period
    )
    return frame


def _joined(values: pd.Series) -> str:
    return ", ".join(sorted({str(v) for v in values.dropna()}))
