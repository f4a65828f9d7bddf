"""A realistic simulated year (issue 13, item 11) on PostgreSQL and SQLite: what real agencies
send (a mid-year start, missed and late months, cumulative coverage, a late statistical
release, unit slips, an under-performing agency) is ingested, validated and computed month by
month as the cycle does, and the last month shows every section: every reason of "perlu
tindakan", an incomplete year to date, values held out of the aggregates, a dated value; the
issues found are exactly those the simulation's manifest announces, and every row is counted
once.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from iku import models as m
from iku.calendar import periods_between
from iku.catalog import read_catalog
from iku.db import session_scope
from iku.engine.store import compute_period
from iku.ingest.service import ingest_stated
from iku.reports.attention import REASONS, attention_items
from iku.reports.issues import reference_date
from iku.rules import load_rules
from iku.settings import TIMEZONE
from iku.simulate import simulate, stated_receipts
from quality.validate import validate_period
from tests.conftest import CATALOG_DIR, RULES_FILE
from tests.integration.ingest_helpers import make_context

RULES = load_rules(RULES_FILE)
FIRST, LAST = "2026-01", "2026-07"
#: Enough agencies for every role: a per-mille IKU (RSUDAM-04), positive % IKU, a BPS
#: quarterly IKU (PEMPROV-04), cumulative coverage (DINKES-02), monthly `sum` IKU.
AGENCIES = ("PEMPROV", "DINKES", "RSUDAM", "DPMPTSP", "DISKOPUKM", "DINSOS", "BAPENDA", "BKD")
SEED = 20261128
#: The bulletins of July are drawn up on its evaluation day, whenever the test runs.
AS_OF = reference_date(LAST, RULES, datetime(2026, 12, 2, 9, tzinfo=TIMEZONE))


@pytest.fixture
def realistic_year(loaded: Engine, tmp_path: Path) -> tuple[Engine, dict[str, Any]]:
    result = simulate(
        read_catalog(CATALOG_DIR, RULES),
        RULES,
        period=LAST,
        out_dir=tmp_path / "inbox",
        months=7,
        agencies=list(AGENCIES),
        seed=SEED,
        realistic=True,
    )
    manifest = json.loads(result.manifest_path.read_text(encoding="utf-8"))
    ingest_stated(
        stated_receipts(result.manifest_path), make_context(loaded, tmp_path), by="simulasi"
    )
    for period in periods_between(FIRST, LAST):
        with session_scope(loaded) as session:
            validate_period(session, period, RULES)
        with session_scope(loaded) as session:
            compute_period(session, period, RULES)
    return loaded, manifest


def _events(manifest: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e for e in manifest["realism"] if e["kind"] == kind]


def _indicator_rows(engine: Engine, period: str) -> dict[str, m.Achievement]:
    with session_scope(engine) as session:
        rows = session.scalars(
            select(m.Achievement)
            .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Achievement.cycle_id)
            .where(m.EvaluationCycle.period == period, m.Achievement.level == "indicator")
        ).all()
        session.expunge_all()
    return {r.subject_key.split(":", 1)[1]: r for r in rows}


@pytest.mark.slow
def test_the_last_month_shows_every_section(realistic_year: tuple[Engine, dict[str, Any]]) -> None:
    engine, manifest = realistic_year
    assert manifest["realistic"] is True and manifest["audit"] == []
    kinds = Counter(e["kind"] for e in manifest["realism"])
    assert {k for k in kinds} == {
        "mid_year_start",
        "under_performing",
        "missing_month",
        "late_release",
        "late_submission",
        "unit_slip",
    }

    with session_scope(engine) as session:
        items = attention_items(session, LAST, RULES, as_of=AS_OF)
    reasons = Counter(i.reason for i in items)
    assert set(reasons) == set(REASONS), reasons  # every reason at least once
    absent = {e["agency"] for e in _events(manifest, "missing_month") if e["period"] == LAST}
    silent = {i.agency_code for i in items if i.reason == "belum_melapor"}
    assert silent & set(AGENCIES) == absent  # the catalog's other agencies sent nothing at all
    (under,) = _events(manifest, "under_performing")
    low = {(i.agency_code, i.indicator_code) for i in items if i.reason == "capaian_rendah"}
    assert (under["agency"], None) in low  # the agency's own figure is low

    rows = _indicator_rows(engine, LAST)
    # The agency that started mid-year: its year to date rests on the months it reported.
    (start,) = _events(manifest, "mid_year_start")
    started = [r for code, r in rows.items() if code.startswith(f"{start['agency']}-")]
    reported = len(periods_between(start["first_period"], LAST))
    monthly = [r for r in started if r.ytd_months_expected == 7]
    assert monthly and all(r.ytd_months_reported == reported for r in monthly)
    assert all(r.ytd_complete is False for r in monthly)  # "belum lengkap"
    # Both unit slips are held out of the aggregates until a steward verifies them.
    slips = {e["indicator_code"]: e for e in _events(manifest, "unit_slip")}
    assert {e["slip"] for e in slips.values()} == {"per_mille_as_percent", "percent_as_fraction"}
    held = {code for code, r in rows.items() if r.awaiting_verification}
    assert set(slips) <= held
    assert all(rows[code].in_aggregate is False for code in slips)
    # The late statistical release: the latest value is an earlier period's, dated.
    (release,) = _events(manifest, "late_release")
    dated = rows[release["indicator_code"]]
    assert dated.realisasi_period == release["last_value_period"] < LAST
    # Cumulative coverage on its line is judged on the line: not held, not "above 150%".
    assert rows["DINKES-02"].awaiting_verification is False
    assert "target_to_date" in (rows["DINKES-02"].flags or [])


@pytest.mark.slow
def test_the_issues_are_those_announced_and_every_row_counts_once(
    realistic_year: tuple[Engine, dict[str, Any]],
) -> None:
    engine, manifest = realistic_year
    with session_scope(engine) as session:
        found = Counter(
            (rule, period, code)
            for rule, period, code in session.execute(
                select(
                    m.ValidationIssue.rule,
                    func.coalesce(m.ValidationIssue.period, m.Submission.period),
                    m.ValidationIssue.indicator_code,
                ).join(m.Submission, m.Submission.id == m.ValidationIssue.submission_id)
            )
        )
        submissions = session.execute(
            select(
                m.Submission.row_count,
                m.Submission.accepted_rows,
                m.Submission.quarantined_rows,
                m.Submission.status,
            )
        ).all()
    expected = Counter(
        ("late_submission", e["period"], None) for e in _events(manifest, "late_submission")
    )
    for slip in _events(manifest, "unit_slip"):
        expected[(slip["expected"]["rule"], slip["period"], slip["indicator_code"])] += 1
    assert found == expected
    # No file is rejected; every row of every file is accepted or quarantined, once.
    assert len(submissions) == len(manifest["files"])
    assert {s.status for s in submissions} == {"validated"}
    assert all(s.row_count == s.accepted_rows + s.quarantined_rows for s in submissions)
    assert sum(s.row_count for s in submissions) == sum(f["rows"] for f in manifest["files"])
