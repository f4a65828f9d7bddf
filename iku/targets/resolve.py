"""The one target resolver: which PK target is in force for each indicator and month.

The engine, validation, ingestion's magnitude check, the Excel template and the simulator all
ask this module; none resolves a target of its own.

Policies (docs/engine.md):

- Target in force (Perubahan PK): for (indicator, year, period_key) the highest ``version`` whose
  ``effective_from`` is on or before the last day of the month. A PK breakdown (``M01``-``M12``,
  ``Q1``-``Q4``, ``S1``-``S2``) belongs to the annual row of the same version (catalog README);
  it is used only together with the annual target in force of that version, otherwise the annual
  target is pro-rated. An indicator without an annual row uses the highest breakdown version
  whose earliest ``effective_from`` has passed.
- Target of the month's own capaian: the target of the reporting period that contains the month.
  ``sum`` IKU: the breakdown row of that period when the PK gives one, otherwise the sum of the
  breakdown months it spans, otherwise the annual target x span/12 (1/12 monthly, 3/12 quarterly,
  6/12 semester, the whole year for annual IKU). ``average``/``last`` IKU: the breakdown row
  covering the period when there is one, otherwise the annual target.
- Year-to-date target: ``sum`` IKU: the sum of the period targets up to the last reporting month
  (pro-rated annual x months/12 without a breakdown); others: the annual target.

:func:`resolve_targets` does it for a whole panel (indicators x months) with numpy;
:func:`month_targets` is the one-month view the other stages use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Final, Protocol

import numpy as np
import numpy.typing as npt
import pandas as pd

from iku import calendar
from iku import capaian as cp
from iku.calendar import KEY_FIRST_MONTH, KEY_SPAN, MONTHS, SPAN
from iku.enums import CONSOLIDATIONS, TARGET_PERIOD_KEYS

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

SUM, AVERAGE, LAST = (CONSOLIDATIONS.index(c) for c in ("sum", "average", "last"))
ANNUAL: Final = calendar.ANNUAL

#: The columns of a target table (one row per target row of the PK, every version).
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
    annual_row: IntArray
    path_fraction: FloatArray
    #: The target line to date of a cumulative IKU: the level of the PK breakdown row covering
    #: the month, otherwise the annual target x month/12 (domain.md section 3, PWS monitoring).
    line_lower: FloatArray
    line_upper: FloatArray
    #: ``sum`` IKU: the sum of the period targets of the months whose values count
    #: (``counted``), as the version in force in the month plans them. Missing is never zero:
    #: a month without a number adds nothing to the year-to-date target either.
    reported_lower: FloatArray
    reported_upper: FloatArray


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


def _masked_sum(values: FloatArray, mask: BoolArray) -> FloatArray:
    """Row sums of ``values`` where ``mask``; NaN where a masked value is NaN (a month with a
    number but no target) or where nothing is masked."""
    with np.errstate(invalid="ignore"):
        total = np.where(mask, values, 0.0).sum(axis=1)
    unknown = (mask & np.isnan(values)).any(axis=1) | ~mask.any(axis=1)
    return np.where(unknown, np.nan, total)


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
    counted: BoolArray | None = None,
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
    table["key"] = cp.encode(table["period_key"], TARGET_PERIOD_KEYS).astype(np.int64)
    table = table[(table["pos"] >= 0) & (table["key"] >= 0)]
    table = table.sort_values(["pos", "key", "version"], kind="stable").reset_index(drop=True)
    pos = table["pos"].to_numpy(dtype=np.int64)
    key = table["key"].to_numpy(dtype=np.int64)
    version = table["version"].to_numpy(dtype=np.int64)
    start = _effective_month(table["effective_from"], year)
    end = _superseded_from(pos * len(TARGET_PERIOD_KEYS) + key, start)

    # Row attributes with a sentinel at the end, so position -1 reads "no target".
    lower = np.append(table["lower"].to_numpy(dtype=np.float64), np.nan)
    upper = np.append(table["upper"].to_numpy(dtype=np.float64), np.nan)
    comparator = np.append(cp.encode(table["comparator"], cp.COMPARATORS), np.int8(-1))
    row_version = np.append(version, -1)
    row_span = np.append(KEY_SPAN[key], 1).astype(np.float64)

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
                ok = chosen[KEY_SPAN[key[chosen]] > offset]
                grid[pos[ok], KEY_FIRST_MONTH[key[ok]] - 1 + offset] = ok
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
        annual_row=annual_row,
        path_fraction=np.full(shape, np.nan),
        line_lower=np.full(shape, np.nan),
        line_upper=np.full(shape, np.nan),
        reported_lower=np.full(shape, np.nan),
        reported_upper=np.full(shape, np.nan),
    )
    counted_months = (
        np.zeros((n, MONTHS), dtype=bool)
        if counted is None
        else np.pad(np.asarray(counted, dtype=bool), ((0, 0), (0, MONTHS - counted.shape[1])))
    )
    month_numbers = np.arange(1, MONTHS + 1)
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
        share = month / MONTHS
        grid_out.line_lower[:, mi] = np.where(level_row >= 0, lower[level_row], eff_low * share)
        grid_out.line_upper[:, mi] = np.where(level_row >= 0, upper[level_row], eff_high * share)
        # The period targets of the months counted so far, under this month's version.
        if n:
            begin = np.maximum(month_numbers[None, :] - span[:, None], 0)
            per_low = cum_low[:, 1:] - np.take_along_axis(cum_low, begin, axis=1)
            per_high = cum_high[:, 1:] - np.take_along_axis(cum_high, begin, axis=1)
            upto = counted_months & (month_numbers <= month)[None, :]
            grid_out.reported_lower[:, mi] = np.where(
                yearly_sum, eff_low, _masked_sum(per_low, upto)
            )
            grid_out.reported_upper[:, mi] = np.where(
                yearly_sum, eff_high, _masked_sum(per_high, upto)
            )
        reference = np.where(np.isnan(cum_low[:, MONTHS]), cum_high.T, cum_low.T).T
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = _at(reference, last_counted) / reference[:, MONTHS]
        grid_out.path_fraction[:, mi] = np.where(is_sum & (last_counted > 0), fraction, np.nan)
    return grid_out


# --------------------------------------------------------------------------------------------
# One month
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthTargets:
    """The targets in force in one month, one entry per indicator (in the order asked).

    ``lower``/``upper``/``comparator``: the target of the reporting period containing the month
    (what the month's value is compared with); ``annual_*``: the annual target in force;
    ``row``: the target row used (position in ``table``, -1: none or derived from several);
    ``derivation``: :mod:`iku.capaian` codes (0 as written, 1-12 annual x k/12, 13 sum of the
    breakdown).
    """

    keys: pd.Index
    table: pd.DataFrame
    lower: FloatArray
    upper: FloatArray
    comparator: npt.NDArray[np.int8]
    row: IntArray
    derivation: IntArray
    annual_lower: FloatArray
    annual_upper: FloatArray
    annual_row: IntArray
    #: The annual target's comparator (what a cumulative IKU's line keeps).
    annual_cmp: npt.NDArray[np.int8]
    #: The target line to date of a cumulative IKU in this month (:class:`TargetGrid`).
    line_lower: FloatArray
    line_upper: FloatArray

    def position(self, key: Any) -> int:
        """The entry of an indicator key (-1 when it was not asked)."""
        return int(self.keys.get_indexer(pd.Index([key]))[0])

    def _cell(self, column: str, row: int) -> Any:
        return None if row < 0 else self.table[column].iat[row]

    def text(self, i: int) -> str | None:
        """The target text as the PK writes it, when the month's target is one row as written."""
        return self._cell("text", int(self.row[i]))

    def version(self, i: int) -> int | None:
        version = self._cell("version", int(self.row[i]))
        return None if version is None else int(version)

    def point(self, i: int) -> float | None:
        """One number for the month's target: its bound, or the middle of a range."""
        return _point(float(self.lower[i]), float(self.upper[i]))

    def annual_point(self, i: int) -> float | None:
        return _point(float(self.annual_lower[i]), float(self.annual_upper[i]))

    def line_point(self, i: int) -> float | None:
        """One number for a cumulative IKU's target line to date in this month."""
        return _point(float(self.line_lower[i]), float(self.line_upper[i]))

    def compared(
        self, to_date: npt.ArrayLike
    ) -> tuple[FloatArray, FloatArray, npt.NDArray[np.int8]]:
        """The bounds and comparator a month's value is compared with, per entry: the target
        line to date where ``to_date`` (see :func:`uses_line`), else the period's target."""
        line = np.asarray(to_date, dtype=bool)
        return (
            np.where(line, self.line_lower, self.lower),
            np.where(line, self.line_upper, self.upper),
            np.where(line, self.annual_cmp, self.comparator).astype(np.int8),
        )

    def describe(self, i: int, format_number: Any) -> str:
        """How an agency reads the target of its line: the annual target in force (and its PK
        version), and the month's own target when it differs (``periode ini: ...``).
        ``format_number`` writes a number the Indonesian way."""
        arow, row = int(self.annual_row[i]), int(self.row[i])
        parts = []
        if arow >= 0:
            annual = str(self.table["text"].iat[arow])
            version = int(self.table["version"].to_numpy()[arow])
            parts.append(f"{annual} (Perubahan PK, versi {version})" if version > 1 else annual)
        same = _same(self.lower[i], self.annual_lower[i]) and _same(
            self.upper[i], self.annual_upper[i]
        )
        if arow < 0 or not same:
            direct = row >= 0 and row != arow and int(self.derivation[i]) == cp.TD_DIRECT
            own = self.text(i) if direct else None
            if own is None:
                own = _bounds_text(
                    float(self.lower[i]),
                    float(self.upper[i]),
                    int(self.comparator[i]),
                    format_number,
                )
            if own:
                parts.append(f"periode ini: {own}" if parts else own)
        return "; ".join(parts) or "-"

    def frame(self) -> pd.DataFrame:
        """One row per indicator: ``indicator_id`` (the key), ``target_lower``,
        ``target_upper``, ``target_cmp``, ``target_text``, ``target_version``."""
        texts = self.table["text"].to_numpy(dtype=object) if len(self.table) else None
        versions = self.table["version"].to_numpy(dtype=object) if len(self.table) else None
        rows = self.row.tolist()
        return pd.DataFrame(
            {
                "indicator_id": self.keys.to_numpy(),
                "target_lower": self.lower,
                "target_upper": self.upper,
                "target_cmp": self.comparator,
                "target_text": [texts[r] if r >= 0 and texts is not None else None for r in rows],
                "target_version": [
                    versions[r] if r >= 0 and versions is not None else None for r in rows
                ],
            }
        )


def _same(a: float, b: float) -> bool:
    return bool((np.isnan(a) and np.isnan(b)) or a == b)


def _point(lower: float, upper: float) -> float | None:
    if not np.isnan(lower) and not np.isnan(upper):
        return (lower + upper) / 2
    if not np.isnan(lower):
        return lower
    return None if np.isnan(upper) else upper


_COMPARATOR_SIGNS: Final = {cp.CMP_LE: "≤ ", cp.CMP_LT: "< ", cp.CMP_GE: "≥ ", cp.CMP_GT: "> "}


def _bounds_text(lower: float, upper: float, comparator: int, format_number: Any) -> str:
    if np.isnan(lower) and np.isnan(upper):
        return ""
    if comparator == cp.CMP_RANGE or (
        not np.isnan(lower) and not np.isnan(upper) and lower != upper
    ):
        return f"{format_number(lower)} - {format_number(upper)}"
    value = lower if not np.isnan(lower) else upper
    return _COMPARATOR_SIGNS.get(comparator, "") + format_number(value)


def month_targets(
    keys: Iterable[Any],
    frequency: Iterable[str],
    consolidation: Iterable[str],
    targets: pd.DataFrame,
    period: str,
) -> MonthTargets:
    """The targets in force in ``period`` for the indicators ``keys`` (any hashable ids, as
    ``targets["indicator_id"]`` holds them), with their frequency and consolidation words."""
    year, month = calendar.split(period)
    index = pd.Index(list(keys))
    year_targets = targets[targets["year"] == year] if "year" in targets else targets
    grid = resolve_targets(
        index,
        cp.encode(list(frequency), calendar.FREQUENCIES),
        cp.encode(list(consolidation), CONSOLIDATIONS),
        year_targets,
        year,
        month,
        from_month=month,
    )
    col = month - 1
    return MonthTargets(
        keys=index,
        table=grid.table,
        lower=grid.period_lower[:, col],
        upper=grid.period_upper[:, col],
        comparator=grid.period_cmp[:, col],
        row=grid.period_row[:, col],
        derivation=grid.period_derivation[:, col],
        annual_lower=grid.annual_lower[:, col],
        annual_upper=grid.annual_upper[:, col],
        annual_row=grid.annual_row[:, col],
        annual_cmp=grid.annual_cmp[:, col],
        line_lower=grid.line_lower[:, col],
        line_upper=grid.line_upper[:, col],
    )


def uses_line(
    cumulative: Iterable[bool],
    consolidation: Iterable[str],
    frequency: Iterable[str],
    policy: str,
) -> BoolArray:
    """Which IKU a month's value compares with the target line to date: cumulative ``last``
    IKU (annual IKU count as ``last``) under ``year_to_date.cumulative_target: to_date``, as
    the engine compares them (docs/engine.md, section 3a). Validation and the simulator ask
    this, so a value on the line is never "capaian above 150%"."""
    cum = np.asarray(list(cumulative), dtype=bool)
    cons = np.asarray(list(consolidation), dtype=object)
    freq = np.asarray(list(frequency), dtype=object)
    if policy != "to_date" or not len(cum):
        return np.zeros(len(cum), dtype=bool)
    return np.asarray(cum & ((cons == "last") | (freq == "annual")), dtype=bool)


class TargetsByMonth:
    """The targets in force of a fixed set of indicators, month by month, each month resolved
    once (ingestion and the simulator ask about the same few months again and again)."""

    def __init__(
        self,
        keys: Iterable[Any],
        frequency: Iterable[str],
        consolidation: Iterable[str],
        targets: pd.DataFrame,
    ) -> None:
        self._keys, self._frequency = list(keys), list(frequency)
        self._consolidation, self._targets = list(consolidation), targets
        self._months: dict[str, MonthTargets] = {}

    def __call__(self, period: str) -> MonthTargets:
        found = self._months.get(period)
        if found is None:
            found = self._months[period] = month_targets(
                self._keys, self._frequency, self._consolidation, self._targets, period
            )
        return found


class TargetRowLike(Protocol):
    """A target row from the catalog files or the database."""

    @property
    def year(self) -> int: ...
    @property
    def period_key(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def lower(self) -> float | None: ...
    @property
    def upper(self) -> float | None: ...
    @property
    def comparator(self) -> str: ...


def target_table(rows: Iterable[tuple[Any, TargetRowLike, str, Any]]) -> pd.DataFrame:
    """A target table (:data:`TARGET_COLUMNS` plus ``year``) from ``(indicator key, row,
    text, effective_from)`` tuples: the catalog's rows before they are in the database."""
    records = [
        (
            -1,
            key,
            row.period_key,
            int(row.version),
            effective_from,
            np.nan if row.lower is None else float(row.lower),
            np.nan if row.upper is None else float(row.upper),
            row.comparator,
            text,
            int(row.year),
        )
        for key, row, text, effective_from in rows
    ]
    frame = pd.DataFrame.from_records(records, columns=[*TARGET_COLUMNS, "year"])
    frame["lower"] = frame["lower"].astype("float64")
    frame["upper"] = frame["upper"].astype("float64")
    return frame
