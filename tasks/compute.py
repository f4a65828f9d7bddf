"""The compute step as a Prefect task over :func:`iku.operations.compute.compute`."""

from __future__ import annotations

from typing import Any

from prefect import task

from iku.locks import CycleFence
from iku.operations.compute import compute
from iku.runtime import process_runtime
from tasks.retry import RETRY_DELAYS, retry_transient


@task(
    name="compute-achievement",
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def compute_achievement_task(period: str, fence: CycleFence | None = None) -> dict[str, Any]:
    """Compute ``period`` and replace its achievement rows; retries transient database errors
    only. Returns the summary (rows per level, counts, rules version). Within a cycle run
    (``fence``): from the run's snapshot, only while the run holds its period."""
    return compute(process_runtime(), period, fence=fence).as_dict()
