"""The simulated series: one plausible value (or state) per IKU and month, kept clean.

Clean values stay inside the IKU's hard bounds, close to their own history (well below the
z-score threshold with validation's own robust scale, :mod:`iku.stats`) and under the capaian
verification level, computed with the engine's capaian against the one target resolver.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np

from iku import calendar
from iku import capaian as cp
from iku.catalog import Catalog, IndicatorRow
from iku.ingest.template import target_number
from iku.numbers import STATE_NOT_AVAILABLE, STATE_NUMBER
from iku.rules import Rules
from iku.stats import center_and_scale, modified_zscore
from iku.targets.resolve import TargetsByMonth, uses_line

_INTEGER_UNIT_WORDS: Final = ("rupiah", "km", "%", "indeks", "skor", "nilai", "level", "per ")
_CAPAIAN_CEILING: Final = 1.3  # clean capaian stays below 130% (verification is at 150%)
_Z_MARGIN: Final = 0.45  # clean values stay below 45% of the z-score threshold


def decimals_for(indicator: IndicatorRow, level: float) -> int:
    unit = indicator.unit.lower()
    if indicator.consolidation == "sum" and not any(w in unit for w in _INTEGER_UNIT_WORDS):
        return 0
    return 2 if abs(level) >= 1 else 4


def bps_lagged(indicator: IndicatorRow) -> bool:
    """A non-monthly BPS figure: released well after the submission deadline."""
    return indicator.frequency != "monthly" and bool(re.search(r"\bBPS\b", indicator.description))


@dataclass
class SeriesContext:
    """The catalog as the simulator asks it: targets in force through the one resolver."""

    rules: Rules
    indicators: dict[str, IndicatorRow]
    #: The targets in force in a period for every indicator (keyed by code).
    month: TargetsByMonth
    years: dict[str, list[int]]
    #: The IKU whose month's value the engine and validation compare with the target line to
    #: date (cumulative coverage, :func:`iku.targets.resolve.uses_line`).
    line: frozenset[str] = frozenset()

    def target_text(self, code: str, period: str) -> str:
        """The target of an IKU's line in ``period``'s template, as the template writes it."""
        targets = self.month(period)
        return targets.describe(targets.position(code), target_number)

    def target_period(self, code: str, period: str) -> str | None:
        """``period`` moved to the nearest year the IKU has targets for (a 2025 history
        simulated against 2026 targets), or None without any target."""
        years = self.years.get(code)
        if not years:
            return None
        year, month = calendar.split(period)
        nearest = min(years, key=lambda y: (abs(y - year), -y))
        return calendar.make_period(nearest, month)


def reference_value(ctx: SeriesContext, indicator: IndicatorRow, period: str) -> float | None:
    """The magnitude a month's value has by its target in force (one number)."""
    shifted = ctx.target_period(indicator.code, period)
    if shifted is None:
        return None
    targets = ctx.month(shifted)
    i = targets.position(indicator.code)
    if indicator.code in ctx.line:
        return targets.line_point(i)
    return targets.point(i)


def capaian_ratio(ctx: SeriesContext, indicator: IndicatorRow, period: str, value: float) -> float:
    """The engine's raw capaian of ``value`` against the month's target (1.0 = 100%); 1.0 when
    it cannot be computed (nothing to verify)."""
    shifted = ctx.target_period(indicator.code, period)
    if shifted is None:
        return 1.0
    targets = ctx.month(shifted)
    i = targets.position(indicator.code)
    line = np.zeros(len(targets.keys), dtype=bool)
    line[i] = indicator.code in ctx.line
    lower, upper, comparator = targets.compared(line)
    result = cp.compute_capaian(
        [value],
        [lower[i]],
        [upper[i]],
        [comparator[i]],
        cp.encode([indicator.polarity], cp.POLARITIES),
        cp.encode([indicator.negative_formula or None], cp.NEGATIVE_FORMULAS),
        ctx.rules.capaian,
    )
    raw = float(result.raw[0])
    return 1.0 if np.isnan(raw) else raw / 100


def robust_stats(prior: Sequence[float], rules: Rules) -> tuple[float, float] | None:
    """(median, scale) of a history exactly as validation computes them (:mod:`iku.stats`)."""
    return center_and_scale(prior, rules.plausibility)


def zscore(value: float, prior: Sequence[float], rules: Rules) -> float:
    """The modified z-score validation gives ``value`` against ``prior`` (0 without history)."""
    found = robust_stats(prior, rules)
    if found is None:
        return 0.0
    return float(modified_zscore(value, *found))


@dataclass
class Point:
    period: str
    value: float | None
    state: str
    reason: str | None
    decimals: int


def performing(indicator: IndicatorRow, performance: float) -> float:
    """The multiple of the target a value has when its capaian is ``performance`` (1 = on
    target): positive and range IKU ``R = pT``, negative ``2T-R`` ``R = (2 - p)T``, ``T/R``
    ``R = T/p``."""
    if performance == 1.0 or indicator.polarity != "negative":
        return performance
    if indicator.negative_formula == "T/R":
        return 1 / performance
    return 2 - performance


def build_series(
    ctx: SeriesContext,
    indicator: IndicatorRow,
    window: Sequence[str],
    rng: random.Random,
    *,
    performance: float = 1.0,
    releases: bool = False,
) -> dict[str, Point]:
    """One IKU's points over ``window``; ``performance``: the capaian level its values keep
    (an under-performing agency's 0,6); ``releases``: a BPS quarterly or semester figure is
    sent once released (realistic simulations), not "belum tersedia" every time."""
    points: dict[str, Point] = {}
    factor = rng.uniform(0.95, 1.05) * performing(indicator, performance)
    release_month = 12 if bps_lagged(indicator) else rng.randint(3, 11)
    annual_values: dict[int, float] = {}
    prior: list[float] = []
    previous: float | None = None
    lower_bound = indicator.min_value
    upper_bound = indicator.max_value
    for period in window:
        if not calendar.is_reportable(indicator.frequency, calendar.split(period)[1]):
            continue
        year, month = calendar.split(period)
        reference = reference_value(ctx, indicator, period)
        level = reference if reference is not None else 50.0
        decimals = decimals_for(indicator, level if level else 1.0)
        if indicator.frequency == "annual" and month < release_month:
            source = "BPS" if bps_lagged(indicator) else "penilai"
            reason = (
                f"Angka tahun {year} belum dirilis {source}; rilis dijadwalkan "
                f"{calendar.MONTH_NAMES[release_month - 1]} {year}."
            )
            points[period] = Point(period, None, STATE_NOT_AVAILABLE, reason, decimals)
            continue
        if indicator.frequency != "annual" and bps_lagged(indicator) and not releases:
            reason = (
                f"Rilis BPS untuk {calendar.label(period)} dijadwalkan setelah batas pengiriman."
            )
            points[period] = Point(period, None, STATE_NOT_AVAILABLE, reason, decimals)
            continue
        if indicator.frequency == "annual" and year in annual_values:
            points[period] = Point(period, annual_values[year], STATE_NUMBER, None, decimals)
            continue
        if indicator.scale is not None:
            value = _grade_score(ctx, indicator, reference, performance)
        elif reference == 0:
            value = 0.0
        else:
            value = _draw(indicator, level * factor, decimals, prior, previous, reference, ctx, rng)
        if upper_bound is not None:
            value = min(value, upper_bound)
        if lower_bound is not None:
            value = max(value, lower_bound)
        points[period] = Point(period, value, STATE_NUMBER, None, decimals)
        prior.append(value)
        previous = value
        if indicator.frequency == "annual":
            annual_values[year] = value
    return points


def _grade_score(
    ctx: SeriesContext, indicator: IndicatorRow, reference: float | None, performance: float
) -> float:
    """A qualitative IKU's grade, as its score: the target grade, one grade below it for an
    under-performing agency (the realisasi is written as the grade, :func:`grade_text`)."""
    assert indicator.scale is not None
    scores = sorted(score for _, score in ctx.rules.scale(indicator.scale).grades)
    target = reference if reference is not None else scores[-1]
    reached = [s for s in scores if s <= target] or scores[:1]
    if performance < 1 and len(reached) > 1:
        return float(reached[-2])
    return float(reached[-1])


def grade_text(ctx: SeriesContext, indicator: IndicatorRow, score: float | None) -> str | None:
    """How an agency writes a qualitative IKU's realisasi: its grade ("WTP"), or None."""
    if indicator.scale is None or score is None:
        return None
    return ctx.rules.scale(indicator.scale).grade(score)


def _interval(
    indicator: IndicatorRow,
    reference: float | None,
    prior: Sequence[float],
    ctx: SeriesContext,
) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    if indicator.min_value is not None:
        low = indicator.min_value
    if indicator.max_value is not None:
        high = indicator.max_value - 0.01 * abs(indicator.max_value)
    if indicator.unit.strip().startswith("%"):
        low = max(low, 1.0)
    if reference is not None and reference > 0:
        if indicator.polarity == "negative":
            if indicator.negative_formula == "T/R":
                low = max(low, reference / _CAPAIAN_CEILING)
            else:
                low = max(low, reference * (2 - _CAPAIAN_CEILING))
        else:
            high = min(high, reference * _CAPAIAN_CEILING)
    robust = robust_stats(prior, ctx.rules)
    if robust is not None:
        median, scale = robust
        reach = _Z_MARGIN * ctx.rules.plausibility.modified_zscore_threshold * scale
        z_low, z_high = median - reach, median + reach
        if max(low, z_low) <= min(high, z_high):
            low, high = max(low, z_low), min(high, z_high)
    return low, high


def _draw(
    indicator: IndicatorRow,
    level: float,
    decimals: int,
    prior: Sequence[float],
    previous: float | None,
    reference: float | None,
    ctx: SeriesContext,
    rng: random.Random,
) -> float:
    relative = 0.03 if indicator.consolidation == "sum" else 0.012
    spread = abs(level) * relative
    if decimals == 0:
        spread = max(spread, 0.5 * math.sqrt(abs(level)))
    low, high = _interval(indicator, reference, prior, ctx)
    value = level + rng.gauss(0, spread)
    if indicator.cumulative and previous is not None:
        value = max(value, previous * 1.001 + 10 ** (-decimals))
    value = min(max(value, low), high)
    value = round(value, decimals)
    if indicator.cumulative and previous is not None and value < previous:
        value = previous
    return float(value) if decimals else float(int(value))


def catalog_context(catalog: Catalog, rules: Rules) -> SeriesContext:
    years: dict[str, set[int]] = {}
    for target in catalog.targets:
        years.setdefault(target.indicator_code, set()).add(target.year)
    indicators = list(catalog.indicators)
    line = uses_line(
        [i.cumulative for i in indicators],
        [i.consolidation for i in indicators],
        [i.frequency for i in indicators],
        rules.year_to_date.cumulative_target,
    )
    return SeriesContext(
        rules=rules,
        indicators={i.code: i for i in indicators},
        month=catalog.targets_by_month(),
        years={code: sorted(found) for code, found in years.items()},
        line=frozenset(i.code for i, on in zip(indicators, line, strict=True) if on),
    )
