"""The ``ingest_inbox`` flow: list the inbox, ingest each file, summarise. No logic of its own."""

from __future__ import annotations

from typing import Any

from prefect import flow

from iku.runtime import process_runtime
from tasks.ingest import ingest_file_task, list_inbox_task, load_context_task, summarise_task


@flow(name="ingest-inbox")
def ingest_inbox(paths: list[str] | None = None, agency: str | None = None) -> dict[str, Any]:
    """Ingest every file in the inbox (IKU_INBOX_DIR) or in ``paths``; return the summary."""
    if paths is None:
        paths = [str(process_runtime().paths.inbox)]
    context = load_context_task()
    scan = list_inbox_task(paths, context)
    outcomes = [ingest_file_task(path, context, agency, scan["seen_at"]) for path in scan["files"]]
    return summarise_task([*scan["outcomes"], *outcomes])


# A deployment's worker loads this module: without IKU_DATABASE_URL where one is required
# (IKU_REQUIRE_DATABASE_URL, set by prefect.yaml) the run stops here, with one sentence.
process_runtime()
