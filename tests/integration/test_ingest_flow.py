"""The ``ingest_inbox`` Prefect flow composes the tasks; its result matches the plain functions."""

from __future__ import annotations

from pathlib import Path

import pytest

from iku import migrate
from iku.calendar import previous_period
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
    month = previous_period()  # the scan receives the files now: last month is open
    put(inbox / "DINKES" / "okt.csv", csv_text(f"DINKES;{month};DINKES-02;93,10;;https://x;"))
    put(inbox / "RSUDAM" / "okt.csv", csv_text(f"DINKES;{month};RSUDAM-01;55;;;"))
    put(inbox / "salah_tempat.csv", csv_text(f"DINKES;{month};DINKES-02;93,10;;;x"))
    put(inbox / "RSUDAM" / "lagi.csv.filepart", csv_text(f"RSUDAM;{month};RSUDAM-01;1;;;"))
    (inbox / "DINKES" / "tautan.csv").symlink_to(CATALOG_DIR / "agencies.csv")

    first = ingest_inbox()
    assert first["files_seen"] == 4 and first["submissions_created"] == 2
    assert first["rows_staged"] == 1 and first["ignored"] == 1
    assert sorted(r["rule"] for r in first["rejected"]) == ["agency_mismatch", "unknown_agency"]
    assert [Path(r["file"]).name for r in first["refused"]] == ["tautan.csv"]
    second = ingest_inbox()  # processed files left the inbox; what is left is not read again
    assert second["submissions_created"] == 0 and second["files_seen"] == 1
    assert [Path(r["file"]).name for r in second["refused"]] == ["tautan.csv"]
