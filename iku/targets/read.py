"""Reading the PK targets from the database as a target table (see :mod:`iku.targets.resolve`)."""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import read_frame
from iku.targets.resolve import TARGET_COLUMNS


def load_targets(
    session: Session, year: int | None = None, indicator_ids: Select[int] | None = None
) -> pd.DataFrame:
    """Every target of ``year`` (all years by default; all versions and breakdowns), with
    :data:`TARGET_COLUMNS` and ``year``; only of the indicators ``indicator_ids`` selects,
    when given."""
    query = select(
        m.Target.id,
        m.Target.indicator_id,
        m.Target.period_key,
        m.Target.version,
        m.Target.effective_from,
        m.Target.lower,
        m.Target.upper,
        m.Target.comparator,
        m.Target.original_text,
        m.Target.year,
    ).order_by(m.Target.indicator_id, m.Target.version)
    if year is not None:
        query = query.where(m.Target.year == year)
    if indicator_ids is not None:
        query = query.where(m.Target.indicator_id.in_(indicator_ids))
    targets = read_frame(session, query)
    targets.columns = pd.Index([*TARGET_COLUMNS, "year"])
    targets["lower"] = targets["lower"].astype("float64")
    targets["upper"] = targets["upper"].astype("float64")
    return targets
