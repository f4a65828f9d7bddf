"""The glossary (iku.glossary): every threshold it names comes from the rules file."""

from __future__ import annotations

import pytest

from iku import i18n
from iku.glossary import band_range, band_rows, glossary, indonesian
from iku.rules import Band, Rules, load_rules
from tests.conftest import RULES_FILE


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(RULES_FILE)


@pytest.mark.parametrize(
    ("lower", "upper", "text"),
    [
        (91, None, "≥ 91"),  # the highest band: no upper bound
        (76, 91, "76 – < 91"),  # half-open [lower, upper)
        (None, 51, "< 51"),  # the lowest band: no lower bound
        (62.5, 70, "62,5 – < 70"),  # Indonesian decimals
    ],
)
def test_band_range(lower: float | None, upper: float | None, text: str) -> None:
    assert band_range(Band(code="X", label="X", lower=lower, upper=upper, color="#000000")) == text


def test_every_term_in_indonesian_with_the_rules_thresholds(rules: Rules) -> None:
    terms = {t.key: t for t in glossary(rules, indonesian)}
    assert list(terms) == ["capaian", "sd-bulan-ini", "proyeksi", "tercapai", "predikat", "agregat"]
    predikat = terms["predikat"].definition
    for band in band_rows(rules):
        assert f"{band.label} ({band.code}) {band.range_text}" in predikat
    assert rules.predikat.scale_name in predikat
    at_risk = rules.predikat.band(rules.projection.at_risk_below_band)
    assert f"{rules.projection.min_months} bulan" in terms["proyeksi"].definition
    assert at_risk.label in terms["proyeksi"].definition
    assert "75%" in terms["sd-bulan-ini"].definition  # year_to_date.min_completeness 0.75
    assert "150%" in terms["agregat"].definition  # aggregation.cap
    assert terms["sd-bulan-ini"].word == "S.d. bulan ini"


def test_other_rules_give_another_glossary(rules: Rules) -> None:
    bands = (
        Band(code="A", label="Baik", lower=80, upper=None, color="#1a7f37"),
        Band(code="B", label="Cukup", lower=60, upper=80, color="#d4a106"),
        Band(code="C", label="Kurang", lower=None, upper=60, color="#c62828"),
    )
    other = rules.model_copy(
        update={
            "predikat": rules.predikat.model_copy(update={"bands": bands}),
            "projection": rules.projection.model_copy(
                update={"at_risk_below_band": "B", "min_months": 4}
            ),
            "aggregation": rules.aggregation.model_copy(update={"cap": None}),
        }
    )
    terms = {t.key: t.definition for t in glossary(other, indonesian)}
    assert "Baik (A) ≥ 80; Cukup (B) 60 – < 80; Kurang (C) < 60" in terms["predikat"]
    assert "4 bulan" in terms["proyeksi"] and "Cukup (60 – < 80)" in terms["proyeksi"]
    assert "paling tinggi" not in terms["agregat"]  # no cap, no sentence about it


def test_the_language_of_the_context(rules: Rules) -> None:
    with i18n.using("en"):
        english = glossary(rules)
    with i18n.using("id"):
        indonesian_terms = glossary(rules)
    assert english[1].word == "Up to this month (s.d. bulan ini)"
    assert indonesian_terms[1].word == "S.d. bulan ini"
