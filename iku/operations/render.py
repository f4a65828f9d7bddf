"""Rendering a period's bulletins (HTML and PDF), the index, the manifest and their rows."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from iku.bulletins.jobs import (
    RenderedFile,
    RenderFailure,
    RenderPlan,
    RenderResult,
    finish_render,
    plan_render,
    run_jobs,
)
from iku.locks import CycleFence
from iku.runtime import Runtime


def plan(
    rt: Runtime,
    period: str,
    *,
    subjects: Collection[str] | None = None,
    generated_at: datetime | None = None,
    fence: CycleFence | None = None,
    workers: int | None = None,
) -> RenderPlan:
    """Load the period and plan one render job per bulletin (``subjects``: only some; within a
    cycle run, ``fence``: from the run's snapshot). A locked period's bulletins are final:
    ``PeriodLockedError``. The render pool of ``workers`` processes (default ``IKU_WORKERS``;
    none on the Dask task runner) starts while the plan is made when the period's bulletins
    are new (``run_jobs`` with the same number of workers uses it)."""
    from iku.db import session_scope
    from iku.periods import require_open

    with session_scope(rt.engine) as session:
        require_open(session, period)
    if workers is None:
        # On the Dask task runner each bulletin is a task of its own: no pool to start.
        workers = 1 if rt.settings.task_runner == "dask" else rt.settings.workers
    return plan_render(
        period,
        rt.engine,
        output_dir=rt.paths.output,
        rules=rt.rules,
        subjects=subjects,
        generated_at=generated_at,
        frozen=fence is not None,
        prestart_workers=workers,
        min_pool_jobs=rt.settings.render_pool_min_jobs,
    )


def finish(
    rt: Runtime,
    render_plan: RenderPlan,
    outcomes: Sequence[RenderedFile | RenderFailure],
    *,
    fence: CycleFence | None = None,
) -> RenderResult:
    """Write the index and manifest of what was rendered and record the bulletin rows."""
    return finish_render(render_plan, outcomes, rt.engine, fence)


def render(
    rt: Runtime,
    period: str,
    *,
    workers: int = 1,
    subjects: Collection[str] | None = None,
    generated_at: datetime | None = None,
    fence: CycleFence | None = None,
) -> RenderResult:
    """Render every bulletin of a period (in ``workers`` processes), index, manifest, rows.
    With the period's ``fence`` (``iku render`` holds the period's lock): the bulletin rows
    only while it holds it. The data is read live: outside a cycle there is no snapshot."""
    render_plan = plan(rt, period, subjects=subjects, generated_at=generated_at, workers=workers)
    keep_going = None if fence is None else fence.watch(rt.engine)
    outcomes = run_jobs(
        render_plan.jobs,
        workers,
        keep_going=keep_going,
        min_pool_jobs=rt.settings.render_pool_min_jobs,
    )
    return finish(rt, render_plan, outcomes, fence=fence)


def summary(result: RenderResult) -> dict[str, Any]:
    """A JSON-friendly summary of a render (flows, the CLI and artifacts)."""
    return {
        "period": result.period,
        "cycle_id": result.cycle_id,
        "output_dir": str(result.output_dir),
        "index": None if result.index_path is None else str(result.index_path),
        "manifest": None if result.manifest_path is None else str(result.manifest_path),
        "bulletins": len(result.bulletins),
        # Issued again as a new revision (their figures changed after delivery), and left as
        # their readers got them (delivered, figures unchanged).
        "reissued": [
            {"subject": b.subject_key, "revision": b.decision.revision}
            for b in result.reissued
            if b.decision is not None
        ],
        "kept": len(result.kept),
        # Their render inputs did not change: the files were not made again.
        "unchanged": len(result.unchanged),
        "failures": [
            {"audience": f.audience, "subject": f.subject_key, "error": f.error}
            for f in result.failures
        ],
        "status": "completed" if result.ok else "partial",
    }
