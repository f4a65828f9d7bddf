"""The panel of one year and its computation: capaian, year to date, aggregates, trend, projection.

Policies (see also ``docs/engine.md``):

- Capaian, scored capaian and predikat: :mod:`iku.capaian` (PermenPANRB 8/2021, rules file);
  the targets in force: :mod:`iku.targets.resolve`.
- Frequency: monthly IKU expect a value every month, quarterly in Mar/Jun/Sep/Dec, semester in
  Jun/Dec. A month where no value is expected is not "missing". Annual IKU (BPS releases) have no
  fixed month: whichever month a value is reported, it is the year's value, and they are never
  counted missing. Values of quarterly/semester IKU sent in another month are ignored (catatan).
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
- Persistence (:mod:`iku.engine.store`): ``compute_period`` replaces the achievement rows of
  the period's cycle in the caller's transaction (delete + bulk insert), so recomputing is
  idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from iku import capaian as cp
from iku.calendar import ANNUAL, DUE, FREQUENCIES, MONTHS, REPORTABLE
from iku.enums import CONSOLIDATIONS
from iku.rules import Rules
from iku.targets.resolve import AVERAGE, LAST, SUM, TargetGrid, resolve_targets

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

_MONTH_NUMBERS = np.arange(1, MONTHS + 1)

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
REALISATION_COLUMNS: Final = ("indicator_id", "month", "value", "state")


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
    expected = DUE[freq][:, :months] if n else np.zeros((0, months), dtype=bool)
    counts = REPORTABLE[freq][:, :months] if n else np.zeros((0, months), dtype=bool)
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
    counts = REPORTABLE.astype(np.float64)
    later = (_MONTH_NUMBERS[None, :] > _MONTH_NUMBERS[:, None]).astype(np.float64)
    remaining_count = counts @ later.T
    remaining_sum = (counts * _MONTH_NUMBERS) @ later.T
    return remaining_count[freq][:, :months], remaining_sum[freq][:, :months]


def _factorize(values: pd.Series) -> tuple[list[str], IntArray]:
    codes, uniques = pd.factorize(values, sort=True)
    return [str(u) for u in uniques], codes.astype(np.int64)
