"""The monthly evaluation cycle: ingest -> validate -> compute -> render -> deliver.

Composition only: every step is a task over a plain function, each idempotent, so a rerun (or
a run after a crash between any two steps) completes the cycle without duplicates. The database
lock keeps two runs of the same period apart: the run checks it before every step, and every
step's transaction proves it with the run's fence (:mod:`iku.locks`). A second run of a running
period ends ``Cancelled`` with one sentence; a run that lost its period ends ``Failed`` with one
sentence and writes nothing more. The task runner comes from settings.

When a cycle does not end well the bureau is e-mailed (``bureau`` in recipients.csv): a
``partial`` run from inside the flow, a failed or crashed one from the flow's ``on_failure`` and
``on_crashed`` hooks. A deployment (``IKU_REQUIRE_DATABASE_URL``) without ``IKU_DATABASE_URL``
stops when the worker loads this module, with one sentence (:mod:`iku.settings`).
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar, cast

from prefect import flow, unmapped
from prefect.runtime import flow_run as current_run
from prefect.states import Cancelled, Failed, State
from prefect.utilities.annotations import quote

from flows.runners import make_task_runner, tasks_run_in_processes, validation_groups
from iku.calendar import previous_period
from iku.cycles import RunOutcome, outcome_status, timed
from iku.locks import CycleBusyError, CycleHold, CycleLockLostError
from iku.operations.cycle import hold, locked_message, period_locked
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

T = TypeVar("T")


def untraversed(value: T) -> T:
    """``value`` as a task argument that Prefect passes on without walking it.

    Submitting a task, Prefect visits every argument recursively (``visit_collection``) to find
    upstream futures and states, and again to resolve them. The render plan, its 640 jobs and
    their outcomes hold every bulletin's context: walking them cost about 25 s of the M cycle.
    They hold no futures, so they are wrapped in Prefect's ``quote``; the task receives the
    unwrapped value. Typed as the value, for the task's signature. Not for the arguments of
    tasks on the Dask runner, which passes a quote on as a plain tuple."""
    return cast(T, quote(value))


def _cycle(held: CycleHold, period: str, resend: bool) -> dict[str, Any]:
    settings = process_runtime().settings
    fence = held.fence
    steps: dict[str, Any] = {}
    timings: dict[str, float] = {}
    held.ensure()
    start_cycle_task(period, fence)
    try:
        with timed(timings, "ingest"):
            held.ensure()
            steps["ingest"] = ingest_inbox_task()
        with timed(timings, "validate"):
            held.ensure()
            groups = plan_validation(period, validation_groups(settings), fence)
            parts = validate_submissions.map(period, groups, fence=unmapped(fence)).result()
            steps["validate"] = merge_summaries(parts, period)
            steps["review_page"] = render_review(period)
        with timed(timings, "compute"):
            held.ensure()
            steps["compute"] = compute_achievement_task(period, fence)
        with timed(timings, "render"):
            held.ensure()
            plan = plan_render_task(period, fence)
            if tasks_run_in_processes(settings):
                # Not quoted: Dask hands Prefect's quote (a NamedTuple) to the task as a plain
                # tuple. Each job is walked on its own here, one context per submission.
                jobs = render_job_task.map(plan.jobs, fence=unmapped(fence))
                outcomes = jobs.result()
            else:
                outcomes = render_jobs_task(untraversed(plan.jobs), settings.workers, fence)
            held.ensure()
            steps["render"] = finish_render_task(untraversed(plan), untraversed(outcomes), fence)
        with timed(timings, "deliver"):
            held.ensure()
            steps["deliver"] = deliver_bulletins_task(period, resend, fence)
        held.ensure()
    except CycleLockLostError:
        raise  # another run holds the period now: its record is not ours to write
    except BaseException as exc:
        error = f"{type(exc).__name__}: {exc}"
        finish_cycle_task(period, RunOutcome("failed", steps, timings, error), fence)
        raise
    return finish_cycle_task(period, RunOutcome(outcome_status(steps), steps, timings), fence)


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
        from iku.operations.deliver import alert_bureau

        error = state.result(raise_on_failure=False) if outcome == "failed" else None
        if isinstance(error, CycleBusyError | CycleLockLostError):
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
) -> dict[str, Any] | State[Any]:
    """Evaluate ``period`` (default: the previous month in WIB) end to end."""
    period = period or previous_period()
    rt = process_runtime()
    if period_locked(rt, period):
        # Figures frozen: a locked period is not evaluated again until the bureau reopens it.
        message = locked_message(period)
        print(message)
        return {"period": period, "status": "locked", "message": message, "counts": {}}
    try:
        with hold(rt, period, wait_seconds=LOCK_WAIT_SECONDS if wait else 0.0) as held:
            summary = _cycle(held, period, resend)
    except CycleBusyError as exc:
        # Expected, not a crash: one sentence, no traceback, whichever run lost the race.
        print(exc)
        return Cancelled(message=str(exc), data=exc)
    except CycleLockLostError as exc:
        print(exc)
        return Failed(message=str(exc), data=exc)
    if summary["status"] == "partial":
        alert_bureau_task(period, "partial", _run_url(current_run.id))
    return summary


def evaluate(
    rt: Runtime, period: str | None = None, *, resend: bool = False, wait: bool = False
) -> dict[str, Any]:
    """Run the cycle in this process on the runtime's task runner (the CLI, the demo, tests):
    the flow and its tasks use ``rt``. Raises :class:`CycleBusyError` when another run holds
    the period, :class:`CycleLockLostError` when this run lost it."""
    use_process_runtime(rt)
    runner = make_task_runner(rt.settings)
    flow_run = monthly_evaluation.with_options(task_runner=runner)
    result = flow_run(period=period, resend=resend, wait=wait)
    assert isinstance(result, dict)  # a returned state (busy, lost) raised its exception
    return result


# A deployment's worker loads this module: its runner follows that process's settings.
monthly_evaluation = monthly_evaluation.with_options(
    task_runner=make_task_runner(process_runtime().settings)
)
