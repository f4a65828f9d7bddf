"""Open data-quality issues as everyone counts them: every open item of the period and of any
earlier period (an earlier month's problem does not vanish when the next month is evaluated)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iku import models as m


@dataclass(frozen=True)
class OpenIssue:
    id: int
    agency_id: int
    agency_code: str
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


def open_issues(
    session: Session, up_to: str, *, agency_ids: Collection[int] | None = None
) -> list[OpenIssue]:
    """Every open issue of a period up to ``up_to`` (oldest period first)."""
    issue = m.ValidationIssue
    issue_period = func.coalesce(issue.period, m.Submission.period)
    query = (
        select(
            issue.id,
            m.Submission.agency_id,
            m.Agency.code,
            issue_period,
            issue.indicator_code,
            m.Submission.file_name,
            issue.source_row,
            issue.rule,
            issue.severity,
            issue.observed,
            issue.expected,
            issue.message,
            issue.created_at,
        )
        .join(m.Submission, m.Submission.id == issue.submission_id)
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .where(issue.status == "open", issue_period <= up_to)
        .order_by(issue_period, m.Agency.code, issue.indicator_code, issue.source_row, issue.id)
    )
    if agency_ids is not None:
        query = query.where(m.Submission.agency_id.in_(list(agency_ids)))
    return [OpenIssue(*tuple(row)) for row in session.execute(query)]
