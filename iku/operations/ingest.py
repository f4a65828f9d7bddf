"""Taking agency files in: the ingestion context of a run, and ingesting files or folders."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from iku.ingest.context import IngestContext
from iku.ingest.service import FileOutcome, IngestSummary, ingest_file, ingest_paths
from iku.runtime import Runtime


def load_context(rt: Runtime) -> IngestContext:
    """Agencies, indicators, targets, rules and folders, read once per ingestion run."""
    return IngestContext.load(
        rt.engine, rt.rules, archive_dir=rt.paths.archive, output_dir=rt.paths.output
    )


def ingest(
    rt: Runtime,
    paths: Sequence[Path] | None = None,
    *,
    agency: str | None = None,
    context: IngestContext | None = None,
) -> IngestSummary:
    """Ingest files and folders (the inbox by default); one bad file stops nothing."""
    targets = list(paths) if paths else [rt.paths.inbox]
    existing = [p for p in targets if p.exists()] if not paths else targets
    return ingest_paths(existing, agency=agency, context=context or load_context(rt))


def ingest_one(context: IngestContext, path: Path, *, agency: str | None = None) -> FileOutcome:
    """Archive, read and stage (or reject) one file."""
    return ingest_file(path, context, agency_hint=agency)
