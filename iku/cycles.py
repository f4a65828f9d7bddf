"""The evaluation cycle record of a period: status, counts, rules version and step timings.

A cycle row exists once per period and is reused by reruns (``evaluation_cycle.period`` is
unique). Its status tells the bureau how the last run ended: ``running`` while a run holds the
period, ``completed``, ``partial`` (some bulletins failed; they are listed) or ``failed``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
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


def period_counts(session: Session, period: str) -> dict[str, Any]:
    """What the database holds for the period: submissions, rows, issues, results."""
    by_status = dict(
        session.execute(
            select(m.Submission.status, func.count())
            .where(m.Submission.period == period)
            .group_by(m.Submission.status)
        ).all()
    )
    rows = session.execute(
        select(
            func.coalesce(func.sum(m.Submission.row_count), 0),
            func.coalesce(func.sum(m.Submission.accepted_rows), 0),
            func.coalesce(func.sum(m.Submission.quarantined_rows), 0),
        ).where(m.Submission.period == period, m.Submission.status == "validated")
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
    """``partial`` when a bulletin could not be rendered or a recipient could not be reached,
    otherwise ``completed``."""
    render = steps.get("render") or {}
    deliver = steps.get("deliver") or {}
    return "partial" if render.get("failures") or deliver.get("failed") else "completed"
