"""The compute step: the achievement engine for one period, as a plain function and a task."""

from __future__ import annotations

from typing import Any

from prefect import task
from sqlalchemy import Engine

from iku.achievement import compute_period
from iku.db import session_scope
from tasks.retry import RETRY_DELAYS, retry_transient


def compute_achievement(period: str, engine: Engine | None = None) -> dict[str, Any]:
    """Compute ``period`` from what validation accepted and replace its achievement rows.

    One transaction: the cycle row (created if missing), the delete and the bulk insert commit
    together or not at all. Returns the summary (rows per level, counts, rules version).
    """
    with session_scope(engine) as session:
        return compute_period(session, period).as_dict()


@task(
    name="compute-achievement",
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def compute_achievement_task(period: str) -> dict[str, Any]:
    """Prefect wrapper of :func:`compute_achievement`; retries transient database errors only."""
    return compute_achievement(period)
