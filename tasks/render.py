"""Render and deliver as thin Prefect tasks over :mod:`iku.operations.render` and ``deliver``.

The plain functions do the work (and are what the tests call); the wrappers add names, retries
of transient database and mail errors, and the cycle's Prefect artifacts.
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.bulletins.jobs import (
    RenderedFile,
    RenderFailure,
    RenderJob,
    RenderPlan,
    RenderResult,
    run_job,
    run_jobs,
)
from iku.operations import deliver as deliver_ops
from iku.operations import render as render_ops
from iku.runtime import process_runtime
from tasks.retry import RETRY_DELAYS, retry_transient


def _artifact_key(prefix: str, period: str) -> str:
    # Artifact keys allow lowercase letters, digits and dashes only.
    return f"{prefix}-{period}".lower()


def publish_artifacts(result: RenderResult) -> None:
    """A summary table of the cycle's bulletins and a markdown page of links to them."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    rows = [
        {
            "audience": b.audience,
            "subject": b.subject_key,
            "html": str(b.html_path),
            "pdf": "" if b.pdf_path is None else str(b.pdf_path),
            "sha256": b.sha256,
            "status": "rendered",
        }
        for b in sorted(result.bulletins, key=lambda b: (b.audience, b.subject_key))
    ]
    rows += [
        {
            "audience": f.audience,
            "subject": f.subject_key,
            "html": "",
            "pdf": "",
            "sha256": "",
            "status": f"failed: {f.error}",
        }
        for f in result.failures
    ]
    create_table_artifact(
        key=_artifact_key("bulletins", result.period),
        table=rows,
        description=f"Bulletins of {result.period}: {len(result.bulletins)} rendered, "
        f"{len(result.failures)} failed.",
    )
    links = [f"# Bulletins {result.period}", ""]
    if result.index_path is not None:
        links.append(f"- [Index]({result.index_path.as_uri()})")
    for bulletin in sorted(result.bulletins, key=lambda b: (b.audience, b.subject_key)):
        if bulletin.pdf_path is not None:
            links.append(
                f"- {bulletin.audience} {bulletin.subject_key}: "
                f"[PDF]({bulletin.pdf_path.as_uri()}) · [HTML]({bulletin.html_path.as_uri()})"
            )
    for failure in result.failures:
        links.append(f"- **{failure.subject_key} failed**: {failure.error}")
    create_markdown_artifact(
        key=_artifact_key("bulletin-links", result.period),
        markdown="\n".join(links) + "\n",
        description=f"Links to the bulletins of {result.period}",
    )


@task(
    name="render-bulletins",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def render_bulletins_task(period: str, workers: int = 1) -> dict[str, Any]:
    """Render every bulletin of ``period`` and publish the artifacts; failures are listed."""
    result = render_ops.render(process_runtime(), period, workers=workers)
    publish_artifacts(result)
    return render_ops.summary(result)


@task(
    name="deliver-bulletins",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def deliver_bulletins_task(period: str, resend: bool = False) -> dict[str, Any]:
    """Deliver the rendered bulletins (once each, unless ``resend``); per-recipient failures
    are reported, not raised. A retry is safe: what was sent is in the delivery log."""
    from prefect.artifacts import create_table_artifact

    report = deliver_ops.deliver(process_runtime(), period, resend=resend)
    create_table_artifact(
        key=_artifact_key("deliveries", period),
        table=[
            {
                "bulletin": o.subject_key,
                "email": o.email,
                "channel": o.channel,
                "status": o.status,
                "attempts": o.attempts,
                "error": o.error or "",
            }
            for o in report.outcomes
        ],
        description=f"Deliveries of {period}: {report.sent} sent, {report.skipped} already "
        f"sent, {report.failed} failed ({report.channel}).",
    )
    return deliver_ops.summary(report)


@task(
    name="plan-render",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def plan_render_task(period: str) -> RenderPlan:
    """Load the period and plan one render job per bulletin."""
    return render_ops.plan(process_runtime(), period)


@task(name="render-bulletin", cache_policy=NO_CACHE)
def render_job_task(job: RenderJob) -> RenderedFile | RenderFailure:
    """Render one bulletin (HTML and PDF); a failure is returned, never raised, so one
    agency's bulletin never stops the others."""
    return run_job(job)


@task(name="render-bulletins-in-processes", cache_policy=NO_CACHE)
def render_jobs_task(jobs: list[RenderJob], workers: int) -> list[RenderedFile | RenderFailure]:
    """Render the bulletins in a pool of ``workers`` processes. WeasyPrint holds Python's
    global lock, so on a thread task runner one task per bulletin shares a single core (the
    640-agency cycle rendered in 203 s on threads, 125 s on two processes). Failures are
    returned per bulletin, as :func:`render_job_task` returns them."""
    return run_jobs(jobs, workers)


@task(
    name="finish-render",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def finish_render_task(
    plan: RenderPlan, outcomes: list[RenderedFile | RenderFailure]
) -> dict[str, Any]:
    """Write the index and manifest, record the bulletins and publish the artifacts."""
    result = render_ops.finish(process_runtime(), plan, outcomes)
    publish_artifacts(result)
    return render_ops.summary(result)
