"""Computing a period's achievements (capaian, year to date, aggregates) from accepted data."""

from __future__ import annotations

from iku.db import session_scope
from iku.engine.store import ComputeSummary, compute_period
from iku.runtime import Runtime


def compute(rt: Runtime, period: str) -> ComputeSummary:
    """Compute ``period`` and replace its achievement rows in one transaction: the cycle row
    (created if missing), the delete and the bulk insert commit together or not at all."""
    with session_scope(rt.engine) as session:
        return compute_period(session, period, rt.rules)
