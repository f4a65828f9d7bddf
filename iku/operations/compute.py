"""Computing a period's achievements (capaian, year to date, aggregates) from accepted data."""

from __future__ import annotations

from iku.db import session_scope
from iku.engine.store import ComputeSummary, compute_period
from iku.locks import CycleFence
from iku.periods import require_open
from iku.runtime import Runtime


def compute(rt: Runtime, period: str, *, fence: CycleFence | None = None) -> ComputeSummary:
    """Compute ``period`` and replace its achievement rows in one transaction: the cycle row
    (created if missing), the delete and the bulk insert commit together or not at all.
    Within a cycle run (``fence``): only while the run holds the period, from its snapshot."""
    with session_scope(rt.engine) as session:
        require_open(session, period)  # a locked period's figures are frozen
        if fence is not None:
            fence.verify(session)
        return compute_period(session, period, rt.rules, frozen=fence is not None)
