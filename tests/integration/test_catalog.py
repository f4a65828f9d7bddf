"""Catalog loading: idempotent, and a broken catalog names each problem and changes nothing."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, func, select

from iku import models as m
from iku.catalog import CatalogError, load_catalog, read_catalog
from iku.db import session_scope
from tests.conftest import CATALOG_DIR

TABLES = ("agency", "agency_name", "agency_region_code", "indicator", "target")


def _snapshot(engine: Engine) -> dict[str, list[tuple[object, ...]]]:
    with engine.connect() as connection:
        return {
            t: sorted(
                (tuple(map(str, row)) for row in connection.execute(sa.text(f"SELECT * FROM {t}"))),
            )
            for t in TABLES
        }


def _edit(path: Path, line: int, column: str, value: str) -> None:
    """Set one cell of a CSV (line numbers as an editor shows them; line 1 is the header)."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    header = rows[0]
    rows[line - 1][header.index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)


def _append(path: Path, values: dict[str, str]) -> int:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    rows.append([values.get(c, "") for c in rows[0]])
    with path.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(rows)
    return len(rows)


def _first_indicator(directory: Path) -> str:
    with (directory / "indicators.csv").open(encoding="utf-8") as handle:
        return next(csv.DictReader(handle))["code"]


def test_shipped_catalog_has_what_the_bureau_needs() -> None:
    catalog = read_catalog(CATALOG_DIR)
    opd = [a for a in catalog.agencies if a.kind == "opd"]
    regions = [a for a in catalog.agencies if a.kind in ("kabupaten", "kota")]
    assert 38 <= len(opd) <= 50
    assert len(regions) == 15
    assert all(set(r.region_codes) == {"kemendagri", "bps"} for r in regions)
    lambar = next(a for a in regions if "Lampung Barat" in a.name)
    assert lambar.region_codes == {"bps": "1801", "kemendagri": "18.04"}
    by_agency: dict[str, int] = {}
    for indicator in catalog.indicators:
        by_agency[indicator.agency_code] = by_agency.get(indicator.agency_code, 0) + 1
    opd_with_iku = [c for c, n in by_agency.items() if c != "PEMPROV" and 3 <= n <= 6]
    assert len(opd_with_iku) >= 12
    sectors = {i.sector for i in catalog.indicators}
    assert {"pendidikan", "kesehatan", "ekonomi", "sosial", "infrastruktur", "makro"} <= sectors
    assert {i.polarity for i in catalog.indicators} == {"positive", "negative", "range"}
    assert any(i.unit == "menit" and i.polarity == "negative" for i in catalog.indicators)
    comparators = {t.comparator for t in catalog.targets}
    assert {"eq", "range", "le", "lt"} <= comparators
    assert any(t.version == 2 for t in catalog.targets)  # a Perubahan PK
    assert any(t.period_key.startswith("M") for t in catalog.targets)
    assert any(t.period_key.startswith("Q") for t in catalog.targets)


def test_load_twice_gives_the_same_counts(migrated: Engine) -> None:
    first = load_catalog(CATALOG_DIR, migrated)
    before = _snapshot(migrated)
    second = load_catalog(CATALOG_DIR, migrated)
    assert {t: c.total for t, c in first.tables.items()} == {
        t: c.total for t, c in second.tables.items()
    }
    assert all(c.inserted == c.updated == c.removed == 0 for c in second.tables.values())
    assert _snapshot(migrated) == before


def test_changes_are_upserted_and_removals_handled(migrated: Engine, catalog_copy: Path) -> None:
    load_catalog(catalog_copy, migrated)
    _edit(catalog_copy / "indicators.csv", 2, "name", "Nama IKU yang diperbarui")
    report = load_catalog(catalog_copy, migrated)
    assert report.tables["indicator"].updated == 1
    with session_scope(migrated) as session:
        names = session.scalars(select(m.Indicator.name)).all()
    assert "Nama IKU yang diperbarui" in names


Break = Callable[[Path], str]


def _unknown_polarity(d: Path) -> str:
    _edit(d / "indicators.csv", 3, "polarity", "naik")
    return "indicators.csv:3: polarity: unknown value 'naik'"


def _duplicate_code(d: Path) -> str:
    first = _first_indicator(d)
    _edit(d / "indicators.csv", 4, "code", first)
    return f"indicators.csv:4: duplicate code '{first}' (first on line 2)"


def _unknown_indicator_target(d: Path) -> str:
    line = _append(
        d / "targets.csv",
        {
            "indicator_code": "TIDAKADA-01",
            "year": "2026",
            "period": "annual",
            "target_text": "90",
            "version": "1",
            "effective_from": "2026-01-01",
        },
    )
    return f"targets.csv:{line}: indicator_code: unknown indicator 'TIDAKADA-01'"


def _unparseable_target(d: Path) -> str:
    _edit(d / "targets.csv", 2, "target_text", "sangat tinggi")
    return "targets.csv:2: target_text: target 'sangat tinggi' tidak dapat dibaca"


def _bad_date(d: Path) -> str:
    _edit(d / "targets.csv", 3, "effective_from", "2026-02-30")
    return "targets.csv:3: effective_from: '2026-02-30' is not a date (YYYY-MM-DD)"


def _bad_agency_date(d: Path) -> str:
    _edit(d / "agencies.csv", 5, "name_since", "01/01/2020")
    return "agencies.csv:5: name_since: '01/01/2020' is not a date"


def _missing_column(d: Path) -> str:
    text = (d / "agencies.csv").read_text(encoding="utf-8").replace(",sector,", ",bidang,", 1)
    (d / "agencies.csv").write_text(text, encoding="utf-8")
    return "agencies.csv:1: missing column(s): sector"


def _unknown_agency(d: Path) -> str:
    _edit(d / "indicators.csv", 2, "agency_code", "DINAS_FIKTIF")
    return "indicators.csv:2: agency_code: unknown agency 'DINAS_FIKTIF'"


def _stripped_region_code(d: Path) -> str:
    with (d / "agencies.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    line = next(i for i, r in enumerate(rows, start=2) if r["kemendagri_code"] == "18.04")
    _edit(d / "agencies.csv", line, "kemendagri_code", "1804")
    return f"agencies.csv:{line}: kemendagri_code: '1804' is not a kemendagri code like 18.01"


CASES: dict[str, Break] = {
    "unknown polarity": _unknown_polarity,
    "duplicate code": _duplicate_code,
    "target for an unknown indicator": _unknown_indicator_target,
    "unparseable target text": _unparseable_target,
    "bad date": _bad_date,
    "bad agency date": _bad_agency_date,
    "missing column": _missing_column,
    "unknown agency": _unknown_agency,
    "region code without its dot": _stripped_region_code,
}


@pytest.mark.parametrize("case", CASES)
def test_broken_catalog_names_the_problem_and_changes_nothing(
    loaded: Engine, catalog_copy: Path, case: str
) -> None:
    expected = CASES[case](catalog_copy)
    before = _snapshot(loaded)
    with pytest.raises(CatalogError) as raised:
        load_catalog(catalog_copy, loaded)
    assert any(p.startswith(expected) for p in raised.value.problems), raised.value.problems
    assert _snapshot(loaded) == before


def test_every_problem_is_reported_at_once(catalog_copy: Path) -> None:
    _unknown_polarity(catalog_copy)
    _bad_date(catalog_copy)
    _unknown_agency(catalog_copy)
    with pytest.raises(CatalogError) as raised:
        read_catalog(catalog_copy)
    assert len(raised.value.problems) == 3


def test_broken_catalog_on_an_empty_database_loads_nothing(
    migrated: Engine, catalog_copy: Path
) -> None:
    _unparseable_target(catalog_copy)
    with pytest.raises(CatalogError):
        load_catalog(catalog_copy, migrated)
    with migrated.connect() as connection:
        assert (
            connection.execute(select(func.count()).select_from(sa.table("agency"))).scalar() == 0
        )
