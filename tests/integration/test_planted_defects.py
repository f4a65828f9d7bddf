"""A simulated span of months with planted defects yields exactly the planted issues.

The simulator writes a manifest of every defect with its expected outcome (rejected at
ingestion, quarantined, or a warning) and row; ingestion then validation, month by month as the
cycle does, must find those and nothing else, with the right rows and severities.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from iku import models as m
from iku.calendar import periods_between
from iku.catalog import read_catalog
from iku.db import session_scope
from iku.ingest.service import ingest_stated
from iku.rules import load_rules
from iku.simulate import simulate, stated_receipts
from quality.validate import validate_period
from tests.conftest import CATALOG_DIR, RULES_FILE
from tests.integration.ingest_helpers import make_context


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "defects"), [(20261128, 12), (7, 16)])
def test_planted_defects_and_nothing_else(
    loaded: Engine, tmp_path: Path, seed: int, defects: int
) -> None:
    out = tmp_path / "inbox"
    result = simulate(
        read_catalog(CATALOG_DIR),
        load_rules(RULES_FILE),
        period="2026-08",
        out_dir=out,
        months=8,
        defects=defects,
        seed=seed,
    )
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    assert manifest["audit"] == []
    # A simulation is history: its files are loaded with the receipt times it states.
    summary = ingest_stated(
        stated_receipts(result.manifest_path), make_context(loaded, tmp_path), by="simulasi"
    )
    assert {f.receipt_stated_by for f in summary.files} == {"simulasi"}

    rejected = {(Path(f.file).name, f.rule) for f in summary.files if f.status == "rejected"}
    expected_rejected = {
        (Path(d["file"]).name, d["expected"]["rule"])
        for d in manifest["defects"]
        if d["expected"]["outcome"] == "rejected"
    }
    assert rejected == expected_rejected

    for period in periods_between("2026-01", "2026-08"):
        with session_scope(loaded) as session:
            outcome = validate_period(session, period, load_rules(RULES_FILE))
            assert all(o.reconciles for o in outcome.routing.outcomes)

    expected = set()
    for d in manifest["defects"]:
        if d["expected"]["outcome"] == "rejected":
            continue
        rows = [d["source_row"], *d.get("also_rows", [])]
        for row in rows:
            expected.add(
                (
                    d["agency"],
                    d["period"],
                    Path(d["file"]).name,
                    row,
                    d["expected"]["rule"],
                    d["expected"]["severity"],
                )
            )
    with session_scope(loaded) as session:
        found = {
            (
                agency,
                issue.period or sub_period,
                file_name,
                issue.source_row,
                issue.rule,
                issue.severity,
            )
            for issue, agency, file_name, sub_period in session.execute(
                select(
                    m.ValidationIssue, m.Agency.code, m.Submission.file_name, m.Submission.period
                )
                .join(m.Submission, m.Submission.id == m.ValidationIssue.submission_id)
                .join(m.Agency, m.Agency.id == m.Submission.agency_id)
            )
        }
    assert found == expected
    assert len(expected) + len(expected_rejected) >= defects


def test_the_demo_planted_wrong_agency_file_is_rejected(loaded: Engine, tmp_path: Path) -> None:
    """The demo's own planted wrong-agency file (once BKD, April: "Kode OPD:" written beside
    "Bulan :" on one row) was accepted; the demo's realistic year with its seed and every
    kind of defect planted: the agency_mismatch files are rejected."""
    from iku.cli.demo import DEMO_SEED
    from iku.simulate import DEFECT_KINDS

    result = simulate(
        read_catalog(CATALOG_DIR),
        load_rules(RULES_FILE),
        period="2026-11",
        out_dir=tmp_path / "inbox",
        months=11,
        defects=len(DEFECT_KINDS),
        seed=DEMO_SEED,
        realistic=True,
    )
    planted = {d["file"] for d in result.defects if d["kind"] == "agency_mismatch"}
    assert planted
    agencies = {name.split("/", 1)[0] for name in planted}
    stated = [(p, t) for p, t in stated_receipts(result.manifest_path) if p.parent.name in agencies]
    summary = ingest_stated(stated, make_context(loaded, tmp_path), by="simulasi")
    rejected = {
        f"{Path(f.file).parent.name}/{Path(f.file).name}"
        for f in summary.files
        if f.rule == "agency_mismatch"
    }
    assert rejected == planted
