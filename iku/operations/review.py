"""Deciding a review item: the decision, the figures it changes, and what the stewards see.

One operation for every front end (``iku review accept|reject``, the stewards' console, the
REST API): it checks the actor may decide the item's agency, records the decision under the
actor's username in the append-only ``review_decision`` (through :mod:`quality.review`),
recomputes the achievement figures of the item's period and of the later computed periods of
that year (their year-to-date figures include it), and writes the audit event, all in one
transaction. After the commit it rewrites the static review pages that list the item, so a
page a steward opens from the bulletin index is current too.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from iku import audit
from iku import models as m
from iku.access import Action, Actor, narrow, require
from iku.db import session_scope
from iku.i18n import _
from iku.runtime import Runtime
from quality.review import (
    IssueDetail,
    IssueView,
    ReviewError,
    accept_issue,
    get_issue,
    reject_issue,
)

log = logging.getLogger("iku.operations.review")

DECISION_CHOICES = ("accept", "reject")
_PERIOD_DIR = re.compile(r"^\d{4}-\d{2}$")


@dataclass(frozen=True)
class Decided:
    """What :func:`decide_issue` did: the item as it is now, the decision's id and username,
    and the periods whose figures were recomputed."""

    issue: IssueView
    decision_id: int
    decided_by: str
    recomputed: tuple[str, ...]


def issue_detail(session: Session, issue_id: int, *, actor: Actor) -> IssueDetail:
    """One item, if ``actor`` may read its agency's queue (``ReviewError`` not_found first,
    then ``AccessDenied``)."""
    detail = get_issue(session, issue_id)
    require(actor, Action.REVIEW_READ, detail.issue.agency_code)
    return detail


def list_review_items(
    session: Session,
    *,
    actor: Actor,
    period: str | None = None,
    agency: str | None = None,
    status: str | None = "open",
    severity: str | None = None,
    rule: str | None = None,
    min_age_days: int | None = None,
) -> list[IssueView]:
    """The queue as ``actor`` may see it, filtered (``agency`` outside the actor's scope:
    ``AccessDenied``; ``status`` None: every status)."""
    from quality.review import list_issues

    scope = narrow(actor, Action.REVIEW_READ, agency)
    codes = sorted(scope) if scope is not None else [None]
    items: list[IssueView] = []
    for code in codes:
        items.extend(
            list_issues(session, period=period, agency=code, status=status, severity=severity)
        )
    if rule:
        items = [i for i in items if i.rule == rule]
    if min_age_days:
        items = [i for i in items if i.age_days() >= min_age_days]
    return items


def periods_to_recompute(session: Session, period: str) -> list[str]:
    """The item's period and every later period of its year that has been computed."""
    later = session.scalars(
        select(m.EvaluationCycle.period).where(
            m.EvaluationCycle.period > period,
            m.EvaluationCycle.period <= f"{period[:4]}-12",
        )
    ).all()
    return [period, *sorted(later)]


def decide_issue(
    rt: Runtime,
    issue_id: int,
    decision: str,
    *,
    actor: Actor,
    note: str,
    value: float | None = None,
    confirm: bool = False,
) -> Decided:
    """Accept (optionally with a corrected ``value``) or reject review item ``issue_id`` as
    ``actor``; recompute the figures it affects. A corrected value is checked like a
    submitted one (hard bounds; plausibility unless ``confirm``). Raises ``ReviewError`` (its
    ``reason`` says which case) or ``AccessDenied``; nothing changes then."""
    if decision not in DECISION_CHOICES:
        raise ReviewError(
            _("The decision must be accept or reject, not '%(decision)s'.", decision=decision),
            reason="invalid_decision",
        )
    if value is not None and decision == "reject":
        raise ReviewError(
            _("A rejection takes no corrected value; leave --value out."),
            reason="value_with_reject",
        )
    from iku.engine.store import compute_period
    from iku.periods import locked_periods, require_open

    with session_scope(rt.engine) as session:
        before = issue_detail(session, issue_id, actor=actor).issue
        require(actor, Action.REVIEW_DECIDE, before.agency_code)
        if before.period:
            require_open(session, before.period)  # a locked period takes no decisions (409)
        if decision == "accept":
            record = accept_issue(
                session,
                issue_id,
                rules=rt.rules,
                by=actor.username,
                note=note,
                value=value,
                confirm=confirm,
            )
        else:
            record = reject_issue(session, issue_id, by=actor.username, note=note)
        recomputed: list[str] = []
        if before.period:
            later = periods_to_recompute(session, before.period)
            frozen = locked_periods(session, later)  # a locked period's figures stay final
            for period in [p for p in later if p not in frozen]:
                # One row lock per cycle keeps two decisions from rebuilding the same figures
                # at once (PostgreSQL; SQLite serialises writers by itself).
                session.scalar(
                    select(m.EvaluationCycle.id)
                    .where(m.EvaluationCycle.period == period)
                    .with_for_update()
                )
                compute_period(session, period, rt.rules)
                recomputed.append(period)
        audit.record(
            session,
            actor,
            "review.decide",
            target=f"validation_issue:{issue_id}",
            agency_code=before.agency_code,
            details={
                "decision": decision,
                "decision_id": record.id,
                "note": note,
                "value": value,
                "rule": before.rule,
                "period": before.period,
                "recomputed": recomputed,
            },
        )
        after = get_issue(session, issue_id).issue
        decided = Decided(after, record.id, record.decided_by, tuple(recomputed))
    if before.period:
        refresh_review_pages(rt, since=before.period)
    return decided


def refresh_review_pages(rt: Runtime, *, since: str) -> list[str]:
    """Rewrite the static review pages of ``since`` and later periods that exist (each lists
    every open item up to its period). A failure is logged, never raised: the decision is
    committed and the live console shows it either way."""
    from iku.bulletins.jobs import REVIEW_PAGE

    output = rt.paths.output
    periods = (
        sorted(
            p.name
            for p in output.iterdir()
            if _PERIOD_DIR.match(p.name) and p.name >= since and (p / REVIEW_PAGE).is_file()
        )
        if output.is_dir()
        else []
    )
    if not periods:
        return []
    try:
        from iku.bulletins.review_page import render_review_page

        with session_scope(rt.engine) as session:
            for period in periods:
                render_review_page(session, period, rt.rules, rt.paths.period_dir(period))
    except Exception:
        log.exception("the review pages since %s could not be rewritten", since)
        return []
    return periods
