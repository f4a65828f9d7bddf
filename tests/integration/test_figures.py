"""Issue 13 ("Why"), on PostgreSQL and SQLite: the figures that reach the governor, computed from
the repository's catalog as agencies really send their data (a mid-year start, a rejected or
quarantined month, cumulative coverage, a unit slip, a steward's override, a missed target, a
stale quarterly value, qualitative targets), each case asserting the correct number.

The engine's tables without a database are in tests/unit/test_achievement.py; the formulas in
tests/unit/test_capaian.py.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select

from iku import models as m
from iku.access import Actor, Role
from iku.catalog import load_catalog
from iku.db import session_scope
from iku.engine.store import compute_period
from iku.ingest.service import ingest_file
from iku.reports.capaian import capaian_rows
from iku.rules import Rules, load_rules
from iku.runtime import Runtime
from iku.settings import Settings
from quality.review import ReviewError, check_override
from tests.conftest import RULES_FILE
from tests.integration.figure_fixtures import (
    QUALITATIVE,
    issue_id,
    qualitative_catalog,
    stage,
    validate,
)
from tests.integration.ingest_helpers import csv_text, make_context, put
from tests.integration.test_achievement import achievements, submit
from tests.integration.test_validation import _history
from tests.unit.test_capaian import changed

RULES = load_rules(RULES_FILE)
#: DISDIKBUD-05 (teachers trained, a monthly `sum` IKU): the PK's breakdown, January..October.
PLAN = [0.0, 150.0, 250.0, 200.0, 250.0, 150.0, 250.0, 300.0, 300.0, 300.0]


def compute(engine: Engine, period: str, rules: Rules = RULES) -> dict[str, dict[str, Any]]:
    with session_scope(engine) as session:
        compute_period(session, period, rules)
    return achievements(engine, period)


def runtime(engine: Engine, tmp_path: Path, rules: Rules = RULES) -> Runtime:
    return Runtime(Settings(output_dir=tmp_path / "out"), engine=engine, rules=rules)


def steward(*agencies: str) -> Actor:
    return Actor("rina", Role.STEWARD, frozenset(agencies), address="10.0.0.5")


# --------------------------------------------------------------------------------------------
# Missing months are not zero
# --------------------------------------------------------------------------------------------

# IKU, October's realisasi, (ytd realisasi, ytd target, ytd capaian), the figure that missing
# months as zeros gave (issue 13)
MID_YEAR = [
    # Maternal deaths (negative sum, annual 95): "realisasi 9, target 79,17" read 188,63% ST.
    ("DINKES-04", 9.0, (9.0, 95 / 12, (2 * 95 / 12 - 9) / (95 / 12) * 100), 188.63),
    # Teacher training (sum, PK breakdown): "realisasi 300, target 2.150" read 13,95% SR.
    ("DISDIKBUD-05", 300.0, (300.0, 300.0, 100.0), 13.95),
]


@pytest.mark.parametrize(("code", "value", "ytd", "as_zeros"), MID_YEAR)
def test_an_agency_starting_in_october_is_not_read_as_nine_zero_months(
    loaded: Engine, code: str, value: float, ytd: tuple[float, float, float], as_zeros: float
) -> None:
    submit(loaded, code.split("-")[0], "2026-10", {code: value})
    row = compute(loaded, "2026-10")[f"indicator:{code}"]
    assert row["ytd_realisasi"] == pytest.approx(ytd[0])
    assert row["ytd_target"] == pytest.approx(ytd[1])
    assert row["ytd_capaian"] == pytest.approx(ytd[2])
    assert round(row["ytd_capaian"], 2) != as_zeros
    assert (row["ytd_months_reported"], row["ytd_months_expected"]) == (1, 10)
    assert row["ytd_complete"] is False and "ytd_incomplete" in row["flags"]
    assert "1 dari 10 bulan yang wajib dilaporkan, belum lengkap" in row["note"]


def test_a_rejected_and_a_quarantined_month_are_missing_not_zero(loaded: Engine) -> None:
    for month, value in enumerate(PLAN, start=1):
        period = f"2026-{month:02d}"
        if month == 8:  # the agency's August file was rejected as a whole
            submit(loaded, "DISDIKBUD", period, {"DISDIKBUD-05": value}, status="rejected")
        elif month == 9:  # September's row could not be read: quarantined for the stewards
            stage(loaded, "DISDIKBUD", period, {"DISDIKBUD-05": "tiga ratus"})
            validate(loaded, period, RULES)
        else:
            submit(loaded, "DISDIKBUD", period, {"DISDIKBUD-05": value})
    assert issue_id(loaded, "not_a_number", "DISDIKBUD-05")
    rows = compute(loaded, "2026-10")
    row = rows["indicator:DISDIKBUD-05"]
    counted = sum(PLAN) - PLAN[7] - PLAN[8]  # 1.550 reported, against the same months' 1.550
    assert row["ytd_realisasi"] == pytest.approx(counted)
    assert row["ytd_target"] == pytest.approx(counted)
    assert row["ytd_capaian"] == pytest.approx(100.0)  # as zeros: 1.550 / 2.150 = 72,09%
    assert (row["ytd_months_reported"], row["ytd_months_expected"]) == (8, 10)
    assert row["ytd_complete"] is True  # 8 of 10 >= year_to_date.min_completeness 0,75
    assert rows["agency:DISDIKBUD"]["capaian_scored"] == pytest.approx(100.0)


def test_rejecting_an_outlier_month_does_not_lower_the_agency_figure(
    loaded: Engine, tmp_path: Path
) -> None:
    from iku.operations.review import decide_issue

    for month, value in enumerate(PLAN[:9], start=1):
        submit(loaded, "DISDIKBUD", f"2026-{month:02d}", {"DISDIKBUD-05": value})
    stage(loaded, "DISDIKBUD", "2026-10", {"DISDIKBUD-05": "3000", "DISDIKBUD-06": "85,5"})
    validate(loaded, "2026-10", RULES)
    before = compute(loaded, "2026-10")
    held = before["indicator:DISDIKBUD-05"]
    assert held["awaiting_verification"] is True and held["in_aggregate"] is False
    assert before["agency:DISDIKBUD"]["capaian_scored"] == pytest.approx(85.5 / 95 * 100)

    decide_issue(
        runtime(loaded, tmp_path),
        issue_id(loaded, "capaian_over_150", "DISDIKBUD-05"),
        "reject",
        actor=steward("DISDIKBUD"),
        note="salah ketik, bulan Oktober dikirim ulang",
    )
    after = achievements(loaded, "2026-10")
    row = after["indicator:DISDIKBUD-05"]
    assert row["ytd_realisasi"] == pytest.approx(sum(PLAN[:9]))  # October is missing now
    assert row["ytd_target"] == pytest.approx(sum(PLAN[:9]))  # ... on both sides
    assert row["ytd_capaian"] == pytest.approx(100.0)
    assert (row["ytd_months_reported"], row["ytd_months_expected"]) == (9, 10)
    assert row["in_aggregate"] is True and "missing" in row["flags"]
    # With October as a zero the agency would read (1.850 / 2.150 + 85,5 / 95) / 2 = 88,02%.
    figure = after["agency:DISDIKBUD"]["capaian_scored"]
    assert figure == pytest.approx((100.0 + 85.5 / 95 * 100) / 2)
    assert figure >= before["agency:DISDIKBUD"]["capaian_scored"]


# --------------------------------------------------------------------------------------------
# Cumulative coverage against the target line to date
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("policy", "capaian", "predikat", "year_end"),
    [("to_date", 100.0, "ST", 25.0), ("annual", 25.0, "SR", None)],
)
def test_immunisation_on_plan_in_march(
    loaded: Engine, policy: str, capaian: float, predikat: str, year_end: float | None
) -> None:
    # DINKES-02 (IDL coverage, cumulative, target 95): on plan in March is 95 x 3/12 = 23,75.
    submit(loaded, "DINKES", "2026-03", {"DINKES-02": 23.75})
    rules = changed("year_to_date.cumulative_target", policy)
    row = compute(loaded, "2026-03", rules)["indicator:DINKES-02"]
    assert row["capaian_raw"] == pytest.approx(capaian)
    assert row["predikat"] == predikat
    assert row["ytd_capaian"] == pytest.approx(capaian)
    if year_end is None:
        assert row["year_end_capaian"] is None and "target_to_date" not in row["flags"]
    else:
        assert row["year_end_capaian"] == pytest.approx(year_end)
        assert row["target_lower"] == pytest.approx(23.75) and "target_to_date" in row["flags"]


# --------------------------------------------------------------------------------------------
# One bad value does not dominate: held until verified, counted at the cap
# --------------------------------------------------------------------------------------------

# name: (agency, October's file, the IKU flagged, its rule, the steward's corrected value or
#        None (verified as sent), the IKU's raw capaian, agency figure while held, after)
HELD = {
    # NDR "< 25" (per 1.000, T/R) written as 2,1: 25 / 2,1 = 1.190,48%. RSUDAM-01 55 minutes
    # against <= 60 is (120 - 55) / 60 = 108,33%.
    "a per-mille slip over the verification level": (
        "RSUDAM",
        {"RSUDAM-01": "55", "RSUDAM-04": "2,1"},
        "RSUDAM-04",
        "capaian_over_150",
        None,
        25 / 2.1 * 100,
        (120 - 55) / 60 * 100,
        ((120 - 55) / 60 * 100 + 150.0) / 2,  # verified, it counts at aggregation.cap
    ),
    # UHC (%, cumulative, history ~97) written as 0,97; the steward enters 97,5.
    "percent written as a fraction": (
        "DINKES",
        {"DINKES-02": "80", "DINKES-05": "0,97"},
        "DINKES-05",
        "percent_as_fraction",
        97.5,
        0.97 / (98.5 * 10 / 12) * 100,
        80 / (95 * 10 / 12) * 100,
        (80 / (95 * 10 / 12) * 100 + 97.5 / (98.5 * 10 / 12) * 100) / 2,
    ),
    # IR DBD (history 31..39 per 100.000) at 90: an outlier; verified as sent it counts at
    # the scoring floor 0 against the line to date 49 x 10/12.
    "an outlier against the series' history": (
        "DINKES",
        {"DINKES-02": "80", "DINKES-01": "90"},
        "DINKES-01",
        "outlier_zscore",
        None,
        (2 * 49 * 10 / 12 - 90) / (49 * 10 / 12) * 100,
        80 / (95 * 10 / 12) * 100,
        (80 / (95 * 10 / 12) * 100 + 0.0) / 2,
    ),
}


@pytest.mark.parametrize("name", HELD)
def test_a_flagged_value_stays_out_of_the_aggregates_until_verified(
    loaded: Engine, tmp_path: Path, name: str
) -> None:
    from iku.operations.review import decide_issue

    agency, rows, code, rule, corrected, raw, held_figure, verified_figure = HELD[name]
    with session_scope(loaded) as session:
        _history(session)  # DINKES-01, -02, -05 January..September
    stage(loaded, agency, "2026-10", rows)
    validate(loaded, "2026-10", RULES)
    figures = compute(loaded, "2026-10")
    iku = figures[f"indicator:{code}"]
    assert iku["capaian_raw"] == pytest.approx(raw)  # the IKU's own capaian, unchanged
    assert iku["awaiting_verification"] is True and iku["in_aggregate"] is False
    assert "awaiting_verification" in iku["flags"]
    assert "Menunggu verifikasi pengelola data" in iku["note"]
    assert figures[f"agency:{agency}"]["capaian_scored"] == pytest.approx(held_figure)
    for subject in (f"agency:{agency}", "sector:kesehatan", "province"):
        assert figures[subject]["n_held"] == 1, subject
    assert figures["sector:kesehatan"]["capaian_scored"] == pytest.approx(held_figure)
    assert figures["province"]["capaian_scored"] == pytest.approx(held_figure)

    decide_issue(
        runtime(loaded, tmp_path),
        issue_id(loaded, rule, code),
        "accept",
        actor=steward(agency),
        note="dikonfirmasi ke perangkat daerah",
        value=corrected,
    )
    verified = achievements(loaded, "2026-10")
    assert verified[f"indicator:{code}"]["in_aggregate"] is True
    assert verified[f"indicator:{code}"]["awaiting_verification"] is False
    assert verified[f"agency:{agency}"]["capaian_scored"] == pytest.approx(verified_figure)
    assert verified["province"]["n_held"] == 0


def test_without_the_hold_policy_a_flagged_value_counts_at_once_at_the_cap(
    loaded: Engine,
) -> None:
    stage(loaded, "RSUDAM", "2026-10", {"RSUDAM-01": "55", "RSUDAM-04": "2,1"})
    validate(loaded, "2026-10", RULES)
    rules = changed("aggregation.hold_until_verified", [])
    figures = compute(loaded, "2026-10", rules)
    ndr = figures["indicator:RSUDAM-04"]
    assert ndr["in_aggregate"] is True and "capped_in_aggregate" in ndr["flags"]
    assert figures["agency:RSUDAM"]["capaian_scored"] == pytest.approx(
        ((120 - 55) / 60 * 100 + 150.0) / 2
    )
    uncapped = compute(loaded, "2026-10", changed("aggregation.cap", None))
    assert uncapped["agency:RSUDAM"]["capaian_scored"] == pytest.approx(
        (120 - 55) / 60 * 100  # the default hold policy: still out until verified
    )


# name: (IKU, value, confirm, the refusal's reason or None, words of its sentence)
OVERRIDES = {
    # `iku review accept --value 4.345,708` on an index whose maximum is 100 (DLH-03, IKU
    # udara): refused by the hard bounds, whatever the steward confirms.
    "an index far above its maximum": ("DLH-03", 4345.708, False, "out_of_bounds", "0 s.d. 100"),
    "hard bounds ignore a confirmation": ("DLH-03", 4345.708, True, "out_of_bounds", "di luar"),
    "below the minimum": ("DLH-03", -1.0, False, "out_of_bounds", "di luar batas IKU DLH-03"),
    "inside the bounds and plausible": ("DLH-03", 85.2, False, None, ""),
    "a capaian over the verification level": (
        "RSUDAM-04",
        2.1,
        False,
        "implausible",
        "capaian 1.190,48% di atas 150%",
    ),
    "confirmed by the steward": ("RSUDAM-04", 2.1, True, None, ""),
    "far from the series' history": ("DINKES-05", 40.0, False, "implausible", "jauh dari"),
    "near the series' history": ("DINKES-05", 97.6, False, None, ""),
}


@pytest.mark.parametrize("name", OVERRIDES)
def test_a_steward_override_is_checked_like_a_submitted_value(loaded: Engine, name: str) -> None:
    code, value, confirm, reason, words = OVERRIDES[name]
    with session_scope(loaded) as session:
        _history(session)
    with session_scope(loaded) as session:
        indicator = session.scalars(select(m.Indicator).where(m.Indicator.code == code)).one()
        if reason is None:
            check_override(session, indicator, "2026-10", value, RULES, confirm=confirm)
            return
        with pytest.raises(ReviewError) as refused:
            check_override(session, indicator, "2026-10", value, RULES, confirm=confirm)
    assert refused.value.reason == reason
    assert words in str(refused.value)


def test_a_refused_override_changes_nothing(loaded: Engine, tmp_path: Path) -> None:
    from iku.operations.review import decide_issue

    stage(loaded, "DLH", "2026-10", {"DLH-03": "4.345,708"})
    validate(loaded, "2026-10", RULES)
    item = issue_id(loaded, "above_maximum", "DLH-03")
    rt = runtime(loaded, tmp_path)
    with pytest.raises(ReviewError) as refused:
        decide_issue(rt, item, "accept", actor=steward("DLH"), note="ok", value=4345.708)
    assert refused.value.reason == "out_of_bounds"
    with session_scope(loaded) as session:
        assert session.get(m.ValidationIssue, item).status == "open"  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(m.ReviewDecision)) == 0
        assert session.scalar(select(func.count()).select_from(m.Realisation)) == 0
    decide_issue(rt, item, "accept", actor=steward("DLH"), note="dikoreksi", value=85.2)
    figures = achievements(loaded, "2026-10")
    assert figures["indicator:DLH-03"]["realisasi"] == pytest.approx(85.2)
    assert figures["province"]["capaian_scored"] == pytest.approx(85.2 / 88.5 * 100)


# --------------------------------------------------------------------------------------------
# A missed target is not green; stale values are dated; the headline states its basis
# --------------------------------------------------------------------------------------------

# IKU, December's realisasi, capaian, predikat, tercapai
MISSED = [
    # IR DBD 51,14 against "< 49" (in December the line to date is the year's 49).
    ("DINKES-01", 51.14, (2 * 49 - 51.14) / 49 * 100, "ST", False),
    ("DINKES-01", 49.0, 100.0, "ST", False),  # "< 49" reached exactly is not met
    ("DINKES-01", 45.0, (2 * 49 - 45) / 49 * 100, "ST", True),
    ("RSUDAM-04", 25.0, 100.0, "ST", False),  # NDR "< 25" with T/R
    ("RSUDAM-01", 60.0, 100.0, "ST", True),  # "<= 60 menit"
]


@pytest.mark.parametrize(("code", "value", "capaian", "predikat", "met"), MISSED)
def test_a_missed_target_is_not_green(
    loaded: Engine, code: str, value: float, capaian: float, predikat: str, met: bool
) -> None:
    submit(loaded, code.split("-")[0], "2026-12", {code: value})
    row = compute(loaded, "2026-12")[f"indicator:{code}"]
    assert row["capaian_raw"] == pytest.approx(capaian)
    assert row["predikat"] == predikat
    assert row["tercapai"] is met and row["ytd_tercapai"] is met
    assert ("target tercapai" if met else "target belum tercapai") in row["note"]


def test_a_quarterly_value_from_june_is_dated_and_overdue_after_september(
    loaded: Engine,
) -> None:
    # PEMPROV-04 (economic growth, quarterly, `last`, target 5,1): June's 5,0 only.
    submit(loaded, "PEMPROV", "2026-06", {"PEMPROV-04": 5.0})
    august = compute(loaded, "2026-08")["indicator:PEMPROV-04"]
    assert august["realisasi"] is None and august["realisasi_period"] == "2026-06"
    assert august["ytd_realisasi"] == pytest.approx(5.0)
    assert august["ytd_capaian"] == pytest.approx(5 / 5.1 * 100)
    assert "overdue" not in august["flags"] and august["in_aggregate"] is True
    october = compute(loaded, "2026-10")["indicator:PEMPROV-04"]
    assert october["realisasi_period"] == "2026-06"
    assert "overdue" in october["flags"] and october["in_aggregate"] is False
    assert october["ytd_realisasi"] is None and october["ytd_capaian"] is None
    assert "Angka terakhir, 5 dari Juni 2026, sudah lewat jadwal" in october["note"]


def test_the_province_row_says_on_how_many_agencies_and_iku_it_rests(loaded: Engine) -> None:
    submit(loaded, "DINKES", "2026-10", {"DINKES-02": 79.0, "DINKES-04": 9.0})
    submit(loaded, "BAPENDA", "2026-10", {"BAPENDA-03": 72.0})
    figures = compute(loaded, "2026-10")
    with session_scope(loaded) as session:
        iku = session.scalar(
            select(func.count()).select_from(m.Indicator).where(m.Indicator.is_active)
        )
        agencies = session.scalar(
            select(func.count(func.distinct(m.Indicator.agency_id))).where(m.Indicator.is_active)
        )
    province = figures["province"]
    assert (province["n_agencies_included"], province["n_agencies"]) == (2, agencies)
    assert (province["n_included"], province["n_total"]) == (3, iku)
    assert f"dari 2 dari {agencies} OPD (3 dari {iku} IKU)" in province["note"]
    dinkes = (79 / (95 * 10 / 12) * 100 + (2 * 95 / 12 - 9) / (95 / 12) * 100) / 2
    assert province["capaian_scored"] == pytest.approx((dinkes + 100.0) / 2)


# name: accepted values per agency (October), staged cells validated for real, the agencies
# and IKU the headline rests on (issue 13, "the headline stating no basis")
BASIS: dict[str, tuple[dict[str, dict[str, float]], dict[str, dict[str, str]], int, int]] = {
    "two agencies report three IKU": (
        {"DINKES": {"DINKES-02": 79.0, "DINKES-04": 9.0}, "BAPENDA": {"BAPENDA-03": 72.0}},
        {},
        2,
        3,
    ),
    # RSUDAM's only value is a per-mille slip held until verified: RSUDAM is not in the figure,
    # and is not a zero either.
    "an agency whose only value is held is left out": (
        {"BAPENDA": {"BAPENDA-03": 72.0}},
        {"RSUDAM": {"RSUDAM-04": "2,1"}},
        1,
        1,
    ),
    "one agency alone": ({"BAPENDA": {"BAPENDA-03": 72.0}}, {}, 1, 1),
}


@pytest.mark.parametrize("name", BASIS)
def test_the_headline_states_its_basis(loaded: Engine, name: str) -> None:
    accepted, staged, agencies_in, iku_in = BASIS[name]
    for agency, values in accepted.items():
        submit(loaded, agency, "2026-10", values)
    for agency, cells in staged.items():
        stage(loaded, agency, "2026-10", cells)
    if staged:
        validate(loaded, "2026-10", RULES)
    province = compute(loaded, "2026-10")["province"]
    with session_scope(loaded) as session:
        iku = session.scalar(
            select(func.count()).select_from(m.Indicator).where(m.Indicator.is_active)
        )
        agencies = session.scalar(
            select(func.count(func.distinct(m.Indicator.agency_id))).where(m.Indicator.is_active)
        )
    assert (province["n_agencies_included"], province["n_agencies"]) == (agencies_in, agencies)
    assert (province["n_included"], province["n_total"]) == (iku_in, iku)
    assert f"dari {agencies_in} dari {agencies} OPD ({iku_in} dari {iku} IKU)" in province["note"]


# --------------------------------------------------------------------------------------------
# Qualitative targets from the catalog
# --------------------------------------------------------------------------------------------

# IKU, the grade reported, capaian, tercapai
GRADED = {
    "INSPEKTORAT-05": ("WDP", 75.0, False),  # opinion WTP = 4 targeted, WDP = 3 received
    "RSUDAM-06": ("Paripurna", 100.0, True),
    "BIRO_ORGANISASI-05": ("A", 120.0, True),  # SAKIP A (6) against BB (5)
}


def test_qualitative_targets_load_from_the_catalog_and_compute_on_their_scores(
    migrated: Engine, tmp_path: Path
) -> None:
    catalog = qualitative_catalog(tmp_path / "catalog")
    load_catalog(catalog, migrated, RULES)
    with session_scope(migrated) as session:
        stored = {
            code: (text, comparator, lower, upper, scale)
            for code, text, comparator, lower, upper, scale in session.execute(
                select(
                    m.Indicator.code,
                    m.Target.original_text,
                    m.Target.comparator,
                    m.Target.lower,
                    m.Target.upper,
                    m.Indicator.scale,
                )
                .join(m.Indicator, m.Indicator.id == m.Target.indicator_id)
                .where(m.Indicator.scale.is_not(None))
            )
        }
    assert stored == {
        "INSPEKTORAT-05": ("WTP", "ge", 4.0, None, "opini_bpk"),
        "RSUDAM-06": ("Paripurna", "ge", 4.0, None, "akreditasi_rs"),
        "BIRO_ORGANISASI-05": ("BB", "ge", 5.0, None, "predikat_sakip"),
    }

    # The agencies send the grades as words; ingestion stages each as its score.
    context = make_context(migrated, tmp_path)
    try:
        for code, (grade, _, _) in GRADED.items():
            agency = code.rsplit("-", 1)[0]
            line = f"{agency};2026-10;{code};{grade};;https://bukti.example/{code}.pdf;"
            path = put(tmp_path / "inbox" / agency / f"{code}.csv", csv_text(line))
            assert ingest_file(path, context).status == "staged"
    finally:
        context.close()
    validate(migrated, "2026-10", RULES)
    figures = compute(migrated, "2026-10")
    for code, (grade, capaian, met) in GRADED.items():
        row = figures[f"indicator:{code}"]
        scale = RULES.scale(next(q[5] for q in QUALITATIVE if q[0] == code))
        assert row["realisasi"] == scale.score(grade)
        assert row["capaian_raw"] == pytest.approx(capaian), code
        assert row["tercapai"] is met, code
        # The catatan write the grades, never their scores; an annual value is the projection.
        assert row["projection"] == pytest.approx(capaian), code
    assert figures["indicator:INSPEKTORAT-05"]["note"].startswith(
        "Realisasi WDP dibandingkan target WTP: target belum tercapai, capaian 75%."
    )
    assert "perlu 3" not in figures["indicator:INSPEKTORAT-05"]["note"]
    with session_scope(migrated) as session:
        exported = {
            r["indicator_code"]: r
            for r in capaian_rows(session, "2026-10", RULES)
            if r["level"] == "indicator"
        }
    assert {code: exported[code]["realisasi"] for code in GRADED} == {
        code: grade for code, (grade, _, _) in GRADED.items()
    }


def test_a_grade_outside_its_scale_is_refused_by_the_catalog(
    migrated: Engine, tmp_path: Path
) -> None:
    from iku.catalog import CatalogError

    catalog = qualitative_catalog(tmp_path / "catalog")
    targets = catalog / "targets.csv"
    targets.write_text(
        targets.read_text(encoding="utf-8").replace(
            "INSPEKTORAT-05,2026,annual,WTP", "INSPEKTORAT-05,2026,annual,Wajar"
        ),
        encoding="utf-8",
    )
    with pytest.raises(CatalogError, match="tulis salah satu: WTP, WDP, TW, TMP"):
        load_catalog(catalog, migrated, RULES)


@pytest.mark.parametrize(("score", "grade"), [(3.0, "WDP"), (4.0, "WTP")])
def test_a_qualitative_iku_reads_as_its_grade_in_the_bulletin(
    loaded: Engine, tmp_path: Path, score: float, grade: str
) -> None:
    from iku.bulletins.jobs import render_period

    submit(loaded, "INSPEKTORAT", "2026-10", {"INSPEKTORAT-05": score})
    compute(loaded, "2026-10")
    result = render_period(
        "2026-10", loaded, output_dir=tmp_path / "out", rules=RULES, subjects=("INSPEKTORAT",)
    )
    assert result.ok, result.failures
    html = (tmp_path / "out" / "2026-10" / "opd" / "INSPEKTORAT.html").read_text(encoding="utf-8")
    row = html[html.index('<td class="code">INSPEKTORAT-05</td>') :]
    # The realisasi as its grade in the IKU table, the year to date against the target grade
    # (never the score "3" or "4").
    assert f'<td class="num">{grade}</td>' in row[: row.index("</tr>")]
    assert f"S.d. bulan ini:</span> realisasi {grade}, target WTP" in html
