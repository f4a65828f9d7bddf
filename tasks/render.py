"""Render and deliver as thin Prefect tasks over :mod:`iku.operations.render` and ``deliver``.

The plain functions do the work (and are what the tests call); the wrappers add names, retries
of transient database and mail errors, and the cycle's Prefect artifacts.
"""

from __future__ import annotations

from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.bulletins.jobs import (
    STOPPED,
    RenderedFile,
    RenderFailure,
    RenderJob,
    RenderPlan,
    RenderResult,
    run_job,
    run_jobs,
)
from iku.locks import CycleFence
from iku.operations import deliver as deliver_ops
from iku.operations import render as render_ops
from iku.runtime import process_runtime
from tasks.retry import RETRY_DELAYS, retry_transient


def _artifact_key(prefix: str, period: str) -> str:
    # Artifact keys allow lowercase letters, digits and dashes only.
    return f"{prefix}-{period}".lower()


def publish_artifacts(result: RenderResult) -> None:
    """A table of the cycle's bulletins and a markdown page of links to them, in Bahasa
    Indonesia, with addresses that open from the Prefect UI (:mod:`tasks.artifacts`)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    from tasks import artifacts as a

    settings = process_runtime().settings
    bulletins = sorted(result.bulletins, key=lambda b: (b.audience, b.subject_key))
    rows = [
        {
            "sasaran": a.word(a.AUDIENCE_WORDS, b.audience),
            "subjek": b.subject_key,
            "html": a.cell(b.html_path, settings),
            "pdf": a.cell(b.pdf_path, settings),
            "sha256": b.sha256,
            "status": a.word(a.STATUS_WORDS, "rendered"),
        }
        for b in bulletins
    ]
    rows += [
        {
            "sasaran": a.word(a.AUDIENCE_WORDS, f.audience),
            "subjek": f.subject_key,
            "html": "–",
            "pdf": "–",
            "sha256": "–",
            "status": f"gagal: {f.error}",
        }
        for f in result.failures
    ]
    create_table_artifact(
        key=_artifact_key("bulletins", result.period),
        table=rows,
        description=f"Buletin {result.period}: {a.count(len(result.bulletins))} dibuat, "
        f"{a.count(len(result.failures))} gagal.",
    )
    links = [f"# Buletin {result.period}", ""]
    if not settings.public_base_url.strip():
        links += [a.MSG_NO_BASE_URL, ""]
    if result.index_path is not None:
        links.append(f"- {a.file_link('Daftar semua buletin', result.index_path, settings)}")
    for bulletin in bulletins:
        if bulletin.pdf_path is not None:
            audience = a.word(a.AUDIENCE_WORDS, bulletin.audience)
            links.append(
                f"- {audience} {bulletin.subject_key}: "
                f"{a.file_link('PDF', bulletin.pdf_path, settings)} · "
                f"{a.file_link('HTML', bulletin.html_path, settings)}"
            )
    for failure in result.failures:
        links.append(f"- **{failure.subject_key} gagal**: {failure.error}")
    create_markdown_artifact(
        key=_artifact_key("bulletin-links", result.period),
        markdown="\n".join(links) + "\n",
        description=f"Tautan buletin {result.period}",
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
def deliver_bulletins_task(
    period: str, resend: bool = False, fence: CycleFence | None = None
) -> dict[str, Any]:
    """Deliver the rendered bulletins (once each, unless ``resend``); per-recipient failures
    are reported, not raised. A retry is safe: what was sent, or may have been, is in the
    delivery log and is not sent again."""
    from prefect.artifacts import create_table_artifact

    report = deliver_ops.deliver(process_runtime(), period, resend=resend, fence=fence)
    from tasks import artifacts as a

    create_table_artifact(
        key=_artifact_key("deliveries", period),
        table=[
            {
                "buletin": o.subject_key,
                "e-mail": o.email,
                "saluran": a.word(a.CHANNEL_WORDS, o.channel),
                "status": a.word(a.STATUS_WORDS, o.status),
                "percobaan": a.count(o.attempts),
                "kesalahan": o.error or "–",
            }
            for o in report.outcomes
        ],
        description=f"Pengiriman {period}: {a.count(report.sent)} terkirim, "
        f"{a.count(report.skipped)} sudah terkirim sebelumnya, {a.count(report.failed)} gagal, "
        f"{a.count(report.unknown)} belum pasti ({a.word(a.CHANNEL_WORDS, report.channel)}).",
    )
    return deliver_ops.summary(report)


@task(
    name="plan-render",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def plan_render_task(period: str, fence: CycleFence | None = None) -> RenderPlan:
    """Load the period and plan one render job per bulletin (from the run's snapshot)."""
    return render_ops.plan(process_runtime(), period, fence=fence)


@task(name="render-bulletin", cache_policy=NO_CACHE)
def render_job_task(
    job: RenderJob, fence: CycleFence | None = None
) -> RenderedFile | RenderFailure:
    """Render one bulletin (HTML and PDF); a failure is returned, never raised, so one
    agency's bulletin never stops the others. A run that lost its period renders nothing."""
    if fence is not None and not fence.holds(process_runtime().engine):
        return RenderFailure(job.audience, job.subject_key, job.agency_id, STOPPED)
    return run_job(job)


@task(name="render-bulletins-in-processes", cache_policy=NO_CACHE)
def render_jobs_task(
    jobs: list[RenderJob], workers: int, fence: CycleFence | None = None
) -> list[RenderedFile | RenderFailure]:
    """Render the bulletins in a pool of ``workers`` processes (from
    ``IKU_RENDER_POOL_MIN_JOBS`` bulletins on; fewer render in this process). Jinja2 and the
    views hold Python's global lock, so on a thread task runner one task per bulletin would
    share a single core. Failures are returned per bulletin, as :func:`render_job_task`
    returns them. A run that loses its period stops starting bulletins (checked every few
    seconds)."""
    rt = process_runtime()
    keep_going = None
    if fence is not None:
        keep_going = fence.watch(rt.engine)
    return run_jobs(
        jobs, workers, keep_going=keep_going, min_pool_jobs=rt.settings.render_pool_min_jobs
    )


@task(
    name="finish-render",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def finish_render_task(
    plan: RenderPlan,
    outcomes: list[RenderedFile | RenderFailure],
    fence: CycleFence | None = None,
) -> dict[str, Any]:
    """Write the index and manifest, record the bulletins and publish the artifacts."""
    result = render_ops.finish(process_runtime(), plan, outcomes, fence=fence)
    publish_artifacts(result)
    return render_ops.summary(result)
