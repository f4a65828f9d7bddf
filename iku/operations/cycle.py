"""The monthly cycle's bookkeeping: its lock, its record, and what it counted."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from iku.cycles import RunOutcome, cycle_of, finish_cycle, period_counts, start_cycle
from iku.db import session_scope
from iku.locks import CycleFence, CycleHold, cycle_busy, cycle_lock
from iku.runtime import Runtime
from quality.completeness import completeness


@contextmanager
def hold(rt: Runtime, period: str, *, wait_seconds: float = 0.0) -> Iterator[CycleHold]:
    """Hold the period's cycle (another run of it stops, or waits ``wait_seconds``). The hold's
    ``fence`` goes to every step of the run; ``ensure()`` before each step stops a run that
    lost its lock (:mod:`iku.locks`)."""
    with cycle_lock(
        period,
        engine=rt.engine,
        wait_seconds=wait_seconds,
        heartbeat_seconds=rt.settings.lock_heartbeat_seconds,
    ) as held:
        yield held


def is_busy(rt: Runtime, period: str) -> bool:
    """Whether a cycle of the period is running."""
    return cycle_busy(period, engine=rt.engine)


def period_locked(rt: Runtime, period: str) -> bool:
    """Whether the period is locked (:mod:`iku.periods`): its figures are frozen, a run of it
    stops before its first step."""
    from iku.periods import is_locked

    with session_scope(rt.engine) as session:
        return is_locked(session, period)


def locked_message(period: str) -> str:
    """The sentence a run of a locked period ends with (the language of the moment)."""
    from iku.periods import PeriodLockedError

    return str(PeriodLockedError(period))


def start(rt: Runtime, period: str, *, fence: CycleFence | None = None) -> int:
    """Mark the period's cycle as running; return its id."""
    with session_scope(rt.engine) as session:
        if fence is not None:
            fence.verify(session)
        return start_cycle(session, period, rt.rules)


def finish(
    rt: Runtime, period: str, outcome: RunOutcome, *, fence: CycleFence | None = None
) -> dict[str, Any]:
    """Record the outcome, counts, rates and timings of a run; return the run's summary.
    Within a run (``fence``) the rows and values counted are those of its snapshot."""
    with session_scope(rt.engine) as session:
        snapshot = None
        if fence is not None:
            fence.verify(session)
            cycle = cycle_of(session, period)
            snapshot = None if cycle is None else cycle.id
        counts = period_counts(session, period, snapshot)
        rates = completeness(session, period, rt.rules, snapshot)
        counts["reporting_rate"] = rates.reporting_rate
        counts["on_time_rate"] = rates.on_time_rate
        counts["value_completeness"] = rates.value_completeness
        counts["steps"] = outcome.steps
        finish_cycle(session, period, outcome, counts)
    status, timings = outcome.status, outcome.timings
    return {"period": period, "status": status, "counts": counts, "timings": timings}
