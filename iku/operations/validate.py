"""Validating a period's staged submissions, and the stewards' review page."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path
from typing import Any

from iku.bulletins.review_page import render_review_page
from iku.cycles import freeze_snapshot, get_or_create_cycle
from iku.db import session_scope
from iku.locks import CycleFence
from iku.periods import require_open
from iku.runtime import Runtime
from quality.validate import ValidationOutcome, staged_agency_groups, validate_period


def validate(
    rt: Runtime,
    period: str,
    agency: str | list[str] | None = None,
    *,
    fence: CycleFence | None = None,
) -> ValidationOutcome:
    """Validate the period's staged submissions (of ``agency``: a code or a group of codes;
    default all) in one transaction. Within a cycle run (``fence``) the transaction proves the
    run still holds the period, and the versions it validates become the run's snapshot."""
    with session_scope(rt.engine) as session:
        require_open(session, period)  # a locked period's data is final
        snapshot = None
        if fence is not None:
            fence.verify(session)
            snapshot = get_or_create_cycle(session, period).id
        return validate_period(session, period, rt.rules, agency=agency, snapshot_cycle_id=snapshot)


def summary(outcome: ValidationOutcome) -> dict[str, Any]:
    """A JSON-friendly summary of a validation (CLI ``--json``, flows, artifacts)."""
    routing = outcome.routing
    return {
        "period": outcome.period,
        "submissions": [asdict(o) for o in routing.outcomes],
        "rows_in": routing.rows_in,
        "accepted": routing.accepted,
        "quarantined": routing.quarantined,
        "warnings": routing.warnings,
        "issues_opened": routing.issues_opened,
        "auto_resolved": routing.auto_resolved,
        "reconciled": all(o.reconciles for o in routing.outcomes),
    }


def merge_summaries(parts: list[dict[str, Any]], period: str) -> dict[str, Any]:
    """One summary of several agency groups' validations."""
    merged: dict[str, Any] = {"period": period, "submissions": [], "reconciled": True}
    for key in ("rows_in", "accepted", "quarantined", "warnings", "issues_opened", "auto_resolved"):
        merged[key] = sum(part[key] for part in parts)
    for part in parts:
        merged["submissions"].extend(part["submissions"])
        merged["reconciled"] = merged["reconciled"] and part["reconciled"]
    return merged


def agency_groups(
    rt: Runtime, period: str, groups: int, *, fence: CycleFence | None = None
) -> list[list[str]]:
    """Agencies with staged submissions, in groups that can be validated in parallel. Within
    a cycle run (``fence``), first record the run's snapshot: the current versions of
    January..``period`` that the run computes with (validation refreshes its own agencies')."""
    with session_scope(rt.engine) as session:
        if fence is not None:
            fence.verify(session)
            freeze_snapshot(session, get_or_create_cycle(session, period).id, period)
        return staged_agency_groups(session, period, groups)


def review_page(rt: Runtime, period: str) -> Path:
    """Write the stewards' review page of the period; return its path."""
    with session_scope(rt.engine) as session:
        return render_review_page(session, period, rt.rules, rt.paths.period_dir(period))
