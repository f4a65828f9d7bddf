"""The validation step: judge every staged submission of a period and route its rows."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.cycles import CURRENT_STATUSES, refresh_snapshot
from iku.db import paused_gc, table_of
from iku.rules import Rules
from quality.frame import build_frames
from quality.route import RoutingSummary, route
from quality.runner import ValidationReport, run_checks

log = logging.getLogger(__name__)


@dataclass
class ValidationOutcome:
    period: str
    report: ValidationReport
    routing: RoutingSummary


def staged_query(period: str, agency: str | list[str] | None = None) -> Select[Any]:
    """The ids of the period's submissions waiting for validation, as a query (a subquery
    scales to any number of submissions; a list of ids would hit parameter limits)."""
    query = select(m.Submission.id).where(
        m.Submission.period == period, m.Submission.status == "staged"
    )
    if agency:
        codes = [agency] if isinstance(agency, str) else agency
        query = query.join(m.Agency, m.Agency.id == m.Submission.agency_id).where(
            m.Agency.code.in_(codes)
        )
    return query


def staged_agency_groups(session: Session, period: str, groups: int) -> list[list[str]]:
    """The agencies with staged submissions, dealt into at most ``groups`` groups of similar
    size, so validation can run in parallel (agencies never share a submission or an issue)."""
    codes = sorted(
        set(
            session.scalars(
                select(m.Agency.code)
                .join(m.Submission, m.Submission.agency_id == m.Agency.id)
                .where(m.Submission.period == period, m.Submission.status == "staged")
            )
        )
    )
    dealt: list[list[str]] = [codes[i::groups] for i in range(max(1, groups))]
    return [group for group in dealt if group]


def _codes(agency: str | list[str] | None) -> list[str] | None:
    if not agency:
        return None
    return [agency] if isinstance(agency, str) else list(agency)


def lock_current_versions(
    session: Session, period: str, agency: str | list[str] | None = None
) -> list[int]:
    """Hold the period's current versions (of ``agency``) until the caller's transaction ends
    and return their ids: ingestion cannot supersede one between validation reading it and
    recording its outcome (it waits; the resubmission then supersedes the validated version).

    PostgreSQL: ``SELECT ... FOR UPDATE`` in id order (two validations never deadlock), again
    until a fresh read finds no version the locks missed (one committed while we locked).
    SQLite: a write first, so this transaction holds the database's write lock; ingestion's
    writes wait for it (``busy_timeout``)."""
    query = select(m.Submission.id).where(
        m.Submission.period == period, m.Submission.status.in_(CURRENT_STATUSES)
    )
    codes = _codes(agency)
    if codes is not None:
        agency_ids = select(m.Agency.id).where(m.Agency.code.in_(codes))
        query = query.where(m.Submission.agency_id.in_(agency_ids.scalar_subquery()))
    query = query.order_by(m.Submission.id)
    if session.get_bind().dialect.name != "postgresql":
        submissions = table_of(m.Submission)
        session.execute(submissions.update().where(false()).values(status=submissions.c.status))
        return list(session.scalars(query))
    while True:
        locked = list(session.scalars(query.with_for_update(of=m.Submission)))
        if set(session.scalars(query)) <= set(locked):
            return locked


def validate_period(
    session: Session,
    period: str,
    rules: Rules,
    *,
    agency: str | list[str] | None = None,
    snapshot_cycle_id: int | None = None,
) -> ValidationOutcome:
    """Validate the period's staged submissions and route their rows, in the caller's
    transaction. Already validated submissions are not touched, so a rerun changes nothing.

    The period's current versions are locked first (:func:`lock_current_versions`); within a
    cycle run (``snapshot_cycle_id``) they become the run's snapshot for the period, so the
    versions validated are the versions the run computes with."""
    current = lock_current_versions(session, period, agency)
    if snapshot_cycle_id is not None:
        codes = _codes(agency)
        agency_ids = (
            None
            if codes is None
            else list(session.scalars(select(m.Agency.id).where(m.Agency.code.in_(codes))))
        )
        refresh_snapshot(session, snapshot_cycle_id, period, current, agency_ids)
    ids = staged_query(period, agency)
    # Frames, results and routed rows are millions of short-lived objects: the collector's
    # passes over them (nothing to free) cost 7% of a national validation.
    with paused_gc():
        frames = build_frames(session, period, ids, rules)
        if frames.submissions.empty:
            return ValidationOutcome(period, ValidationReport(), RoutingSummary())
        report = run_checks(frames.rows, frames.submissions, rules, frames.context)
        routing = route(session, report, frames.rows, frames.submissions)
    log.info(
        "validated %s: %d submissions, %d rows in, %d accepted, %d quarantined, %d warnings",
        period,
        len(frames.submissions),
        routing.rows_in,
        routing.accepted,
        routing.quarantined,
        routing.warnings,
    )
    return ValidationOutcome(period, report, routing)


@dataclass
class PreparedValidation:
    """A validation judged without writing (:func:`prepare_validation`): the staged
    submissions it judged, the frames and the report, waiting to be routed."""

    period: str
    agency: list[str] | None
    submission_ids: frozenset[int]
    frames: Any
    report: ValidationReport


def prepare_validation(
    session: Session,
    period: str,
    rules: Rules,
    *,
    agency: str | list[str] | None = None,
    part: tuple[int, int] = (0, 1),
) -> PreparedValidation:
    """Build the frames of the period's staged submissions (of ``agency``) and run the checks,
    reading only: the Great Expectations run holds no lock, so ingestion's writes go on
    meanwhile. :func:`apply_validation` routes the result in a write transaction.

    ``part``: only that share of the checks (:func:`quality.runner.run_checks`); the report is
    then one of several to merge (:func:`quality.runner.merge_reports`) into ``report``
    before routing."""
    codes = _codes(agency)
    with paused_gc():
        frames = build_frames(session, period, staged_query(period, codes), rules)
        if frames.submissions.empty:
            report = ValidationReport()
        else:
            report = run_checks(frames.rows, frames.submissions, rules, frames.context, part=part)
    ids = frozenset(int(i) for i in frames.submissions.get("submission_id", []))
    return PreparedValidation(period, codes, ids, frames, report)


def apply_validation(session: Session, prepared: PreparedValidation) -> ValidationOutcome | None:
    """Route a prepared validation in the caller's transaction, after locking the period's
    current versions (:func:`lock_current_versions`), if the staged submissions are still
    exactly those judged; None otherwise (a version arrived or left meanwhile: validate
    again)."""
    lock_current_versions(session, prepared.period, prepared.agency)
    staged = frozenset(session.scalars(staged_query(prepared.period, prepared.agency)))
    if staged != prepared.submission_ids:
        return None
    if not prepared.submission_ids:
        return ValidationOutcome(prepared.period, ValidationReport(), RoutingSummary())
    frames = prepared.frames
    with paused_gc():
        routing = route(session, prepared.report, frames.rows, frames.submissions)
    return ValidationOutcome(prepared.period, prepared.report, routing)
