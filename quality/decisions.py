"""Recording a decision on a review issue (append-only), shared by the review queue and routing.

Its own module so that listing and deciding issues (``iku review ...``, the web application)
never import the validation runner and Great Expectations behind it.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import now_wib


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
