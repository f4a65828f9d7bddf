"""The monthly evaluation cycle: ingest -> validate -> compute -> render -> deliver.

Composition only: every step is a task over a plain function, each idempotent, so a rerun (or
a run after a crash between any two steps) completes the cycle without duplicates. The database
lock keeps two runs of the same period apart. The task runner comes from settings.
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.runners import make_task_runner, tasks_run_in_processes, validation_groups
from iku.cycle import outcome_status, timed
from iku.locks import cycle_lock
from iku.periods import previous_period
from iku.settings import get_settings
from tasks.compute import compute_achievement_task
from tasks.cycle import finish_cycle_task, start_cycle_task
from tasks.ingest import ingest_inbox_task
from tasks.render import (
    deliver_bulletins_task,
    finish_render_task,
    plan_render_task,
    render_job_task,
    render_jobs_task,
)
from tasks.validate import (
    merge_validations,
    plan_validation,
    render_review,
    validate_submissions,
)

#: How long a run queued with ``wait=True`` waits for a running cycle of the same period.
LOCK_WAIT_SECONDS = 3600.0


@flow(name="monthly-evaluation", log_prints=True)
def monthly_evaluation(
    period: str | None = None, resend: bool = False, wait: bool = False
) -> dict[str, Any]:
    """Evaluate ``period`` (default: the previous month in WIB) end to end."""
    period = period or previous_period()
    steps: dict[str, Any] = {}
    timings: dict[str, float] = {}
    with cycle_lock(period, wait_seconds=LOCK_WAIT_SECONDS if wait else 0.0):
        start_cycle_task(period)
        try:
            with timed(timings, "ingest"):
                steps["ingest"] = ingest_inbox_task()
            with timed(timings, "validate"):
                groups = plan_validation(period, validation_groups())
                parts = validate_submissions.map(period, groups).result()
                steps["validate"] = merge_validations(parts, period)
                steps["review_page"] = render_review(period)
            with timed(timings, "compute"):
                steps["compute"] = compute_achievement_task(period)
            with timed(timings, "render"):
                plan = plan_render_task(period)
                if tasks_run_in_processes():
                    outcomes = render_job_task.map(plan.jobs).result()
                else:
                    outcomes = render_jobs_task(plan.jobs, get_settings().workers)
                steps["render"] = finish_render_task(plan, outcomes)
            with timed(timings, "deliver"):
                steps["deliver"] = deliver_bulletins_task(period, resend)
        except BaseException as exc:
            finish_cycle_task(
                period, "failed", steps, timings, error=f"{type(exc).__name__}: {exc}"
            )
            raise
        return finish_cycle_task(period, outcome_status(steps), steps, timings)


# The runner is chosen where the flow is loaded (CLI, worker), from that process's settings.
monthly_evaluation = monthly_evaluation.with_options(task_runner=make_task_runner())
