"""What ingestion needs to know once per run: agencies, indicators, targets, rules, folders.

Also the target in force for a period (a small scalar version of the engine's vectorised one)
and the reference magnitude that settles an ambiguous number.
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import Engine, select

from iku import models as m
from iku.db import now_wib
from iku.ingest import periods
from iku.rules import Rules

if TYPE_CHECKING:
    from iku.ingest.isolation import ReaderPool
    from iku.runtime import Runtime


class TargetLike(Protocol):
    """Anything with a target's key fields (a model row, a catalog row, a TargetInfo)."""

    @property
    def year(self) -> int: ...
    @property
    def period_key(self) -> str: ...
    @property
    def version(self) -> int: ...
    @property
    def effective_from(self) -> date: ...
    @property
    def lower(self) -> float | None: ...
    @property
    def upper(self) -> float | None: ...


@dataclass(frozen=True, slots=True)
class TargetInfo:
    year: int
    period_key: str
    version: int
    effective_from: date
    lower: float | None
    upper: float | None
    comparator: str
    text: str


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
    targets: tuple[TargetInfo, ...] = ()


T = TypeVar("T", bound=TargetLike)


def target_in_force(targets: Iterable[T], period: str, period_key: str = "annual") -> T | None:
    """The highest version of the year's target for ``period_key`` in force on the period's
    last day (``effective_from`` on or before it), or None."""
    year = periods.split(period)[0]
    end = periods.last_day(period)
    best: T | None = None
    for target in targets:
        if target.year != year or target.period_key != period_key or target.effective_from > end:
            continue
        if best is None or target.version > best.version:
            best = target
    return best


def target_point(target: TargetLike) -> float | None:
    """One number for a target: its bound, or the middle of a range."""
    if target.lower is not None and target.upper is not None:
        return (target.lower + target.upper) / 2
    return target.lower if target.lower is not None else target.upper


def reference_from_targets(
    targets: Sequence[TargetLike], frequency: str, consolidation: str, period: str
) -> float | None:
    """The magnitude a period's value should have according to the targets.

    A ``sum`` indicator reports a flow per period: its period breakdown (M10, Q3) if the PK
    gives one, else the annual target spread over the periods of a year. Others report a level
    comparable with the annual target.
    """
    if consolidation == "sum":
        key = periods.breakdown_key(frequency, period)
        if key != "annual":
            part = target_in_force(targets, period, key)
            if part is not None:
                return target_point(part)
        annual = target_in_force(targets, period)
        if annual is None:
            return None
        point = target_point(annual)
        return None if point is None else point / periods.periods_per_year(frequency)
    annual = target_in_force(targets, period)
    return None if annual is None else target_point(annual)


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
    _history: dict[tuple[int, str], float | None] = field(default_factory=dict)
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
            by_indicator: dict[int, list[TargetInfo]] = {}
            for target in connection.execute(select(m.Target)).mappings():
                by_indicator.setdefault(target["indicator_id"], []).append(
                    TargetInfo(
                        year=target["year"],
                        period_key=target["period_key"],
                        version=target["version"],
                        effective_from=target["effective_from"],
                        lower=target["lower"],
                        upper=target["upper"],
                        comparator=target["comparator"],
                        text=target["original_text"],
                    )
                )
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
                    targets=tuple(by_indicator.get(row["id"], ())),
                )
        return context

    def history_median(self, indicator: IndicatorInfo, period: str) -> float | None:
        """Median of the indicator's accepted numbers in the 12 periods before ``period``."""
        key = (indicator.id, period)
        if key not in self._history:
            start = periods.add_months(period, -12)
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
            reference = reference_from_targets(
                indicator.targets, indicator.frequency, indicator.consolidation, period
            )
        return reference, indicator.min_value, indicator.max_value
