"""The master-data catalog (agencies, name history, indicators, targets) and its loader.

The catalog is a folder of UTF-8 CSV files (documented in ``data/catalog/README.md``). Loading
first checks every file and collects every problem as ``file:line: message``; only a clean
catalog is written, as an idempotent upsert in one transaction, so a broken catalog leaves the
database exactly as it was.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import session_scope
from iku.numbers import read_number
from iku.rules import Rules
from iku.targets.text import TargetParseError, parse_target

AGENCY_COLUMNS = ("code", "name", "kind", "sector", "name_since", "kemendagri_code", "bps_code")
NAME_COLUMNS = ("agency_code", "name", "valid_from", "valid_to")
INDICATOR_COLUMNS = (
    "code",
    "agency_code",
    "name",
    "unit",
    "polarity",
    "negative_formula",
    "consolidation",
    "frequency",
    "cumulative",
    "evidence_required",
    "weight",
    "sector",
    "min_value",
    "max_value",
    "description",
)
#: Columns an older catalog may lack (empty when absent).
OPTIONAL_INDICATOR_COLUMNS = ("scale",)
TARGET_COLUMNS = (
    "indicator_code",
    "year",
    "period",
    "target_text",
    "version",
    "effective_from",
    "source_document",
)
FILES = {
    "agencies.csv": AGENCY_COLUMNS,
    "agency_names.csv": NAME_COLUMNS,
    "indicators.csv": INDICATOR_COLUMNS,
    "targets.csv": TARGET_COLUMNS,
}

_AGENCY_CODE = re.compile(r"^[A-Z][A-Z0-9_]{1,39}$")
_INDICATOR_CODE = re.compile(r"^[A-Z][A-Z0-9_]*-\d{2,3}$")
_KEMENDAGRI = re.compile(r"^\d{2}(\.\d{2})?$")
_BPS = re.compile(r"^\d{2}(\d{2})?$")
_BOOLEANS = {"true": True, "ya": True, "1": True, "false": False, "tidak": False, "0": False}

if TYPE_CHECKING:
    import pandas as pd

    from iku.targets.resolve import TargetsByMonth


class CatalogError(ValueError):
    """A catalog with problems; ``problems`` lists each as ``file:line: message``."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the catalog:\n" + "\n".join(problems))


@dataclass
class AgencyRow:
    line: int
    code: str
    name: str
    kind: str
    sector: str
    name_since: date
    region_codes: dict[str, str]


@dataclass
class NameRow:
    line: int
    agency_code: str
    name: str
    valid_from: date
    valid_to: date | None


@dataclass
class IndicatorRow:
    line: int
    code: str
    agency_code: str
    name: str
    unit: str
    polarity: str
    negative_formula: str | None
    consolidation: str
    frequency: str
    cumulative: bool
    evidence_required: bool
    weight: float
    sector: str
    min_value: float | None
    max_value: float | None
    description: str
    #: An ordinal target scale of the rules file (a qualitative IKU), or None.
    scale: str | None = None


@dataclass
class TargetRow:
    line: int
    indicator_code: str
    year: int
    period_key: str
    text: str
    comparator: str
    lower: float | None
    upper: float | None
    version: int
    effective_from: date
    source_document: str


@dataclass
class Catalog:
    """A checked catalog, ready to load."""

    agencies: list[AgencyRow] = field(default_factory=list)
    names: list[NameRow] = field(default_factory=list)
    indicators: list[IndicatorRow] = field(default_factory=list)
    targets: list[TargetRow] = field(default_factory=list)

    def target_table(self) -> pd.DataFrame:
        """The targets as :mod:`iku.targets.resolve` reads them, keyed by indicator code."""
        from iku.targets.resolve import target_table  # pandas: not for `iku catalog check`

        return target_table((t.indicator_code, t, t.text, t.effective_from) for t in self.targets)

    def targets_by_month(self) -> TargetsByMonth:
        """The targets in force of every indicator (keyed by its code), month by month."""
        from iku.targets.resolve import TargetsByMonth

        indicators = self.indicators
        return TargetsByMonth(
            [i.code for i in indicators],
            [i.frequency for i in indicators],
            [i.consolidation for i in indicators],
            self.target_table(),
        )


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def total(self) -> int:
        return self.inserted + self.updated + self.unchanged


@dataclass
class LoadReport:
    """What a load did, per table."""

    tables: dict[str, TableCounts] = field(default_factory=dict)

    def table(self, name: str) -> TableCounts:
        return self.tables.setdefault(name, TableCounts())


class _Problems:
    def __init__(self) -> None:
        self.items: list[str] = []

    def add(self, file: str, line: int, message: str) -> None:
        self.items.append(f"{file}:{line}: {message}")


def _rows(
    directory: Path,
    name: str,
    columns: tuple[str, ...],
    problems: _Problems,
    optional: tuple[str, ...] = (),
) -> Iterator[tuple[int, dict[str, str]]]:
    path = directory / name
    if not path.is_file():
        problems.add(name, 0, f"file not found in {directory}")
        return
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        problems.add(name, 0, f"not UTF-8 ({exc.reason}); save the file as UTF-8")
        return
    reader = csv.DictReader(text.splitlines())
    header = reader.fieldnames or []
    missing = [c for c in columns if c not in header]
    unknown = [c for c in header if c not in columns and c not in optional]
    if missing:
        problems.add(name, 1, f"missing column(s): {', '.join(missing)}")
    if unknown:
        problems.add(name, 1, f"unknown column(s): {', '.join(unknown)}")
    if missing or unknown:
        return
    for record in reader:
        line = reader.line_num
        if None in record:
            problems.add(name, line, "more fields than columns (a comma not in quotes?)")
            continue
        yield (
            line,
            {
                **dict.fromkeys(optional, ""),
                **{k: (v or "").strip() for k, v in record.items()},
            },
        )


def _date(value: str, file: str, line: int, column: str, problems: _Problems) -> date | None:
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.add(file, line, f"{column}: '{value}' is not a date (YYYY-MM-DD)")
        return None


def _choice(
    value: str, allowed: tuple[str, ...], file: str, line: int, column: str, problems: _Problems
) -> str | None:
    if value in allowed:
        return value
    problems.add(file, line, f"{column}: unknown value '{value}' (allowed: {', '.join(allowed)})")
    return None


def _number(value: str, file: str, line: int, column: str, problems: _Problems) -> float | None:
    if value == "":
        return None
    reading = read_number(value)
    if reading.value is None:
        problems.add(
            file, line, f"{column}: '{value}' is not an unambiguous number (write e.g. 1250 or 1,5)"
        )
    return reading.value


def _read_agencies(directory: Path, catalog: Catalog, problems: _Problems) -> set[str]:
    """agencies.csv: the agencies, with their region codes; returns every code seen."""
    seen_agencies: dict[str, int] = {}
    seen_region: dict[tuple[str, str], int] = {}
    file = "agencies.csv"
    for line, r in _rows(directory, file, AGENCY_COLUMNS, problems):
        ok = True
        code = r["code"]
        if not _AGENCY_CODE.match(code):
            problems.add(
                file, line, f"code: '{code}' must be A-Z, 0-9 or _, starting with a letter"
            )
            ok = False
        elif code in seen_agencies:
            problems.add(
                file, line, f"duplicate code '{code}' (first on line {seen_agencies[code]})"
            )
            ok = False
        seen_agencies.setdefault(code, line)
        if not r["name"]:
            problems.add(file, line, "name is empty")
            ok = False
        kind = _choice(r["kind"], m.AGENCY_KINDS, file, line, "kind", problems)
        sector = _choice(r["sector"], m.SECTORS, file, line, "sector", problems)
        since = _date(r["name_since"], file, line, "name_since", problems)
        regions: dict[str, str] = {}
        for system, pattern, column in (
            ("kemendagri", _KEMENDAGRI, "kemendagri_code"),
            ("bps", _BPS, "bps_code"),
        ):
            value = r[column]
            if not value:
                continue
            if not pattern.match(value):
                example = "18.01" if system == "kemendagri" else "1801"
                problems.add(
                    file, line, f"{column}: '{value}' is not a {system} code like {example}"
                )
                ok = False
                continue
            if (system, value) in seen_region:
                first = seen_region[(system, value)]
                problems.add(file, line, f"{column}: '{value}' already used on line {first}")
                ok = False
            seen_region.setdefault((system, value), line)
            regions[system] = value
        if kind in ("kabupaten", "kota") and len(regions) != 2:
            problems.add(file, line, "a kabupaten/kota needs both kemendagri_code and bps_code")
            ok = False
        if ok and kind and sector and since:
            catalog.agencies.append(AgencyRow(line, code, r["name"], kind, sector, since, regions))
    return set(seen_agencies)


def _read_names(directory: Path, catalog: Catalog, known: set[str], problems: _Problems) -> None:
    """agency_names.csv: earlier names, each ending by the start of the current one."""
    agency_since = {a.code: a.name_since for a in catalog.agencies}
    file = "agency_names.csv"
    seen_names: dict[tuple[str, date], int] = {}
    for line, r in _rows(directory, file, NAME_COLUMNS, problems):
        code = r["agency_code"]
        if code not in known:
            problems.add(file, line, f"agency_code: unknown agency '{code}'")
            continue
        start = _date(r["valid_from"], file, line, "valid_from", problems)
        end = _date(r["valid_to"], file, line, "valid_to", problems) if r["valid_to"] else None
        if start is None or (r["valid_to"] and end is None):
            continue
        if not r["name"]:
            problems.add(file, line, "name is empty")
            continue
        if end is not None and end < start:
            problems.add(file, line, "valid_to is before valid_from")
            continue
        since = agency_since.get(code)
        if since is not None and (end is None or end > since):
            problems.add(
                file, line, f"an earlier name must end by the current name's start ({since})"
            )
            continue
        if (code, start) in seen_names:
            problems.add(file, line, f"duplicate name start {start} for '{code}'")
            continue
        seen_names[(code, start)] = line
        catalog.names.append(NameRow(line, code, r["name"], start, end))


def _read_indicators(
    directory: Path, catalog: Catalog, known: set[str], problems: _Problems, rules: Rules | None
) -> set[str]:
    """indicators.csv: the IKU of known agencies; returns every code seen."""
    file = "indicators.csv"
    seen_indicators: dict[str, int] = {}
    rows = _rows(directory, file, INDICATOR_COLUMNS, problems, OPTIONAL_INDICATOR_COLUMNS)
    for line, r in rows:
        ok = True
        scale = r["scale"] or None
        if scale is not None:
            known_scales = [] if rules is None else [sc.code for sc in rules.scales]
            if scale not in known_scales:
                problems.add(
                    file,
                    line,
                    f"scale: unknown scale '{scale}' (the rules file has: "
                    f"{', '.join(known_scales) or 'none'})",
                )
                ok = False
        code = r["code"]
        if not _INDICATOR_CODE.match(code):
            problems.add(file, line, f"code: '{code}' must look like AGENCY-01")
            ok = False
        elif code in seen_indicators:
            problems.add(
                file, line, f"duplicate code '{code}' (first on line {seen_indicators[code]})"
            )
            ok = False
        seen_indicators.setdefault(code, line)
        if r["agency_code"] not in known:
            problems.add(file, line, f"agency_code: unknown agency '{r['agency_code']}'")
            ok = False
        for column in ("name", "unit"):
            if not r[column]:
                problems.add(file, line, f"{column} is empty")
                ok = False
        polarity = _choice(r["polarity"], m.POLARITIES, file, line, "polarity", problems)
        formula: str | None = r["negative_formula"] or None
        if formula is not None:
            if _choice(formula, m.NEGATIVE_FORMULAS, file, line, "negative_formula", problems):
                if polarity == "positive":
                    problems.add(
                        file, line, "negative_formula applies only to negative or range polarity"
                    )
                    ok = False
            else:
                ok = False
        consolidation = _choice(
            r["consolidation"], m.CONSOLIDATIONS, file, line, "consolidation", problems
        )
        frequency = _choice(r["frequency"], m.FREQUENCIES, file, line, "frequency", problems)
        sector = _choice(r["sector"], m.SECTORS, file, line, "sector", problems)
        evidence = _BOOLEANS.get(r["evidence_required"].lower())
        if evidence is None:
            problems.add(file, line, "evidence_required: write true or false")
            ok = False
        cumulative = _BOOLEANS.get(r["cumulative"].lower())
        if cumulative is None:
            problems.add(file, line, "cumulative: write true or false")
            ok = False
        weight = _number(r["weight"] or "1", file, line, "weight", problems)
        if weight is not None and weight <= 0:
            problems.add(file, line, "weight must be greater than 0")
            ok = False
        low = _number(r["min_value"], file, line, "min_value", problems)
        high = _number(r["max_value"], file, line, "max_value", problems)
        bad_number = (
            weight is None or (r["min_value"] and low is None) or (r["max_value"] and high is None)
        )
        if low is not None and high is not None and low > high:
            problems.add(file, line, "min_value is greater than max_value")
            ok = False
        if (
            ok
            and not bad_number
            and polarity
            and consolidation
            and frequency
            and sector
            and evidence is not None
            and cumulative is not None
            and weight is not None
        ):
            catalog.indicators.append(
                IndicatorRow(
                    line,
                    code,
                    r["agency_code"],
                    r["name"],
                    r["unit"],
                    polarity,
                    formula,
                    consolidation,
                    frequency,
                    cumulative,
                    evidence,
                    weight,
                    sector,
                    low,
                    high,
                    r["description"],
                    scale,
                )
            )
    return set(seen_indicators)


def _read_targets(
    directory: Path, catalog: Catalog, known: set[str], problems: _Problems, rules: Rules | None
) -> None:
    """targets.csv: the PK targets of known indicators, parsed from their texts."""
    file = "targets.csv"
    scales = {
        i.code: rules.scale(i.scale)
        for i in catalog.indicators
        if i.scale is not None and rules is not None
    }
    seen_targets: dict[tuple[str, int, str, int], int] = {}
    for line, r in _rows(directory, file, TARGET_COLUMNS, problems):
        code = r["indicator_code"]
        if code not in known:
            problems.add(file, line, f"indicator_code: unknown indicator '{code}'")
            continue
        try:
            year = int(r["year"])
            if not 2000 <= year <= 2100:
                raise ValueError
        except ValueError:
            problems.add(file, line, f"year: '{r['year']}' is not a year")
            continue
        period = _choice(r["period"], m.TARGET_PERIODS, file, line, "period", problems)
        try:
            version = int(r["version"] or "1")
            if version < 1:
                raise ValueError
        except ValueError:
            problems.add(file, line, f"version: '{r['version']}' must be a whole number >= 1")
            continue
        start = _date(r["effective_from"], file, line, "effective_from", problems)
        if start is not None and start.year != year:
            problems.add(file, line, f"effective_from {start} is not in {year}")
            continue
        try:
            parsed = parse_target(r["target_text"], scales.get(code))
        except TargetParseError as exc:
            problems.add(file, line, f"target_text: {exc}")
            continue
        if period is None or start is None:
            continue
        key = (code, year, period, version)
        if key in seen_targets:
            problems.add(
                file,
                line,
                f"duplicate target {code} {year} {period} version {version}"
                f" (first on line {seen_targets[key]})",
            )
            continue
        seen_targets[key] = line
        catalog.targets.append(
            TargetRow(
                line,
                code,
                year,
                period,
                parsed.text,
                parsed.comparator,
                parsed.lower,
                parsed.upper,
                version,
                start,
                r["source_document"],
            )
        )


def _names_a_scale(directory: Path) -> bool:
    """Whether the catalog's indicators.csv names an ordinal scale (a qualitative IKU)."""
    path = directory / "indicators.csv"
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return any((row.get("scale") or "").strip() for row in csv.DictReader(handle))
    except (OSError, UnicodeDecodeError, csv.Error):
        return False  # read_catalog reports the file's problem itself


def read_catalog(directory: Path, rules: Rules | None = None) -> Catalog:
    """Read and check every catalog file; raise :class:`CatalogError` listing all problems.

    ``rules``: the ordinal scales qualitative IKU name (an IKU with a scale needs them; without
    ``rules``, those of the rules file in force, ``IKU_RULES_FILE``)."""
    if rules is None and _names_a_scale(directory):
        from iku.rules import load_rules
        from iku.settings import Settings

        rules = load_rules(Settings().rules_file)
    problems = _Problems()
    catalog = Catalog()
    agencies = _read_agencies(directory, catalog, problems)
    _read_names(directory, catalog, agencies, problems)
    indicators = _read_indicators(directory, catalog, agencies, problems, rules)
    _read_targets(directory, catalog, indicators, problems, rules)
    if problems.items:
        raise CatalogError(problems.items)
    return catalog


def _apply(obj: Any, values: dict[str, Any]) -> bool:
    """Set attributes that differ; return True if anything changed."""
    changed = False
    for key, value in values.items():
        if getattr(obj, key) != value:
            setattr(obj, key, value)
            changed = True
    return changed


def _upsert(
    session: Session,
    existing: dict[Any, Any],
    key: Any,
    values: dict[str, Any],
    model: type[Any],
    counts: TableCounts,
) -> Any:
    obj = existing.pop(key, None)
    if obj is None:
        obj = model(**values)
        session.add(obj)
        counts.inserted += 1
    elif _apply(obj, values):
        counts.updated += 1
    else:
        counts.unchanged += 1
    return obj


def write_catalog(session: Session, catalog: Catalog) -> LoadReport:
    """Upsert a checked catalog. Agencies and indicators no longer listed are deactivated
    (they are referenced by history); targets and names no longer listed are removed."""
    report = LoadReport()

    agencies = {a.code: a for a in session.scalars(select(m.Agency))}
    counts = report.table("agency")
    by_code: dict[str, m.Agency] = {}
    for a in catalog.agencies:
        by_code[a.code] = _upsert(
            session,
            agencies,
            a.code,
            {"code": a.code, "name": a.name, "kind": a.kind, "sector": a.sector, "is_active": True},
            m.Agency,
            counts,
        )
    for stale in agencies.values():
        if stale.is_active:
            stale.is_active = False
            counts.removed += 1
    session.flush()

    names = {(n.agency_id, n.valid_from): n for n in session.scalars(select(m.AgencyName))}
    counts = report.table("agency_name")
    wanted = [(n.agency_code, n.name, n.valid_from, n.valid_to) for n in catalog.names]
    wanted += [(a.code, a.name, a.name_since, None) for a in catalog.agencies]
    for code, name, start, end in wanted:
        agency_id = by_code[code].id
        _upsert(
            session,
            names,
            (agency_id, start),
            {"agency_id": agency_id, "name": name, "valid_from": start, "valid_to": end},
            m.AgencyName,
            counts,
        )
    for stale_name in names.values():
        session.delete(stale_name)
        counts.removed += 1

    regions = {(r.agency_id, r.code_system): r for r in session.scalars(select(m.AgencyRegionCode))}
    counts = report.table("agency_region_code")
    for a in catalog.agencies:
        agency_id = by_code[a.code].id
        for system, code in a.region_codes.items():
            _upsert(
                session,
                regions,
                (agency_id, system),
                {"agency_id": agency_id, "code_system": system, "code": code},
                m.AgencyRegionCode,
                counts,
            )
    for stale_region in regions.values():
        session.delete(stale_region)
        counts.removed += 1
    session.flush()

    indicators = {i.code: i for i in session.scalars(select(m.Indicator))}
    counts = report.table("indicator")
    by_indicator: dict[str, m.Indicator] = {}
    for i in catalog.indicators:
        values = {
            "code": i.code,
            "agency_id": by_code[i.agency_code].id,
            "name": i.name,
            "unit": i.unit,
            "polarity": i.polarity,
            "negative_formula": i.negative_formula,
            "consolidation": i.consolidation,
            "frequency": i.frequency,
            "cumulative": i.cumulative,
            "evidence_required": i.evidence_required,
            "weight": i.weight,
            "sector": i.sector,
            "min_value": i.min_value,
            "max_value": i.max_value,
            "description": i.description,
            "scale": i.scale,
            "is_active": True,
        }
        by_indicator[i.code] = _upsert(session, indicators, i.code, values, m.Indicator, counts)
    for stale_indicator in indicators.values():
        if stale_indicator.is_active:
            stale_indicator.is_active = False
            counts.removed += 1
    session.flush()

    targets = {
        (t.indicator_id, t.year, t.period_key, t.version): t
        for t in session.scalars(select(m.Target))
    }
    counts = report.table("target")
    for t in catalog.targets:
        indicator_id = by_indicator[t.indicator_code].id
        _upsert(
            session,
            targets,
            (indicator_id, t.year, t.period_key, t.version),
            {
                "indicator_id": indicator_id,
                "year": t.year,
                "period_key": t.period_key,
                "lower": t.lower,
                "upper": t.upper,
                "comparator": t.comparator,
                "original_text": t.text,
                "version": t.version,
                "effective_from": t.effective_from,
                "source_document": t.source_document,
            },
            m.Target,
            counts,
        )
    for stale_target in targets.values():
        session.delete(stale_target)
        counts.removed += 1
    session.flush()
    return report


def load_catalog(directory: Path, engine: Engine, rules: Rules | None = None) -> LoadReport:
    """Check the catalog in ``directory`` and upsert it in one transaction."""
    catalog = read_catalog(directory, rules)
    with session_scope(engine) as session:
        return write_catalog(session, catalog)
