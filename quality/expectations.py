"""Custom Great Expectations: the median-based (modified z-score) outlier check.

GX has no grouped or median-based outlier expectation. The series statistics (median and robust
scale of each agency x indicator history) are computed beforehand into columns of the validated
frame; this multicolumn map expectation then judges every row against its own series:

    modified z = 0.6745 x (value - median) / MAD          (Iglewicz and Hoaglin; DHIS2 uses 3.5)

``scale`` is the column holding MAD / 0.6745 (or its fallbacks, see iku.stats), so the
condition is ``|value - median| / scale <= threshold``. Rows without history (median or scale
missing) pass: there is nothing to compare against.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import MulticolumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    MulticolumnMapMetricProvider,
)
from great_expectations.expectations.metrics.map_metric_provider.multicolumn_condition_partial import (  # noqa: E501
    multicolumn_condition_partial,
)

from iku.stats import modified_zscore


class MulticolumnValuesModifiedZScoreWithin(MulticolumnMapMetricProvider):
    """Row-wise: |value - median| / scale <= threshold, for column_list = [value, median, scale]."""

    condition_metric_name = "multicolumn_values.modified_zscore_within"
    condition_domain_keys = (
        "batch_id",
        "table",
        "column_list",
        "row_condition",
        "condition_parser",
        "ignore_row_if",
    )
    condition_value_keys = ("threshold",)

    @multicolumn_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column_list: pd.DataFrame, **kwargs: Any) -> pd.Series:
        threshold = float(kwargs["threshold"])
        value, median, scale = (column_list.iloc[:, i].astype("float64") for i in range(3))
        z = pd.Series(modified_zscore(value, median, scale), index=column_list.index)
        # No history, or no value to judge: nothing to compare against, so the row passes.
        return ~(z > threshold) | median.isna() | scale.isna() | value.isna()


class ExpectModifiedZScoreBelowThreshold(MulticolumnMapExpectation):
    """Expect each value's modified z-score against its own series' history to stay at or below
    ``threshold``. ``column_list`` is ``[value, history median, history robust scale]``."""

    threshold: float

    map_metric = "multicolumn_values.modified_zscore_within"
    success_keys = ("mostly", "threshold")
    args_keys = ("column_list", "threshold")
    library_metadata: ClassVar[dict[str, Any]] = {
        "maturity": "production",
        "tags": ["outliers", "robust statistics", "DHIS2"],
        "contributors": ["iku-lampung"],
    }
