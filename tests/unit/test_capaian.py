"""Capaian formulas, scoring, predikat and catatan: published cases, edge cases, properties."""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from iku import capaian as cp
from iku.rules import Rules, load_rules, parse_rules
from iku.targets.text import parse_target
from tests.conftest import RULES_FILE

RULES = load_rules(RULES_FILE)
STATE_CODES = {
    "angka": cp.STATE_NUMBER,
    "belum_tersedia": cp.STATE_NOT_AVAILABLE,
    "tidak_dilaporkan": cp.STATE_NOT_REPORTED,
}


def one(
    polarity: str,
    target: str,
    realisasi: float | None,
    formula: str | None = None,
    rules: Rules = RULES,
    state: str = "angka",
) -> cp.Scored:
    """Evaluate a single row written the way people write it."""
    parsed = parse_target(target)
    return cp.evaluate(
        [np.nan if realisasi is None else realisasi],
        [np.nan if parsed.lower is None else parsed.lower],
        [np.nan if parsed.upper is None else parsed.upper],
        cp.encode([parsed.comparator], cp.COMPARATORS),
        cp.encode([polarity], cp.POLARITIES),
        cp.encode([formula], cp.NEGATIVE_FORMULAS),
        rules,
        [STATE_CODES[state]],
    )


# Each case: polarity, target text, realisasi, formula, expected capaian (2 decimals), words the
# catatan must contain, and the source of the expectation.
PUBLISHED = [
    ("negative", "7", 6.5, None, 107.14, "rumus 2T-R", "PermenPANRB 8/2021, kondisi khusus"),
    ("negative", "8", 9.0, None, 87.50, "rumus 2T-R", "PermenPANRB 8/2021, kondisi khusus"),
    ("positive", "80-90", 92.0, None, 102.22, "batas atas rentang dipakai", "PermenPANRB 8/2021"),
    ("positive", "80-90", 70.0, None, 87.50, "batas bawah rentang dipakai", "PermenPANRB 8/2021"),
    ("negative", "49", 56.23, None, 85.24, "rumus 2T-R", "LKj Lampung 2016, DBD"),
    ("negative", "<49", 56.23, None, 85.24, "batasnya dipakai", "LKj Lampung DBD as a text target"),
    ("negative", "11,9 - 12,4", 11.44, None, 103.87, "batas bawah rentang", "poverty 11,9-12,4"),
]


@pytest.mark.parametrize(
    ("polarity", "target", "realisasi", "formula", "expected", "words", "source"), PUBLISHED
)
def test_published_cases(
    polarity: str,
    target: str,
    realisasi: float,
    formula: str | None,
    expected: float,
    words: str,
    source: str,
) -> None:
    result = one(polarity, target, realisasi, formula)
    assert round(float(result.raw[0]), 2) == expected, source
    assert words in result.catatan[0], source


# Every target form of domain.md, with the bound or policy it must use.
FORMS = [
    # positive, plain number: R/T
    ("positive", "95", 95.0, None, 100.0, "rumus R/T"),
    ("positive", "73,4", 69.99, None, 69.99 / 73.4 * 100, "rumus R/T"),
    # thousands in Indonesian format
    ("positive", "2.400", 1200.0, None, 50.0, "rumus R/T"),
    # negative with T/R per indicator
    ("negative", "8", 10.0, "T/R", 80.0, "rumus T/R"),
    ("negative", "< 25", 20.0, "T/R", 125.0, "rumus T/R"),
    # maximum with a unit
    ("negative", "<= 60 menit", 45.0, None, 125.0, "batas maksimum"),
    # minimum
    ("positive", ">= 90", 99.0, None, 110.0, "batas minimum"),
    # range written with "hingga": inside gives the policy value
    ("positive", "70 hingga 70,3", 70.1, None, 100.0, "di dalam rentang: kebijakan 100"),
    ("positive", "70 hingga 70,3", 71.0, None, 71 / 70.3 * 100, "batas atas"),
    # range with a percent sign
    ("positive", "80-90%", 85.0, None, 100.0, "di dalam rentang"),
    # a range whose lower bound is 0
    ("negative", "0 - 5", 0.0, None, 100.0, "di dalam rentang"),
    ("negative", "0 - 5", 6.0, None, 80.0, "batas atas"),
    # range polarity (inflation 2-4): below uses R/L, above the negative formula on U
    ("range", "2 - 4", 3.0, None, 100.0, "di dalam rentang"),
    ("range", "2 - 4", 1.5, None, 75.0, "batas bawah rentang dipakai; rumus R/T"),
    ("range", "2 - 4", 5.0, None, 75.0, "batas atas rentang dipakai; rumus 2T-R"),
    ("range", "2 - 4", 5.0, "T/R", 80.0, "batas atas rentang dipakai; rumus T/R"),
    # range polarity with a plain number: inside only at the number
    ("range", "3", 3.0, None, 100.0, "di dalam rentang"),
    # "3 ± 1" is the range 2-4 (issue 13)
    ("range", "3 ± 1", 3.5, None, 100.0, "di dalam rentang"),
    ("range", "3 ± 1", 5.0, None, 75.0, "batas atas rentang dipakai"),
    ("range", "3 ± 1", 1.0, None, 50.0, "batas bawah rentang dipakai"),
    ("positive", "3 ± 1", 5.0, None, 125.0, "batas atas rentang dipakai"),
    # A negative target (economic growth -1,5; a decrease of -2): better than the target is
    # above 100 for either polarity, 1 + (R - T) / |T| (positive) and 1 + (T - R) / |T|
    # (negative); for T > 0 these are R/T and 2T-R (docs/engine.md, design decision).
    ("positive", "-1,5", -0.5, None, (1 + 1.0 / 1.5) * 100, "rumus R/T"),
    ("positive", "-1,5", -1.5, None, 100.0, "rumus R/T"),
    ("positive", "-1,5", -3.0, None, 0.0, "rumus R/T"),
    ("positive", "-1,5", 1.0, None, (1 + 2.5 / 1.5) * 100, "rumus R/T"),
    ("negative", "-2", -3.0, None, 150.0, "rumus 2T-R"),
    ("negative", "-2", -1.0, None, 50.0, "rumus 2T-R"),
    ("negative", "-2", -2.0, None, 100.0, "rumus 2T-R"),
    ("negative", "-2", -3.0, "T/R", 150.0, "rumus T/R"),
    ("negative", "-2", -1.0, "T/R", 50.0, "rumus T/R"),
    ("negative", "-2", 1.0, "T/R", -50.0, "rumus T/R"),
    ("range", "-2 - 3", -3.0, None, 50.0, "batas bawah rentang dipakai"),
]


@pytest.mark.parametrize(("polarity", "target", "realisasi", "formula", "expected", "words"), FORMS)
def test_every_target_form(
    polarity: str, target: str, realisasi: float, formula: str | None, expected: float, words: str
) -> None:
    result = one(polarity, target, realisasi, formula)
    assert float(result.raw[0]) == pytest.approx(expected, rel=1e-12)
    assert words in result.catatan[0]


EDGES = [
    # T = 0 and R = 0: the policy value
    ("positive", "0", 0.0, None, "angka", 100.0, "ST", "target 0 dan realisasi 0: kebijakan 100"),
    # T = 0 and any other R: not computable, never infinity
    ("positive", "0", 5.0, None, "angka", None, None, "tidak dapat dihitung: target 0"),
    ("negative", "0", 5.0, None, "angka", None, None, "tidak dapat dihitung: target 0"),
    # T/R with R = 0: not computable
    ("negative", "5", 0.0, "T/R", "angka", None, None, "realisasi 0 pada rumus T/R"),
    # R > 2T: raw negative value kept, scored at the floor
    ("negative", "7", 15.0, None, "angka", -14.285714285714285, "SR", "skor dinaikkan"),
    # missing is not zero
    ("positive", "95", None, None, "belum_tersedia", None, None, "belum tersedia"),
    ("positive", "95", None, None, "tidak_dilaporkan", None, None, "tidak dilaporkan"),
    # R = 0 is a number
    ("positive", "95", 0.0, None, "angka", 0.0, "SR", "rumus R/T"),
]


@pytest.mark.parametrize(
    ("polarity", "target", "realisasi", "formula", "state", "raw", "band", "words"), EDGES
)
def test_edge_cases(
    polarity: str,
    target: str,
    realisasi: float | None,
    formula: str | None,
    state: str,
    raw: float | None,
    band: str | None,
    words: str,
) -> None:
    result = one(polarity, target, realisasi, formula, state=state)
    if raw is None:
        assert math.isnan(result.raw[0]) and math.isnan(result.scored[0])
        assert result.predikat[0] is None
    else:
        assert float(result.raw[0]) == pytest.approx(raw)
        assert result.predikat[0] == band
    assert np.isfinite(result.raw[0]) or math.isnan(result.raw[0])
    assert words in result.catatan[0]


def test_zero_target_zero_realisasi_is_very_high_band() -> None:
    result = one("positive", "0", 0.0)
    assert result.predikat[0] == "ST" and result.scored[0] == 100.0


def test_floor_keeps_raw_beside_scored() -> None:
    result = one("negative", "7", 15.0)
    assert result.raw[0] < 0
    assert result.scored[0] == 0.0
    assert result.adjustment[0] == cp.ADJ_FLOORED


def test_bad_codes_and_missing_targets_are_reasons_not_crashes() -> None:
    result = cp.evaluate(
        [90.0, 90.0, 90.0],
        [95.0, 95.0, np.nan],
        [95.0, 95.0, np.nan],
        [cp.CMP_EQ, -1, cp.CMP_EQ],
        [-1, cp.POSITIVE, cp.POSITIVE],
        [-1, -1, -1],
        RULES,
    )
    assert np.isnan(result.raw).all()
    assert "polaritas tidak dikenal" in result.catatan[0]
    assert "bentuk target tidak dikenal" in result.catatan[1]
    assert "tidak ada target yang berlaku" in result.catatan[2]


@pytest.mark.parametrize(
    ("scored", "band"),
    [
        (91.0, "ST"),
        (90.5, "T"),
        (90.99, "T"),
        (76.0, "T"),
        (75.99, "S"),
        (66.0, "S"),
        (65.99, "R"),
        (51.0, "R"),
        (50.99, "SR"),
        (0.0, "SR"),
        (-5.0, "SR"),
        (250.0, "ST"),
        (float("nan"), None),
    ],
)
def test_predikat_band_edges_are_half_open(scored: float, band: str | None) -> None:
    assert cp.predikat([scored], RULES.predikat)[0] == band


def test_vectorised_over_many_rows_matches_single_rows() -> None:
    rng = np.random.default_rng(7)
    n = 500
    realisasi = rng.uniform(0, 200, n)
    lower = rng.uniform(1, 100, n)
    upper = lower + rng.uniform(0, 50, n)
    comparator = rng.choice([cp.CMP_EQ, cp.CMP_RANGE, cp.CMP_LE, cp.CMP_GE], n)
    lower = np.where(comparator == cp.CMP_LE, np.nan, lower)
    upper = np.where(comparator == cp.CMP_GE, np.nan, np.where(comparator == 0, lower, upper))
    polarity = rng.integers(0, 3, n)
    formula = rng.integers(-1, 2, n)
    many = cp.evaluate(realisasi, lower, upper, comparator, polarity, formula, RULES)
    for i in range(0, n, 37):
        single = cp.evaluate(
            realisasi[i : i + 1],
            lower[i : i + 1],
            upper[i : i + 1],
            comparator[i : i + 1],
            polarity[i : i + 1],
            formula[i : i + 1],
            RULES,
        )
        assert single.raw[0] == pytest.approx(many.raw[i], nan_ok=True)
        assert single.catatan[0] == many.catatan[i]


# --------------------------------------------------------------------------------------------
# Properties
# --------------------------------------------------------------------------------------------

positive_number = st.floats(min_value=0.01, max_value=1e6, allow_nan=False)
realisasi_value = st.floats(min_value=0.001, max_value=1e6, allow_nan=False)
target_form = st.sampled_from(["eq", "range", "le", "ge"])


def _bounds(form: str, a: float, width: float) -> tuple[float, float, int]:
    if form == "eq":
        return a, a, cp.CMP_EQ
    if form == "range":
        return a, a + width, cp.CMP_RANGE
    if form == "le":
        return np.nan, a, cp.CMP_LE
    return a, np.nan, cp.CMP_GE


def _at_most(a: float, b: float) -> bool:
    """a <= b up to floating-point rounding."""
    return a <= b + 1e-9 * max(1.0, abs(a), abs(b))


def _raw(polarity: int, formula: int, form: str, a: float, width: float, r: float) -> float:
    low, high, cmp = _bounds(form, a, width)
    result = cp.compute_capaian([r], [low], [high], [cmp], [polarity], [formula], RULES.capaian)
    return float(result.raw[0])


@settings(max_examples=300, deadline=None, database=None)
@given(target_form, positive_number, positive_number, realisasi_value, realisasi_value)
def test_positive_capaian_never_falls_when_realisasi_rises(
    form: str, a: float, width: float, r1: float, r2: float
) -> None:
    low, high = sorted((r1, r2))
    assert _at_most(
        _raw(cp.POSITIVE, -1, form, a, width, low), _raw(cp.POSITIVE, -1, form, a, width, high)
    )


@settings(max_examples=300, deadline=None, database=None)
@given(
    target_form,
    st.sampled_from([cp.FORMULA_2T_R, cp.FORMULA_T_R]),
    positive_number,
    positive_number,
    realisasi_value,
    realisasi_value,
)
def test_negative_capaian_never_rises_when_realisasi_rises(
    form: str, formula: int, a: float, width: float, r1: float, r2: float
) -> None:
    low, high = sorted((r1, r2))
    assert _at_most(
        _raw(cp.NEGATIVE, formula, form, a, width, high),
        _raw(cp.NEGATIVE, formula, form, a, width, low),
    )


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.sampled_from([cp.FORMULA_2T_R, cp.FORMULA_T_R]),
    positive_number,
    positive_number,
    st.floats(min_value=0.0, max_value=1.0),
    st.floats(min_value=0.0, max_value=1.0),
)
def test_range_polarity_rises_towards_the_band_and_falls_beyond_it(
    formula: int, a: float, width: float, f1: float, f2: float
) -> None:
    upper = a + width
    near, far = sorted((f1, f2))
    # Below the band: closer to it is better.
    assert _at_most(
        _raw(cp.RANGE, formula, "range", a, width, a * near),
        _raw(cp.RANGE, formula, "range", a, width, a * far),
    )
    # Above the band: further from it is worse.
    above_near, above_far = upper * (1 + near), upper * (1 + far)
    assert _at_most(
        _raw(cp.RANGE, formula, "range", a, width, above_far),
        _raw(cp.RANGE, formula, "range", a, width, above_near),
    )
    # Inside: the policy value.
    inside = a + width * near
    assert _raw(cp.RANGE, formula, "range", a, width, inside) == RULES.capaian.range_inside_value


negative_target = st.floats(min_value=-1e6, max_value=-0.01, allow_nan=False)
any_realisasi = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False)


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.sampled_from(
        [(cp.POSITIVE, -1), (cp.NEGATIVE, cp.FORMULA_2T_R), (cp.NEGATIVE, cp.FORMULA_T_R)]
    ),
    negative_target,
    any_realisasi,
)
def test_better_than_a_negative_target_is_above_100_for_either_polarity(
    polarity_formula: tuple[int, int], target: float, r: float
) -> None:
    polarity, formula = polarity_formula
    raw = _raw(polarity, formula, "eq", target, 0.0, r)
    gain = (r - target) if polarity == cp.POSITIVE else (target - r)
    if abs(gain) <= 1e-9 * max(1.0, abs(target)):  # on target, up to rounding
        assert raw == pytest.approx(100.0)
    elif gain > 0:
        assert raw > 100.0
    else:
        assert raw < 100.0


@settings(max_examples=300, deadline=None, database=None)
@given(
    st.sampled_from([cp.POSITIVE, cp.NEGATIVE, cp.RANGE]),
    st.sampled_from([cp.FORMULA_2T_R, cp.FORMULA_T_R]),
    target_form,
    positive_number,
    positive_number,
    realisasi_value,
    st.floats(min_value=1e-3, max_value=1e3),
)
def test_capaian_is_unchanged_when_target_and_realisasi_are_scaled_together(
    polarity: int, formula: int, form: str, a: float, width: float, r: float, k: float
) -> None:
    base = _raw(polarity, formula, form, a, width, r)
    scaled = _raw(polarity, formula, form, a * k, width * k, r * k)
    assert scaled == pytest.approx(base, rel=1e-9, abs=1e-9)


# --------------------------------------------------------------------------------------------
# Every policy comes from the rules file
# --------------------------------------------------------------------------------------------


def _rules_data() -> dict[str, Any]:
    data = yaml.safe_load(Path(RULES_FILE).read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def changed(path: str, value: Any) -> Rules:
    """The repository's rules with one key changed, validated like the file."""
    data = copy.deepcopy(_rules_data())
    node = data
    *parents, last = path.split(".")
    for part in parents:
        node = node[part]
    node[last] = value
    return parse_rules(data, f"rules with {path}={value!r}")


def _st_lower(lower: float) -> list[dict[str, Any]]:
    bands = copy.deepcopy(_rules_data()["predikat"]["bands"])
    for band in bands:
        if band["code"] == "ST":
            band["lower"] = lower
        if band["code"] == "T":
            band["upper"] = lower
    return bands


# Each policy: (key, new value, row, what the result is with the file's value, with the new one)
POLICIES = [
    ("capaian.negative_formula", "T/R", ("negative", "8", 9.0), 87.5, 8 / 9 * 100),
    ("capaian.range_inside_value", 90, ("range", "2 - 4", 3.0), 100.0, 90.0),
    ("capaian.zero_target_zero_realisasi", 0, ("positive", "0", 0.0), 100.0, 0.0),
]


@pytest.mark.parametrize(("key", "value", "row", "before", "after"), POLICIES)
def test_changing_a_capaian_policy_changes_the_result(
    key: str, value: Any, row: tuple[str, str, float], before: float, after: float
) -> None:
    assert float(one(*row).raw[0]) == pytest.approx(before)
    result = one(*row, rules=changed(key, value))
    assert float(result.raw[0]) == pytest.approx(after)
    if key == "capaian.range_inside_value":
        assert "kebijakan 90" in result.catatan[0]


@pytest.mark.parametrize(
    ("key", "value", "row", "scored_before", "scored_after"),
    [
        ("scoring.floor", None, ("negative", "7", 15.0), 0.0, -14.285714285714285),
        ("scoring.floor", 10, ("negative", "7", 15.0), 0.0, 10.0),
        ("scoring.cap", 120, ("positive", "100", 150.0), 150.0, 120.0),
    ],
)
def test_changing_a_scoring_policy_changes_the_scored_value(
    key: str, value: Any, row: tuple[str, str, float], scored_before: float, scored_after: float
) -> None:
    assert float(one(*row).scored[0]) == pytest.approx(scored_before)
    result = one(*row, rules=changed(key, value))
    assert float(result.scored[0]) == pytest.approx(scored_after)
    assert float(result.raw[0]) == float(one(*row).raw[0])  # the raw value never changes


def test_changing_the_band_table_changes_the_predikat() -> None:
    assert one("positive", "100", 93.0).predikat[0] == "ST"
    rules = changed("predikat.bands", _st_lower(95))
    assert one("positive", "100", 93.0, rules=rules).predikat[0] == "T"


def test_catatan_names_the_floor_and_cap_of_the_rules_file() -> None:
    rules = changed("scoring.cap", 120)
    assert "batas atas 120" in one("positive", "100", 150.0, rules=rules).catatan[0]


def test_compose_skips_empty_texts() -> None:
    texts = cp.compose(
        [
            (np.array([0, 1]), ("", "a")),
            (np.array([1, 0]), ("", "b")),
        ]
    )
    assert texts.tolist() == ["b", "a"]


def test_encode_unknown_is_minus_one() -> None:
    codes = cp.encode(["range", "naik", None, "positive"], cp.POLARITIES)
    assert codes.tolist() == [cp.RANGE, -1, -1, cp.POSITIVE]


def test_format_number_uses_decimal_comma() -> None:
    assert cp.format_number(100.0) == "100"
    assert cp.format_number(99.5) == "99,5"


def test_evaluate_frame_reads_words() -> None:
    import pandas as pd

    frame = pd.DataFrame(
        {
            "realisasi": [56.23, 3.0, 92.0],
            "lower": [np.nan, 2.0, 80.0],
            "upper": [49.0, 4.0, 90.0],
            "comparator": ["lt", "range", "range"],
            "polarity": ["negative", "range", "positive"],
            "negative_formula": [None, "T/R", None],
        },
        index=["dbd", "inflasi", "contoh"],
    )
    out = cp.evaluate_frame(frame, RULES)
    assert out.loc["dbd", "capaian_raw"] == pytest.approx(85.2448979)
    assert out.loc["inflasi", "catatan"] == "di dalam rentang: kebijakan 100"
    assert out.loc["contoh", "target_used"] == 90.0
    assert out["predikat"].tolist() == ["T", "ST", "ST"]


# --------------------------------------------------------------------------------------------
# Tercapai: did the realisasi meet the target as written (issue 13), beside the predikat
# --------------------------------------------------------------------------------------------

# polarity, target text, realisasi, tercapai (None: cannot say), capaian, predikat
TARGET_MET = [
    # IR DBD 51,14 against "< 49": 95,63% is the top band, but the target was missed.
    ("negative", "< 49", 51.14, False, (2 * 49 - 51.14) / 49 * 100, "ST"),
    # "< 49" reached exactly is not met, although its capaian is 100.
    ("negative", "< 49", 49.0, False, 100.0, "ST"),
    ("negative", "< 49", 48.9, True, (2 * 49 - 48.9) / 49 * 100, "ST"),
    ("negative", "<= 60 menit", 60.0, True, 100.0, "ST"),
    ("negative", "<= 60 menit", 61.0, False, (120 - 61) / 60 * 100, "ST"),
    ("negative", "49", 49.0, True, 100.0, "ST"),  # a plain number: at most T
    ("positive", "95", 94.9, False, 94.9 / 95 * 100, "ST"),
    ("positive", "95", 95.0, True, 100.0, "ST"),
    ("positive", "> 95", 95.0, False, 100.0, "ST"),
    ("positive", ">= 95", 95.0, True, 100.0, "ST"),
    ("positive", "80-90", 85.0, True, 100.0, "ST"),  # inside a range
    ("positive", "80-90", 79.0, False, 79 / 80 * 100, "ST"),  # missed, still the top band
    ("positive", "80-90", 95.0, True, 95 / 90 * 100, "ST"),  # beyond the upper bound is met
    ("negative", "11,9 - 12,4", 12.0, True, 100.0, "ST"),
    ("negative", "11,9 - 12,4", 12.5, False, (2 * 12.4 - 12.5) / 12.4 * 100, "ST"),
    ("range", "2 - 4", 3.0, True, 100.0, "ST"),
    ("range", "2 - 4", 5.0, False, 75.0, "S"),  # a stabilisation band: leaving it is a miss
    ("range", "2 - 4", 1.5, False, 75.0, "S"),
    ("range", "3 ± 1", 4.0, True, 100.0, "ST"),
    ("positive", "-1,5", -0.5, True, (1 + 1 / 1.5) * 100, "ST"),
    ("negative", "-2", -1.0, False, 50.0, "SR"),
    ("positive", "95", None, None, None, None),
]


@pytest.mark.parametrize(("polarity", "target", "realisasi", "met", "capaian", "band"), TARGET_MET)
def test_tercapai_is_the_target_as_written_not_the_band(
    polarity: str,
    target: str,
    realisasi: float | None,
    met: bool | None,
    capaian: float | None,
    band: str | None,
) -> None:
    parsed = parse_target(target)
    code = cp.target_met(
        [np.nan if realisasi is None else realisasi],
        [np.nan if parsed.lower is None else parsed.lower],
        [np.nan if parsed.upper is None else parsed.upper],
        cp.encode([parsed.comparator], cp.COMPARATORS),
        cp.encode([polarity], cp.POLARITIES),
    )[0]
    assert code == {True: cp.MET, False: cp.NOT_MET, None: cp.MET_UNKNOWN}[met]
    result = one(
        polarity, target, realisasi, state="angka" if realisasi is not None else "tidak_dilaporkan"
    )
    if capaian is None:
        assert math.isnan(result.raw[0])
    else:
        assert float(result.raw[0]) == pytest.approx(capaian)
    assert result.predikat[0] == band


# --------------------------------------------------------------------------------------------
# Qualitative targets: ordinal scales of the rules file (issue 13)
# --------------------------------------------------------------------------------------------

# scale, target text, realisasi grade, capaian, tercapai
GRADES = [
    ("opini_bpk", "WTP", "WTP", 100.0, True),
    ("opini_bpk", "WTP", "WDP", 75.0, False),  # andhika201/E-Sakip: WTP = 4, WDP = 3
    ("opini_bpk", "wtp", "TMP", 25.0, False),  # grades are read whatever their case
    ("akreditasi_rs", "Paripurna", "Paripurna", 100.0, True),
    ("akreditasi_rs", "Paripurna", "Utama", 75.0, False),
    ("predikat_sakip", "BB", "A", 120.0, True),  # better than the target grade: above 100
    ("predikat_sakip", "BB", "B", 80.0, False),
    ("predikat_sakip", "minimal BB", "BB", 100.0, True),
]


@pytest.mark.parametrize(("scale", "target", "grade", "capaian", "met"), GRADES)
def test_a_qualitative_target_is_computed_on_the_grade_scores(
    scale: str, target: str, grade: str, capaian: float, met: bool
) -> None:
    ordinal = RULES.scale(scale)
    parsed = parse_target(target, ordinal)
    realisasi = ordinal.score(grade)
    assert realisasi is not None
    args = (
        [realisasi],
        [np.nan if parsed.lower is None else parsed.lower],
        [np.nan if parsed.upper is None else parsed.upper],
        cp.encode([parsed.comparator], cp.COMPARATORS),
        cp.encode(["positive"], cp.POLARITIES),
    )
    result = cp.evaluate(*args, [-1], RULES)
    assert float(result.raw[0]) == pytest.approx(capaian)
    assert cp.target_met(*args)[0] == (cp.MET if met else cp.NOT_MET)
