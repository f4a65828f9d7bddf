"""The compute flow: the achievements of one period, runnable alone or as a subflow."""

from __future__ import annotations

from typing import Any

from prefect import flow

from tasks.compute import compute_achievement_task


@flow(name="compute-period")
def compute_period(period: str) -> dict[str, Any]:
    """Compute and store the achievements of ``period`` (YYYY-MM) from accepted realisations."""
    return compute_achievement_task(period)
