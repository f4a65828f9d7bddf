"""The achievement engine: targets in force, year-to-date, aggregation, trend, projection, storage.

The engine works on a dense panel: one row per active indicator, one column per month from
January to the evaluated month. Every step is a numpy operation over that panel (cumulative sums,
forward fills, grouped sums), so a million indicator-months take about a second; Python loops run
only over the twelve months or over the handful of target versions, never over rows.

Policies and where they come from (see also ``docs/engine.md``):

- Capaian, scored capaian and predikat: :mod:`iku.capaian` (PermenPANRB 8/2021, rules file).
- Target in force (Perubahan PK): for (indicator, year, period_key) the highest ``version`` whose
  ``effective_from`` is on or before the last day of the month. A PK breakdown (``M01``-``M12``,
  ``Q1``-``Q4``, ``S1``-``S2``) belongs to the annual row of the same version (catalog README);
  it is used only together with the annual target in force of that version, otherwise the annual
  target is pro-rated. An indicator without an annual row uses the highest breakdown version
  whose earliest ``effective_from`` has passed.
- Frequency: monthly IKU expect a value every month, quarterly in Mar/Jun/Sep/Dec, semester in
  Jun/Dec. A month where no value is expected is not "missing". Annual IKU (BPS releases) have no
  fixed month: whichever month a value is reported, it is the year's value, and they are never
  counted missing. Values of quarterly/semester IKU sent in another month are ignored (catatan).
- Target of the month's own capaian: the target of the reporting period that contains the month.
  ``sum`` IKU: the breakdown row of that period when the PK gives one, otherwise the sum of the
  breakdown months it spans, otherwise the annual target x span/12 (1/12 monthly, 3/12 quarterly,
  6/12 semester, the whole year for annual IKU). ``average``/``last`` IKU: the breakdown row
  covering the period when there is one, otherwise the annual target.
- Year to date (YTD) per consolidation: ``sum``: the sum of reported values vs the sum of the
  period targets up to the last reporting month (pro-rated annual x months/12 without a
  breakdown); ``average``: the mean of reported values vs the annual target; ``last``: the latest
  reported value vs the annual target. Annual IKU always use their latest value.
- Agency figure: the mean of its IKU's YTD scored capaian (the figure LKjIP-style reporting
  tracks), equal-weight (``rules.aggregation.agency_method = mean``) or by ``indicator.weight``
  (``weighted``); the month's own capaian stays on each IKU row. ``n_included`` counts IKU with
  a YTD capaian, ``n_missing`` IKU expected this month without a number.
- Sector figure: grouped by ``indicator.sector`` (the urusan of the IKU, so an OPD's IKU can count
  in several sectors), mean over the IKU's YTD scored capaian (``sector_method``; ``weighted``
  uses ``indicator.weight``).
- Province figure: mean over the agencies' figures (``province_method = mean``: one vote per
  agency; ``weighted``: each agency weighted by the total weight of its included IKU). Every
  agency with an active IKU counts, including ``PEMPROV`` (the province's own macro IKU).
- Trend: this month's YTD scored capaian minus last month's, at every level. January has no
  trend: the year-to-date starts again.
- Projection (year-end capaian, scored): ``sum``: the YTD realisasi extrapolated along the planned
  path, ``R_ytd / (planned YTD target / annual target)`` (linear in months when the PK has no
  breakdown; seasonal breakdowns such as rice harvests are followed); ``last``: the least-squares
  line through the reported values evaluated at December; ``average``: the mean of the reported
  values and of that line at the remaining reporting months; annual IKU: their reported value.
  No projection with fewer than ``rules.projection.min_months`` reported values. ``is_at_risk``
  when the projection is below the lower bound of band ``rules.projection.at_risk_below_band``.
  Agency, sector and province projections aggregate the IKU projections like the figures.
- Persistence: :func:`compute_period` replaces the achievement rows of the period's cycle in the
  caller's transaction (delete + bulk insert), so recomputing is idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd
from sqlalchemy import Integer, Select, cast, delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from iku import capaian as cp
from iku import models as m
from iku.db import bulk_insert, read_frame, table_of
from iku.periods import Period, PeriodError  # noqa: F401 (re-exported)
from iku.rules import Rules, get_rules

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

MONTHS: Final = 12
FREQUENCIES: Final = ("monthly", "quarterly", "semester", "annual")
CONSOLIDATIONS: Final = ("sum", "average", "last")
MONTHLY, QUARTERLY, SEMESTER, ANNUAL = 0, 1, 2, 3
SUM, AVERAGE, LAST = 0, 1, 2
#: Months in one reporting period, by frequency code.
SPAN: Final = np.array([1, 3, 6, 12], dtype=np.int64)

_MONTH_NUMBERS = np.arange(1, MONTHS + 1)
#: EXPECTED[f, k]: a value is due in month k+1 (annual IKU: no fixed month, never "missing").
EXPECTED: Final = np.array(
    [
        np.ones(MONTHS, dtype=bool),
        _MONTH_NUMBERS % 3 == 0,
        _MONTH_NUMBERS % 6 == 0,
        np.zeros(MONTHS, dtype=bool),
    ]
)
#: COUNTS[f, k]: a value reported in month k+1 counts for the year to date.
COUNTS: Final = EXPECTED | (np.arange(4) == ANNUAL)[:, None]

#: Target period keys (models.TARGET_PERIODS) and the months each covers.
PERIOD_KEYS: Final = m.TARGET_PERIODS
_KEY_FIRST = np.array([1, *range(1, 13), 1, 4, 7, 10, 1, 7])
_KEY_SPAN = np.array([12, *([1] * 12), 3, 3, 3, 3, 6, 6])

#: ``achievement.realisasi_state`` of an indicator with no value and none due this month
#: (a quarterly IKU in February, an annual IKU before its release). Not "missing".
STATE_NOT_DUE: Final = "tidak_dijadwalkan"

# Projection method codes (for the catatan).
P_NONE, P_TOO_FEW, P_PATH, P_LINE, P_MEAN, P_ANNUAL, P_NOT_COMPUTABLE = range(7)

INDICATOR_COLUMNS: Final = (
    "indicator_id",
    "code",
    "agency_id",
    "agency_code",
    "agency_sector",
    "sector",
    "polarity",
    "negative_formula",
    "consolidation",
    "frequency",
    "weight",
)
TARGET_COLUMNS: Final = (
    "target_id",
    "indicator_id",
    "period_key",
    "version",
    "effective_from",
    "lower",
    "upper",
    "comparator",
    "text",
)
REALISATION_COLUMNS: Final = ("indicator_id", "month", "value", "state")


# --------------------------------------------------------------------------------------------
# Targets in force
# --------------------------------------------------------------------------------------------


@dataclass
class TargetGrid:
    """Targets resolved for every indicator (rows) and month (columns), plus the target table.

    ``period_*``: the target of the reporting period containing the month (the month's own
    capaian); ``ytd_*``: the year-to-date target; ``annual_*``: the annual target in force (for
    the projection). ``period_row`` holds positions in ``table`` (-1: none); ``*_derivation``
    hold :mod:`iku.capaian` codes (0 as written, 1-12 annual x k/12, 13 sum of the breakdown).
    ``path_fraction`` is the planned share of the annual target reached by the last reporting
    month (``sum`` IKU only).
    """

    table: pd.DataFrame
    period_lower: FloatArray
    period_upper: FloatArray
    period_cmp: npt.NDArray[np.int8]
    period_row: IntArray
    period_derivation: IntArray
    ytd_lower: FloatArray
    ytd_upper: FloatArray
    ytd_cmp: npt.NDArray[np.int8]
    ytd_derivation: IntArray
    annual_lower: FloatArray
    annual_upper: FloatArray
    annual_cmp: npt.NDArray[np.int8]
    path_fraction: FloatArray


def _effective_month(dates: pd.Series, year: int) -> IntArray:
    """The first month of ``year`` whose last day is on or after each date (13: never)."""
    stamps = pd.to_datetime(dates)
    years = stamps.dt.year.to_numpy()
    months = stamps.dt.month.to_numpy()
    return np.where(years < year, 1, np.where(years > year, 13, months)).astype(np.int64)


def _superseded_from(group: IntArray, start: IntArray) -> IntArray:
    """For rows sorted by (group, version): the month a higher version takes over (13: never)."""
    if len(group) == 0:
        return np.zeros(0, dtype=np.int64)
    backwards = slice(None, None, -1)
    reversed_start = pd.Series(start[backwards])
    reversed_group = pd.Series(group[backwards])
    running_min = reversed_start.groupby(reversed_group).cummin()
    after = running_min.groupby(reversed_group).shift(1).fillna(13)
    return after.to_numpy(dtype=np.int64)[backwards]


def _at(values: npt.NDArray[Any], column: IntArray) -> npt.NDArray[Any]:
    """``values[i, column[i]]`` for every row i."""
    return np.take_along_axis(values, column[:, None], axis=1)[:, 0]


def resolve_targets(
    indicator_ids: pd.Index,
    frequency: npt.NDArray[np.integer],
    consolidation: npt.NDArray[np.integer],
    targets: pd.DataFrame,
    year: int,
    months: int,
    *,
    from_month: int = 1,
) -> TargetGrid:
    """Resolve the targets in force for months 1..``months`` of ``year`` (module docstring).

    Months are resolved independently; a caller that needs only the last months passes
    ``from_month`` and the columns before it stay empty (NaN, -1).

    ``targets`` has :data:`TARGET_COLUMNS`; rows of unknown indicators are ignored, so are rows
    of other years when the caller passes them (it should not).
    """
    n = len(indicator_ids)
    freq = np.asarray(frequency, dtype=np.int64)
    cons = np.asarray(consolidation, dtype=np.int64)
    table = targets.loc[:, list(TARGET_COLUMNS)].copy()
    table["pos"] = indicator_ids.get_indexer(pd.Index(table["indicator_id"]))
    table["key"] = cp.encode(table["period_key"], PERIOD_KEYS).astype(np.int64)
    table = table[(table["pos"] >= 0) & (table["key"] >= 0)]
    table = table.sort_values(["pos", "key", "version"], kind="stable").reset_index(drop=True)
    pos = table["pos"].to_numpy(dtype=np.int64)
    key = table["key"].to_numpy(dtype=np.int64)
    version = table["version"].to_numpy(dtype=np.int64)
    start = _effective_month(table["effective_from"], year)
    end = _superseded_from(pos * len(PERIOD_KEYS) + key, start)

    # Row attributes with a sentinel at the end, so position -1 reads "no target".
    lower = np.append(table["lower"].to_numpy(dtype=np.float64), np.nan)
    upper = np.append(table["upper"].to_numpy(dtype=np.float64), np.nan)
    comparator = np.append(cp.encode(table["comparator"], cp.COMPARATORS), np.int8(-1))
    row_version = np.append(version, -1)
    row_span = np.append(_KEY_SPAN[key], 1).astype(np.float64)

    annual_row = np.full((n, months), -1, dtype=np.int64)
    is_annual = key == 0
    for month in range(1, months + 1):
        live = is_annual & (start <= month) & (month < end)
        annual_row[pos[live], month - 1] = np.flatnonzero(live)

    # Per breakdown version: the row covering each month (a month row over a quarter row over a
    # semester row) and the month the version starts.
    breakdown_versions = [int(v) for v in np.unique(version[~is_annual])]
    cover: list[IntArray] = []
    covered: list[BoolArray] = []
    first_month: list[IntArray] = []
    for v in breakdown_versions:
        grid = np.full((n, MONTHS), -1, dtype=np.int64)
        rows = np.flatnonzero(~is_annual & (version == v))
        for low_key, high_key in ((17, 19), (13, 17), (1, 13)):
            chosen = rows[(key[rows] >= low_key) & (key[rows] < high_key)]
            for offset in range(6):
                ok = chosen[_KEY_SPAN[key[chosen]] > offset]
                grid[pos[ok], _KEY_FIRST[key[ok]] - 1 + offset] = ok
        earliest = np.full(n, 13, dtype=np.int64)
        np.minimum.at(earliest, pos[rows], start[rows])
        cover.append(grid)
        covered.append(np.asarray((grid >= 0).any(axis=1), dtype=bool))
        first_month.append(earliest)

    shape = (n, months)
    grid_out = TargetGrid(
        table=table,
        period_lower=np.full(shape, np.nan),
        period_upper=np.full(shape, np.nan),
        period_cmp=np.full(shape, -1, dtype=np.int8),
        period_row=np.full(shape, -1, dtype=np.int64),
        period_derivation=np.zeros(shape, dtype=np.int64),
        ytd_lower=np.full(shape, np.nan),
        ytd_upper=np.full(shape, np.nan),
        ytd_cmp=np.full(shape, -1, dtype=np.int8),
        ytd_derivation=np.zeros(shape, dtype=np.int64),
        annual_lower=np.full(shape, np.nan),
        annual_upper=np.full(shape, np.nan),
        annual_cmp=np.full(shape, -1, dtype=np.int8),
        path_fraction=np.full(shape, np.nan),
    )
    span = SPAN[freq] if n else np.zeros(0, dtype=np.int64)
    is_sum = cons == SUM
    is_yearly = freq == ANNUAL
    month_axis = np.arange(MONTHS + 1, dtype=np.float64)
    for mi in range(max(from_month, 1) - 1, months):
        month = mi + 1
        arow = annual_row[:, mi]
        has_annual = arow >= 0
        a_low, a_high, a_cmp = lower[arow], upper[arow], comparator[arow]

        cov = np.full((n, MONTHS), -1, dtype=np.int64)
        for j, v in enumerate(breakdown_versions):
            with_annual = has_annual & (row_version[arow] == v)
            without_annual = ~has_annual & (first_month[j] <= month)
            use = (with_annual | without_annual) & covered[j]
            cov[use] = cover[j][use]
        has_bd = np.asarray((cov >= 0).any(axis=1), dtype=bool)

        with np.errstate(invalid="ignore"):
            inc_low = np.where(cov >= 0, lower[cov] / row_span[cov], a_low[:, None] / MONTHS)
            inc_high = np.where(cov >= 0, upper[cov] / row_span[cov], a_high[:, None] / MONTHS)
        cum_low = np.zeros((n, MONTHS + 1))
        cum_high = np.zeros((n, MONTHS + 1))
        cum_low[:, 1:] = np.cumsum(inc_low, axis=1)
        cum_high[:, 1:] = np.cumsum(inc_high, axis=1)
        prorata = month_axis / MONTHS
        cum_low = np.where(has_bd[:, None], cum_low, a_low[:, None] * prorata)
        cum_high = np.where(has_bd[:, None], cum_high, a_high[:, None] * prorata)

        # The annual target in force; without an annual row, what the breakdown implies.
        level_row = cov[:, mi]
        any_row = cov.max(axis=1)
        eff_low = np.where(
            has_annual, a_low, np.where(is_sum, cum_low[:, MONTHS], lower[level_row])
        )
        eff_high = np.where(
            has_annual, a_high, np.where(is_sum, cum_high[:, MONTHS], upper[level_row])
        )
        eff_cmp = np.where(has_annual, a_cmp, comparator[any_row]).astype(np.int8)

        # The reporting period that contains the month.
        p_end = np.minimum(-(-month // span) * span, MONTHS) if n else span
        p_start = p_end - span + 1
        end_row = _at(cov, p_end - 1)
        start_row = _at(cov, p_start - 1)

        # sum: the period's share of the target path.
        direct = (end_row >= 0) & (end_row == start_row) & (row_span[end_row] == span)
        sum_low = _at(cum_low, p_end) - _at(cum_low, p_start - 1)
        sum_high = _at(cum_high, p_end) - _at(cum_high, p_start - 1)
        sum_row = np.where(direct, end_row, arow)
        sum_derivation = np.where(direct, cp.TD_DIRECT, np.where(has_bd, cp.TD_BREAKDOWN_SUM, span))
        no_target = ~has_annual & ~has_bd
        # average / last: the breakdown row covering the period, else the annual target.
        level = (end_row >= 0) & ~is_yearly
        lvl_low = np.where(level, lower[end_row], eff_low)
        lvl_high = np.where(level, upper[end_row], eff_high)
        lvl_cmp = np.where(level, comparator[end_row], eff_cmp)
        lvl_row = np.where(level, end_row, arow)

        yearly_sum = is_sum & is_yearly
        sum_low = np.where(yearly_sum, eff_low, sum_low)
        sum_high = np.where(yearly_sum, eff_high, sum_high)
        sum_derivation = np.where(yearly_sum | no_target, cp.TD_DIRECT, sum_derivation)
        sum_row = np.where(yearly_sum, arow, sum_row)

        grid_out.period_lower[:, mi] = np.where(is_sum, sum_low, lvl_low)
        grid_out.period_upper[:, mi] = np.where(is_sum, sum_high, lvl_high)
        grid_out.period_cmp[:, mi] = np.where(is_sum, eff_cmp, lvl_cmp)
        grid_out.period_row[:, mi] = np.where(is_sum, sum_row, lvl_row)
        grid_out.period_derivation[:, mi] = np.where(is_sum, sum_derivation, cp.TD_DIRECT)

        # Year to date: up to the last month whose value counts.
        last_counted = np.where(is_yearly, MONTHS, (month // span) * span)
        ytd_low = np.where(last_counted > 0, _at(cum_low, last_counted), np.nan)
        ytd_high = np.where(last_counted > 0, _at(cum_high, last_counted), np.nan)
        ytd_derivation = np.where(
            has_bd, cp.TD_BREAKDOWN_SUM, np.where(last_counted == MONTHS, 0, last_counted)
        )
        ytd_derivation = np.where(is_yearly | no_target, cp.TD_DIRECT, ytd_derivation)
        grid_out.ytd_lower[:, mi] = np.where(is_sum, ytd_low, eff_low)
        grid_out.ytd_upper[:, mi] = np.where(is_sum, ytd_high, eff_high)
        grid_out.ytd_cmp[:, mi] = eff_cmp
        grid_out.ytd_derivation[:, mi] = np.where(is_sum, ytd_derivation, cp.TD_DIRECT)

        grid_out.annual_lower[:, mi] = eff_low
        grid_out.annual_upper[:, mi] = eff_high
        grid_out.annual_cmp[:, mi] = eff_cmp
        reference = np.where(np.isnan(cum_low[:, MONTHS]), cum_high.T, cum_low.T).T
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = _at(reference, last_counted) / reference[:, MONTHS]
        grid_out.path_fraction[:, mi] = np.where(is_sum & (last_counted > 0), fraction, np.nan)
    return grid_out


# --------------------------------------------------------------------------------------------
# The panel and its computation
# --------------------------------------------------------------------------------------------


@dataclass
class Panel:
    """Dense inputs of one year up to ``months``: indicators x months."""

    year: int
    months: int
    indicators: pd.DataFrame
    values: FloatArray
    states: npt.NDArray[np.int8]
    polarity: npt.NDArray[np.int8]
    negative_formula: npt.NDArray[np.int8]
    consolidation: npt.NDArray[np.int8]
    frequency: npt.NDArray[np.int8]
    weight: FloatArray
    targets: TargetGrid


def build_panel(
    indicators: pd.DataFrame,
    targets: pd.DataFrame,
    realisations: pd.DataFrame,
    year: int,
    months: int,
) -> Panel:
    """Turn long frames into the dense panel.

    ``indicators`` has :data:`INDICATOR_COLUMNS` (one row per indicator, in output order);
    ``targets`` :data:`TARGET_COLUMNS` (that year); ``realisations`` :data:`REALISATION_COLUMNS`
    with at most one row per indicator and month (:func:`load_inputs` keeps the latest). ``state``
    is ``angka``, ``belum_tersedia`` or ``tidak_dilaporkan``; a number needs state ``angka``.
    """
    indicators = indicators.reset_index(drop=True)
    ids = pd.Index(indicators["indicator_id"])
    n = len(indicators)
    polarity = cp.encode(indicators["polarity"], cp.POLARITIES)
    formula = cp.encode(indicators["negative_formula"], cp.NEGATIVE_FORMULAS)
    consolidation = cp.encode(indicators["consolidation"], CONSOLIDATIONS)
    frequency = cp.encode(indicators["frequency"], FREQUENCIES)
    unknown = (consolidation < 0) | (frequency < 0)
    if unknown.any():
        bad = indicators.loc[unknown, "code"].tolist()
        raise ValueError(f"unknown consolidation or frequency for indicator(s) {bad}")

    values = np.full((n, months), np.nan)
    states = np.zeros((n, months), dtype=np.int8)
    if len(realisations):
        rpos = ids.get_indexer(realisations["indicator_id"])
        rmonth = realisations["month"].to_numpy(dtype=np.int64)
        keep = (rpos >= 0) & (rmonth >= 1) & (rmonth <= months)
        rpos, rcol = rpos[keep], rmonth[keep] - 1
        state = cp.encode(realisations["state"].to_numpy()[keep], cp.STATE_NAMES[1:]) + 1
        value = realisations["value"].to_numpy(dtype=np.float64)[keep]
        value = np.where(state == cp.STATE_NUMBER, value, np.nan)
        values[rpos, rcol] = value
        states[rpos, rcol] = np.where(
            (state == cp.STATE_NUMBER) & np.isnan(value), cp.STATE_ABSENT, state
        )
    grid = resolve_targets(ids, frequency, consolidation, targets, year, months)
    return Panel(
        year=year,
        months=months,
        indicators=indicators,
        values=values,
        states=states,
        polarity=polarity,
        negative_formula=formula,
        consolidation=consolidation,
        frequency=frequency,
        weight=indicators["weight"].to_numpy(dtype=np.float64),
        targets=grid,
    )


@dataclass
class Evaluated:
    """Capaian of every indicator-month (arrays shaped like the panel)."""

    realisasi: FloatArray
    state: npt.NDArray[np.int8]
    raw: FloatArray
    scored: FloatArray
    predikat: npt.NDArray[np.object_]
    target_used: FloatArray
    situation: npt.NDArray[np.int8]
    formula: npt.NDArray[np.int8]
    adjustment: npt.NDArray[np.int8]


@dataclass
class Level:
    """An aggregate (agencies, sectors or the province) for every month."""

    keys: list[str]
    figure: FloatArray
    predikat: npt.NDArray[np.object_]
    n_included: IntArray
    n_missing: IntArray
    n_indicators: IntArray
    trend: FloatArray
    projection: FloatArray
    is_at_risk: BoolArray
    weight_total: FloatArray


@dataclass
class PanelResult:
    """Everything the engine computes for a panel, for every month up to the panel's last."""

    month: Evaluated
    ytd: Evaluated
    missing: BoolArray
    expected: BoolArray
    off_schedule: BoolArray
    reported: IntArray
    trend: FloatArray
    projection: FloatArray
    projection_method: IntArray
    is_at_risk: BoolArray
    agencies: Level
    sectors: Level
    province: Level


def _evaluate(
    realisasi: FloatArray,
    state: npt.NDArray[np.int8],
    lower: FloatArray,
    upper: FloatArray,
    comparator: npt.NDArray[np.int8],
    panel: Panel,
    rules: Rules,
) -> Evaluated:
    shape = realisasi.shape
    months = shape[1]
    result = cp.compute_capaian(
        realisasi.ravel(),
        lower.ravel(),
        upper.ravel(),
        comparator.ravel(),
        np.repeat(panel.polarity, months),
        np.repeat(panel.negative_formula, months),
        rules.capaian,
        state.ravel(),
    )
    scored = cp.score(result.raw, rules.scoring)
    return Evaluated(
        realisasi=realisasi,
        state=state,
        raw=result.raw.reshape(shape),
        scored=scored.reshape(shape),
        predikat=cp.predikat(scored, rules.predikat).reshape(shape),
        target_used=result.target_used.reshape(shape),
        situation=result.situation.reshape(shape),
        formula=result.formula.reshape(shape),
        adjustment=cp.adjustment(result.raw, rules.scoring).reshape(shape),
    )


def _group_sum(codes: IntArray, groups: int, values: npt.NDArray[Any]) -> FloatArray:
    """Column-wise sums of ``values`` (rows x months) per group code."""
    out = np.zeros((groups, values.shape[1]))
    for column in range(values.shape[1]):
        out[:, column] = np.bincount(codes, weights=values[:, column], minlength=groups)
    return out


def _trend(figure: FloatArray) -> FloatArray:
    trend = np.full(figure.shape, np.nan)
    trend[:, 1:] = figure[:, 1:] - figure[:, :-1]
    return trend


def _aggregate(
    keys: list[str],
    codes: IntArray,
    weights: FloatArray,
    figure: FloatArray,
    projection: FloatArray,
    included_count: FloatArray,
    missing: FloatArray,
    members: FloatArray,
    rules: Rules,
) -> Level:
    """Weighted means of ``figure`` and ``projection`` (members x months) per group code."""
    groups = len(keys)
    included = ~np.isnan(figure)
    w = weights if weights.ndim == 2 else weights[:, None]
    total = _group_sum(codes, groups, np.where(included, w, 0.0))
    sums = _group_sum(codes, groups, np.where(included, w * np.nan_to_num(figure), 0.0))
    has_projection = ~np.isnan(projection)
    p_total = _group_sum(codes, groups, np.where(has_projection, w, 0.0))
    p_sums = _group_sum(codes, groups, np.where(has_projection, w * np.nan_to_num(projection), 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(total > 0, sums / total, np.nan)
        projected = np.where(p_total > 0, p_sums / p_total, np.nan)
    threshold = cp.band_lower(rules.projection.at_risk_below_band, rules.predikat)
    return Level(
        keys=keys,
        figure=mean,
        predikat=cp.predikat(mean.ravel(), rules.predikat).reshape(mean.shape),
        n_included=_group_sum(codes, groups, included_count).astype(np.int64),
        n_missing=_group_sum(codes, groups, missing).astype(np.int64),
        n_indicators=_group_sum(codes, groups, members).astype(np.int64),
        trend=_trend(mean),
        projection=projected,
        is_at_risk=~np.isnan(projected) & (projected < threshold),
        weight_total=total,
    )


def compute_panel(panel: Panel, rules: Rules) -> PanelResult:
    """Capaian, YTD, trend, projection and aggregates for every month of the panel."""
    n, months = panel.values.shape
    freq = panel.frequency.astype(np.int64)
    cons = panel.consolidation.astype(np.int64)
    grid = panel.targets
    expected = EXPECTED[freq][:, :months] if n else np.zeros((0, months), dtype=bool)
    counts = COUNTS[freq][:, :months] if n else np.zeros((0, months), dtype=bool)
    values = panel.values
    has_value = ~np.isnan(values)
    counted = np.where(counts, values, np.nan)
    has_counted = has_value & counts
    off_schedule = has_value & ~counts
    missing = expected & ~has_value

    # The month's own capaian.
    month_state = np.where(
        missing & (panel.states == cp.STATE_ABSENT), cp.STATE_NOT_REPORTED, panel.states
    ).astype(np.int8)
    month = _evaluate(
        counted,
        month_state,
        grid.period_lower,
        grid.period_upper,
        grid.period_cmp,
        panel,
        rules,
    )
    quiet = ~expected & ~has_value & (panel.states == cp.STATE_ABSENT)
    month.situation[quiet] = cp.S_NOT_EXPECTED
    month.situation[off_schedule] = cp.S_OFF_SCHEDULE

    # Year to date.
    reported = np.cumsum(has_counted, axis=1)
    zeros = np.nan_to_num(counted)
    running = np.cumsum(zeros, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ytd_sum = np.where(reported > 0, running, np.nan)
        ytd_mean = np.where(reported > 0, running / reported, np.nan)
    latest = np.maximum.accumulate(np.where(has_counted, np.arange(months), -1), axis=1)
    ytd_last = np.where(
        latest >= 0, np.take_along_axis(zeros, np.maximum(latest, 0), axis=1), np.nan
    )
    kind = np.where(freq == ANNUAL, LAST, cons)[:, None]
    ytd_value = np.where(kind == SUM, ytd_sum, np.where(kind == AVERAGE, ytd_mean, ytd_last))
    last_state = np.maximum.accumulate(np.where(panel.states > 0, np.arange(months), -1), axis=1)
    recent_state = np.where(
        last_state >= 0,
        np.take_along_axis(panel.states, np.maximum(last_state, 0), axis=1),
        cp.STATE_ABSENT,
    )
    due_so_far = np.cumsum(expected, axis=1) > 0
    ytd_state = np.where(
        reported > 0,
        cp.STATE_NUMBER,
        np.where(
            (recent_state == cp.STATE_ABSENT) & due_so_far, cp.STATE_NOT_REPORTED, recent_state
        ),
    ).astype(np.int8)
    ytd = _evaluate(
        ytd_value, ytd_state, grid.ytd_lower, grid.ytd_upper, grid.ytd_cmp, panel, rules
    )
    nothing_due = (reported == 0) & (ytd_state == cp.STATE_ABSENT) & ~due_so_far
    ytd.situation[nothing_due] = cp.S_NOT_EXPECTED

    # Projection of the year-end capaian.
    x = np.arange(1, months + 1, dtype=np.float64)
    sx = np.cumsum(np.where(has_counted, x, 0.0), axis=1)
    sxx = np.cumsum(np.where(has_counted, x * x, 0.0), axis=1)
    sxy = np.cumsum(np.where(has_counted, x * zeros, 0.0), axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        denominator = reported * sxx - sx * sx
        slope = np.where(denominator > 0, (reported * sxy - sx * running) / denominator, 0.0)
        intercept = (running - slope * sx) / reported
        line_december = intercept + slope * MONTHS
        remaining_count, remaining_sum = _remaining(freq, months)
        mean_projection = (running + intercept * remaining_count + slope * remaining_sum) / (
            reported + remaining_count
        )
        path = ytd_sum / grid.path_fraction
    projected_r = np.select(
        [freq[:, None] == ANNUAL, kind == SUM, kind == AVERAGE],
        [ytd_last, path, mean_projection],
        default=line_december,
    )
    method = np.select(
        [freq[:, None] == ANNUAL, kind == SUM, kind == AVERAGE],
        [P_ANNUAL, P_PATH, P_MEAN],
        default=P_LINE,
    ) * np.ones((1, months), dtype=np.int64)
    enough = reported >= rules.projection.min_months
    projected_r = np.where(enough, projected_r, np.nan)
    projected = _evaluate(
        projected_r,
        np.where(enough, cp.STATE_NUMBER, cp.STATE_ABSENT).astype(np.int8),
        grid.annual_lower,
        grid.annual_upper,
        grid.annual_cmp,
        panel,
        rules,
    )
    projection = projected.scored
    method = np.where(enough, np.where(np.isnan(projection), P_NOT_COMPUTABLE, method), P_TOO_FEW)
    threshold = cp.band_lower(rules.projection.at_risk_below_band, rules.predikat)
    at_risk = ~np.isnan(projection) & (projection < threshold)

    # Aggregates.
    figure = ytd.scored
    included = (~np.isnan(figure)).astype(np.float64)
    missing_f = missing.astype(np.float64)
    members = np.ones((n, months))
    ind = panel.indicators
    agency_keys, agency_codes = _factorize(ind["agency_code"])
    sector_keys, sector_codes = _factorize(ind["sector"])
    agency_weights = panel.weight if rules.aggregation.agency_method == "weighted" else np.ones(n)
    sector_weights = panel.weight if rules.aggregation.sector_method == "weighted" else np.ones(n)
    agencies = _aggregate(
        agency_keys,
        agency_codes,
        agency_weights,
        figure,
        projection,
        included,
        missing_f,
        members,
        rules,
    )
    sectors = _aggregate(
        sector_keys,
        sector_codes,
        sector_weights,
        figure,
        projection,
        included,
        missing_f,
        members,
        rules,
    )
    province = _province(agencies, panel, agency_codes, included, rules)
    return PanelResult(
        month=month,
        ytd=ytd,
        missing=missing,
        expected=expected,
        off_schedule=off_schedule,
        reported=reported,
        trend=_trend(figure),
        projection=projection,
        projection_method=method,
        is_at_risk=at_risk,
        agencies=agencies,
        sectors=sectors,
        province=province,
    )


def _province(
    agencies: Level, panel: Panel, agency_codes: IntArray, included: FloatArray, rules: Rules
) -> Level:
    """The province: a mean over agencies (one vote each, or weighted by their included IKU)."""
    count = len(agencies.keys)
    weights: FloatArray
    if rules.aggregation.province_method == "weighted":
        weights = _group_sum(agency_codes, count, included * panel.weight[:, None])
    else:
        weights = np.ones(count)
    return _aggregate(
        ["province"],
        np.zeros(count, dtype=np.int64),
        weights,
        agencies.figure,
        agencies.projection,
        agencies.n_included.astype(np.float64),
        agencies.n_missing.astype(np.float64),
        agencies.n_indicators.astype(np.float64),
        rules,
    )


def _remaining(freq: IntArray, months: int) -> tuple[FloatArray, FloatArray]:
    """Per row and month m: how many months after m still count, and the sum of their numbers."""
    counts = COUNTS.astype(np.float64)
    later = (_MONTH_NUMBERS[None, :] > _MONTH_NUMBERS[:, None]).astype(np.float64)
    remaining_count = counts @ later.T
    remaining_sum = (counts * _MONTH_NUMBERS) @ later.T
    return remaining_count[freq][:, :months], remaining_sum[freq][:, :months]


def _factorize(values: pd.Series) -> tuple[list[str], IntArray]:
    codes, uniques = pd.factorize(values, sort=True)
    return [str(u) for u in uniques], codes.astype(np.int64)


# --------------------------------------------------------------------------------------------
# Achievement rows of one month
# --------------------------------------------------------------------------------------------

#: Flags an indicator row can carry (English codes; the catatan says it in Indonesian).
FLAGS: Final = (
    "missing",
    "not_expected",
    "off_schedule",
    "no_target",
    "not_computable",
    "inside_range",
    "prorated_target",
    "negative_raw",
    "floored",
    "capped",
    "needs_verification",
)


def projection_texts(rules: Rules) -> tuple[str, ...]:
    """The Indonesian sentence of each projection method code."""
    return (
        "",
        f"proyeksi belum dihitung (kurang dari {rules.projection.min_months} nilai terlapor)",
        "proyeksi: realisasi s.d. bulan ini diekstrapolasi linear mengikuti jalur target",
        "proyeksi: garis tren kuadrat terkecil pada bulan Desember",
        "proyeksi: rata-rata nilai terlapor dan garis tren bulan tersisa",
        "proyeksi: nilai tahunan yang telah dilaporkan",
        "proyeksi tidak dapat dihitung",
    )


def _py(values: npt.NDArray[Any]) -> list[Any]:
    """Python values for the database: NaN becomes None, numpy scalars become Python scalars."""
    return [None if isinstance(v, float) and v != v else v for v in values.tolist()]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + "." if text else ""


def _aggregate_note(level: Level, mi: int, method: str, unit: str) -> list[str]:
    word = "tertimbang" if method == "weighted" else "sederhana"
    notes = []
    for g in range(len(level.keys)):
        included, total = int(level.n_included[g, mi]), int(level.n_indicators[g, mi])
        missing = int(level.n_missing[g, mi])
        notes.append(
            f"Rata-rata {word} capaian s.d. bulan ini (skor) atas {included} dari {total} {unit}; "
            f"{missing} IKU wajib lapor bulan ini tanpa angka."
        )
    return notes


def achievement_rows(
    panel: Panel, result: PanelResult, rules: Rules, *, cycle_id: int, period: str
) -> list[dict[str, Any]]:
    """The achievement rows of the panel's last month: indicators, agencies, sectors, province.

    Every row has the same keys (a bulk insert needs that), in a stable order.
    """
    mi = panel.months - 1
    ind = panel.indicators
    grid = panel.targets
    month, ytd = result.month, result.ytd
    n = len(ind)

    table = grid.table
    row = grid.period_row[:, mi]
    has_row = row >= 0
    safe = np.where(has_row, row, 0)

    def pick(column: str) -> list[Any]:
        if not len(table):
            return [None] * n
        picked = table[column].to_numpy(dtype=object)[safe]
        picked[~has_row] = None
        return _py(picked)

    month_note = cp.catatan(
        month.situation[:, mi],
        month.formula[:, mi],
        month.adjustment[:, mi],
        rules,
        derivation=grid.period_derivation[:, mi],
    )
    ytd_note = cp.catatan(
        ytd.situation[:, mi],
        ytd.formula[:, mi],
        ytd.adjustment[:, mi],
        rules,
        derivation=grid.ytd_derivation[:, mi],
    )
    projection_note = np.take(
        np.array(projection_texts(rules), dtype=object), result.projection_method[:, mi]
    )
    notes = [
        f"Bulan ini: {a}. S.d. bulan ini: {b}." + (f" {_sentence(c)}" if c else "")
        for a, b, c in zip(month_note, ytd_note, projection_note, strict=True)
    ]

    raw = month.raw[:, mi]
    situation = month.situation[:, mi]
    derivation = grid.period_derivation[:, mi]
    with np.errstate(invalid="ignore"):
        flag_matrix = (
            np.column_stack(
                [
                    result.missing[:, mi],
                    situation == cp.S_NOT_EXPECTED,
                    result.off_schedule[:, mi],
                    situation == cp.S_NO_TARGET,
                    ~np.isnan(month.realisasi[:, mi]) & np.isnan(raw),
                    situation == cp.S_INSIDE,
                    (derivation >= 1) & (derivation <= 12),
                    raw < 0,
                    month.adjustment[:, mi] == cp.ADJ_FLOORED,
                    month.adjustment[:, mi] == cp.ADJ_CAPPED,
                    raw > rules.plausibility.capaian_verification_above,
                ]
            )
            if n
            else np.zeros((0, len(FLAGS)), dtype=bool)
        )
    flags = [[FLAGS[j] for j in np.flatnonzero(r)] for r in flag_matrix]

    state_names = np.array([STATE_NOT_DUE, *cp.STATE_NAMES[1:]], dtype=object)
    shown_state = np.where(
        result.missing[:, mi] & (panel.states[:, mi] == cp.STATE_ABSENT),
        cp.STATE_NOT_REPORTED,
        panel.states[:, mi],
    )
    columns: dict[str, list[Any]] = {
        "cycle_id": [cycle_id] * n,
        "period": [period] * n,
        "level": ["indicator"] * n,
        "subject_key": [f"indicator:{c}" for c in ind["code"]],
        "indicator_id": _py(ind["indicator_id"].to_numpy()),
        "agency_id": _py(ind["agency_id"].to_numpy()),
        "sector": ind["sector"].tolist(),
        "target_id": pick("target_id"),
        "target_version": pick("version"),
        "target_text": pick("text"),
        "target_lower": _py(grid.period_lower[:, mi]),
        "target_upper": _py(grid.period_upper[:, mi]),
        "realisasi": _py(panel.values[:, mi]),
        "realisasi_state": state_names[shown_state].tolist(),
        "capaian_raw": _py(raw),
        "capaian_scored": _py(month.scored[:, mi]),
        "predikat": month.predikat[:, mi].tolist(),
        "ytd_realisasi": _py(ytd.realisasi[:, mi]),
        "ytd_target": _py(ytd.target_used[:, mi]),
        "ytd_capaian": _py(ytd.raw[:, mi]),
        "trend_delta": _py(result.trend[:, mi]),
        "projection": _py(result.projection[:, mi]),
        "is_at_risk": result.is_at_risk[:, mi].tolist(),
        "n_included": [None] * n,
        "n_missing": [None] * n,
        "flags": flags,
        "note": notes,
    }
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]

    first = ind.drop_duplicates("agency_code").set_index("agency_code")
    agency_ids: dict[Any, Any] = first["agency_id"].to_dict()
    agency_sectors: dict[Any, Any] = first["agency_sector"].to_dict()
    agg = rules.aggregation
    for level_name, level, method, unit in (
        ("agency", result.agencies, agg.agency_method, "IKU"),
        ("sector", result.sectors, agg.sector_method, "IKU"),
        ("province", result.province, agg.province_method, "IKU (rata-rata atas OPD)"),
    ):
        level_notes = _aggregate_note(level, mi, method, unit)
        figure = _py(level.figure[:, mi])
        for g, key in enumerate(level.keys):
            if level_name == "agency":
                subject = f"agency:{key}"
                agency_id, sector = int(agency_ids[key]), str(agency_sectors[key])
            elif level_name == "sector":
                subject, agency_id, sector = f"sector:{key}", None, key
            else:
                subject, agency_id, sector = "province", None, None
            rows.append(
                {
                    "cycle_id": cycle_id,
                    "period": period,
                    "level": level_name,
                    "subject_key": subject,
                    "indicator_id": None,
                    "agency_id": agency_id,
                    "sector": sector,
                    "target_id": None,
                    "target_version": None,
                    "target_text": None,
                    "target_lower": None,
                    "target_upper": None,
                    "realisasi": None,
                    "realisasi_state": None,
                    "capaian_raw": None,
                    "capaian_scored": figure[g],
                    "predikat": level.predikat[g, mi],
                    "ytd_realisasi": None,
                    "ytd_target": None,
                    "ytd_capaian": figure[g],
                    "trend_delta": _py(level.trend[g : g + 1, mi])[0],
                    "projection": _py(level.projection[g : g + 1, mi])[0],
                    "is_at_risk": bool(level.is_at_risk[g, mi]),
                    "n_included": int(level.n_included[g, mi]),
                    "n_missing": int(level.n_missing[g, mi]),
                    "flags": [],
                    "note": level_notes[g],
                }
            )
    return rows


# --------------------------------------------------------------------------------------------
# The database side
# --------------------------------------------------------------------------------------------

#: Submissions whose rows no longer count.
EXCLUDED_SUBMISSION_STATUSES: Final = ("superseded", "rejected")


def load_targets(
    session: Session, year: int, indicator_ids: Select[int] | None = None
) -> pd.DataFrame:
    """Every target of ``year`` (all versions and breakdowns), with :data:`TARGET_COLUMNS`;
    only of the indicators ``indicator_ids`` selects, when given."""
    query = (
        select(
            m.Target.id,
            m.Target.indicator_id,
            m.Target.period_key,
            m.Target.version,
            m.Target.effective_from,
            m.Target.lower,
            m.Target.upper,
            m.Target.comparator,
            m.Target.original_text,
        )
        .where(m.Target.year == year)
        .order_by(m.Target.indicator_id, m.Target.version)
    )
    if indicator_ids is not None:
        query = query.where(m.Target.indicator_id.in_(indicator_ids))
    targets = read_frame(session, query)
    targets.columns = pd.Index(TARGET_COLUMNS)
    targets["lower"] = targets["lower"].astype("float64")
    targets["upper"] = targets["upper"].astype("float64")
    return targets


def load_inputs(
    session: Session, period: Period
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Active indicators, that year's targets and the current accepted realisations.

    A realisation counts when its submission is neither superseded nor rejected; when several
    submissions hold the same indicator and month, the latest ``received_at`` wins (then the
    highest submission id).
    """
    indicators = read_frame(
        session,
        select(
            m.Indicator.id,
            m.Indicator.code,
            m.Indicator.agency_id,
            m.Agency.code,
            m.Agency.sector,
            m.Indicator.sector,
            m.Indicator.polarity,
            m.Indicator.negative_formula,
            m.Indicator.consolidation,
            m.Indicator.frequency,
            m.Indicator.weight,
        )
        .join(m.Agency, m.Agency.id == m.Indicator.agency_id)
        .where(m.Indicator.is_active, m.Agency.is_active)
        .order_by(m.Indicator.code),
    )
    indicators.columns = pd.Index(INDICATOR_COLUMNS)

    targets = load_targets(session, period.year)

    realisations = read_frame(
        session,
        select(
            m.Realisation.indicator_id,
            # The month as a number from the database: a national year has a million
            # realisations, and their period strings were a fifth of this read in pandas.
            cast(func.substr(m.Realisation.period, 6, 2), Integer).label("month"),
            m.Realisation.value,
            m.Realisation.state,
        )
        .join(m.Submission, m.Submission.id == m.Realisation.submission_id)
        .where(
            m.Submission.status.not_in(EXCLUDED_SUBMISSION_STATUSES),
            m.Realisation.period >= f"{period.year:04d}-01",
            m.Realisation.period <= str(period),
        )
        .order_by(m.Submission.received_at, m.Submission.id, m.Realisation.id),
    )
    realisations = realisations.drop_duplicates(["indicator_id", "month"], keep="last")
    realisations["month"] = realisations["month"].astype("int64")
    realisations["value"] = realisations["value"].astype("float64")
    return indicators, targets, realisations.loc[:, list(REALISATION_COLUMNS)]


@dataclass(frozen=True)
class ComputeSummary:
    """What :func:`compute_period` stored."""

    period: str
    cycle_id: int
    rules_version: str
    rows: dict[str, int]
    indicators: int
    with_capaian: int
    with_ytd_capaian: int
    missing: int
    at_risk: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "cycle_id": self.cycle_id,
            "rules_version": self.rules_version,
            "rows": dict(self.rows),
            "indicators": self.indicators,
            "with_capaian": self.with_capaian,
            "with_ytd_capaian": self.with_ytd_capaian,
            "missing": self.missing,
            "at_risk": self.at_risk,
        }


def get_or_create_cycle(session: Session, period: str) -> m.EvaluationCycle:
    """The evaluation_cycle row of a period, created (status ``pending``) when missing."""
    query = select(m.EvaluationCycle).where(m.EvaluationCycle.period == period)
    cycle = session.scalar(query)
    if cycle is not None:
        return cycle
    try:
        with session.begin_nested():
            cycle = m.EvaluationCycle(period=period, status="pending", counts={}, timings={})
            session.add(cycle)
    except IntegrityError:  # created meanwhile by a concurrent run
        cycle = session.scalar(query)
        if cycle is None:
            raise
    return cycle


def compute_frames(
    indicators: pd.DataFrame,
    targets: pd.DataFrame,
    realisations: pd.DataFrame,
    period: Period,
    rules: Rules,
) -> tuple[Panel, PanelResult]:
    """Build the panel of ``period``'s year up to its month and compute it (no database)."""
    panel = build_panel(indicators, targets, realisations, period.year, period.month)
    return panel, compute_panel(panel, rules)


def compute_period(
    session: Session, period: str | Period, rules: Rules | None = None
) -> ComputeSummary:
    """Compute a period and replace its cycle's achievement rows, in the caller's transaction.

    Reads the active indicators, the year's targets and the current accepted realisations of
    January..``period``; creates the period's evaluation_cycle if missing (its status is left to
    the caller; ``rules_version`` is set to the rules used); deletes the cycle's achievement rows
    and bulk-inserts the new ones, so running it twice leaves the same rows.
    """
    when = period if isinstance(period, Period) else Period.parse(period)
    rules = rules or get_rules()
    indicators, targets, realisations = load_inputs(session, when)
    panel, result = compute_frames(indicators, targets, realisations, when, rules)
    cycle = get_or_create_cycle(session, str(when))
    cycle.rules_version = rules.version
    rows = achievement_rows(panel, result, rules, cycle_id=cycle.id, period=str(when))
    session.execute(delete(m.Achievement).where(m.Achievement.cycle_id == cycle.id))
    session.flush()
    # A direct executemany: the ORM's bulk insert split these rows into one statement each
    # (8 of the 12,5 s of a 88.000-IKU national compute).
    bulk_insert(session, table_of(m.Achievement), rows)
    mi = when.month - 1
    counted: dict[str, int] = {}
    for r in rows:
        counted[r["level"]] = counted.get(r["level"], 0) + 1
    n = len(indicators)
    return ComputeSummary(
        period=str(when),
        cycle_id=cycle.id,
        rules_version=rules.version,
        rows=counted,
        indicators=n,
        with_capaian=int(np.count_nonzero(~np.isnan(result.month.raw[:, mi]))) if n else 0,
        with_ytd_capaian=int(np.count_nonzero(~np.isnan(result.ytd.raw[:, mi]))) if n else 0,
        missing=int(np.count_nonzero(result.missing[:, mi])) if n else 0,
        at_risk=int(np.count_nonzero(result.is_at_risk[:, mi])) if n else 0,
    )


def month_end(period: Period) -> date:
    """The last day of a period (the day that decides which target version is in force)."""
    return period.last_day
