"""The evaluation cycle record of a period: status, counts, rules version, step timings, and
the snapshot of submissions a run works on.

A cycle row exists once per period and is reused by reruns (``evaluation_cycle.period`` is
unique). Its status tells the bureau how the last run ended: ``running`` while a run holds the
period, ``completed``, ``partial`` (some bulletins failed; they are listed) or ``failed``.

**Snapshot.** Ingestion runs beside the cycle (the 15-minute inbox flow, ``iku ingest``, the
portal) and a resubmission supersedes the current version at once. A run therefore works on
the versions current when it starts validating (``cycle_submission``): :func:`freeze_snapshot`
records the current versions of January..the period, validation refreshes its agencies' rows
for the period under row locks (so what it validates is what the run uses), and compute, render
and the run's counts read :func:`counted_submissions` of the snapshot. A resubmission arriving
later stays ``staged`` and enters at the next run. Ingestion changes statuses to ``superseded``;
the cycle only moves its snapshot's ``staged`` versions to ``validated`` or ``rejected``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, delete, func, insert, literal, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import now_wib
from iku.rules import Rules


def get_or_create_cycle(session: Session, period: str) -> m.EvaluationCycle:
    """The evaluation_cycle row of a period, created (status ``pending``) when missing."""
    query = select(m.EvaluationCycle).where(m.EvaluationCycle.period == period)
    cycle = session.scalar(query)
    if cycle is not None:
        return cycle
    try:
        with session.begin_nested():
            cycle = m.EvaluationCycle(period=period, status="pending", counts={}, timings={})
            session.add(cycle)
    except IntegrityError:  # created meanwhile by a concurrent run
        cycle = session.scalar(query)
        if cycle is None:
            raise
    return cycle


def start_cycle(session: Session, period: str, rules: Rules) -> int:
    """Mark the period's cycle as running (creating it if needed); return its id."""
    cycle = get_or_create_cycle(session, period)
    cycle.status = "running"
    cycle.rules_version = rules.version
    cycle.started_at = now_wib()
    cycle.finished_at = None
    cycle.error = None
    session.flush()
    return cycle.id


@dataclass(frozen=True)
class RunOutcome:
    """How a run of a period's cycle ended: its status, each step's summary, the steps' wall
    times in seconds, and the error of a failed run."""

    status: str
    steps: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    error: str | None = None


def finish_cycle(
    session: Session, period: str, outcome: RunOutcome, counts: dict[str, Any]
) -> None:
    """Record how the run ended, with what the database counted for the period."""
    cycle = get_or_create_cycle(session, period)
    cycle.status = outcome.status
    cycle.counts = {**(cycle.counts or {}), **counts}
    cycle.timings = {k: round(v, 3) for k, v in outcome.timings.items()}
    cycle.error = outcome.error
    cycle.finished_at = now_wib()


def cycle_of(session: Session, period: str) -> m.EvaluationCycle | None:
    """The evaluation_cycle row of a period, if the period was ever computed."""
    query = select(m.EvaluationCycle).where(m.EvaluationCycle.period == period)
    return session.scalars(query).one_or_none()


#: Statuses of a submission that is the current version of its agency's report for a period.
CURRENT_STATUSES = ("staged", "validated")
#: Statuses of a submission whose rows no longer count.
EXCLUDED_STATUSES = ("superseded", "rejected")


def counted_submissions(snapshot_cycle_id: int | None = None) -> ColumnElement[bool]:
    """Which submissions' rows count, as a condition on ``submission``: in a cycle run, those
    of its snapshot; otherwise every submission neither superseded nor rejected."""
    if snapshot_cycle_id is None:
        return m.Submission.status.not_in(EXCLUDED_STATUSES)
    return m.Submission.id.in_(
        select(m.CycleSubmission.submission_id).where(
            m.CycleSubmission.cycle_id == snapshot_cycle_id
        )
    )


def freeze_snapshot(session: Session, cycle_id: int, period: str) -> int:
    """Record the current versions of January..``period`` as the run's snapshot (replacing an
    earlier run's); return how many."""
    first = f"{period[:4]}-01"
    session.execute(delete(m.CycleSubmission).where(m.CycleSubmission.cycle_id == cycle_id))
    result = session.execute(
        insert(m.CycleSubmission).from_select(
            ["cycle_id", "submission_id", "period"],
            select(literal(cycle_id), m.Submission.id, m.Submission.period).where(
                m.Submission.period >= first,
                m.Submission.period <= period,
                m.Submission.status.in_(CURRENT_STATUSES),
            ),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def refresh_snapshot(
    session: Session,
    cycle_id: int,
    period: str,
    submission_ids: list[int],
    agency_ids: list[int] | None = None,
) -> None:
    """Replace the snapshot's versions of ``period`` (of ``agency_ids``; default all) by
    ``submission_ids``: the current versions validation holds locked."""
    stale = select(m.CycleSubmission.submission_id).where(
        m.CycleSubmission.cycle_id == cycle_id, m.CycleSubmission.period == period
    )
    if agency_ids is not None:
        stale = stale.join(m.Submission, m.Submission.id == m.CycleSubmission.submission_id).where(
            m.Submission.agency_id.in_(agency_ids)
        )
    session.execute(
        delete(m.CycleSubmission).where(
            m.CycleSubmission.cycle_id == cycle_id,
            m.CycleSubmission.submission_id.in_(stale.scalar_subquery()),
        )
    )
    if submission_ids:
        session.execute(
            insert(m.CycleSubmission),
            [
                {"cycle_id": cycle_id, "submission_id": sid, "period": period}
                for sid in submission_ids
            ],
        )


def period_counts(
    session: Session, period: str, snapshot_cycle_id: int | None = None
) -> dict[str, Any]:
    """What the database holds for the period: submissions, rows, issues, results. With a
    snapshot, the rows are those of the run's validated versions (a version superseded after
    the run validated it still counts for that run)."""
    by_status = dict(
        session.execute(
            select(m.Submission.status, func.count())
            .where(m.Submission.period == period)
            .group_by(m.Submission.status)
        ).all()
    )
    routed: ColumnElement[bool] = m.Submission.status == "validated"
    if snapshot_cycle_id is not None:
        routed = (
            counted_submissions(snapshot_cycle_id)
            & m.Submission.validated_at.is_not(None)
            & m.Submission.rejection_rule.is_(None)
        )
    rows = session.execute(
        select(
            func.coalesce(func.sum(m.Submission.row_count), 0),
            func.coalesce(func.sum(m.Submission.accepted_rows), 0),
            func.coalesce(func.sum(m.Submission.quarantined_rows), 0),
        ).where(m.Submission.period == period, routed)
    ).one()
    issues = dict(
        session.execute(
            select(m.ValidationIssue.status, func.count())
            .join(m.Submission, m.Submission.id == m.ValidationIssue.submission_id)
            .where(m.Submission.period == period)
            .group_by(m.ValidationIssue.status)
        ).all()
    )
    achievements = session.scalar(
        select(func.count())
        .select_from(m.Achievement)
        .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Achievement.cycle_id)
        .where(m.EvaluationCycle.period == period)
    )
    return {
        "submissions": {str(k): int(v) for k, v in by_status.items() if v is not None},
        "rows_in": int(rows[0]),
        "rows_accepted": int(rows[1] or 0),
        "rows_quarantined": int(rows[2] or 0),
        "issues": {str(k): int(v) for k, v in issues.items() if v is not None},
        "open_issues": int(issues.get("open") or 0),
        "achievements": int(achievements or 0),
    }


@contextmanager
def timed(timings: dict[str, float], step: str) -> Iterator[None]:
    """Add the wall time of a block to ``timings[step]``."""
    start = time.perf_counter()
    try:
        yield
    finally:
        timings[step] = timings.get(step, 0.0) + time.perf_counter() - start


def outcome_status(steps: dict[str, Any]) -> str:
    """``partial`` when a bulletin could not be rendered, a recipient could not be reached or
    a delivery's outcome is unknown (the bureau decides), otherwise ``completed``."""
    render = steps.get("render") or {}
    deliver = steps.get("deliver") or {}
    trouble = render.get("failures") or deliver.get("failed") or deliver.get("unknown")
    return "partial" if trouble else "completed"
