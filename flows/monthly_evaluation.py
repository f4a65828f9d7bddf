"""The monthly evaluation cycle: ingest -> validate -> compute -> render -> deliver.

Composition only: every step is a task over a plain function, each idempotent, so a rerun (or
a run after a crash between any two steps) completes the cycle without duplicates. The database
lock keeps two runs of the same period apart. The task runner comes from settings.

When a cycle does not end well the bureau is e-mailed (``bureau`` in recipients.csv): a
``partial`` run from inside the flow, a failed or crashed one from the flow's ``on_failure`` and
``on_crashed`` hooks. A deployment (``IKU_REQUIRE_DATABASE_URL``) without ``IKU_DATABASE_URL``
stops when the worker loads this module, with one sentence (:mod:`iku.settings`).
"""

from __future__ import annotations

import logging
from typing import Any

from prefect import flow
from prefect.runtime import flow_run as current_run

from flows.runners import make_task_runner, tasks_run_in_processes, validation_groups
from iku.calendar import previous_period
from iku.cycles import RunOutcome, outcome_status, timed
from iku.operations.cycle import hold
from iku.operations.validate import merge_summaries
from iku.runtime import Runtime, process_runtime, use_process_runtime
from tasks.compute import compute_achievement_task
from tasks.cycle import alert_bureau_task, finish_cycle_task, start_cycle_task
from tasks.ingest import ingest_inbox_task
from tasks.render import (
    deliver_bulletins_task,
    finish_render_task,
    plan_render_task,
    render_job_task,
    render_jobs_task,
)
from tasks.validate import plan_validation, render_review, validate_submissions

#: How long a run queued with ``wait=True`` waits for a running cycle of the same period.
LOCK_WAIT_SECONDS = 3600.0

log = logging.getLogger(__name__)


def _run_url(flow_run_id: Any) -> str | None:
    """The flow run's page in the Prefect UI (None without a UI, as on the ephemeral API)."""
    from prefect.utilities.urls import url_for

    if not flow_run_id:
        return None
    try:
        return url_for("flow-run", obj_id=str(flow_run_id))
    except ValueError:
        return None


def _alert_hook(outcome: str) -> Any:
    """A flow state hook that e-mails the bureau how the run ended (``failed``, ``crashed``)."""

    def hook(flow: Any, flow_run: Any, state: Any) -> None:
        from iku.locks import CycleBusyError
        from iku.operations.deliver import alert_bureau

        error = state.result(raise_on_failure=False) if outcome == "failed" else None
        if isinstance(error, CycleBusyError):
            return  # another run holds the period and will report on it
        period = (flow_run.parameters or {}).get("period") or previous_period()
        detail = f"{type(error).__name__}: {error}" if isinstance(error, BaseException) else None
        sent = alert_bureau(
            process_runtime(),
            period,
            outcome,
            error=detail or state.message,
            run_url=_run_url(flow_run.id),
        )
        log.warning(
            "cycle %s ended %s; bureau alert: %s %s",
            period,
            outcome,
            sent.channel,
            sent.error or ", ".join(sent.recipients),
        )

    hook.__name__ = f"alert_bureau_{outcome}"
    return hook


@flow(
    name="monthly-evaluation",
    log_prints=True,
    on_failure=[_alert_hook("failed")],
    on_crashed=[_alert_hook("crashed")],
)
def monthly_evaluation(
    period: str | None = None, resend: bool = False, wait: bool = False
) -> dict[str, Any]:
    """Evaluate ``period`` (default: the previous month in WIB) end to end."""
    period = period or previous_period()
    rt = process_runtime()
    settings = rt.settings
    steps: dict[str, Any] = {}
    timings: dict[str, float] = {}
    with hold(rt, period, wait_seconds=LOCK_WAIT_SECONDS if wait else 0.0):
        start_cycle_task(period)
        try:
            with timed(timings, "ingest"):
                steps["ingest"] = ingest_inbox_task()
            with timed(timings, "validate"):
                groups = plan_validation(period, validation_groups(settings))
                parts = validate_submissions.map(period, groups).result()
                steps["validate"] = merge_summaries(parts, period)
                steps["review_page"] = render_review(period)
            with timed(timings, "compute"):
                steps["compute"] = compute_achievement_task(period)
            with timed(timings, "render"):
                plan = plan_render_task(period)
                if tasks_run_in_processes(settings):
                    outcomes = render_job_task.map(plan.jobs).result()
                else:
                    outcomes = render_jobs_task(plan.jobs, settings.workers)
                steps["render"] = finish_render_task(plan, outcomes)
            with timed(timings, "deliver"):
                steps["deliver"] = deliver_bulletins_task(period, resend)
        except BaseException as exc:
            error = f"{type(exc).__name__}: {exc}"
            finish_cycle_task(period, RunOutcome("failed", steps, timings, error))
            raise
        summary = finish_cycle_task(period, RunOutcome(outcome_status(steps), steps, timings))
    if summary["status"] == "partial":
        alert_bureau_task(period, "partial", _run_url(current_run.id))
    return summary


def evaluate(
    rt: Runtime, period: str | None = None, *, resend: bool = False, wait: bool = False
) -> dict[str, Any]:
    """Run the cycle in this process on the runtime's task runner (the CLI, the demo, tests):
    the flow and its tasks use ``rt``."""
    use_process_runtime(rt)
    runner = make_task_runner(rt.settings)
    flow_run = monthly_evaluation.with_options(task_runner=runner)
    return flow_run(period=period, resend=resend, wait=wait)


# A deployment's worker loads this module: its runner follows that process's settings.
monthly_evaluation = monthly_evaluation.with_options(
    task_runner=make_task_runner(process_runtime().settings)
)
