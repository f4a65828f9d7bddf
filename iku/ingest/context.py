"""What ingestion needs to know once per run: agencies, indicators, targets, rules, folders.

Also the reference magnitude that settles an ambiguous number: the series' accepted history, or
the month's target in force from the one resolver (:mod:`iku.targets.resolve`).
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iku import calendar
from iku import models as m
from iku.db import now_wib
from iku.rules import Rules, Scale
from iku.targets.read import load_targets
from iku.targets.resolve import TARGET_COLUMNS, MonthTargets, TargetsByMonth

if TYPE_CHECKING:
    from iku.ingest.isolation import ReaderPool
    from iku.runtime import Runtime


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
    """The catalog as ingestion sees it, plus folders and rules. Build with :meth:`load`.

    ``inbox_dir`` is the inbox: files read from it leave it (the archive keeps them) and its
    tree decides the agency (``<inbox>/<AGENCY_CODE>/<file>``); None: no inbox (files are
    left where they are). ``clock`` gives the receipt time of files the system receives
    itself (the time the scan saw them). The reader processes (:mod:`iku.ingest.isolation`)
    start on first use and belong to this process only (they are not pickled).
    """

    engine: Engine
    rules: Rules
    archive_dir: Path
    output_dir: Path
    inbox_dir: Path | None = None
    clock: Callable[[], datetime] = now_wib
    agencies: dict[str, int] = field(default_factory=dict)
    agency_names: dict[str, str] = field(default_factory=dict)
    indicators: dict[str, IndicatorInfo] = field(default_factory=dict)
    #: Every PK target row (all years and versions), as :mod:`iku.targets.resolve` reads them.
    targets: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=TARGET_COLUMNS))
    _history: dict[tuple[int, str], float | None] = field(default_factory=dict)
    _by_month: TargetsByMonth | None = None
    _readers: ReaderPool | None = field(default=None, repr=False, compare=False)
    _readers_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_readers"] = None
        state.pop("_readers_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._readers_lock = threading.Lock()

    def readers(self) -> ReaderPool:
        """This process's reader processes (started on first use)."""
        with self._readers_lock:
            if self._readers is None:
                from iku.ingest.isolation import ReaderPool

                self._readers = ReaderPool()
            return self._readers

    def close(self) -> None:
        """End the reader processes (they also end when this process ends)."""
        with self._readers_lock:
            if self._readers is not None:
                self._readers.close()
                self._readers = None

    @classmethod
    def from_runtime(cls, runtime: Runtime) -> IngestContext:
        """The context of a process's runtime: its database, rules and folders."""
        paths = runtime.paths
        return cls.load(
            runtime.engine,
            runtime.rules,
            archive_dir=paths.archive,
            output_dir=paths.output,
            inbox_dir=paths.inbox,
        )

    @classmethod
    def load(
        cls,
        engine: Engine,
        rules: Rules,
        archive_dir: Path,
        output_dir: Path,
        inbox_dir: Path | None = None,
    ) -> IngestContext:
        context = cls(
            engine=engine,
            rules=rules,
            archive_dir=archive_dir,
            output_dir=output_dir,
            inbox_dir=inbox_dir,
        )
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
