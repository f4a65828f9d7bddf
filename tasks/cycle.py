"""Cycle bookkeeping as Prefect tasks: start, finish, and the cycle's summary artifact."""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.cycle import finish_cycle, period_counts, start_cycle
from iku.db import session_scope
from iku.rules import get_rules
from quality.completeness import completeness
from tasks.retry import RETRY_DELAYS, retry_transient

_RETRY: dict[str, Any] = {
    "cache_policy": NO_CACHE,
    "retries": len(RETRY_DELAYS),
    "retry_delay_seconds": RETRY_DELAYS,
    "retry_condition_fn": retry_transient,
}


@task(name="start-cycle", **_RETRY)
def start_cycle_task(period: str) -> int:
    """Mark the period's cycle as running; return its id."""
    with session_scope() as session:
        return start_cycle(session, period, get_rules())


@task(name="finish-cycle", **_RETRY)
def finish_cycle_task(
    period: str,
    status: str,
    steps: dict[str, Any],
    timings: dict[str, float],
    error: str | None = None,
) -> dict[str, Any]:
    """Record the outcome, counts and timings of the run; publish the summary artifact."""
    rules = get_rules()
    with session_scope() as session:
        counts = period_counts(session, period)
        rates = completeness(session, period, rules)
        counts["reporting_rate"] = rates.reporting_rate
        counts["on_time_rate"] = rates.on_time_rate
        counts["value_completeness"] = rates.value_completeness
        counts["steps"] = steps
        finish_cycle(session, period, status, counts=counts, timings=timings, error=error)
    _publish(period, status, counts, timings, rules.version)
    return {"period": period, "status": status, "counts": counts, "timings": timings}


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
