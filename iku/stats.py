"""Robust statistics of a series' history: the modified z-score that validation judges with.

    modified z = 0.6745 x (value - median) / MAD          (Iglewicz and Hoaglin; DHIS2 uses 3.5)

written here as ``|value - median| / scale`` with ``scale = MAD / 0.6745``. When MAD is 0 (most
of the history identical), ``scale = 1.253314 x`` the mean absolute deviation (IBM SPSS). The
scale is at least ``rules.plausibility.min_relative_spread x |median|``, so a flat history (100
every month) does not turn 98 into an outlier. A history shorter than
``rules.plausibility.min_history`` has no statistics (nothing to compare against).

:func:`scale_from` is the formula; :func:`series_stats` applies it to many series at once
(validation), :func:`center_and_scale` to one list of values (the simulator keeps its clean
values inside what validation accepts).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt
import pandas as pd

from iku.rules import PlausibilityRules

MAD_TO_SCALE = 1 / 0.6745
MEAN_AD_TO_SCALE = 1.253314

FloatArray = npt.NDArray[np.float64]


def scale_from(
    n: npt.ArrayLike,
    median: npt.ArrayLike,
    mad: npt.ArrayLike,
    mean_ad: npt.ArrayLike,
    rules: PlausibilityRules,
) -> tuple[FloatArray, FloatArray]:
    """(median, robust scale) from each series' size, median, MAD and mean absolute deviation:
    both NaN where the history is too short, the scale NaN where it has no spread at all."""
    n_ = np.asarray(n, dtype=np.float64)
    median_ = np.asarray(median, dtype=np.float64)
    mad_ = np.asarray(mad, dtype=np.float64)
    mean_ad_ = np.asarray(mean_ad, dtype=np.float64)
    scale = np.where(mad_ > 0, mad_ * MAD_TO_SCALE, mean_ad_ * MEAN_AD_TO_SCALE)
    scale = np.maximum(scale, rules.min_relative_spread * np.abs(median_))
    long_enough = n_ >= rules.min_history
    return (
        np.where(long_enough, median_, np.nan),
        np.where(long_enough & (scale > 0), scale, np.nan),
    )


def series_stats(keys: pd.Series, values: pd.Series, rules: PlausibilityRules) -> pd.DataFrame:
    """Per series key: ``hist_n``, ``hist_median`` and ``hist_scale`` of its values."""
    columns = ["key", "hist_n", "hist_median", "hist_scale"]
    if values.empty:
        return pd.DataFrame(columns=columns)
    grouped = values.groupby(keys)
    n, median = grouped.size(), grouped.median()
    deviation = (values - keys.map(median)).abs().groupby(keys)
    center, scale = scale_from(n, median, deviation.median(), deviation.mean(), rules)
    return pd.DataFrame(
        {"key": n.index, "hist_n": n.to_numpy(), "hist_median": center, "hist_scale": scale}
    )


def center_and_scale(
    values: Sequence[float], rules: PlausibilityRules
) -> tuple[float, float] | None:
    """(median, robust scale) of one history, or None when it is too short or flat."""
    data = np.asarray(values, dtype=np.float64)
    if data.size == 0:
        return None
    median = float(np.median(data))
    deviation = np.abs(data - median)
    center, scale = scale_from(
        data.size, median, float(np.median(deviation)), float(deviation.mean()), rules
    )
    if np.isnan(center) or np.isnan(scale):
        return None
    return float(center), float(scale)


def modified_zscore(
    value: npt.ArrayLike, median: npt.ArrayLike, scale: npt.ArrayLike
) -> FloatArray:
    """``|value - median| / scale`` (NaN where there are no statistics)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.abs(
            np.asarray(value, dtype=np.float64) - np.asarray(median, dtype=np.float64)
        ) / np.asarray(scale, dtype=np.float64)
