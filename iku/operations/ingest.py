"""Taking agency files in: the ingestion context of a run, and ingesting files or folders."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from iku.ingest.context import IngestContext
from iku.ingest.service import (
    FileOutcome,
    IngestSummary,
    Receipt,
    ingest_file,
    ingest_paths,
    ingest_stated,
)
from iku.runtime import Runtime


def load_context(rt: Runtime) -> IngestContext:
    """Agencies, indicators, targets, rules and folders, read once per ingestion run. Close it
    when done (it owns the reader processes)."""
    return IngestContext.from_runtime(rt)


def ingest(
    rt: Runtime,
    paths: Sequence[Path] | None = None,
    *,
    agency: str | None = None,
    context: IngestContext | None = None,
    receipt: Receipt | None = None,
) -> IngestSummary:
    """Ingest files and folders (the inbox by default); one bad file stops nothing. Without
    ``receipt`` a file is received now (the time of this scan)."""
    targets = list(paths) if paths else [p for p in [rt.paths.inbox] if p.exists()]
    own = context is None
    used = context or load_context(rt)
    try:
        return ingest_paths(targets, agency=agency, context=used, receipt=receipt)
    finally:
        if own:
            used.close()


def ingest_history(
    rt: Runtime, files: Sequence[tuple[Path, datetime]], *, by: str
) -> IngestSummary:
    """Ingest files that arrived earlier through another channel, each with its stated
    receipt time, recorded with who stated them."""
    context = load_context(rt)
    try:
        return ingest_stated(files, context, by=by)
    finally:
        context.close()


def ingest_one(context: IngestContext, path: Path, *, agency: str | None = None) -> FileOutcome:
    """Archive, read and stage (or reject) one file."""
    return ingest_file(path, context, agency_hint=agency)
