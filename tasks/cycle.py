"""Cycle bookkeeping as Prefect tasks: start, finish, and the cycle's summary artifact."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.cycles import RunOutcome
from iku.locks import CycleFence
from iku.operations import cycle
from iku.runtime import process_runtime
from tasks.retry import RETRY_DELAYS, retry_transient

_RETRY: dict[str, Any] = {
    "cache_policy": NO_CACHE,
    "retries": len(RETRY_DELAYS),
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": retry_transient,
}


@task(name="start-cycle", **_RETRY)
def start_cycle_task(period: str, fence: CycleFence | None = None) -> int:
    """Mark the period's cycle as running; return its id."""
    return cycle.start(process_runtime(), period, fence=fence)


@task(name="finish-cycle", **_RETRY)
def finish_cycle_task(
    period: str, outcome: RunOutcome, fence: CycleFence | None = None
) -> dict[str, Any]:
    """Record the outcome, counts and timings of the run; publish the summary artifact."""
    rt = process_runtime()
    summary = cycle.finish(rt, period, outcome, fence=fence)
    _publish(period, outcome.status, summary["counts"], outcome.timings, rt.rules.version)
    return summary


def _publish(
    period: str, status: str, counts: dict[str, Any], timings: dict[str, float], version: str
) -> None:
    from prefect.artifacts import create_table_artifact

    def pct(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}%"

    rows = [
        {"item": "status", "value": status},
        {"item": "rules version", "value": version},
        {"item": "submissions", "value": str(counts["submissions"])},
        {
            "item": "rows in / accepted / quarantined",
            "value": " / ".join(
                str(counts[k]) for k in ("rows_in", "rows_accepted", "rows_quarantined")
            ),
        },
        {"item": "open issues", "value": str(counts["open_issues"])},
        {"item": "reporting rate", "value": pct(counts["reporting_rate"])},
        {"item": "on-time rate", "value": pct(counts["on_time_rate"])},
        {"item": "achievement rows", "value": str(counts["achievements"])},
    ]
    rows += [
        {"item": f"{step} (s)", "value": f"{seconds:.2f}"} for step, seconds in timings.items()
    ]
    create_table_artifact(
        key=f"cycle-summary-{period}",
        table=rows,
        description=f"Monthly evaluation {period}: {status}",
    )
