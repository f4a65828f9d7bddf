"""Route validated rows: accepted rows into realisation, failed rows into the stewards' queue.

Per submission, in the caller's transaction: a blocking finding rejects the submission (every
row counts as quarantined, one issue per blocking finding); otherwise rows with an error finding
are quarantined (one open issue each, nothing loaded) and every other row enters realisation,
flagged with the rules of its warnings (one open warning issue each). Counts reconcile:
rows in = accepted + quarantined, per submission, and are stored on the submission.

A resubmission supersedes the earlier version; the earlier version's open issues are resolved
automatically with a note saying whether the new version fixed the row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import now_wib
from quality.runner import Finding, ValidationReport

SYSTEM = "sistem"


@dataclass
class SubmissionOutcome:
    """What validation did with one submission."""

    submission_id: int
    agency_code: str
    file_name: str
    status: str
    rows_in: int
    accepted: int
    quarantined: int
    warnings: int
    issues_by_rule: dict[str, int] = field(default_factory=dict)

    @property
    def reconciles(self) -> bool:
        return self.rows_in == self.accepted + self.quarantined


@dataclass
class RoutingSummary:
    outcomes: list[SubmissionOutcome] = field(default_factory=list)
    auto_resolved: int = 0

    @property
    def rows_in(self) -> int:
        return sum(o.rows_in for o in self.outcomes)

    @property
    def accepted(self) -> int:
        return sum(o.accepted for o in self.outcomes)

    @property
    def quarantined(self) -> int:
        return sum(o.quarantined for o in self.outcomes)

    @property
    def warnings(self) -> int:
        return sum(o.warnings for o in self.outcomes)

    @property
    def issues_opened(self) -> int:
        return sum(sum(o.issues_by_rule.values()) for o in self.outcomes)


def _issue(finding: Finding, suite: str, staged_row_id: int | None) -> dict[str, object]:
    return {
        "submission_id": finding.submission_id,
        "staged_row_id": staged_row_id,
        "source_row": finding.source_row,
        "indicator_code": finding.indicator_code,
        "period": finding.period,
        "column_name": finding.column,
        "suite": suite,
        "rule": finding.rule,
        "severity": finding.severity,
        "observed": finding.observed,
        "expected": finding.expected,
        "message": finding.message,
        "status": "open",
        "created_at": now_wib(),
    }


def route(session: Session, report: ValidationReport, rows: pd.DataFrame) -> RoutingSummary:
    """Apply a validation report to the database (see the module docstring)."""
    summary = RoutingSummary()
    submission_ids = sorted({int(s) for s in rows["submission_id"]}) if len(rows) else []
    submission_ids = sorted(set(submission_ids) | {f.submission_id for f in report.findings})
    blocked = report.blocked_submissions()
    quarantined = report.quarantined_rows()
    flags = report.warnings_by_row()
    late = {f.submission_id for f in report.findings if f.rule == "late_submission"}
    issues: list[dict[str, object]] = []
    realisations: list[dict[str, object]] = []
    now = now_wib()
    for submission_id in submission_ids:
        submission = session.get(m.Submission, submission_id)
        assert submission is not None
        own = rows[rows["submission_id"] == submission_id] if len(rows) else rows
        findings = report.for_submission(submission_id)
        if submission_id in blocked:
            kept = [f for f in findings if f.severity == "blocking"]
            accepted = 0
            submission.status = "rejected"
            submission.rejection_reason = " ".join(f.message for f in kept)
            submission.rejection_rule = kept[0].rule
        else:
            kept = findings
            good = own[~own["row_id"].isin(quarantined)]
            for record in good.to_dict("records"):
                row_flags = list(flags.get(int(record["row_id"]), []))
                if submission_id in late:
                    row_flags.append("late_submission")
                realisations.append(_realisation(record, row_flags, now))
            accepted = len(good)
            submission.status = "validated"
        issues.extend(_issue(f, f.suite, f.row_id) for f in kept)
        submission.accepted_rows = accepted
        submission.quarantined_rows = len(own) - accepted
        submission.validated_at = now
        summary.outcomes.append(
            SubmissionOutcome(
                submission_id=submission_id,
                agency_code=submission.agency.code,
                file_name=submission.file_name,
                status=submission.status,
                rows_in=len(own),
                accepted=accepted,
                quarantined=len(own) - accepted,
                warnings=sum(1 for f in kept if f.severity == "warning"),
                issues_by_rule=dict(Counter(f.rule for f in kept)),
            )
        )
    if realisations:
        session.execute(insert(m.Realisation), realisations)
    if issues:
        session.execute(insert(m.ValidationIssue), issues)
    session.flush()
    summary.auto_resolved = resolve_superseded(session, submission_ids)
    return summary


def _realisation(record: Mapping[Any, Any], flags: list[str], now: datetime) -> dict[str, object]:
    state = record["state"]
    value = record["value"]
    return {
        "submission_id": int(record["submission_id"]),
        "indicator_id": int(record["indicator_id"]),
        "period": record["period"],
        "value": float(value) if state == "angka" else None,
        "state": state,
        "state_reason": record["state_reason"] if state != "angka" else None,
        "evidence_url": record["evidence_url"],
        "note": record["note"],
        "source_row": int(record["source_row"]),
        "flags": flags,
        "accepted_by": None,
        "created_at": now,
    }


def resolve_superseded(session: Session, submission_ids: list[int]) -> int:
    """Close the open issues of the versions these submissions supersede, saying why."""
    resolved = 0
    for submission_id in submission_ids:
        newer = session.get(m.Submission, submission_id)
        assert newer is not None
        older_ids: list[int] = []
        cursor = newer.supersedes_id
        while cursor is not None:
            older_ids.append(cursor)
            older = session.get(m.Submission, cursor)
            cursor = older.supersedes_id if older is not None else None
        if not older_ids:
            continue
        loaded = {
            code
            for (code,) in session.execute(
                select(m.Indicator.code)
                .join(m.Realisation, m.Realisation.indicator_id == m.Indicator.id)
                .where(m.Realisation.submission_id == submission_id)
            )
        }
        open_issues = session.scalars(
            select(m.ValidationIssue).where(
                m.ValidationIssue.submission_id.in_(older_ids), m.ValidationIssue.status == "open"
            )
        ).all()
        for issue in open_issues:
            if issue.indicator_code and issue.indicator_code in loaded:
                note = (
                    f"Diselesaikan otomatis: pengiriman ulang #{newer.id} ({newer.file_name}) "
                    f"memuat nilai IKU {issue.indicator_code} yang lolos validasi."
                )
            else:
                note = (
                    f"Ditutup otomatis: berkas ini digantikan oleh pengiriman ulang #{newer.id} "
                    f"({newer.file_name}); masalah yang masih ada tercatat pada berkas baru."
                )
            decide(session, issue, "auto_resolve", SYSTEM, note)
            resolved += 1
    return resolved


def decide(
    session: Session,
    issue: m.ValidationIssue,
    decision: str,
    by: str,
    note: str,
    value: float | None = None,
) -> m.ReviewDecision:
    """Record a decision (append-only) and move the issue to the matching status."""
    record = m.ReviewDecision(
        issue_id=issue.id, decision=decision, decided_by=by, note=note, value=value
    )
    session.add(record)
    session.execute(
        update(m.ValidationIssue)
        .where(m.ValidationIssue.id == issue.id, m.ValidationIssue.status == "open")
        .values(
            status=m.DECISION_STATUS[decision],
            steward=by,
            decision_note=note,
            decided_at=now_wib(),
        )
        .execution_options(synchronize_session="fetch")
    )
    session.flush()
    return record
