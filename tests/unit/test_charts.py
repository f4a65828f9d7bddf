"""Static SVG charts: well-formed, escaped, Indonesian labels, and deterministic to the byte."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from iku.bulletins import charts

SVG = "{http://www.w3.org/2000/svg}"
BANDS = [
    charts.BandArea("ST", 91, None, "#1a7f37"),
    charts.BandArea("T", 76, 91, "#4c9a2a"),
    charts.BandArea("S", 66, 76, "#d4a106"),
    charts.BandArea("R", 51, 66, "#e0701b"),
    charts.BandArea("SR", None, 51, "#c62828"),
]
TREND = [("Jul", 81.25), ("Agu", None), ("Sep", 82.5), ("Okt", 75.75)]
RANKING = [("DINKES", 87.27, "#4c9a2a"), ("<b>&amp;", 61.5, "#e0701b"), ("BKD", None, "#999999")]


def _all_charts() -> list[str]:
    return [
        charts.trend_chart(TREND, BANDS, label="Tren"),
        charts.ranking_chart(RANKING, label="Peringkat"),
        charts.distribution_chart([("ST", 0, "#1a7f37"), ("T", 10, "#4c9a2a")], label="Sebaran"),
        charts.sparkline([80.0, None, 85.5, 90.25], label="Tren IKU"),
        charts.sparkline([None, None], label="kosong"),
        charts.sparkline([77.0], label="satu titik"),
    ]


def test_same_data_gives_the_same_bytes() -> None:
    assert _all_charts() == _all_charts()


def test_same_bytes_in_another_process_with_another_hash_seed() -> None:
    root = str(Path(__file__).parents[2])
    code = (
        f"import sys; sys.path.insert(0, {root!r});"
        "from tests.unit.test_charts import _all_charts;"
        "sys.stdout.write('\\n'.join(_all_charts()))"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert other == "\n".join(_all_charts())


def test_different_data_gives_different_bytes() -> None:
    changed = [(label, None if value is None else value + 0.1) for label, value in TREND]
    assert charts.trend_chart(changed, BANDS, label="Tren") != charts.trend_chart(
        TREND, BANDS, label="Tren"
    )


@pytest.mark.parametrize("svg", _all_charts())
def test_charts_are_well_formed_svg_with_a_title(svg: str) -> None:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.find(f"{SVG}title") is not None


def test_labels_are_escaped_not_markup() -> None:
    svg = charts.ranking_chart(RANKING, label='Peringkat "OPD" <script>')
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "<b>&amp;" in texts  # shown literally
    assert "<script>" not in svg
    assert root.get("aria-label") == 'Peringkat "OPD" <script>'


def test_values_are_printed_in_indonesian_format() -> None:
    root = ET.fromstring(charts.trend_chart(TREND, BANDS, label="Tren"))
    texts = {t.text for t in root.iter(f"{SVG}text")}
    assert {"81,3", "82,5", "75,8"} <= texts  # one decimal, decimal comma
    assert "Okt" in texts


def test_a_missing_month_breaks_the_line() -> None:
    root = ET.fromstring(charts.trend_chart(TREND, BANDS, label="Tren"))
    lines = root.findall(f"{SVG}polyline")
    # Jul alone (no line), then Sep-Okt: one polyline of two points.
    assert len(lines) == 1
    assert len(lines[0].get("points", "").split()) == 2


def test_ranking_of_many_shows_best_and_worst_with_a_gap() -> None:
    items = [(f"OPD{i:03d}", 100 - i * 0.1, "#4c9a2a") for i in range(640)]
    root = ET.fromstring(charts.ranking_chart(items, label="Peringkat", limit=30))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "OPD000" in texts and "OPD639" in texts and "…" in texts
    assert "OPD300" not in texts
    assert len(root.findall(f"{SVG}rect")) == 30
