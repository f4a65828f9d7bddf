"""Every data-quality check: a failing row is named (and only it), clean rows pass.

Each case starts from clean rows, plants one defect, and expects exactly one finding set: the
right rule, severity and row(s). GX runs for real (ephemeral context, pandas frames).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from iku.rules import load_rules
from quality.checks import CHECKS
from quality.runner import check_cost, columns_used, dealt_checks, merge_reports, run_checks
from tests.conftest import RULES_FILE

AGENCY = "DINKES"


def clean_row(row_id: int, indicator: str, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "row_id": row_id,
        "submission_id": 1,
        "source_file": "dinkes_2026-10.xlsx",
        "source_row": row_id + 1,
        "agency_code": AGENCY,
        "folder_agency": AGENCY,
        "indicator_code": indicator,
        "agency_indicator": f"{AGENCY}|{indicator}",
        "is_known_indicator": True,
        "period": "2026-10",
        "raw_value": "85,5",
        "value": 85.5,
        "state": "angka",
        "parse_status": "ok",
        "candidates": None,
        "evidence_url": "https://bukti.example/1",
        "note": None,
        "state_reason": None,
        "hold_reason": None,
        "unit": "%",
        "is_percent": True,
        "min_value": 0.0,
        "max_value": 100.0,
        "evidence_required": True,
        "cumulative": False,
        "hist_median": 85.0,
        "hist_scale": 1.5,
        "hist_n": 9.0,
        "prev_value": math.nan,
        "capaian_pct": 95.0,
        "target_text": "90",
    }
    row.update(overrides)
    return row


def clean_rows() -> list[dict[str, Any]]:
    return [clean_row(i, f"DINKES-0{i}") for i in range(1, 6)]


def submission(**overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "row_id": 1,
        "submission_id": 1,
        "source_file": "dinkes_2026-10.xlsx",
        "folder_agency": AGENCY,
        "file_agencies": AGENCY,
        "agency_matches": True,
        "n_periods": 1,
        "file_periods": "2026-10",
        "n_rows": 5,
        "period": "2026-10",
        "received_epoch": 1_790_000_000.0,
        "deadline_epoch": 1_790_100_000.0,
        "identical_to": None,
    }
    row.update(overrides)
    return row


def run(rows: list[dict[str, Any]], subs: list[dict[str, Any]] | None = None) -> list[Any]:
    frame = pd.DataFrame(rows)
    subs_frame = pd.DataFrame(subs or [submission(n_rows=len(rows))])
    report = run_checks(frame, subs_frame, load_rules(RULES_FILE), {})
    return report.findings


def _set(row_index: int, **values: Any) -> Callable[[list[dict[str, Any]]], None]:
    def apply(rows: list[dict[str, Any]]) -> None:
        rows[row_index].update(values)

    return apply


ROW_CASES: dict[str, tuple[Callable[[list[dict[str, Any]]], None], list[int]]] = {
    # rule: (plant the defect, the row ids that must be named)
    "read_problem": (_set(2, hold_reason="link bukti terlalu panjang (2.000 karakter)"), [3]),
    # the reader's diagnosis replaces the unknown code it would otherwise also be
    "read_problem_supersedes": (
        _set(
            1,
            indicator_code="X" * 47 + "…",
            is_known_indicator=False,
            hold_reason="kode IKU terlalu panjang (55 karakter; batas 48)",
        ),
        [2],
    ),
    "unknown_indicator": (
        _set(
            2,
            indicator_code="DINKES-99",
            agency_indicator="DINKES|DINKES-99",
            is_known_indicator=False,
        ),
        [3],
    ),
    "not_a_number": (_set(1, raw_value="=SUM(A1)", value=math.nan, parse_status="invalid"), [2]),
    "ambiguous_number": (
        _set(
            3,
            raw_value="1.234",
            value=math.nan,
            parse_status="ambiguous",
            candidates=[1.234, 1234.0],
        ),
        [4],
    ),
    "state_without_reason": (
        _set(0, raw_value="belum tersedia", value=math.nan, state="belum_tersedia"),
        [1],
    ),
    "duplicate_row": (
        lambda rows: rows.append(clean_row(6, "DINKES-02", value=86.0, raw_value="86")),
        [2, 6],
    ),
    "below_minimum": (_set(4, value=-3.0, raw_value="-3"), [5]),
    "above_maximum": (_set(4, value=120.0, raw_value="120", hist_median=110.0), [5]),
    "outlier_zscore": (_set(1, value=60.0, raw_value="60"), [2]),
    "capaian_over_150": (_set(2, capaian_pct=151.0), [3]),
    "percent_as_fraction": (_set(3, value=0.855, raw_value="0,855", hist_median=85.0), [4]),
    "cumulative_decrease": (_set(0, cumulative=True, prev_value=86.0), [1]),
    "missing_evidence": (_set(2, evidence_url=None), [3]),
}


@pytest.mark.parametrize("case", ROW_CASES)
def test_row_check_names_the_right_row(case: str) -> None:
    rule = case.removesuffix("_supersedes")
    rows = clean_rows()
    plant, expected_rows = ROW_CASES[case]
    plant(rows)
    findings = run(rows)
    assert {(f.rule, f.row_id) for f in findings} == {(rule, r) for r in expected_rows}
    severity = next(c.severity for c in CHECKS if c.rule == rule)
    for finding in findings:
        assert finding.severity == severity
        assert finding.source_row == finding.row_id + 1  # type: ignore[operator]
        assert finding.source_file == "dinkes_2026-10.xlsx"
        assert finding.message and finding.observed and finding.expected


def test_clean_rows_pass_every_check() -> None:
    assert run(clean_rows()) == []


def test_outlier_boundary_uses_the_rules_threshold() -> None:
    threshold = load_rules(RULES_FILE).plausibility.modified_zscore_threshold
    at_edge = clean_row(1, "DINKES-01", value=85.0 + threshold * 1.5, hist_median=85.0)
    beyond = clean_row(2, "DINKES-02", value=85.0 + threshold * 1.5 + 0.01, hist_median=85.0)
    no_history = clean_row(3, "DINKES-03", value=1.0, hist_median=math.nan, hist_scale=math.nan)
    findings = run([at_edge, beyond, no_history])
    assert [(f.rule, f.row_id) for f in findings] == [("outlier_zscore", 2)]


SUBMISSION_CASES: dict[str, dict[str, Any]] = {
    "empty_submission": {"n_rows": 0},
    "agency_mismatch": {"agency_matches": False, "file_agencies": "DINKES, DISHUB"},
    "multiple_periods": {"n_periods": 2, "file_periods": "2026-09, 2026-10"},
    "late_submission": {"received_epoch": 1_790_200_000.0},
    "identical_to_other_agency": {"identical_to": "DISDIKBUD #12"},
}


@pytest.mark.parametrize("rule", SUBMISSION_CASES)
def test_submission_check_names_the_submission(rule: str) -> None:
    clean = submission(row_id=1, submission_id=1)
    bad = submission(row_id=2, submission_id=2, source_file="lain.csv", **SUBMISSION_CASES[rule])
    findings = run(clean_rows(), [clean, bad])
    assert [(f.rule, f.submission_id, f.row_id) for f in findings] == [(rule, 2, None)]
    assert findings[0].source_file == "lain.csv"


@pytest.mark.parametrize("shares", [2, 3])
def test_shares_of_the_checks_merge_into_the_whole(shares: int) -> None:
    """Processes that each judge a share of the checks (the web process's validation
    workers) find together exactly what one run finds, settled the same way: every planted
    defect at once, with superseded findings and warnings on quarantined rows dropped only
    after the merge."""
    rows: list[dict[str, Any]] = []
    for n, (plant, _named) in enumerate(ROW_CASES.values()):
        group = clean_rows()
        plant(group)
        for row in group:
            row.update(row_id=n * 10 + row["row_id"], source_row=n * 10 + row["source_row"])
        rows.extend(group)
    subs = [submission(n_rows=len(rows))]
    for n, values in enumerate(SUBMISSION_CASES.values(), start=2):
        subs.append(submission(row_id=n, submission_id=n, source_file=f"{n}.csv", **values))
    rules = load_rules(RULES_FILE)
    frame, subs_frame = pd.DataFrame(rows), pd.DataFrame(subs)
    whole = run_checks(frame, subs_frame, rules, {})
    parts = [run_checks(frame, subs_frame, rules, {}, part=(i, shares)) for i in range(shares)]
    assert {f.rule for f in whole.findings} >= set(SUBMISSION_CASES)
    assert merge_reports(parts).findings == whole.findings


@pytest.mark.parametrize("shares", [1, 2, 3, 5])
def test_the_shares_deal_every_check_once_at_similar_cost(shares: int) -> None:
    """Each check goes to exactly one share, and no share costs more than another by more
    than one check's cost (the shares run at the same time: the slowest decides)."""
    rules = load_rules(RULES_FILE)
    made = [(c, c.expectation(rules, {})) for c in CHECKS]
    dealt = dealt_checks(made, shares)
    assert len(dealt) == shares
    assert sorted(rule for share in dealt for rule in share) == sorted(c.rule for c in CHECKS)
    cost = {c.rule: check_cost(e) for c, e in made}
    totals = [sum(cost[rule] for rule in share) for share in dealt]
    assert max(totals) - min(totals) <= max(cost.values())


@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        ("read_problem", 1.0),
        ("state_without_reason", 1.5),
        ("missing_evidence", 2.0),
        ("percent_as_fraction", 2.5),
    ],
)
def test_a_check_costs_more_with_each_clause_of_its_row_condition(
    rule: str, expected: float
) -> None:
    check = next(c for c in CHECKS if c.rule == rule)
    assert check_cost(check.expectation(load_rules(RULES_FILE), {})) == expected


def test_every_check_has_a_case() -> None:
    cases = {case.removesuffix("_supersedes") for case in ROW_CASES}
    assert {c.rule for c in CHECKS} == cases | set(SUBMISSION_CASES)


def test_messages_are_indonesian_and_readable() -> None:
    rows = clean_rows()
    rows[0].update(value=0.855, raw_value="0,855")
    (finding,) = run(rows)
    assert finding.message.startswith("Nilai 0,855 tampak ditulis sebagai pecahan")
    assert "85,5%" in finding.message


@pytest.mark.parametrize(
    ("rule", "columns"),
    [
        ("state_without_reason", {"state", "state_reason"}),
        ("duplicate_row", {"submission_id", "indicator_code", "period"}),
        ("outlier_zscore", {"value", "hist_median", "hist_scale"}),
        ("percent_as_fraction", {"value", "is_percent", "hist_median"}),
        ("missing_evidence", {"evidence_url", "evidence_required", "state"}),
        ("late_submission", {"deadline_epoch", "received_epoch"}),
    ],
)
def test_gx_gets_every_column_an_expectation_reads(rule: str, columns: set[str]) -> None:
    """GX is given only the columns its expectations read: arguments and row conditions."""
    check = next(c for c in CHECKS if c.rule == rule)
    expectation = check.expectation(load_rules(RULES_FILE), {})
    assert columns_used(expectation.configuration.kwargs) == columns
