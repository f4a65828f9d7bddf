"""Open data-quality issues as everyone counts them: every open item of the period and of any
earlier period (an earlier month's problem does not vanish when the next month is evaluated),
aged the same way by the bulletins, "perlu tindakan", the export and the review page.

An issue's age counts in the cycle's time, as the cycle's other dates (the deadline, the
evaluation) do: to the period's **reference date** (:func:`reference_date`: its evaluation,
the rules' ``submission.evaluation_day`` of the next month at 06:00 WIB, or now while that is
still ahead), from when the issue opened (:func:`opened_at`: when it was recorded, but no
later than its own period's evaluation, which finds every issue of the period, and no earlier
than its file's arrival; history loaded after its cycle, such as a simulated year or a replay,
is recorded today). Counting from the wall clock made every issue of a simulated past year 0 days
old, so "isu data terbuka" stayed empty while many were open.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import now_wib
from iku.rules import Rules
from quality.frame import evaluation_of


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
    #: When the issue's file arrived (the submission's receipt time).
    received_at: datetime


def reference_date(period: str, rules: Rules, now: datetime | None = None) -> datetime:
    """The moment a period's figures are counted to: its evaluation (the rules'
    ``submission.evaluation_day`` of the next month, 06:00 WIB), or ``now`` before that."""
    return min(now or now_wib(), evaluation_of(period, rules))


def opened_at(issue: OpenIssue, rules: Rules) -> datetime:
    """When an issue opened in the cycle's time: when it was recorded, but never after its
    period's evaluation found it (history loaded later than its cycle, such as a simulated year
    or a replay, is recorded today) nor before its file arrived."""
    found_by = evaluation_of(issue.period, rules) if issue.period else issue.created_at
    return min(issue.created_at, max(issue.received_at, found_by))


def age_days(issue: OpenIssue, as_of: datetime, rules: Rules) -> int:
    """Whole days an issue has been open on ``as_of`` (:func:`opened_at`; 0 when it opened
    later)."""
    return max(0, (as_of - opened_at(issue, rules)).days)


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
            m.Submission.received_at,
        )
        .join(m.Submission, m.Submission.id == issue.submission_id)
        .join(m.Agency, m.Agency.id == m.Submission.agency_id)
        .where(issue.status == "open", issue_period <= up_to)
        .order_by(issue_period, m.Agency.code, issue.indicator_code, issue.source_row, issue.id)
    )
    if agency_ids is not None:
        query = query.where(m.Submission.agency_id.in_(list(agency_ids)))
    return [OpenIssue(*tuple(row)) for row in session.execute(query)]
