"""The simulator: seeded, every format, numbers that read one way, defects as promised."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from iku.catalog import Catalog, read_catalog
from iku.numbers import read_number
from iku.rules import Rules
from iku.simulate import DEFECT_KINDS, FORMAT_KINDS, SimulationError, format_id, simulate
from tests.conftest import CATALOG_DIR


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return read_catalog(CATALOG_DIR)


@given(
    st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from([0, 2, 4]),
    st.booleans(),
)
def test_written_numbers_read_back_exactly_and_never_ambiguously(
    value: float, decimals: int, plain: bool
) -> None:
    text = format_id(value, decimals, plain_thousands=plain)
    reading = read_number(text)
    assert not reading.is_ambiguous and reading.problem is None, text
    expected = round(value) if decimals == 0 else float(f"{value:.{decimals}f}")
    assert reading.value == expected, text


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [
        (85.24, 2, "85,24"),
        (1234.5, 2, "1.234,50"),
        (2900000, 0, "2.900.000"),
        (1234, 0, "1.234,00"),
        (0.3123, 4, "0,3123"),
        (-3.5, 2, "-3,50"),
    ],
)
def test_indonesian_format(value: float, decimals: int, text: str) -> None:
    assert format_id(value, decimals) == text


def test_seeded_and_deterministic(catalog: Catalog, rules: Rules, tmp_path: Path) -> None:
    first = simulate(
        catalog,
        rules,
        period="2026-10",
        out_dir=tmp_path / "a",
        months=2,
        agencies=["DINKES", "RSUDAM"],
        defects=4,
        seed=11,
    )
    second = simulate(
        catalog,
        rules,
        period="2026-10",
        out_dir=tmp_path / "b",
        months=2,
        agencies=["DINKES", "RSUDAM"],
        defects=4,
        seed=11,
    )
    for sim in first.files:
        a = tmp_path / "a" / sim.relpath
        b = tmp_path / "b" / sim.relpath
        assert a.read_bytes() == b.read_bytes(), sim.relpath
        assert a.stat().st_mtime == b.stat().st_mtime
    assert first.manifest_path.read_text() == second.manifest_path.read_text()


def test_manifest_truth_and_arrival_times(catalog: Catalog, rules: Rules, tmp_path: Path) -> None:
    result = simulate(catalog, rules, period="2026-10", out_dir=tmp_path, months=3, seed=3)
    manifest = json.loads(result.manifest_path.read_text())
    assert manifest["months"] == ["2026-08", "2026-09", "2026-10"]
    assert manifest["audit"] == [] and manifest["defects"] == []
    assert {f["format"] for f in manifest["files"]} == set(FORMAT_KINDS)
    agencies_with_iku = {i.agency_code for i in catalog.indicators}
    assert {f["agency"] for f in manifest["files"]} == agencies_with_iku
    for entry in manifest["files"]:
        path = tmp_path / entry["file"]
        assert path.is_file()
        arrived = path.stat().st_mtime
        from datetime import datetime

        from iku.settings import TIMEZONE

        moment = datetime.fromtimestamp(arrived, TIMEZONE)
        assert moment.day <= 4 and moment.month == int(entry["period"][5:]) % 12 + 1
    truth = list(csv.DictReader(result.truth_path.open(encoding="utf-8")))
    assert len(truth) == result.rows
    states = Counter(row["state"] for row in truth)
    assert states["angka"] > 0 and states["belum_tersedia"] > 0  # BPS releases come later


def test_defects_as_promised(catalog: Catalog, rules: Rules, tmp_path: Path) -> None:
    result = simulate(
        catalog,
        rules,
        period="2026-10",
        out_dir=tmp_path,
        months=8,
        defects=len(DEFECT_KINDS),
        seed=5,
    )
    manifest = json.loads(result.manifest_path.read_text())
    defects = manifest["defects"]
    assert len(defects) == len(DEFECT_KINDS)
    assert {d["kind"] for d in defects} == set(DEFECT_KINDS)  # every kind once
    rows = [(d["file"], d["source_row"]) for d in defects if d["source_row"] is not None]
    assert len(rows) == len(set(rows))  # never two defects on one row
    for defect in defects:
        assert defect["expected"]["severity"] in ("blocking", "error", "warning")
        assert defect["expected"]["outcome"] in ("rejected", "quarantined", "warning")
    assert manifest["audit"] == []  # clean rows raise nothing


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"period": "2026-13"}, "2026-10"),
        ({"period": "2026-10", "agencies": ["NOPE"]}, "NOPE"),
        ({"period": "2026-10", "months": 0}, "paling sedikit 1"),
        ({"period": "2026-10", "formats": ["pdf"]}, "tidak dikenal"),
    ],
)
def test_bad_arguments(
    catalog: Catalog, rules: Rules, tmp_path: Path, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(SimulationError, match=message):
        simulate(catalog, rules, out_dir=tmp_path, **kwargs)
