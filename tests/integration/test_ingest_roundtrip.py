"""Acceptance: simulated submissions in every format round-trip exactly to staged rows;
ingesting again creates nothing; a modified resubmission supersedes."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

from sqlalchemy import Engine, select

from iku import models as m
from iku.catalog import read_catalog
from iku.ingest.service import ingest_paths
from iku.rules import load_rules
from iku.simulate import FORMAT_KINDS, simulate
from tests.conftest import CATALOG_DIR, RULES_FILE
from tests.integration.ingest_helpers import count, make_context


def test_simulated_submissions_round_trip(loaded: Engine, tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = simulate(
        read_catalog(CATALOG_DIR),
        load_rules(RULES_FILE),
        period="2026-10",
        out_dir=out,
        months=2,
        agencies=["DINKES", "RSUDAM", "BAPENDA"],
        seed=20261128,
    )
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    assert {f["format"] for f in manifest["files"]} == set(FORMAT_KINDS)
    context = make_context(loaded, tmp_path)
    folders = [out]  # the simulation folder is an inbox: its manifest is hidden from ingestion

    summary = ingest_paths(folders, context=context)
    assert [f.status for f in summary.files] == ["staged"] * len(manifest["files"])
    truth = list(csv.DictReader(result.truth_path.open(encoding="utf-8")))
    assert summary.rows_staged == len(truth) == result.rows
    with loaded.connect() as connection:
        staged = {
            (row.agency_code, row.source_file, row.source_row): row
            for row in connection.execute(select(m.StagedRow.__table__))
        }
    assert len(staged) == len(truth)
    for expected in truth:
        row = staged[(expected["agency"], expected["source_file"], int(expected["source_row"]))]
        value = float(expected["value"]) if expected["value"] else None
        assert (row.indicator_code, row.period, row.value, row.state, row.parse_status) == (
            expected["indicator_code"],
            expected["period"],
            value,  # exact: no tolerance
            expected["state"] or None,
            "ok",
        ), expected

    again = ingest_paths(folders, context=context)
    assert again.submissions_created == 0 and again.rows_staged == 0
    assert again.duplicates == len(manifest["files"])
    assert count(loaded, m.Submission) == len(manifest["files"])

    # A corrected resubmission of one month: a new version supersedes the earlier one.
    entry = next(f for f in manifest["files"] if f["format"] == "json")
    original = out / entry["file"]
    fixed = original.with_name("koreksi-" + original.name)
    document = json.loads(original.read_text(encoding="utf-8"))
    document["rows"][0]["note"] = "koreksi setelah verifikasi"
    fixed.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    later = original.stat().st_mtime + 86400
    os.utime(fixed, (later, later))
    resubmitted = ingest_paths([fixed], context=context)
    (outcome,) = resubmitted.files
    assert outcome.status == "staged" and outcome.supersedes_id is not None
    with loaded.connect() as connection:
        old = connection.execute(
            select(m.Submission.status).where(m.Submission.id == outcome.supersedes_id)
        ).scalar_one()
    assert old == "superseded"
    shutil.rmtree(out)
