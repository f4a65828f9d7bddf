"""Capaian formulas (PermenPANRB 8/2021), scoring and predikat as pure, vectorised numpy functions.

Every function takes whole arrays and loops over no rows. Policies come from the rules file
(:mod:`iku.rules`); nothing here hard-codes one.

Formulas (``R`` realisasi, ``T`` the target value used, result in percent):

- positive polarity: ``R / T x 100`` (PermenPANRB 8/2021 "kondisi normal");
- negative polarity: ``(2T - R) / T x 100`` ("2T-R", "kondisi khusus", reproduces LKj Lampung:
  DBD 56,23 against 49 -> 85,24) or ``T / R x 100`` ("T/R"), chosen per indicator
  (``indicator.negative_formula``; null means ``rules.capaian.negative_formula``);
- a negative target (``T < 0``: a growth target of -1,5): ``(1 + (R - T) / |T|) x 100``
  (positive) and ``(1 + (T - R) / |T|) x 100`` (negative, either formula), so better than the
  target is above 100 for either polarity (design decision, docs/engine.md: no published
  formula covers it; for ``T > 0`` these are exactly ``R/T`` and ``2T-R``);
- range polarity (stabilisation indicators such as inflation): inside ``[lower, upper]`` the
  policy value ``rules.capaian.range_inside_value``; below the band the positive formula against
  the lower bound (``R / L``); above it the indicator's negative formula against the upper bound;
- a positive or negative indicator with a range target (comparator ``range``) follows
  PermenPANRB 8/2021: above the range the upper bound is used, below it the lower bound, inside
  the policy value; the polarity's own formula is applied to the chosen bound (80-90 with R = 92
  -> 92/90 = 102,22; R = 70 -> 87,5; poverty 11,9-12,4 negative, R = 11,44 -> 103,87);
- comparator targets (``le``/``lt``/``ge``/``gt``: "<= 60 menit", "<49") use their single bound
  as ``T`` with the polarity's formula; plain ``eq`` targets use the number.

Edge cases: ``T = 0`` with ``R = 0`` gives ``rules.capaian.zero_target_zero_realisasi``; any
other ``R`` against ``T = 0`` is not computable (NaN, catatan "tidak dapat dihitung: target 0"),
never infinity; ``T/R`` with ``R = 0`` is not computable either. Negative results are kept raw.

The scored capaian is ``clip(raw, rules.scoring.floor, rules.scoring.cap)`` (null: no limit) and
is kept beside the raw value. Predikat comes from the scored capaian and ``rules.predikat.bands``
as half-open intervals ``[lower, upper)`` (``numpy.searchsorted``).

Every row also gets small integer codes saying which bound or policy was used (``situation``),
which formula (``formula``) and whether scoring moved the value (``adjustment``);
:func:`catatan` turns them into Indonesian sentences through a lookup table, so building the
texts of a million rows costs one ``numpy.take``.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from iku.enums import COMPARATORS, NEGATIVE_FORMULAS, POLARITIES
from iku.rules import CapaianRules, PredikatRules, Rules, ScoringRules

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int8]
ObjectArray = npt.NDArray[np.object_]

# An array of codes holds positions in the iku.enums tuples (-1: unknown / none).

POSITIVE, NEGATIVE, RANGE = 0, 1, 2
CMP_EQ, CMP_LE, CMP_LT, CMP_GE, CMP_GT, CMP_RANGE = 0, 1, 2, 3, 4, 5
FORMULA_2T_R, FORMULA_T_R = 0, 1

# Situation codes: which bound or policy gave the value, or why there is none.
S_POINT: Final = 0  # plain target number
S_MAX: Final = 1  # comparator target "<= T" / "< T": its bound is T
S_MIN: Final = 2  # comparator target ">= T" / "> T": its bound is T
S_ABOVE: Final = 3  # above a range: upper bound used
S_BELOW: Final = 4  # below a range: lower bound used
S_INSIDE: Final = 5  # inside a range: policy value
S_ZERO_ZERO: Final = 6  # T = 0 and R = 0: policy value
S_ZERO_TARGET: Final = 7  # T = 0, R != 0: not computable
S_ZERO_REALISASI: Final = 8  # T/R with R = 0: not computable
S_NO_TARGET: Final = 9  # no target in force
S_NO_NUMBER: Final = 10  # realisasi is not a number (state unknown)
S_NOT_AVAILABLE: Final = 11  # realisasi "belum tersedia"
S_NOT_REPORTED: Final = 12  # realisasi "tidak dilaporkan"
S_NOT_EXPECTED: Final = 13  # no value expected in this period (frequency)
S_OFF_SCHEDULE: Final = 14  # a value reported outside the indicator's reporting months: ignored
S_BAD_POLARITY: Final = 15
S_BAD_COMPARATOR: Final = 16
S_NOT_FINITE: Final = 17
N_SITUATIONS: Final = 18

#: Situations that carry a capaian value.
COMPUTED_SITUATIONS: Final = (S_POINT, S_MAX, S_MIN, S_ABOVE, S_BELOW, S_INSIDE, S_ZERO_ZERO)

# Formula codes as recorded per row.
F_NONE: Final = 0
F_POSITIVE: Final = 1
F_2T_R: Final = 2
F_T_R: Final = 3

# Scoring adjustment codes.
ADJ_NONE: Final = 0
ADJ_FLOORED: Final = 1
ADJ_CAPPED: Final = 2

# Realisasi state codes (iku.numbers / models.REALISATION_STATES), 0 = no row at all.
STATE_ABSENT: Final = 0
STATE_NUMBER: Final = 1
STATE_NOT_AVAILABLE: Final = 2
STATE_NOT_REPORTED: Final = 3
STATE_NAMES: Final = (None, "angka", "belum_tersedia", "tidak_dilaporkan")

# Target derivation codes: 0 as written; 1..12 "annual x k/12"; 13 sum of the PK breakdown.
TD_DIRECT: Final = 0
TD_BREAKDOWN_SUM: Final = 13
N_DERIVATIONS: Final = 14


def encode(values: object, vocabulary: Sequence[str]) -> IntArray:
    """Codes of ``values`` in ``vocabulary`` (-1 for anything else, None or NaN included)."""
    index = pd.Index(list(vocabulary), dtype=object)
    return index.get_indexer(pd.Index(np.asarray(values, dtype=object))).astype(np.int8)


@dataclass(frozen=True)
class CapaianResult:
    """Raw capaian with the bound and formula used, per row."""

    raw: FloatArray
    target_used: FloatArray
    situation: IntArray
    formula: IntArray


def _float(values: object) -> FloatArray:
    return np.asarray(values, dtype=np.float64)


def compute_capaian(
    realisasi: object,
    lower: object,
    upper: object,
    comparator: object,
    polarity: object,
    negative_formula: object,
    rules: CapaianRules,
    state: object | None = None,
) -> CapaianResult:
    """Raw capaian of every row (NaN where it cannot be computed), vectorised.

    ``realisasi``, ``lower`` and ``upper`` are floats (NaN: none); ``comparator``, ``polarity`` and
    ``negative_formula`` are codes from :func:`encode` (-1 formula: the rules file's default);
    ``state`` (optional) holds realisasi state codes so a missing value says why it is missing.
    For ``eq`` targets lower == upper == T; ``le``/``lt`` carry only the upper bound and
    ``ge``/``gt`` only the lower one.
    """
    r = _float(realisasi)
    low = _float(lower)
    high = _float(upper)
    cmp = np.asarray(comparator, dtype=np.int8)
    pol = np.asarray(polarity, dtype=np.int8)
    default_formula = NEGATIVE_FORMULAS.index(rules.negative_formula)
    neg = np.asarray(negative_formula, dtype=np.int8)
    neg = np.where(neg < 0, default_formula, neg)

    band = (cmp == CMP_RANGE) | (pol == RANGE)
    has_low = ~np.isnan(low)
    has_high = ~np.isnan(high)
    below = band & has_low & (r < low)
    above = band & has_high & (r > high)
    inside = band & ~below & ~above & (has_low | has_high) & ~np.isnan(r)
    point = np.where(has_low, low, high)
    target = np.where(band, np.where(above, high, np.where(below, low, np.nan)), point)

    use_positive = (pol == POSITIVE) | ((pol == RANGE) & below)
    use_negative = (pol == NEGATIVE) | ((pol == RANGE) & above)
    formula = np.where(
        use_positive,
        F_POSITIVE,
        np.where(use_negative, np.where(neg == FORMULA_T_R, F_T_R, F_2T_R), F_NONE),
    ).astype(np.int8)

    negative_target = target < 0
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        # A negative target (an economic growth target of -1,5) divides by |T|, so doing better
        # than the target is above 100 for either polarity; for T > 0 it is the usual formula.
        # The ratio T/R has no meaning when T < 0 (-2 / -3 would read a better -3 as 66,67%):
        # a negative target uses the distance form 1 + (T - R) / |T| with either formula.
        positive = np.where(negative_target, 1.0 + (r - target) / np.abs(target), r / target)
        two_t = np.where(
            negative_target, 1.0 + (target - r) / np.abs(target), (2.0 * target - r) / target
        )
        t_over_r = np.where(negative_target, two_t, target / r)
        raw = np.select(
            [formula == F_POSITIVE, formula == F_2T_R, formula == F_T_R],
            [positive * 100.0, two_t * 100.0, t_over_r * 100.0],
            default=np.nan,
        )

    situation = np.select(
        [cmp == CMP_EQ, (cmp == CMP_LE) | (cmp == CMP_LT), (cmp == CMP_GE) | (cmp == CMP_GT)],
        [S_POINT, S_MAX, S_MIN],
        default=S_POINT,
    ).astype(np.int8)
    situation[above] = S_ABOVE
    situation[below] = S_BELOW

    zero_target = (target == 0) & ~inside
    zero_zero = zero_target & (r == 0)
    raw[zero_zero] = rules.zero_target_zero_realisasi
    situation[zero_zero] = S_ZERO_ZERO
    only_zero_target = zero_target & ~zero_zero
    raw[only_zero_target] = np.nan
    situation[only_zero_target] = S_ZERO_TARGET
    zero_r = (formula == F_T_R) & (r == 0) & ~zero_target & ~negative_target
    raw[zero_r] = np.nan
    situation[zero_r] = S_ZERO_REALISASI

    raw[inside] = rules.range_inside_value
    situation[inside] = S_INSIDE
    formula[inside | zero_zero] = F_NONE

    no_target = ~(has_low | has_high) & ~np.isnan(r)
    situation[no_target] = S_NO_TARGET
    not_finite = ~np.isfinite(raw) & np.isin(situation, (S_POINT, S_MAX, S_MIN, S_ABOVE, S_BELOW))
    situation[not_finite & ~np.isnan(r) & ~no_target] = S_NOT_FINITE

    missing = np.isnan(r)
    if state is None:
        situation[missing] = S_NO_NUMBER
    else:
        st = np.asarray(state, dtype=np.int8)
        situation[missing] = np.select(
            [st == STATE_NOT_AVAILABLE, st == STATE_NOT_REPORTED],
            [S_NOT_AVAILABLE, S_NOT_REPORTED],
            default=S_NO_NUMBER,
        )[missing]
    bad_cmp = (cmp < 0) & ~missing & ~no_target
    situation[bad_cmp] = S_BAD_COMPARATOR
    bad_pol = (pol < 0) & ~missing
    situation[bad_pol] = S_BAD_POLARITY
    failed = missing | bad_cmp | bad_pol | no_target
    raw[failed] = np.nan
    formula[failed | ~np.isfinite(raw)] = F_NONE
    target[failed] = np.nan
    target[inside] = np.nan
    return CapaianResult(raw=raw, target_used=target, situation=situation, formula=formula)


MET_UNKNOWN: Final = -1
NOT_MET: Final = 0
MET: Final = 1


def target_met(
    realisasi: object, lower: object, upper: object, comparator: object, polarity: object
) -> npt.NDArray[np.int8]:
    """Whether each realisasi meets its target as written (1), not (0), or cannot say (-1).

    Separate from the predikat band: "< 49" reached exactly (49) is not met, although its
    capaian (100) is in the top band. ``eq``: at least T (positive), at most T (negative),
    exactly T (range polarity); ``le``/``lt``/``ge``/``gt``: the comparison written; ``range``:
    reaching the band (positive: at least its lower bound; negative: at most its upper bound;
    range polarity: inside it).
    """
    r = _float(realisasi)
    low = _float(lower)
    high = _float(upper)
    cmp = np.asarray(comparator, dtype=np.int8)
    pol = np.asarray(polarity, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        inside = (np.isnan(low) | (r >= low)) & (np.isnan(high) | (r <= high))
        met = np.select(
            [
                pol == RANGE,
                cmp == CMP_LE,
                cmp == CMP_LT,
                cmp == CMP_GE,
                cmp == CMP_GT,
                pol == NEGATIVE,
            ],
            [inside, r <= high, r < high, r >= low, r > low, r <= high],
            default=r >= low,
        )
    bound = np.where(np.isin(cmp, (CMP_LE, CMP_LT)), high, np.where(np.isnan(low), high, low))
    unknown = np.isnan(r) | np.isnan(bound) | (cmp < 0) | (pol < 0)
    return np.where(unknown, MET_UNKNOWN, met.astype(np.int8)).astype(np.int8)


def score(raw: object, rules: ScoringRules) -> FloatArray:
    """The scored capaian: the raw value clipped to the rules file's floor and cap (NaN stays)."""
    values = _float(raw)
    low = -np.inf if rules.floor is None else rules.floor
    high = np.inf if rules.cap is None else rules.cap
    return np.clip(values, low, high)


def adjustment(raw: object, rules: ScoringRules) -> IntArray:
    """Whether scoring raised the value to the floor or lowered it to the cap."""
    values = _float(raw)
    out = np.zeros(values.shape, dtype=np.int8)
    with np.errstate(invalid="ignore"):
        if rules.floor is not None:
            out[values < rules.floor] = ADJ_FLOORED
        if rules.cap is not None:
            out[values > rules.cap] = ADJ_CAPPED
    return out


def predikat_index(scored: object, rules: PredikatRules) -> npt.NDArray[np.intp]:
    """Position of each value's band in ``rules.bands`` (ascending), -1 for NaN.

    Bands are half-open ``[lower, upper)``: with Permendagri 86/2017 bands 90,5 -> T, 91 -> ST,
    75,99 -> S, 50,99 -> SR.
    """
    values = _float(scored)
    edges = np.array([b.lower for b in rules.bands[1:]], dtype=np.float64)
    index = np.searchsorted(edges, values, side="right")
    return np.where(np.isnan(values), -1, index)


def predikat(scored: object, rules: PredikatRules) -> ObjectArray:
    """The band code of each scored capaian (None where there is no capaian)."""
    codes = np.array([b.code for b in rules.bands] + [None], dtype=object)
    return np.take(codes, predikat_index(scored, rules))


def band_lower(code: str, rules: PredikatRules) -> float:
    """The inclusive lower bound of a band (-inf for the lowest band)."""
    lower = rules.band(code).lower
    return -np.inf if lower is None else lower


def format_number(value: float) -> str:
    """A number for a catatan: decimal comma, no trailing zeros (``100``, ``99,5``)."""
    text = np.format_float_positional(value, trim="-")
    return text.replace(".", ",")


def situation_texts(rules: Rules) -> tuple[str, ...]:
    """The Indonesian sentence of each situation code, with the policy values of ``rules``."""
    inside = format_number(rules.capaian.range_inside_value)
    zero = format_number(rules.capaian.zero_target_zero_realisasi)
    texts = {
        S_POINT: "",
        S_MAX: "target batas maksimum: batasnya dipakai sebagai target",
        S_MIN: "target batas minimum: batasnya dipakai sebagai target",
        S_ABOVE: "di atas rentang: batas atas rentang dipakai",
        S_BELOW: "di bawah rentang: batas bawah rentang dipakai",
        S_INSIDE: f"di dalam rentang: kebijakan {inside}",
        S_ZERO_ZERO: f"target 0 dan realisasi 0: kebijakan {zero}",
        S_ZERO_TARGET: "tidak dapat dihitung: target 0",
        S_ZERO_REALISASI: "tidak dapat dihitung: realisasi 0 pada rumus T/R",
        S_NO_TARGET: "tidak dapat dihitung: tidak ada target yang berlaku",
        S_NO_NUMBER: "tidak ada angka realisasi",
        S_NOT_AVAILABLE: "belum tersedia",
        S_NOT_REPORTED: "tidak dilaporkan",
        S_NOT_EXPECTED: "tidak ada laporan yang diharapkan pada periode ini",
        S_OFF_SCHEDULE: "nilai di luar bulan pelaporan indikator diabaikan",
        S_BAD_POLARITY: "tidak dapat dihitung: polaritas tidak dikenal",
        S_BAD_COMPARATOR: "tidak dapat dihitung: bentuk target tidak dikenal",
        S_NOT_FINITE: "tidak dapat dihitung: hasil tidak terhingga",
    }
    return tuple(texts[i] for i in range(N_SITUATIONS))


FORMULA_TEXTS: Final = ("", "rumus R/T", "rumus 2T-R", "rumus T/R")


def adjustment_texts(rules: Rules) -> tuple[str, str, str]:
    """The sentence for each scoring adjustment code."""
    floor = "" if rules.scoring.floor is None else format_number(rules.scoring.floor)
    cap = "" if rules.scoring.cap is None else format_number(rules.scoring.cap)
    return (
        "",
        f"skor dinaikkan ke batas bawah {floor} (nilai mentah disimpan)",
        f"skor dibatasi pada batas atas {cap} (nilai mentah disimpan)",
    )


def derivation_texts() -> tuple[str, ...]:
    """The sentence for each target derivation code (0: as written in the PK)."""
    prorated = tuple(f"target tahunan diprorata {k}/12" for k in range(1, 13))
    return ("", *prorated, "jumlah rincian target PK")


def compose(parts: Sequence[tuple[npt.NDArray[np.integer], Sequence[str]]]) -> ObjectArray:
    """Join the texts of several code arrays with "; " (empty texts skipped), vectorised.

    Each part is (codes, texts); the combined code indexes a table of every combination, which
    is small (the product of the table sizes), so no row is visited by Python.
    """
    sizes = [len(texts) for _, texts in parts]
    table = np.array(
        ["; ".join(t for t in combo if t) for combo in itertools.product(*(t for _, t in parts))],
        dtype=object,
    )
    index = np.zeros(np.shape(parts[0][0]), dtype=np.int64)
    for (codes, _), size in zip(parts, sizes, strict=True):
        index = index * size + np.asarray(codes, dtype=np.int64)
    return np.take(table, index)


def catatan(
    situation: IntArray,
    formula: IntArray,
    adjust: IntArray,
    rules: Rules,
    derivation: npt.NDArray[np.integer] | None = None,
) -> ObjectArray:
    """The Indonesian catatan of each row: target derivation, bound or policy, formula, scoring."""
    parts: list[tuple[npt.NDArray[np.integer], Sequence[str]]] = []
    if derivation is not None:
        parts.append((derivation, derivation_texts()))
    parts += [
        (situation, situation_texts(rules)),
        (formula, FORMULA_TEXTS),
        (adjust, adjustment_texts(rules)),
    ]
    return compose(parts)


@dataclass(frozen=True)
class Scored:
    """Raw and scored capaian, predikat and catatan of a set of rows."""

    raw: FloatArray
    scored: FloatArray
    predikat: ObjectArray
    target_used: FloatArray
    situation: IntArray
    formula: IntArray
    adjustment: IntArray
    catatan: ObjectArray


def evaluate(
    realisasi: object,
    lower: object,
    upper: object,
    comparator: object,
    polarity: object,
    negative_formula: object,
    rules: Rules,
    state: object | None = None,
) -> Scored:
    """Capaian, scored capaian, predikat and catatan in one call (codes as in compute_capaian)."""
    result = compute_capaian(
        realisasi, lower, upper, comparator, polarity, negative_formula, rules.capaian, state
    )
    scored = score(result.raw, rules.scoring)
    adjust = adjustment(result.raw, rules.scoring)
    return Scored(
        raw=result.raw,
        scored=scored,
        predikat=predikat(scored, rules.predikat),
        target_used=result.target_used,
        situation=result.situation,
        formula=result.formula,
        adjustment=adjust,
        catatan=catatan(result.situation, result.formula, adjust, rules),
    )


def evaluate_frame(frame: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """:func:`evaluate` over a frame with text columns.

    Input columns: ``realisasi`` (float), ``lower``, ``upper`` (float, NaN: none),
    ``comparator``, ``polarity`` (words from :data:`COMPARATORS`, :data:`POLARITIES`),
    optional ``negative_formula`` ("2T-R", "T/R" or empty). Output (same index):
    ``capaian_raw``, ``capaian_scored``, ``predikat``, ``target_used``, ``catatan``.
    """
    formula = (
        encode(frame["negative_formula"], NEGATIVE_FORMULAS)
        if "negative_formula" in frame
        else np.full(len(frame), -1, dtype=np.int8)
    )
    result = evaluate(
        frame["realisasi"],
        frame["lower"],
        frame["upper"],
        encode(frame["comparator"], COMPARATORS),
        encode(frame["polarity"], POLARITIES),
        formula,
        rules,
    )
    return pd.DataFrame(
        {
            "capaian_raw": result.raw,
            "capaian_scored": result.scored,
            "predikat": result.predikat,
            "target_used": result.target_used,
            "catatan": result.catatan,
        },
        index=frame.index,
    )
