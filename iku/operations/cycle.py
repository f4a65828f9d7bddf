"""The monthly cycle's bookkeeping: its lock, its record, and what it counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from iku.cycles import RunOutcome, finish_cycle, period_counts, start_cycle
from iku.db import session_scope
from iku.locks import cycle_busy, cycle_lock
from iku.runtime import Runtime
from quality.completeness import completeness


@contextmanager
def hold(rt: Runtime, period: str, *, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold the period's cycle (another run of it stops, or waits ``wait_seconds``)."""
    with cycle_lock(period, engine=rt.engine, wait_seconds=wait_seconds):
        yield


def is_busy(rt: Runtime, period: str) -> bool:
    """Whether a cycle of the period is running."""
    return cycle_busy(period, engine=rt.engine)


def start(rt: Runtime, period: str) -> int:
    """Mark the period's cycle as running; return its id."""
    with session_scope(rt.engine) as session:
        return start_cycle(session, period, rt.rules)


def finish(rt: Runtime, period: str, outcome: RunOutcome) -> dict[str, Any]:
    """Record the outcome, counts, rates and timings of a run; return the run's summary."""
    with session_scope(rt.engine) as session:
        counts = period_counts(session, period)
        rates = completeness(session, period, rt.rules)
        counts["reporting_rate"] = rates.reporting_rate
        counts["on_time_rate"] = rates.on_time_rate
        counts["value_completeness"] = rates.value_completeness
        counts["steps"] = outcome.steps
        finish_cycle(session, period, outcome, counts)
    status, timings = outcome.status, outcome.timings
    return {"period": period, "status": status, "counts": counts, "timings": timings}
