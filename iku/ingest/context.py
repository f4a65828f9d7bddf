"""What ingestion needs to know once per run: agencies, indicators, targets, rules, folders.

Also the reference magnitude that settles an ambiguous number: the series' accepted history, or
the month's target in force from the one resolver (:mod:`iku.targets.resolve`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iku import calendar
from iku import models as m
from iku.rules import Rules, Scale
from iku.targets.read import load_targets
from iku.targets.resolve import TARGET_COLUMNS, MonthTargets, TargetsByMonth


@dataclass(frozen=True, slots=True)
class IndicatorInfo:
    id: int
    code: str
    agency_code: str
    name: str
    unit: str
    frequency: str
    consolidation: str
    min_value: float | None
    max_value: float | None
    evidence_required: bool
    cumulative: bool = False
    scale: str | None = None


@dataclass
class IngestContext:
    """The catalog as ingestion sees it, plus folders and rules. Build with :meth:`load`."""

    engine: Engine
    rules: Rules
    archive_dir: Path
    output_dir: Path
    agencies: dict[str, int] = field(default_factory=dict)
    agency_names: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, IndicatorInfo] = field(default_factory=dict)
    #: Every PK target row (all years and versions), as :mod:`iku.targets.resolve` reads them.
    targets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TARGET_COLUMNS))
    _history: dict[tuple[int, str], float | None] = field(default_factory=dict)
    _by_month: TargetsByMonth | None = None

    @classmethod
    def load(
        cls, engine: Engine, rules: Rules, archive_dir: Path, output_dir: Path
    ) -> IngestContext:
        context = cls(engine=engine, rules=rules, archive_dir=archive_dir, output_dir=output_dir)
        with engine.connect() as connection:
            for agency_id, code, name in connection.execute(
                select(m.Agency.id, m.Agency.code, m.Agency.name).where(m.Agency.is_active)
            ):
                context.agencies[code] = agency_id
                context.agency_names[code] = name
            rows = connection.execute(
                select(m.Indicator, m.Agency.code.label("agency_code"))
                .join(m.Agency, m.Indicator.agency_id == m.Agency.id)
                .where(m.Indicator.is_active)
            ).mappings()
            for row in rows:
                context.indicators[row["code"]] = IndicatorInfo(
                    id=row["id"],
                    code=row["code"],
                    agency_code=row["agency_code"],
                    name=row["name"],
                    unit=row["unit"],
                    frequency=row["frequency"],
                    consolidation=row["consolidation"],
                    min_value=row["min_value"],
                    max_value=row["max_value"],
                    evidence_required=row["evidence_required"],
                    cumulative=row["cumulative"],
                    scale=row["scale"],
                )
        with Session(engine) as session:
            context.targets = load_targets(session)
        return context

    def month_targets(self, period: str) -> MonthTargets:
        """The targets in force in ``period`` for every active indicator (keyed by its id)."""
        if self._by_month is None:
            infos = list(self.indicators.values())
            self._by_month = TargetsByMonth(
                [i.id for i in infos],
                [i.frequency for i in infos],
                [i.consolidation for i in infos],
                self.targets,
            )
        return self._by_month(period)

    def history_median(self, indicator: IndicatorInfo, period: str) -> float | None:
        """Median of the indicator's accepted numbers in the 12 periods before ``period``."""
        key = (indicator.id, period)
        if key not in self._history:
            start = calendar.shift_period(period, -12)
            with self.engine.connect() as connection:
                values = [
                    v
                    for v in connection.scalars(
                        select(m.Realisation.value).where(
                            m.Realisation.indicator_id == indicator.id,
                            m.Realisation.state == "angka",
                            m.Realisation.period >= start,
                            m.Realisation.period < period,
                        )
                    )
                    if v is not None
                ]
            self._history[key] = statistics.median(values) if values else None
        return self._history[key]

    def scale_of(self, agency_code: str, indicator_code: str) -> Scale | None:
        """The ordinal scale of a qualitative IKU of the agency, or None."""
        indicator = self.indicators.get(indicator_code.strip().upper())
        if indicator is None or indicator.agency_code != agency_code or indicator.scale is None:
            return None
        try:
            return self.rules.scale(indicator.scale)
        except KeyError:
            return None

    def magnitude(
        self, agency_code: str, indicator_code: str, period: str
    ) -> tuple[float | None, float | None, float | None] | None:
        """(reference, lower, upper) to settle an ambiguous number; None for an unknown IKU.

        The reference is the median of the accepted history if there is one, else the target.
        """
        indicator = self.indicators.get(indicator_code.strip().upper())
        if indicator is None or indicator.agency_code != agency_code:
            return None
        reference = self.history_median(indicator, period)
        if reference is None:
            targets = self.month_targets(period)
            reference = targets.point(targets.position(indicator.id))
        return reference, indicator.min_value, indicator.max_value
