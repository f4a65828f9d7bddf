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
  values and of that line at the remaining reporting months; annual IKU: their reported value
  (one value a year: ``min_months`` does not apply). Otherwise no projection with fewer than
  ``rules.projection.min_months`` reported values. ``is_at_risk``
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
    "cumulative",
)
#: Optional: ``scale``, a qualitative IKU's ordinal scale (the catatan write its grades);
#: ``withheld``, its agency's month is not approved and the rules file's
#: ``approval.unapproved_in_province`` is ``withheld``: out of the sector and province figures.
OPTIONAL_INDICATOR_COLUMNS: Final = ("scale",)
REALISATION_COLUMNS: Final = ("indicator_id", "month", "value", "state", "held")


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
    #: Values cumulative to date (coverage): compared with the target line to date.
    cumulative: BoolArray
    #: A value flagged by a rule of ``rules.aggregation.hold_until_verified``, not verified yet.
    held: BoolArray


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
    held = np.zeros((n, months), dtype=bool)
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
        if "held" in realisations:
            held[rpos, rcol] = realisations["held"].to_numpy(dtype=bool)[keep]
    reportable = REPORTABLE[frequency.astype(np.int64)][:, :months]
    counted = ~np.isnan(values) & reportable
    grid = resolve_targets(ids, frequency, consolidation, targets, year, months, counted=counted)
    cumulative = (
        indicators["cumulative"].fillna(False).to_numpy(dtype=bool)
        if "cumulative" in indicators
        else np.zeros(n, dtype=bool)
    )
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
        cumulative=cumulative,
        held=held,
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
    #: Members held out of the figure (awaiting verification).
    n_held: IntArray
    #: Members with a figure, and all members (agencies of the province; IKU otherwise).
    n_members_included: IntArray
    n_members: IntArray


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
    #: Year to date: due months reported and due so far (annual IKU: one value, 1 expected).
    months_reported: IntArray
    months_expected: IntArray
    ytd_complete: BoolArray
    #: The month of the value a ``last`` year to date uses (0: none), and whether the latest
    #: due value is missing (then the year to date counts as missing).
    latest_month: IntArray
    latest_value: FloatArray
    overdue: BoolArray
    #: Target met as written (iku.capaian.target_met codes), for the month and the year to date.
    met: npt.NDArray[np.int8]
    ytd_met: npt.NDArray[np.int8]
    #: A cumulative IKU's latest value against the year-end target (raw capaian).
    year_end: FloatArray
    #: The target the month's own capaian compared with (the line to date of a cumulative IKU).
    month_lower: FloatArray
    month_upper: FloatArray
    month_cmp: npt.NDArray[np.int8]
    #: Held out of the aggregates (awaiting verification), counted in them, counted at the cap.
    held: BoolArray
    in_aggregate: BoolArray
    capped: BoolArray


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


@dataclass
class Members:
    """What an aggregate averages, one row per member (an IKU, or an agency for the
    province), one column per month: the figure (NaN: not counted) and its projection, and the
    counts each member carries (IKU included, missing, held, all)."""

    figure: FloatArray
    projection: FloatArray
    included: FloatArray
    missing: FloatArray
    held: FloatArray
    total: FloatArray


def _aggregate(
    keys: list[str], codes: IntArray, weights: FloatArray, members: Members, rules: Rules
) -> Level:
    """Weighted means of the members' figures and projections per group code."""
    groups = len(keys)
    figure, projection = members.figure, members.projection
    counted = ~np.isnan(figure)
    w = weights if weights.ndim == 2 else weights[:, None]
    total = _group_sum(codes, groups, np.where(counted, w, 0.0))
    sums = _group_sum(codes, groups, np.where(counted, w * np.nan_to_num(figure), 0.0))
    has_projection = ~np.isnan(projection)
    p_total = _group_sum(codes, groups, np.where(has_projection, w, 0.0))
    p_sums = _group_sum(codes, groups, np.where(has_projection, w * np.nan_to_num(projection), 0))
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(total > 0, sums / total, np.nan)
        projected = np.where(p_total > 0, p_sums / p_total, np.nan)
    threshold = cp.band_lower(rules.projection.at_risk_below_band, rules.predikat)
    ones = np.ones(figure.shape)
    return Level(
        keys=keys,
        figure=mean,
        predikat=cp.predikat(mean.ravel(), rules.predikat).reshape(mean.shape),
        n_included=_group_sum(codes, groups, members.included).astype(np.int64),
        n_missing=_group_sum(codes, groups, members.missing).astype(np.int64),
        n_indicators=_group_sum(codes, groups, members.total).astype(np.int64),
        trend=_trend(mean),
        projection=projected,
        is_at_risk=~np.isnan(projected) & (projected < threshold),
        weight_total=total,
        n_held=_group_sum(codes, groups, members.held).astype(np.int64),
        n_members_included=_group_sum(codes, groups, counted.astype(np.float64)).astype(np.int64),
        n_members=_group_sum(codes, groups, ones).astype(np.int64),
    )


def _latest(mask: BoolArray) -> IntArray:
    """Per row and month: the latest month index (0-based) up to it where ``mask``, or -1."""
    months = mask.shape[1]
    return np.maximum.accumulate(np.where(mask, np.arange(months), -1), axis=1)


def _taken(values: npt.NDArray[Any], at: IntArray) -> npt.NDArray[Any]:
    """``values[i, at[i, m]]`` for every row and month (NaN where ``at`` is -1)."""
    picked = np.take_along_axis(values, np.maximum(at, 0), axis=1).astype(np.float64)
    return np.where(at >= 0, picked, np.nan)


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
    kind = np.where(freq == ANNUAL, LAST, cons)[:, None]
    # Cumulative IKU against the target line to date (policy), others against their period.
    to_date = (panel.cumulative & (rules.year_to_date.cumulative_target == "to_date"))[:, None]
    to_date = to_date & (kind == LAST)

    # The month's own capaian.
    month_state = np.where(
        missing & (panel.states == cp.STATE_ABSENT), cp.STATE_NOT_REPORTED, panel.states
    ).astype(np.int8)
    month_lower = np.where(to_date, grid.line_lower, grid.period_lower)
    month_upper = np.where(to_date, grid.line_upper, grid.period_upper)
    month_cmp = np.where(to_date, grid.annual_cmp, grid.period_cmp).astype(np.int8)
    month = _evaluate(counted, month_state, month_lower, month_upper, month_cmp, panel, rules)
    quiet = ~expected & ~has_value & (panel.states == cp.STATE_ABSENT)
    month.situation[quiet] = cp.S_NOT_EXPECTED
    month.situation[off_schedule] = cp.S_OFF_SCHEDULE
    polarity = np.repeat(panel.polarity[:, None], months, axis=1)
    met = cp.target_met(counted, month_lower, month_upper, month_cmp, polarity)

    # Year to date: the months reported only, against the targets of those same months.
    reported = np.cumsum(has_counted, axis=1)
    zeros = np.nan_to_num(counted)
    running = np.cumsum(zeros, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ytd_mean = np.where(reported > 0, running / reported, np.nan)
    sum_value = np.where(reported > 0, running, np.nan)
    sum_lower, sum_upper = grid.reported_lower, grid.reported_upper
    latest = _latest(has_counted)
    ytd_last = _taken(zeros, latest)
    # A ``last`` value older than the latest due month: the due value is missing (overdue).
    latest_due = _latest(expected)
    overdue = (kind == LAST) & (latest_due >= 0) & (latest < latest_due)
    yearly_sum = (kind == SUM) & (freq == ANNUAL)[:, None]
    is_sum = (kind == SUM) & ~yearly_sum
    ytd_value = np.select(
        [is_sum, kind == AVERAGE, overdue], [sum_value, ytd_mean, np.nan], default=ytd_last
    )
    ytd_lower = np.select(
        [is_sum, to_date], [sum_lower, _taken(grid.line_lower, latest)], default=grid.ytd_lower
    )
    ytd_upper = np.select(
        [is_sum, to_date], [sum_upper, _taken(grid.line_upper, latest)], default=grid.ytd_upper
    )
    last_state = _latest(panel.states > 0)
    recent_state = np.where(
        last_state >= 0,
        np.take_along_axis(panel.states, np.maximum(last_state, 0), axis=1),
        cp.STATE_ABSENT,
    )
    due_so_far = np.cumsum(expected, axis=1) > 0
    # Overdue: the latest due month's own state says why ("belum tersedia"), else not reported.
    latest_due_state = np.where(
        latest_due >= 0,
        np.take_along_axis(panel.states, np.maximum(latest_due, 0), axis=1),
        cp.STATE_ABSENT,
    )
    overdue_state = np.where(
        latest_due_state == cp.STATE_NOT_AVAILABLE, cp.STATE_NOT_AVAILABLE, cp.STATE_NOT_REPORTED
    )
    ytd_state = np.where(
        overdue,
        overdue_state,
        np.where(
            reported > 0,
            cp.STATE_NUMBER,
            np.where(
                (recent_state == cp.STATE_ABSENT) & due_so_far, cp.STATE_NOT_REPORTED, recent_state
            ),
        ),
    ).astype(np.int8)
    ytd = _evaluate(ytd_value, ytd_state, ytd_lower, ytd_upper, grid.ytd_cmp, panel, rules)
    nothing_due = (reported == 0) & (ytd_state == cp.STATE_ABSENT) & ~due_so_far
    ytd.situation[nothing_due] = cp.S_NOT_EXPECTED
    ytd_met = cp.target_met(ytd_value, ytd_lower, ytd_upper, grid.ytd_cmp, polarity)
    annual = (freq == ANNUAL)[:, None]
    months_expected = np.where(annual, 1, np.cumsum(expected, axis=1))
    months_reported = np.where(
        annual, (reported > 0).astype(np.int64), np.cumsum(has_value & expected, axis=1)
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        share = months_reported / months_expected
    ytd_complete = annual | (months_expected == 0) | (share >= rules.year_to_date.min_completeness)
    year_end = _evaluate(
        ytd_value, ytd_state, grid.annual_lower, grid.annual_upper, grid.annual_cmp, panel, rules
    ).raw
    year_end = np.where(to_date, year_end, np.nan)

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
        # The reported months against their share of the plan: the path to December.
        planned = np.where(np.isnan(sum_lower), sum_upper, sum_lower)
        annual_point = np.where(np.isnan(grid.annual_lower), grid.annual_upper, grid.annual_lower)
        path = sum_value / (planned / annual_point)
    projected_r = np.select(
        [annual, kind == SUM, kind == AVERAGE],
        [ytd_last, path, mean_projection],
        default=line_december,
    )
    method = np.select(
        [annual, kind == SUM, kind == AVERAGE],
        [P_ANNUAL, P_PATH, P_MEAN],
        default=P_LINE,
    ) * np.ones((1, months), dtype=np.int64)
    # An annual IKU has one value a year: once reported, it is the year-end value itself.
    enough = (reported >= rules.projection.min_months) | (annual & (reported > 0))
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

    # Aggregates: an IKU counts at most the cap, and not at all while a value of its year to
    # date waits for a steward's verification.
    held_any = np.cumsum(panel.held & has_counted, axis=1) > 0
    held = np.where(kind == LAST, _taken(panel.held.astype(np.float64), latest) > 0, held_any)
    held = held & ~np.isnan(ytd.scored)
    cap = rules.aggregation.cap
    capped = ~held & (ytd.scored > cap) if cap is not None else np.zeros_like(held)
    counted_figure = np.minimum(ytd.scored, np.inf if cap is None else cap)
    figure = np.where(held, np.nan, counted_figure)
    projection_counted = np.where(
        held, np.nan, np.minimum(projection, np.inf if cap is None else cap)
    )
    in_aggregate = ~np.isnan(figure)
    iku = Members(
        figure=figure,
        projection=projection_counted,
        included=in_aggregate.astype(np.float64),
        missing=missing.astype(np.float64),
        held=held.astype(np.float64),
        total=np.ones((n, months)),
    )
    ind = panel.indicators
    agency_keys, agency_codes = _factorize(ind["agency_code"])
    sector_keys, sector_codes = _factorize(ind["sector"])
    agg = rules.aggregation
    agency_weights = panel.weight if agg.agency_method == "weighted" else np.ones(n)
    sector_weights = panel.weight if agg.sector_method == "weighted" else np.ones(n)
    agencies = _aggregate(agency_keys, agency_codes, agency_weights, iku, rules)
    # Agencies whose month is not approved, under ``approval.unapproved_in_province:
    # withheld``: out of the sector and province figures (their own figures stay).
    withheld = (
        ind["withheld"].fillna(False).to_numpy(dtype=bool)
        if "withheld" in ind
        else np.zeros(n, dtype=bool)
    )
    agency_withheld = np.zeros(len(agency_keys), dtype=bool)
    agency_withheld[agency_codes[withheld]] = True
    sector_members = iku
    if withheld.any():
        out = withheld[:, None]
        sector_members = Members(
            figure=np.where(out, np.nan, iku.figure),
            projection=np.where(out, np.nan, iku.projection),
            included=np.where(out, 0.0, iku.included),
            missing=iku.missing,
            held=iku.held,
            total=iku.total,
        )
    sectors = _aggregate(sector_keys, sector_codes, sector_weights, sector_members, rules)
    province = _province(agencies, panel, agency_codes, iku.included, rules, agency_withheld)
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
        months_reported=months_reported.astype(np.int64),
        months_expected=months_expected.astype(np.int64),
        ytd_complete=ytd_complete,
        latest_month=latest + 1,
        latest_value=ytd_last,
        overdue=overdue,
        met=met,
        ytd_met=ytd_met,
        year_end=year_end,
        month_lower=month_lower,
        month_upper=month_upper,
        month_cmp=month_cmp,
        held=held,
        in_aggregate=in_aggregate,
        capped=capped,
    )


def _province(
    agencies: Level,
    panel: Panel,
    agency_codes: IntArray,
    included: FloatArray,
    rules: Rules,
    withheld: BoolArray | None = None,
) -> Level:
    """The province: a mean over agencies (one vote each, or weighted by their included IKU);
    ``withheld`` agencies (not approved, under the ``withheld`` policy) are not counted."""
    count = len(agencies.keys)
    weights: FloatArray
    if rules.aggregation.province_method == "weighted":
        weights = _group_sum(agency_codes, count, included * panel.weight[:, None])
    else:
        weights = np.ones(count)
    out = np.zeros((count, 1), dtype=bool) if withheld is None else withheld[:, None]
    members = Members(
        figure=np.where(out, np.nan, agencies.figure),
        projection=np.where(out, np.nan, agencies.projection),
        included=np.where(out, 0.0, agencies.n_included.astype(np.float64)),
        missing=agencies.n_missing.astype(np.float64),
        held=agencies.n_held.astype(np.float64),
        total=agencies.n_indicators.astype(np.float64),
    )
    return _aggregate(["province"], np.zeros(count, dtype=np.int64), weights, members, rules)


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
