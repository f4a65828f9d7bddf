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
from sqlalchemy import select
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import bulk_insert, now_wib, table_of
from iku.ingest.bounds import fit_columns
from quality.decisions import decide_many
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


def _issue(finding: Finding, now: datetime) -> dict[str, object]:
    return {
        "submission_id": finding.submission_id,
        "staged_row_id": finding.row_id,
        "source_row": finding.source_row,
        "indicator_code": finding.indicator_code,
        "period": finding.period,
        "column_name": finding.column,
        "suite": finding.suite,
        "rule": finding.rule,
        "severity": finding.severity,
        "observed": finding.observed,
        "expected": finding.expected,
        "message": finding.message,
        "status": "open",
        "created_at": now,
    }


def route(
    session: Session,
    report: ValidationReport,
    rows: pd.DataFrame,
    submissions: pd.DataFrame,
) -> RoutingSummary:
    """Apply a validation report to the database (see the module docstring).

    Set-based: one bulk insert of realisations, one of issues, one bulk update of the
    submissions, whatever their number.
    """
    summary = RoutingSummary()
    blocked = report.blocked_submissions()
    quarantined = report.quarantined_rows()
    flags = report.warnings_by_row()
    late = {f.submission_id for f in report.findings if f.rule == "late_submission"}
    now = now_wib()
    period = str(submissions["period"].iloc[0]) if len(submissions) else ""
    chains: dict[int, int] = {
        new: old
        for new, old in session.execute(
            select(m.Submission.id, m.Submission.supersedes_id).where(
                m.Submission.period == period,
                m.Submission.status == "staged",
                m.Submission.supersedes_id.isnot(None),
            )
        ).all()
        if old is not None
    }

    if len(rows):
        keep = ~rows["row_id"].isin(quarantined) & ~rows["submission_id"].isin(blocked)
        good = rows.loc[keep]
        rows_in = rows.groupby("submission_id").size()
        accepted = good.groupby("submission_id").size()
    else:
        good = rows
        rows_in = accepted = pd.Series(dtype=int)
    realisations = _realisations(good, flags, late, now)

    findings_by_submission: dict[int, list[Finding]] = {}
    for finding in report.findings:
        findings_by_submission.setdefault(finding.submission_id, []).append(finding)
    issues: list[dict[str, object]] = []
    updates: list[dict[str, object]] = []
    n_rows_in = rows_in.to_dict()
    n_accepted_rows = accepted.to_dict()
    for submission_id, agency_code, file_name in zip(
        submissions["submission_id"].astype("int64").tolist(),
        submissions["folder_agency"].tolist(),
        submissions["source_file"].tolist(),
        strict=True,
    ):
        findings = findings_by_submission.get(submission_id, [])
        n_in = int(n_rows_in.get(submission_id, 0))
        if submission_id in blocked:
            kept = [f for f in findings if f.severity == "blocking"]
            n_accepted, status = 0, "rejected"
            update_values: dict[str, object] = {
                "rejection_reason": " ".join(f.message for f in kept),
                "rejection_rule": kept[0].rule,
            }
        else:
            kept = findings
            n_accepted, status = int(n_accepted_rows.get(submission_id, 0)), "validated"
            update_values = {}
        issues.extend(_issue(f, now) for f in kept)
        updates.append(
            {
                "id": submission_id,
                "status": status,
                "accepted_rows": n_accepted,
                "quarantined_rows": n_in - n_accepted,
                "validated_at": now,
                **update_values,
            }
        )
        summary.outcomes.append(
            SubmissionOutcome(
                submission_id=submission_id,
                agency_code=str(agency_code),
                file_name=str(file_name),
                status=status,
                rows_in=n_in,
                accepted=n_accepted,
                quarantined=n_in - n_accepted,
                warnings=sum(1 for f in kept if f.severity == "warning"),
                issues_by_rule=dict(Counter(f.rule for f in kept)),
            )
        )
    # Set-based writes: these rows need no ORM behaviour (no relationships, no events), and
    # the ORM's bulk paths cost several times the database's own work per row.
    session.flush()
    _update_submissions(session, updates)
    # Rows staged by ingestion fit these columns already (iku.ingest.bounds); cutting to the
    # column lengths here keeps any older staged row from failing the whole validation.
    realisation_table, issue_table = table_of(m.Realisation), table_of(m.ValidationIssue)
    bulk_insert(session, realisation_table, fit_columns(realisation_table, realisations))
    if issues:
        columns = {key: [issue[key] for issue in issues] for key in issues[0]}
        bulk_insert(session, issue_table, fit_columns(issue_table, columns))
    routed = set(submissions["submission_id"].tolist()) if len(submissions) else set()
    summary.auto_resolved = resolve_superseded(
        session, {new: old for new, old in chains.items() if new in routed}
    )
    return summary


#: Submission columns routing sets (the rejection columns stay empty unless rejected).
_UPDATED = (
    "status",
    "accepted_rows",
    "quarantined_rows",
    "validated_at",
    "rejection_reason",
    "rejection_rule",
)


#: Ids per ``IN (...)`` list, well under every backend's limit on bound parameters.
_IDS_PER_STATEMENT = 5000


def _update_submissions(session: Session, updates: list[dict[str, object]]) -> None:
    """Store the outcome of every routed submission: one ``UPDATE ... WHERE id IN (...)`` per
    distinct outcome (most submissions share one), not one statement per submission."""
    table = table_of(m.Submission)
    groups: dict[tuple[object, ...], list[object]] = {}
    for values in updates:
        groups.setdefault(tuple(values.get(key) for key in _UPDATED), []).append(values["id"])
    for outcome, ids in groups.items():
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            session.execute(
                table.update()
                .where(table.c.id.in_(ids[start : start + _IDS_PER_STATEMENT]))
                .values(dict(zip(_UPDATED, outcome, strict=True)))
            )


def _realisations(
    good: pd.DataFrame, flags: Mapping[int, list[str]], late: set[int], now: datetime
) -> dict[str, list[Any]]:
    """Realisation columns for the accepted staged rows."""
    if good.empty:
        return {}
    is_number = (good["state"] == "angka").to_numpy()
    submission = good["submission_id"].astype("int64").tolist()
    return {
        "submission_id": submission,
        "indicator_id": good["indicator_id"].astype("int64").tolist(),
        "period": good["period"].tolist(),
        "value": [
            float(v) if number else None
            for v, number in zip(good["value"].tolist(), is_number, strict=True)
        ],
        "state": good["state"].tolist(),
        "state_reason": [
            None if number else reason
            for reason, number in zip(_objects(good["state_reason"]), is_number, strict=True)
        ],
        "evidence_url": _objects(good["evidence_url"]),
        "note": _objects(good["note"]),
        "source_row": good["source_row"].astype("int64").tolist(),
        "flags": [
            [*flags.get(row_id, []), *(["late_submission"] if sub in late else [])]
            for row_id, sub in zip(good["row_id"].tolist(), submission, strict=True)
        ],
        "accepted_by": [None] * len(good),
        "created_at": [now] * len(good),
    }


def _objects(column: pd.Series) -> list[Any]:
    """A column's values with every missing marker (NaN, NA) as None."""
    return column.astype(object).where(column.notna(), None).tolist()


def resolve_superseded(session: Session, superseding: dict[int, int]) -> int:
    """Close the open issues of the versions that new submissions supersede, saying why.

    ``superseding`` maps each new submission to the version it replaced; every version down
    its chain (``supersedes_id``) is closed. A fixed number of queries whatever the batch:
    the versions of the batch's agencies and periods, the new versions' IKU codes and the open
    issues, each read once (a query per submission and per version made the routing of an
    agency's tenth resubmission ten times slower than its first)."""
    if not superseding:
        return 0
    newer = {
        row.id: row
        for row in session.execute(
            select(
                m.Submission.id, m.Submission.file_name, m.Submission.agency_id, m.Submission.period
            ).where(m.Submission.id.in_(list(superseding)))
        )
    }
    replaced: dict[int, int | None] = dict(
        session.execute(
            select(m.Submission.id, m.Submission.supersedes_id).where(
                m.Submission.agency_id.in_({row.agency_id for row in newer.values()}),
                m.Submission.period.in_({row.period for row in newer.values()}),
            )
        ).all()
    )
    chain_of: dict[int, int] = {}  # each older version -> the new submission it gave way to
    for submission_id, cursor in superseding.items():
        current: int | None = cursor
        while current is not None and current not in chain_of and current != submission_id:
            chain_of[current] = submission_id
            current = replaced.get(current)
    loaded: dict[int, set[str]] = {}
    for submission_id, code in session.execute(
        select(m.Realisation.submission_id, m.Indicator.code)
        .join(m.Indicator, m.Realisation.indicator_id == m.Indicator.id)
        .where(m.Realisation.submission_id.in_(list(superseding)))
    ):
        loaded.setdefault(submission_id, set()).add(code)
    open_issues = session.scalars(
        select(m.ValidationIssue)
        .where(
            m.ValidationIssue.submission_id.in_(list(chain_of)),
            m.ValidationIssue.status == "open",
        )
        .order_by(m.ValidationIssue.id)
    ).all()
    decided: list[tuple[m.ValidationIssue, str]] = []
    for issue in open_issues:
        new = newer[chain_of[issue.submission_id]]
        if issue.indicator_code and issue.indicator_code in loaded.get(new.id, ()):
            note = (
                f"Diselesaikan otomatis: pengiriman ulang #{new.id} ({new.file_name}) "
                f"memuat nilai IKU {issue.indicator_code} yang lolos validasi."
            )
        else:
            note = (
                f"Ditutup otomatis: berkas ini digantikan oleh pengiriman ulang #{new.id} "
                f"({new.file_name}); masalah yang masih ada tercatat pada berkas baru."
            )
        decided.append((issue, note))
    decide_many(session, decided, "auto_resolve", SYSTEM)
    return len(decided)
