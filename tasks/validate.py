"""Validation steps as Prefect tasks over :mod:`iku.operations.validate`."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.locks import CycleFence
from iku.operations import validate as ops
from iku.runtime import process_runtime
from tasks.retry import RETRY_DELAYS, retry_transient


@task(
    name="validate_submissions",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def validate_submissions(
    period: str, agency: str | list[str] | None = None, fence: CycleFence | None = None
) -> dict[str, Any]:
    """Validate the period's staged submissions (of ``agency``: a code or a group of codes;
    default all) in one transaction and return the counts."""
    return ops.summary(ops.validate(process_runtime(), period, agency, fence=fence))


@task(
    name="plan-validation",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def plan_validation(period: str, groups: int, fence: CycleFence | None = None) -> list[list[str]]:
    """Agencies with staged submissions, in groups that can be validated in parallel (within
    a cycle run, ``fence``: after recording the run's snapshot)."""
    return ops.agency_groups(process_runtime(), period, groups, fence=fence)


@task(
    name="render_review_page",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def render_review(period: str) -> str:
    """Write the stewards' review page of the period; return its path."""
    return str(ops.review_page(process_runtime(), period))
