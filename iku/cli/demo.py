"""`iku demo`: a full first look on the embedded database, from a fresh clone.

Sets up the database and catalog, simulates the agencies' submissions from January to the
previous month of 2026 (the catalog's year) with a few planted defects into the inbox, loads
them with the receipt times the simulation states (history arrives with its own times), runs
the monthly evaluation flow for every month in order, and says where the bulletins are. The
caller applies Prefect's start-up defaults (:mod:`flows.environment`) before importing this
module's flow. ``months`` shortens the span (``iku demo --months 1``: January only) for quick
checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from iku.calendar import Period, periods_between, previous_period
from iku.i18n import N_, _
from iku.runtime import Runtime

DEMO_YEAR = 2026
DEMO_SEED = 20261128
DEMO_DEFECTS = 8
#: Who states the receipt times of the simulated history (recorded with every submission).
DEMO_STATED_BY = "iku demo (simulasi)"


@dataclass
class DemoResult:
    first: str
    last: str
    files: int
    cycles: list[dict[str, Any]]
    province_pdf: Path
    index_html: Path
    review_html: Path
    open_issues: int


MSG_SETUP: Final = N_("Setting up the database and the catalog")
MSG_SIMULATING: Final = N_("Simulating the submissions %(first)s .. %(last)s")
MSG_CYCLE: Final = N_("Monthly evaluation %(period)s")
MSG_DONE: Final = N_("Done")


def demo_periods(now_period: str | None = None, months: int | None = None) -> tuple[str, str]:
    """January to the previous month, within the catalog's year (at most ``months`` months)."""
    last = Period.parse(now_period or previous_period())
    if last.year > DEMO_YEAR:
        last = Period(DEMO_YEAR, 12)
    if last.year < DEMO_YEAR:
        last = Period(DEMO_YEAR, 1)
    if months is not None:
        last = Period(DEMO_YEAR, max(1, min(last.month, months)))
    return f"{DEMO_YEAR}-01", str(last)


def run_demo(
    rt: Runtime,
    progress: Callable[[str, int, int], None] = lambda *_: None,
    *,
    months: int | None = None,
) -> DemoResult:
    """Run the demo; ``progress(label, done, total)`` is told about each step."""
    from flows.monthly_evaluation import evaluate
    from iku.catalog import read_catalog
    from iku.db import session_scope
    from iku.operations.ingest import ingest_history
    from iku.operations.setup import setup
    from iku.simulate import simulate, stated_receipts
    from quality.review import list_issues

    first, last = demo_periods(months=months)
    periods = periods_between(first, last)
    total = len(periods) + 2
    progress(_(MSG_SETUP), 0, total)
    setup(rt)
    progress(_(MSG_SIMULATING, first=first, last=last), 1, total)
    simulation = simulate(
        read_catalog(rt.paths.catalog, rt.rules),
        rt.rules,
        period=last,
        out_dir=rt.paths.inbox,
        months=len(periods),
        defects=DEMO_DEFECTS,
        seed=DEMO_SEED,
    )
    # The simulated year is history that arrived earlier: it is loaded with the receipt times
    # the simulation states (recorded as stated by the demo), so lateness and the open window
    # are judged as they would have been; the monthly cycles then find the inbox empty.
    ingest_history(rt, stated_receipts(simulation.manifest_path), by=DEMO_STATED_BY)
    cycles = []
    for done, period in enumerate(periods, start=2):
        progress(_(MSG_CYCLE, period=period), done, total)
        cycles.append(evaluate(rt, period))
    progress(_(MSG_DONE), total, total)
    out = rt.paths.period_dir(last)
    with session_scope(rt.engine) as session:
        open_issues = len(list_issues(session, status="open"))
    return DemoResult(
        first=first,
        last=last,
        files=len(simulation.files),
        cycles=cycles,
        province_pdf=out / "provinsi.pdf",
        index_html=out / "index.html",
        review_html=out / "review" / "index.html",
        open_issues=open_issues,
    )
