"""Validation steps as Prefect tasks: thin wrappers over quality.validate and the review page."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.db import session_scope
from iku.rules import get_rules
from iku.settings import get_settings
from quality.review_page import render_review_page
from quality.validate import staged_agency_groups, validate_period
from tasks.retry import RETRY_DELAYS, retry_transient


@task(
    name="validate_submissions",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def validate_submissions(period: str, agency: str | list[str] | None = None) -> dict[str, Any]:
    """Validate the period's staged submissions (of ``agency``: a code or a group of codes;
    default all) in one transaction and return the counts."""
    out = get_settings().output_dir / period
    with session_scope() as session:
        outcome = validate_period(
            session, period, get_rules(), agency=agency, data_docs_dir=out / "data_docs"
        )
    routing = outcome.routing
    return {
        "period": period,
        "submissions": [asdict(o) for o in routing.outcomes],
        "rows_in": routing.rows_in,
        "accepted": routing.accepted,
        "quarantined": routing.quarantined,
        "warnings": routing.warnings,
        "issues_opened": routing.issues_opened,
        "auto_resolved": routing.auto_resolved,
        "reconciled": all(o.reconciles for o in routing.outcomes),
    }


@task(name="plan-validation", cache_policy=NO_CACHE)
def plan_validation(period: str, groups: int) -> list[list[str]]:
    """Agencies with staged submissions, in groups that can be validated in parallel."""
    with session_scope() as session:
        return staged_agency_groups(session, period, groups)


def merge_validations(parts: list[dict[str, Any]], period: str) -> dict[str, Any]:
    """One summary of the groups' validations."""
    merged: dict[str, Any] = {"period": period, "submissions": [], "reconciled": True}
    for key in ("rows_in", "accepted", "quarantined", "warnings", "issues_opened", "auto_resolved"):
        merged[key] = sum(part[key] for part in parts)
    for part in parts:
        merged["submissions"].extend(part["submissions"])
        merged["reconciled"] = merged["reconciled"] and part["reconciled"]
    return merged


@task(
    name="render_review_page",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def render_review(period: str) -> str:
    """Write the stewards' review page of the period; return its path."""
    out = get_settings().output_dir / period
    with session_scope() as session:
        return str(render_review_page(session, period, get_rules(), out))
