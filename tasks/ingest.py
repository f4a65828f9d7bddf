"""The ingest step as thin Prefect tasks over :mod:`iku.operations.ingest`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from iku.ingest.context import IngestContext
from iku.ingest.service import FileOutcome, IngestSummary, Receipt, ingest_file, scan_paths
from iku.operations import ingest as ops
from iku.runtime import process_runtime
from tasks.retry import RETRY_DELAYS, retry_transient


@task(
    name="load-ingest-context",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def load_context_task() -> IngestContext:
    """Agencies, indicators, targets and rules, read once per run."""
    return ops.load_context(process_runtime())


@task(name="list-inbox", cache_policy=NO_CACHE)
def list_inbox_task(paths: list[str], context: IngestContext) -> dict[str, Any]:
    """The files under the given files or folders (in ingestion order), the scan's time (their
    receipt time) and the entries ignored or refused (symlinks, devices, sub-folders)."""
    scan = scan_paths((Path(p) for p in paths), context)
    return {
        "files": [str(c.path) for c in scan.files],
        "seen_at": scan.seen_at.isoformat(),
        "outcomes": scan.outcomes,
    }


@task(
    name="ingest-file",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def ingest_file_task(
    path: str, context: IngestContext, agency: str | None = None, seen_at: str | None = None
) -> FileOutcome:
    """Archive, read and stage (or reject) one file; retried on transient database errors only.
    ``seen_at`` is the time the scan saw it (its receipt time).

    A retry is safe: the archive is content-addressed and the staging transaction either
    committed (the retry then reports a duplicate, or finds the file gone from the inbox) or
    left nothing behind.
    """
    from datetime import datetime

    receipt = Receipt(datetime.fromisoformat(seen_at)) if seen_at else None
    return ingest_file(Path(path), context, agency_hint=agency, receipt=receipt)


@task(name="summarise-ingestion", cache_policy=NO_CACHE)
def summarise_task(outcomes: list[FileOutcome]) -> dict[str, Any]:
    """The run's summary, also published as a Prefect table artifact."""
    from prefect.artifacts import create_table_artifact

    from tasks import artifacts as a

    summary = IngestSummary(files=list(outcomes))
    rows = [
        {
            "berkas": Path(o.file).name,
            "perangkat daerah": o.agency or "–",
            "periode": o.period or "–",
            "format": o.reader or o.file_format or "–",
            "hasil": a.word(a.STATUS_WORDS, o.status),
            "baris": a.count(o.rows),
            "kiriman": "–" if o.submission_id is None else f"#{o.submission_id}",
            "keterangan": o.reason or "–",
        }
        for o in outcomes
    ]
    create_table_artifact(
        key="ingestion-summary",
        table=rows,
        description=(
            f"{a.count(summary.files_seen)} berkas, {a.count(summary.submissions_created)} "
            f"kiriman baru, {a.count(summary.duplicates)} ganda, "
            f"{a.count(len(summary.rejected))} ditolak, {a.count(len(summary.refused))} tidak "
            f"diterima, {a.count(len(summary.skipped))} ditunda sampai pemindaian berikutnya, "
            f"{a.count(summary.rows_staged)} baris ditampung "
            f"({a.count(summary.rows_held)} ditahan)"
        ),
    )
    return summary.to_dict()


@task(
    name="ingest-inbox-batch",
    cache_policy=NO_CACHE,
    retries=len(RETRY_DELAYS),
    retry_delay_seconds=RETRY_DELAYS,
    retry_condition_fn=retry_transient,
)
def ingest_inbox_task(paths: list[str] | None = None) -> dict[str, Any]:
    """Ingest the whole inbox in one task (the monthly cycle's step; the 15-minute
    ``ingest-inbox`` flow keeps one task per file for visibility). A retry is safe: files
    already stored are recognised by their sha256."""
    targets = [Path(p) for p in paths if Path(p).exists()] if paths else None
    return ops.ingest(process_runtime(), targets).to_dict()
