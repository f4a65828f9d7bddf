"""The ``ingest_inbox`` Prefect flow composes the tasks; its result matches the plain functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from iku import migrate
from iku.catalog import load_catalog
from iku.runtime import process_runtime
from tests.conftest import CATALOG_DIR
from tests.integration.ingest_helpers import csv_text, put


@pytest.mark.slow
def test_flow_ingests_the_inbox_idempotently(
    isolated_settings: Path, prefect_harness: None
) -> None:
    from flows.ingest_inbox import ingest_inbox

    migrate.upgrade(process_runtime().engine)
    load_catalog(CATALOG_DIR, process_runtime().engine)
    inbox = isolated_settings / "inbox"
    put(inbox / "DINKES" / "okt.csv", csv_text("DINKES;2026-10;DINKES-02;93,10;;https://x;"))
    put(inbox / "RSUDAM" / "okt.csv", csv_text("DINKES;2026-10;RSUDAM-01;55;;;"))
    put(inbox / "salah_tempat.csv", csv_text("DINKES;2026-10;DINKES-02;93,10;;;x"))

    first = ingest_inbox()
    assert first["files_seen"] == 3 and first["submissions_created"] == 2
    assert first["rows_staged"] == 1
    assert sorted(r["rule"] for r in first["rejected"]) == ["agency_mismatch", "unknown_agency"]
    second = ingest_inbox()
    assert second["submissions_created"] == 0 and second["duplicates"] == 2
