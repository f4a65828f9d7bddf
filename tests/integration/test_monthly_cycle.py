"""The monthly cycle end to end on PostgreSQL: simulated submissions -> cycle -> database
counts, readable PDFs and the planted issues; a rerun changes nothing; a run killed after
validation completes when rerun."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from pypdf import PdfReader
from sqlalchemy.engine import make_url

from iku import migrate
from iku.catalog import load_catalog, read_catalog
from iku.rules import load_rules
from iku.runtime import process_runtime, reset_process_runtime
from iku.simulate import simulate
from tests.conftest import CATALOG_DIR, POSTGRES_URL, PROJECT_ROOT, RULES_FILE
from tests.integration.ingest_helpers import load_simulation

TABLES = (
    "submission",
    "staged_row",
    "realisation",
    "validation_issue",
    "achievement",
    "bulletin",
    "delivery",
    "evaluation_cycle",
)
pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def pg_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The settings' database is a fresh PostgreSQL schema (dropped afterwards)."""
    from tests import conftest

    if conftest._postgres_problem:
        pytest.skip(f"PostgreSQL unreachable: {conftest._postgres_problem}")
    schema = f"iku_cycle_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(POSTGRES_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    text = url.render_as_string(hide_password=False)
    monkeypatch.setenv("IKU_DATABASE_URL", text)
    reset_process_runtime()
    try:
        yield text
    finally:
        reset_process_runtime()
        with admin.begin() as connection:
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _prepare(months: int, last: str = "2026-10") -> dict[str, Any]:
    migrate.upgrade(process_runtime().engine)
    load_catalog(CATALOG_DIR, process_runtime().engine)
    settings = process_runtime().settings
    result = simulate(
        read_catalog(CATALOG_DIR),
        load_rules(RULES_FILE),
        period=last,
        out_dir=settings.inbox_dir,
        months=months,
        defects=6,
        seed=424242,
    )
    manifest: dict[str, Any] = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    # The simulated months arrived on their own days: loaded with those receipt times, so the
    # planted issues are exactly the ones expected whatever today's date (the cycle's own
    # ingest step then finds the inbox empty).
    load_simulation(process_runtime(), result.manifest_path)
    return manifest


def _counts() -> dict[str, int]:
    with process_runtime().engine.connect() as connection:
        return {
            t: int(connection.scalar(sa.text(f"SELECT count(*) FROM {t}")) or 0) for t in TABLES
        }


def _results() -> list[tuple[Any, ...]]:
    with process_runtime().engine.connect() as connection:
        return [
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT subject_key, period, capaian_raw, capaian_scored, predikat, "
                    "ytd_capaian FROM achievement ORDER BY period, subject_key"
                )
            )
        ]


def test_cycle_end_to_end_and_rerun(pg_database: str, prefect_harness: None) -> None:
    from flows.monthly_evaluation import evaluate

    manifest = _prepare(months=2)
    first = evaluate(process_runtime(), "2026-09")
    summary = evaluate(process_runtime(), "2026-10")
    assert first["status"] == summary["status"] == "completed"
    counts = summary["counts"]
    assert counts["rows_in"] == counts["rows_accepted"] + counts["rows_quarantined"] > 0
    assert counts["achievements"] > 0 and counts["reporting_rate"] is not None

    out = process_runtime().settings.output_dir / "2026-10"
    province = PdfReader(out / "provinsi.pdf")
    text = "".join(page.extract_text() for page in province.pages)
    assert "Oktober 2026" in text and "Pemerintah Provinsi Lampung".upper() in text.upper()
    dinkes = "".join(p.extract_text() for p in PdfReader(out / "opd" / "DINKES.pdf").pages)
    assert "DINKES-01" in dinkes
    assert (out / "review" / "index.html").is_file() and (out / "index.html").is_file()

    planted = {
        (d["agency"], d["period"], d["expected"]["rule"])
        for d in manifest["defects"]
        if d["expected"]["outcome"] != "rejected"
    }
    with process_runtime().engine.connect() as connection:
        queued = {
            tuple(row)
            for row in connection.execute(
                sa.text(
                    "SELECT a.code, s.period, i.rule FROM validation_issue i "
                    "JOIN submission s ON s.id = i.submission_id "
                    "JOIN agency a ON a.id = s.agency_id"
                )
            )
        }
    assert queued == planted

    before, results = _counts(), _results()
    again = evaluate(process_runtime(), "2026-10")
    assert again["status"] == "completed"
    assert _counts() == before
    assert _results() == results


def test_a_run_killed_after_validation_completes_when_rerun(
    pg_database: str, prefect_harness: None, tmp_path: Path
) -> None:
    from flows.monthly_evaluation import evaluate

    _prepare(months=1)
    # Another process takes the cycle, ingests and validates, then dies without a word.
    script = """
import os
from iku.operations import cycle, ingest, validate
from iku.runtime import Runtime

rt = Runtime.from_environment()
with cycle.hold(rt, "2026-10"):
    cycle.start(rt, "2026-10")
    ingest.ingest(rt)
    validate.validate(rt, "2026-10")
    os._exit(9)
"""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT)}
    crashed = subprocess.run(
        [sys.executable, "-c", script], env=env, cwd=tmp_path, timeout=300, check=False
    )
    assert crashed.returncode == 9
    validated = _counts()
    assert validated["realisation"] > 0 and validated["achievement"] == 0

    summary = evaluate(process_runtime(), "2026-10")
    assert summary["status"] == "completed"
    after = _counts()
    for table in ("submission", "staged_row", "realisation", "validation_issue"):
        assert after[table] == validated[table], table  # nothing ingested or routed twice
    assert after["achievement"] > 0 and after["bulletin"] > 0
