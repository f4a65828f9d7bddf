"""Recording a decision on a review issue (append-only), shared by the review queue and routing.

Its own module so that listing and deciding issues (``iku review ...``, the web application)
never import the validation runner and Great Expectations behind it.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Integer, Text, bindparam, column, update, values
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import bulk_insert, now_wib, table_of

#: Issues per UPDATE on PostgreSQL (two parameters each, far under its limit).
_ISSUES_PER_STATEMENT = 500


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


def decide_many(
    session: Session, decided: Sequence[tuple[m.ValidationIssue, str]], decision: str, by: str
) -> None:
    """:func:`decide` for many issues at once, each ``(issue, note)``, with one insert of the
    decisions and one statement of the status changes (routing closes hundreds of a
    superseded version's issues; one flush each cost most of a small submission's routing)."""
    if not decided:
        return
    at = now_wib()
    bulk_insert(
        session,
        table_of(m.ReviewDecision),
        [
            {
                "issue_id": issue.id,
                "decision": decision,
                "decided_by": by,
                "note": note,
                "value": None,
                "decided_at": at,
            }
            for issue, note in decided
        ],
    )
    table = table_of(m.ValidationIssue)
    connection = session.connection()
    changes = {
        "status": m.DECISION_STATUS[decision],
        "steward": by,
        "decided_at": at,
    }
    if connection.dialect.name == "postgresql":
        # An executemany of UPDATEs is a round trip per issue on PostgreSQL: one
        # UPDATE ... FROM (VALUES ...) per few hundred issues instead.
        for start in range(0, len(decided), _ISSUES_PER_STATEMENT):
            notes = values(
                column("issue", Integer), column("note", Text), name="decided_notes"
            ).data([(i.id, note) for i, note in decided[start : start + _ISSUES_PER_STATEMENT]])
            connection.execute(
                update(table)
                .where(table.c.id == notes.c.issue, table.c.status == "open")
                .values(decision_note=notes.c.note, **changes)
            )
    else:  # SQLite: in-process, an executemany costs no round trips
        connection.execute(
            update(table)
            .where(table.c.id == bindparam("issue"), table.c.status == "open")
            .values(decision_note=bindparam("note"), **changes),
            [{"issue": issue.id, "note": note} for issue, note in decided],
        )
    for issue, _note in decided:
        session.expire(issue)
