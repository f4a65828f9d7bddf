"""The engine without a database: targets in force, YTD, aggregation, trend and projection."""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import pandas as pd
import pytest

from iku.calendar import Period, PeriodError
from iku.engine import panel as a
from iku.engine.rows import achievement_rows
from iku.engine.store import compute_frames
from iku.rules import Rules, load_rules
from iku.targets.text import parse_target
from tests.conftest import RULES_FILE
from tests.unit.test_capaian import _st_lower, changed

RULES = load_rules(RULES_FILE)
JAN = date(2026, 1, 1)


def ind(
    code: str,
    agency: str = "OPD_A",
    *,
    polarity: str = "positive",
    consolidation: str = "last",
    frequency: str = "monthly",
    weight: float = 1.0,
    sector: str = "ekonomi",
    formula: str | None = None,
    cumulative: bool = False,
) -> dict[str, Any]:
    return {
        "code": code,
        "agency_code": agency,
        "agency_sector": "pemerintahan",
        "sector": sector,
        "polarity": polarity,
        "negative_formula": formula,
        "consolidation": consolidation,
        "frequency": frequency,
        "weight": weight,
        "cumulative": cumulative,
    }


def tgt(
    code: str, text: str, key: str = "annual", version: int = 1, since: date = JAN
) -> dict[str, Any]:
    parsed = parse_target(text)
    return {
        "code": code,
        "period_key": key,
        "version": version,
        "effective_from": since,
        "lower": parsed.lower,
        "upper": parsed.upper,
        "comparator": parsed.comparator,
        "text": text,
    }


def monthly(
    code: str, texts: list[str], version: int = 1, since: date = JAN
) -> list[dict[str, Any]]:
    return [tgt(code, t, f"M{k:02d}", version, since) for k, t in enumerate(texts, start=1)]


def run(
    indicators: list[dict[str, Any]],
    targets: list[dict[str, Any]],
    values: dict[str, dict[int, float | str]],
    month: int,
    rules: Rules = RULES,
    held: dict[str, set[int]] | None = None,
) -> pd.DataFrame:
    """Compute month ``month`` of 2026 and return the achievement rows by subject_key.

    ``held``: per IKU code, the months whose value waits for a steward's verification (what
    :func:`iku.engine.store.load_inputs` reads from the open issues of
    ``aggregation.hold_until_verified``)."""
    frame = pd.DataFrame(indicators)
    frame.insert(0, "indicator_id", range(1, len(frame) + 1))
    agencies = {code: i for i, code in enumerate(sorted(set(frame["agency_code"])), start=1)}
    frame["agency_id"] = frame["agency_code"].map(agencies)
    ids = dict(zip(frame["code"], frame["indicator_id"], strict=True))
    target_frame = pd.DataFrame(targets)
    target_frame.insert(0, "target_id", range(1, len(target_frame) + 1))
    target_frame["indicator_id"] = target_frame.pop("code").map(ids)
    records = []
    for code, series in values.items():
        for m, v in series.items():
            hold = int(m in (held or {}).get(code, set()))
            if isinstance(v, str):
                records.append(
                    {"indicator_id": ids[code], "month": m, "value": None, "state": v, "held": hold}
                )
            else:
                records.append(
                    {
                        "indicator_id": ids[code],
                        "month": m,
                        "value": v,
                        "state": "angka",
                        "held": hold,
                    }
                )
    realisations = pd.DataFrame(records, columns=list(a.REALISATION_COLUMNS))
    panel, result = compute_frames(
        frame.loc[:, list(a.INDICATOR_COLUMNS)],
        target_frame,
        realisations,
        Period(2026, month),
        rules,
    )
    rows = achievement_rows(panel, result, rules, cycle_id=1, period=f"2026-{month:02d}")
    return pd.DataFrame(rows).set_index("subject_key")


def approx(value: Any, expected: float | None) -> bool:
    if expected is None:
        return value is None or (isinstance(value, float) and math.isnan(value))
    return value == pytest.approx(expected)


TWELVE_ZEROS = ["0"] * 12

# name: (indicator, targets, values, month, ytd realisasi, ytd target, ytd capaian)
YTD_CASES: dict[str, tuple[Any, ...]] = {
    "sum, pro-rated annual": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "1.200")],
        {1: 100.0, 2: 100.0, 3: 100.0},
        3,
        300.0,
        300.0,
        100.0,
    ),
    "sum, monthly breakdown": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "600"), *monthly("X-01", ["100", "200", "300", *TWELVE_ZEROS[3:]])],
        {1: 100.0, 2: 100.0},
        2,
        200.0,
        300.0,
        200 / 300 * 100,
    ),
    "sum, quarterly breakdown, mid-quarter": (
        ind("X-01", consolidation="sum", frequency="quarterly"),
        [
            tgt("X-01", "1.000"),
            tgt("X-01", "200", "Q1"),
            tgt("X-01", "300", "Q2"),
            tgt("X-01", "300", "Q3"),
            tgt("X-01", "200", "Q4"),
        ],
        {3: 250.0, 6: 300.0},
        5,
        250.0,
        200.0,
        125.0,
    ),
    "sum, quarterly breakdown, after two quarters": (
        ind("X-01", consolidation="sum", frequency="quarterly"),
        [
            tgt("X-01", "1.000"),
            tgt("X-01", "200", "Q1"),
            tgt("X-01", "300", "Q2"),
            tgt("X-01", "300", "Q3"),
            tgt("X-01", "200", "Q4"),
        ],
        {3: 250.0, 6: 300.0},
        7,
        550.0,
        500.0,
        110.0,
    ),
    "sum, quarterly, annual x quarters/4": (
        ind("X-01", consolidation="sum", frequency="quarterly"),
        [tgt("X-01", "1.200")],
        {3: 300.0},
        4,
        300.0,
        300.0,
        100.0,
    ),
    "sum, quarterly value sent in a non-reporting month is ignored": (
        ind("X-01", consolidation="sum", frequency="quarterly"),
        [tgt("X-01", "1.200")],
        {2: 999.0, 3: 300.0},
        3,
        300.0,
        300.0,
        100.0,
    ),
    "average vs the annual maximum": (
        ind("X-01", polarity="negative", consolidation="average"),
        [tgt("X-01", "<= 60 menit")],
        {1: 50.0, 2: 70.0, 3: 60.0},
        3,
        60.0,
        60.0,
        100.0,
    ),
    "last: the latest reported value": (
        ind("X-01"),
        [tgt("X-01", "90")],
        {1: 80.0, 2: 85.0, 3: 86.0},
        3,
        86.0,
        90.0,
        86 / 90 * 100,
    ),
    "last: a value older than the latest due month counts as missing": (
        ind("X-01"),
        [tgt("X-01", "90")],
        {1: 80.0, 2: 85.0, 3: "belum_tersedia"},
        3,
        None,
        None,
        None,
    ),
    "annual IKU: the value of whichever month it came": (
        ind("X-01", frequency="annual"),
        [tgt("X-01", "73,4")],
        {3: 73.4},
        5,
        73.4,
        73.4,
        100.0,
    ),
    "annual IKU before its release": (
        ind("X-01", frequency="annual"),
        [tgt("X-01", "73,4")],
        {3: 73.4},
        2,
        None,
        None,
        None,
    ),
    "semester IKU in the month after its report": (
        ind("X-01", frequency="semester"),
        [tgt("X-01", "75")],
        {6: 78.0},
        7,
        78.0,
        75.0,
        104.0,
    ),
    "negative range, year to date below the range": (
        ind("X-01", polarity="negative", frequency="semester"),
        [tgt("X-01", "11,9 - 12,4")],
        {6: 11.44},
        6,
        11.44,
        11.9,
        (2 * 11.9 - 11.44) / 11.9 * 100,
    ),
}


@pytest.mark.parametrize("name", YTD_CASES)
def test_year_to_date(name: str) -> None:
    indicator, targets, values, month, r, t, c = YTD_CASES[name]
    row = run([indicator], targets, {"X-01": values}, month).loc["indicator:X-01"]
    assert approx(row["ytd_realisasi"], r), row["note"]
    assert approx(row["ytd_target"], t), row["note"]
    assert approx(row["ytd_capaian"], c), row["note"]


# name: (indicator, targets, month, target_lower, target text recorded, flags subset, words)
PERIOD_TARGET_CASES: dict[str, tuple[Any, ...]] = {
    "sum, no breakdown: annual / 12": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "1.200")],
        4,
        100.0,
        "1.200",
        {"prorated_target"},
        "bagian 1/12 dari target tahunan 1.200",
    ),
    "sum, monthly breakdown: the month's row": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "600"), *monthly("X-01", ["100", "200", "300", *TWELVE_ZEROS[3:]])],
        2,
        200.0,
        "200",
        set(),
        "dibandingkan target",
    ),
    "sum, quarterly breakdown: the quarter's row": (
        ind("X-01", consolidation="sum", frequency="quarterly"),
        [tgt("X-01", "1.000"), tgt("X-01", "200", "Q1"), tgt("X-01", "800", "Q2")],
        6,
        800.0,
        "800",
        set(),
        "dibandingkan target",
    ),
    "sum, semester without breakdown: annual x 6/12": (
        ind("X-01", consolidation="sum", frequency="semester"),
        [tgt("X-01", "1.000")],
        6,
        500.0,
        "1.000",
        {"prorated_target"},
        "bagian 6/12 dari target tahunan 1.000",
    ),
    "last with a monthly breakdown: the month's row": (
        ind("X-01"),
        [tgt("X-01", "90"), *monthly("X-01", [str(80 + k) for k in range(12)])],
        3,
        82.0,
        "82",
        set(),
        "dibandingkan target",
    ),
    "last without breakdown: the annual target": (
        ind("X-01"),
        [tgt("X-01", "90")],
        3,
        90.0,
        "90",
        set(),
        "dibandingkan target",
    ),
}


@pytest.mark.parametrize("name", PERIOD_TARGET_CASES)
def test_target_of_the_month(name: str) -> None:
    indicator, targets, month, lower, text, flags, words = PERIOD_TARGET_CASES[name]
    row = run([indicator], targets, {"X-01": {month: lower}}, month).loc["indicator:X-01"]
    assert row["target_lower"] == pytest.approx(lower)
    assert row["target_text"] == text
    assert row["capaian_raw"] == pytest.approx(100.0)
    assert flags <= set(row["flags"])
    assert words in row["note"]


def test_zero_monthly_target_with_zero_realisasi_is_the_policy_value() -> None:
    row = run(
        [ind("X-01", consolidation="sum")],
        [tgt("X-01", "600"), *monthly("X-01", TWELVE_ZEROS)],
        {"X-01": {1: 0.0}},
        1,
    ).loc["indicator:X-01"]
    assert row["capaian_raw"] == 100.0
    assert "Target dan realisasi sama-sama 0" in row["note"]


# --------------------------------------------------------------------------------------------
# Perubahan PK: the version in force
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("since", "month", "version", "text"),
    [
        (date(2026, 7, 1), 6, 1, "850"),
        (date(2026, 7, 1), 7, 2, "812,5"),
        (date(2026, 7, 15), 6, 1, "850"),
        (date(2026, 7, 15), 7, 2, "812,5"),  # in force on the last day of July
        (date(2026, 8, 1), 7, 1, "850"),
        (date(2027, 1, 1), 12, 1, "850"),  # next year's revision is not in force
    ],
)
def test_target_version_in_force(since: date, month: int, version: int, text: str) -> None:
    row = run(
        [ind("X-01", consolidation="sum")],
        [tgt("X-01", "850"), tgt("X-01", "812,5", version=2, since=since)],
        {"X-01": {month: 70.0}},
        month,
    ).loc["indicator:X-01"]
    assert row["target_version"] == version
    assert row["target_text"] == text


def test_revised_annual_without_breakdown_is_prorated_not_mixed_with_old_breakdown() -> None:
    targets = [
        tgt("X-01", "1.200"),
        *monthly("X-01", ["100"] * 12),
        tgt("X-01", "600", version=2, since=date(2026, 7, 1)),
    ]
    june = run([ind("X-01", consolidation="sum")], targets, {"X-01": {6: 100.0}}, 6)
    july = run([ind("X-01", consolidation="sum")], targets, {"X-01": {7: 50.0}}, 7)
    assert june.loc["indicator:X-01", "target_text"] == "100"  # v1's June row
    assert july.loc["indicator:X-01", "target_version"] == 2
    assert july.loc["indicator:X-01", "target_lower"] == pytest.approx(50.0)  # 600 / 12
    # Only July was reported: the year to date is July's value against July's target (missing
    # months are never zero), 50 / 50.
    assert july.loc["indicator:X-01", "ytd_target"] == pytest.approx(50.0)
    assert july.loc["indicator:X-01", "ytd_months_reported"] == 1
    assert july.loc["indicator:X-01", "ytd_months_expected"] == 7


# --------------------------------------------------------------------------------------------
# Frequency: missing is only what was expected
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("frequency", "month", "values", "missing", "state"),
    [
        ("monthly", 2, {1: 90.0}, True, "tidak_dilaporkan"),
        ("monthly", 2, {2: "belum_tersedia"}, True, "belum_tersedia"),
        ("monthly", 2, {2: 90.0}, False, "angka"),
        ("quarterly", 2, {}, False, "tidak_dijadwalkan"),
        ("quarterly", 3, {}, True, "tidak_dilaporkan"),
        ("semester", 5, {}, False, "tidak_dijadwalkan"),
        ("semester", 6, {}, True, "tidak_dilaporkan"),
        ("annual", 12, {}, False, "tidak_dijadwalkan"),
    ],
)
def test_missing_only_when_a_value_is_due(
    frequency: str, month: int, values: dict[int, Any], missing: bool, state: str
) -> None:
    rows = run([ind("X-01", frequency=frequency)], [tgt("X-01", "90")], {"X-01": values}, month)
    row = rows.loc["indicator:X-01"]
    assert ("missing" in row["flags"]) is missing
    assert row["realisasi_state"] == state
    assert rows.loc["agency:OPD_A", "n_missing"] == int(missing)


# --------------------------------------------------------------------------------------------
# Aggregation, trend, projection: each policy from the rules file
# --------------------------------------------------------------------------------------------

TWO_AGENCIES = (
    [
        ind("A-01", "OPD_A", weight=1.0, sector="ekonomi"),
        ind("A-02", "OPD_A", weight=3.0, sector="sosial"),
        ind("B-01", "OPD_B", weight=1.0, sector="ekonomi"),
        ind("B-02", "OPD_B", weight=1.0, sector="ekonomi"),
    ],
    [tgt("A-01", "100"), tgt("A-02", "100"), tgt("B-01", "100"), tgt("B-02", "100")],
    {"A-01": {1: 80.0}, "A-02": {1: 100.0}, "B-01": {1: 60.0}},
)


@pytest.mark.parametrize(
    ("key", "value", "subject", "before", "after"),
    [
        # OPD_A: 80 (weight 1) and 100 (weight 3)
        ("aggregation.agency_method", "weighted", "agency:OPD_A", 90.0, 95.0),
        # agencies 90 (IKU weights 1 + 3) and 60 (weight 1): one vote each, or by IKU weight
        ("aggregation.province_method", "weighted", "province", 75.0, 84.0),
    ],
)
def test_aggregation_policies(
    key: str, value: str, subject: str, before: float, after: float
) -> None:
    indicators, targets, values = TWO_AGENCIES
    default = run(indicators, targets, values, 1)
    assert default.loc[subject, "capaian_scored"] == pytest.approx(before)
    policy = run(indicators, targets, values, 1, changed(key, value))
    assert policy.loc[subject, "capaian_scored"] == pytest.approx(after)


def test_weighted_sector_uses_indicator_weights() -> None:
    indicators = [ind("A-01", weight=1.0), ind("A-02", weight=3.0)]
    targets = [tgt("A-01", "100"), tgt("A-02", "100")]
    values = {"A-01": {1: 80.0}, "A-02": {1: 100.0}}
    assert run(indicators, targets, values, 1).loc["sector:ekonomi", "capaian_scored"] == 90.0
    weighted = run(indicators, targets, values, 1, changed("aggregation.sector_method", "weighted"))
    assert weighted.loc["sector:ekonomi", "capaian_scored"] == pytest.approx(95.0)


def test_counts_of_included_and_missing_iku() -> None:
    indicators, targets, values = TWO_AGENCIES
    rows = run(indicators, targets, values, 1)
    assert rows.loc["agency:OPD_B", ["n_included", "n_missing"]].tolist() == [1, 1]
    assert rows.loc["province", ["n_included", "n_missing"]].tolist() == [3, 1]
    assert rows.loc["agency:OPD_B", "predikat"] == "R"  # 60 -> Rendah
    assert rows.loc["province", "predikat"] == "S"  # 75 -> Sedang


def test_agency_figure_uses_ytd_capaian_of_quarterly_iku_between_reports() -> None:
    indicators = [ind("A-01"), ind("A-02", frequency="quarterly")]
    targets = [tgt("A-01", "100"), tgt("A-02", "100")]
    rows = run(indicators, targets, {"A-01": {4: 80.0}, "A-02": {3: 100.0}}, 4)
    assert approx(rows.loc["indicator:A-02", "capaian_raw"], None)  # nothing due in April
    assert rows.loc["agency:OPD_A", "capaian_scored"] == pytest.approx(90.0)
    assert rows.loc["agency:OPD_A", "n_missing"] == 0


def test_trend_is_the_change_since_last_month_and_none_in_january() -> None:
    indicators = [ind("A-01")]
    targets = [tgt("A-01", "100")]
    values = {"A-01": {1: 80.0, 2: 90.0}}
    january = run(indicators, targets, values, 1)
    february = run(indicators, targets, values, 2)
    for key in ("indicator:A-01", "agency:OPD_A", "sector:ekonomi", "province"):
        assert january.loc[key, "trend_delta"] is None
        assert february.loc[key, "trend_delta"] == pytest.approx(10.0)


# name: (indicator, targets, values, month, projection)
PROJECTIONS: dict[str, tuple[Any, ...]] = {
    "sum: linear path to December": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "1.200")],
        {1: 120.0, 2: 120.0, 3: 120.0},
        3,
        120.0,
    ),
    "sum: along a seasonal breakdown": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "1.800"), *monthly("X-01", ["300", "300", "300", *["100"] * 9])],
        {1: 300.0, 2: 300.0, 3: 300.0},
        3,
        100.0,
    ),
    "last: least-squares line at December": (
        ind("X-01"),
        [tgt("X-01", "100")],
        {1: 80.0, 2: 85.0, 3: 90.0},
        3,
        135.0,
    ),
    "average: reported mean and the line for the remaining months": (
        ind("X-01", consolidation="average"),
        [tgt("X-01", "100")],
        {1: 50.0, 2: 60.0, 3: 70.0},
        3,
        105.0,
    ),
    "too few reported months": (
        ind("X-01"),
        [tgt("X-01", "100")],
        {1: 80.0, 2: 85.0},
        3,
        None,
    ),
    # One value a year: once released it is the year-end value (min_months does not apply).
    "annual IKU: its reported value": (
        ind("X-01", frequency="annual"),
        [tgt("X-01", "73,4")],
        {3: 70.0},
        5,
        70 / 73.4 * 100,
    ),
}


@pytest.mark.parametrize("name", PROJECTIONS)
def test_projection(name: str) -> None:
    indicator, targets, values, month, expected = PROJECTIONS[name]
    row = run([indicator], targets, {"X-01": values}, month).loc["indicator:X-01"]
    assert approx(row["projection"], expected), row["note"]
    assert "akhir tahun" in row["note"]


def test_min_months_policy() -> None:
    args = ([ind("X-01")], [tgt("X-01", "100")], {"X-01": {1: 80.0, 2: 85.0}}, 2)
    assert run(*args).loc["indicator:X-01", "projection"] is None
    two = run(*args, changed("projection.min_months", 2)).loc["indicator:X-01"]
    assert two["projection"] == pytest.approx(80 + 5 * 11)


def test_at_risk_band_policy() -> None:
    args = ([ind("X-01")], [tgt("X-01", "100")], {"X-01": {1: 70.0, 2: 70.0, 3: 70.0}}, 3)
    flat = run(*args)
    assert flat.loc["indicator:X-01", "projection"] == pytest.approx(70.0)
    assert flat.loc["indicator:X-01", "is_at_risk"]  # below Tinggi (76)
    assert flat.loc["agency:OPD_A", "is_at_risk"]
    lenient = run(*args, changed("projection.at_risk_below_band", "S"))  # below Sedang (66)
    assert not lenient.loc["indicator:X-01", "is_at_risk"]
    stricter = run(*args, changed("predikat.bands", _st_lower(95)))
    assert stricter.loc["indicator:X-01", "is_at_risk"]


def test_rows_have_one_shape_and_are_deterministic() -> None:
    indicators, targets, values = TWO_AGENCIES
    first = run(indicators, targets, values, 1)
    second = run(indicators, targets, values, 1)
    pd.testing.assert_frame_equal(first, second)
    assert list(first.index) == [
        "indicator:A-01",
        "indicator:A-02",
        "indicator:B-01",
        "indicator:B-02",
        "agency:OPD_A",
        "agency:OPD_B",
        "sector:ekonomi",
        "sector:sosial",
        "province",
    ]


def test_an_indicator_without_target_says_so() -> None:
    indicators = [ind("X-01", consolidation="sum"), ind("Y-01")]
    rows = run(indicators, [tgt("Y-01", "10")], {"X-01": {1: 5.0}}, 1)
    row = rows.loc["indicator:X-01"]
    assert approx(row["capaian_raw"], None) and "no_target" in row["flags"]
    assert "Belum ada target yang berlaku" in row["note"]
    assert "bagian" not in row["note"] and "prorated_target" not in row["flags"]


def test_period_parsing() -> None:
    assert str(Period.parse("2026-07")) == "2026-07"
    assert Period(2026, 2).last_day == date(2026, 2, 28)
    for bad in ("2026-13", "2026-7", "Juli 2026", ""):
        with pytest.raises(PeriodError):
            Period.parse(bad)


# --------------------------------------------------------------------------------------------
# Issue 13 ("Why"): figures leaders can trust on the data agencies really send
# --------------------------------------------------------------------------------------------

DISDIKBUD_05_PLAN = ["0", "150", "250", "200", "250", "150", "250", "300", "300", "300", "250", "0"]

# Missing months are never zero: the year to date rests on the months reported, against the
# targets of those same months, and says how many of the due months it rests on.
# name: (indicator, targets, values, month, ytd realisasi, ytd target, ytd capaian,
#        months reported, months expected, complete)
MISSING_MONTH_CASES: dict[str, tuple[Any, ...]] = {
    # Maternal deaths (DINKES-04, negative sum, annual 95), first report in October: with the
    # missing months as zeros the target to date was 95 x 10/12 = 79,17 and 9 deaths read
    # 188,63%. October's own target is 95/12.
    "negative sum starting in October": (
        ind("X-01", polarity="negative", consolidation="sum"),
        [tgt("X-01", "95")],
        {10: 9.0},
        10,
        9.0,
        95 / 12,
        (2 * 95 / 12 - 9) / (95 / 12) * 100,
        1,
        10,
        False,
    ),
    # Teacher training (DISDIKBUD-05, PK breakdown summing to 2.150 by October): 300 trained in
    # October read 300 / 2.150 = 13,95%; October's own planned 300 is what it is compared with.
    "sum with a breakdown starting in October": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "2.400"), *monthly("X-01", DISDIKBUD_05_PLAN)],
        {10: 300.0},
        10,
        300.0,
        300.0,
        100.0,
        1,
        10,
        False,
    ),
    # A gap in the middle: February's target leaves the year to date with February.
    "sum with a month missing in between": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "1.200")],
        {1: 100.0, 3: 100.0, 4: 100.0},
        4,
        300.0,
        300.0,
        100.0,
        3,
        4,
        True,  # 3 of 4 = 0,75: exactly the threshold
    ),
    "sum with half the months: incomplete": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "1.200")],
        {3: 100.0, 4: 100.0},
        4,
        200.0,
        200.0,
        100.0,
        2,
        4,
        False,
    ),
    # "belum tersedia" is a state, not a number: it adds nothing on either side.
    "sum with a month not yet available": (
        ind("X-01", consolidation="sum"),
        [tgt("X-01", "1.200")],
        {1: 100.0, 2: "belum_tersedia", 3: 100.0},
        3,
        200.0,
        200.0,
        100.0,
        2,
        3,
        False,
    ),
    "average over the reported months only": (
        ind("X-01", consolidation="average"),
        [tgt("X-01", "100")],
        {1: 50.0, 3: 70.0},
        3,
        60.0,
        100.0,
        60.0,
        2,
        3,
        False,
    ),
    "quarterly sum: quarters, not months": (
        ind("X-01", consolidation="sum", frequency="quarterly"),
        [tgt("X-01", "1.200")],
        {6: 300.0, 9: 300.0},
        10,
        600.0,
        600.0,
        100.0,
        2,
        3,
        False,
    ),
    "annual IKU: one value, one expected": (
        ind("X-01", frequency="annual"),
        [tgt("X-01", "73,4")],
        {3: 73.4},
        10,
        73.4,
        73.4,
        100.0,
        1,
        1,
        True,
    ),
}


@pytest.mark.parametrize("name", MISSING_MONTH_CASES)
def test_missing_months_are_not_zero(name: str) -> None:
    indicator, targets, values, month, r, t, c, reported, expected, complete = MISSING_MONTH_CASES[
        name
    ]
    row = run([indicator], targets, {"X-01": values}, month).loc["indicator:X-01"]
    assert approx(row["ytd_realisasi"], r), row["note"]
    assert approx(row["ytd_target"], t), row["note"]
    assert approx(row["ytd_capaian"], c), row["note"]
    assert (row["ytd_months_reported"], row["ytd_months_expected"]) == (reported, expected)
    assert row["ytd_complete"] is complete
    assert ("ytd_incomplete" in row["flags"]) is not complete


def test_the_completeness_threshold_is_the_rules_file_s() -> None:
    args = (
        [ind("X-01", consolidation="sum")],
        [tgt("X-01", "1.200")],
        {"X-01": {3: 100.0, 4: 100.0}},
        4,
    )
    assert run(*args).loc["indicator:X-01", "ytd_complete"] is False  # 2 of 4 < 0,75
    lenient = run(*args, changed("year_to_date.min_completeness", 0.5))
    assert lenient.loc["indicator:X-01", "ytd_complete"] is True
    assert "ytd_incomplete" not in lenient.loc["indicator:X-01", "flags"]


def test_an_incomplete_year_to_date_says_so_in_words() -> None:
    note = run(
        [ind("X-01", polarity="negative", consolidation="sum")],
        [tgt("X-01", "95")],
        {"X-01": {10: 9.0}},
        10,
    ).loc["indicator:X-01", "note"]
    assert "untuk 1 dari 10 bulan yang wajib dilaporkan, belum lengkap" in note
    assert "188" not in note


# Cumulative coverage against the target line to date (PWS monitoring), the year-end
# comparison beside it; the policy `year_to_date.cumulative_target: annual` compares with the
# year-end target only.
# name: (policy, indicator, targets, values, month, capaian, predikat, year-end capaian)
CUMULATIVE_CASES: dict[str, tuple[Any, ...]] = {
    # Immunisation (DINKES-02, target 95) exactly on plan in March: 95 x 3/12 = 23,75.
    "on plan in March, against the line to date": (
        "to_date",
        ind("X-01", cumulative=True),
        [tgt("X-01", "95")],
        {3: 23.75},
        3,
        100.0,
        "ST",
        25.0,
    ),
    "the same value, against the year-end target (policy annual)": (
        "annual",
        ind("X-01", cumulative=True),
        [tgt("X-01", "95")],
        {3: 23.75},
        3,
        25.0,
        "SR",
        None,
    ),
    "a PK breakdown gives the line": (
        "to_date",
        ind("X-01", cumulative=True),
        [tgt("X-01", "95"), *monthly("X-01", ["10", "20", "40", *["95"] * 9])],
        {3: 40.0},
        3,
        100.0,
        "ST",
        40 / 95 * 100,
    ),
    # Incidence counted since January (DINKES-01, "< 49", negative): the line is 49 x 6/12.
    "negative incidence below the line in June": (
        "to_date",
        ind("X-01", polarity="negative", cumulative=True),
        [tgt("X-01", "< 49")],
        {6: 20.0},
        6,
        (2 * 24.5 - 20) / 24.5 * 100,
        "ST",
        (2 * 49 - 20) / 49 * 100,
    ),
    # Not cumulative: a rate is compared with the year's target every month.
    "a rate that is not cumulative": (
        "to_date",
        ind("X-01"),
        [tgt("X-01", "95")],
        {3: 23.75},
        3,
        25.0,
        "SR",
        None,
    ),
}


@pytest.mark.parametrize("name", CUMULATIVE_CASES)
def test_cumulative_coverage_against_the_target_line(name: str) -> None:
    policy, indicator, targets, values, month, capaian, band, year_end = CUMULATIVE_CASES[name]
    rules = changed("year_to_date.cumulative_target", policy)
    row = run([indicator], targets, {"X-01": values}, month, rules).loc["indicator:X-01"]
    assert approx(row["capaian_raw"], capaian), row["note"]
    assert row["predikat"] == band
    assert approx(row["ytd_capaian"], capaian), row["note"]
    assert approx(row["year_end_capaian"], year_end), row["note"]
    assert ("target_to_date" in row["flags"]) is (year_end is not None)


def test_the_line_to_date_is_named_in_the_catatan() -> None:
    note = run([ind("X-01", cumulative=True)], [tgt("X-01", "95")], {"X-01": {3: 23.75}}, 3).loc[
        "indicator:X-01", "note"
    ]
    assert "Dibandingkan target s.d. bulan ini 23,75: capaian 100%" in note
    assert "terhadap target akhir tahun 25%" in note


# One bad value does not carry the headline: in agency, sector and province figures an IKU
# counts at most `aggregation.cap`, and not at all while its value waits for verification.
CAP_INDICATORS = [ind("A-01"), ind("A-02")]
CAP_TARGETS = [tgt("A-01", "100"), tgt("A-02", "100")]


# name: (values, held months, policy changes, A-01 in_aggregate, A-01 flags, agency figure,
#        agency n_included, agency n_held)
AGGREGATE_CASES: dict[str, tuple[Any, ...]] = {
    "a verified extreme value counts at the cap": (
        {"A-01": {1: 300.0}, "A-02": {1: 90.0}},
        {},
        {},
        True,
        {"capped_in_aggregate"},
        (150 + 90) / 2,
        2,
        0,
    ),
    "without the cap (policy null) it would carry the figure": (
        {"A-01": {1: 300.0}, "A-02": {1: 90.0}},
        {},
        {"aggregation.cap": None},
        True,
        set(),
        (300 + 90) / 2,
        2,
        0,
    ),
    "a lower cap (policy 120)": (
        {"A-01": {1: 300.0}, "A-02": {1: 90.0}},
        {},
        {"aggregation.cap": 120},
        True,
        {"capped_in_aggregate"},
        (120 + 90) / 2,
        2,
        0,
    ),
    "a value awaiting verification stays out": (
        {"A-01": {1: 1190.48}, "A-02": {1: 90.0}},
        {"A-01": {1}},
        {},
        False,
        {"awaiting_verification"},
        90.0,
        1,
        1,
    ),
    "a value under the cap counts as it is": (
        {"A-01": {1: 120.0}, "A-02": {1: 90.0}},
        {},
        {},
        True,
        set(),
        (120 + 90) / 2,
        2,
        0,
    ),
}


@pytest.mark.parametrize("name", AGGREGATE_CASES)
def test_one_bad_value_does_not_dominate(name: str) -> None:
    values, held, policy, counted, flags, figure, included, n_held = AGGREGATE_CASES[name]
    rules = RULES
    for key, value in policy.items():
        rules = changed(key, value)
    rows = run(CAP_INDICATORS, CAP_TARGETS, values, 1, rules, held=held)
    iku = rows.loc["indicator:A-01"]
    raw = values["A-01"][1]
    assert iku["capaian_raw"] == pytest.approx(raw)  # the IKU's own capaian is kept as it is
    assert iku["ytd_capaian"] == pytest.approx(raw)
    assert iku["in_aggregate"] is counted
    assert bool(iku["awaiting_verification"]) is (not counted)
    assert flags <= set(iku["flags"])
    assert not ({"capped_in_aggregate", "awaiting_verification"} - flags) & set(iku["flags"])
    for subject in ("agency:OPD_A", "sector:ekonomi", "province"):
        assert rows.loc[subject, "capaian_scored"] == pytest.approx(figure), subject
        assert rows.loc[subject, "n_included"] == included, subject
        assert rows.loc[subject, "n_held"] == n_held, subject


def test_a_held_sum_month_holds_the_year_to_date_and_a_later_last_value_does_not() -> None:
    indicators = [ind("S-01", consolidation="sum"), ind("L-01")]
    targets = [tgt("S-01", "1.200"), tgt("L-01", "100")]
    values = {"S-01": {1: 100.0, 2: 900.0, 3: 100.0}, "L-01": {1: 90.0, 2: 500.0, 3: 95.0}}
    rows = run(indicators, targets, values, 3, held={"S-01": {2}, "L-01": {2}})
    # February's held value is part of the sum to date: the whole year to date waits.
    assert rows.loc["indicator:S-01", "in_aggregate"] is False
    # A `last` IKU's year to date is March's value: February's doubt no longer matters.
    assert rows.loc["indicator:L-01", "in_aggregate"] is True
    assert rows.loc["agency:OPD_A", "capaian_scored"] == pytest.approx(95.0)
    assert "Menunggu verifikasi" in rows.loc["indicator:S-01", "note"]


# Stale values are dated: a `last` value carries the month it comes from; a value older than
# the latest due month is overdue and counts as missing.
# name: (indicator, values, month, realisasi_period, overdue, ytd realisasi, in_aggregate)
STALE_CASES: dict[str, tuple[Any, ...]] = {
    # Quarterly growth (PEMPROV-04) reported for June, shown in August: June's value, dated.
    "quarterly value between reports": (
        ind("X-01", frequency="quarterly"),
        {6: 5.0},
        8,
        "2026-06",
        False,
        5.0,
        True,
    ),
    # ... shown in October, after September was due and did not come: overdue.
    "quarterly value after the next report was due": (
        ind("X-01", frequency="quarterly"),
        {6: 5.0},
        10,
        "2026-06",
        True,
        None,
        False,
    ),
    "quarterly value of the latest quarter": (
        ind("X-01", frequency="quarterly"),
        {6: 5.0, 9: 5.2},
        10,
        "2026-09",
        False,
        5.2,
        True,
    ),
    "monthly value of an earlier month": (
        ind("X-01"),
        {1: 5.0, 2: 5.1},
        4,
        "2026-02",
        True,
        None,
        False,
    ),
    "annual value released in March, shown in October": (
        ind("X-01", frequency="annual"),
        {3: 5.0},
        10,
        "2026-03",
        False,
        5.0,
        True,
    ),
    "nothing reported yet": (
        ind("X-01", frequency="quarterly"),
        {},
        2,
        None,
        False,
        None,
        False,
    ),
}


@pytest.mark.parametrize("name", STALE_CASES)
def test_stale_values_are_dated(name: str) -> None:
    indicator, values, month, period, overdue, ytd, counted = STALE_CASES[name]
    rows = run([indicator], [tgt("X-01", "5,1")], {"X-01": values}, month)
    row = rows.loc["indicator:X-01"]
    assert row["realisasi_period"] == period
    assert ("overdue" in row["flags"]) is overdue
    assert approx(row["ytd_realisasi"], ytd), row["note"]
    assert row["in_aggregate"] is counted
    assert rows.loc["agency:OPD_A", "n_included"] == int(counted)


def test_an_overdue_value_says_where_it_comes_from() -> None:
    note = run(
        [ind("X-01", frequency="quarterly")], [tgt("X-01", "5,1")], {"X-01": {6: 5.0}}, 10
    ).loc["indicator:X-01", "note"]
    assert "Angka terakhir, 5 dari Juni 2026, sudah lewat jadwal" in note


# A missed target is not green: tercapai says whether the realisasi met the target as
# written, beside the predikat band (formulas: tests/unit/test_capaian.py TARGET_MET).
def test_tercapai_beside_the_predikat_of_each_row() -> None:
    rows = run(
        [ind("X-01", polarity="negative"), ind("X-02", polarity="negative"), ind("X-03")],
        [tgt("X-01", "< 49"), tgt("X-02", "< 49"), tgt("X-03", "90")],
        {"X-01": {12: 51.14}, "X-02": {12: 49.0}, "X-03": {12: 91.0}},
        12,
    )
    dbd = rows.loc["indicator:X-01"]
    assert round(dbd["capaian_raw"], 2) == 95.63 and dbd["predikat"] == "ST"
    assert dbd["tercapai"] is False and dbd["ytd_tercapai"] is False
    assert "target belum tercapai" in dbd["note"]
    exactly = rows.loc["indicator:X-02"]
    assert exactly["capaian_raw"] == pytest.approx(100.0) and exactly["tercapai"] is False
    assert rows.loc["indicator:X-03", "tercapai"] is True
    assert rows.loc["agency:OPD_A", "tercapai"] is None  # an aggregate has no target


# The headline states its basis: how many agencies and IKU the province figure rests on.
def test_the_province_row_states_its_basis() -> None:
    indicators, targets, values = TWO_AGENCIES
    rows = run(
        [*indicators, ind("C-01", "OPD_C"), ind("C-02", "OPD_C")],
        [*targets, tgt("C-01", "100"), tgt("C-02", "100")],
        values,
        1,
    )
    province = rows.loc["province"]
    assert (province["n_agencies_included"], province["n_agencies"]) == (2, 3)
    assert (province["n_included"], province["n_total"]) == (3, 6)
    assert province["capaian_scored"] == pytest.approx(75.0)  # OPD_C is not a zero either
    assert "dari 2 dari 3 OPD (3 dari 6 IKU)" in province["note"]
    agency = rows.loc["agency:OPD_B"]
    assert (agency["n_included"], agency["n_total"]) == (1, 2)
    assert approx(agency["n_agencies"], None)  # only the province counts agencies
