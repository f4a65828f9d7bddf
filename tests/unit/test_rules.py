"""The rules file: the shipped file is valid, and each kind of mistake gives a clear error."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from iku.rules import RulesError, load_rules, parse_rules
from iku.runtime import Runtime
from iku.settings import Settings

RULES_FILE = Path(__file__).resolve().parents[2] / "data" / "rules.yaml"


@pytest.fixture
def data() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return copy.deepcopy(loaded)


def test_shipped_rules_are_valid() -> None:
    rules = load_rules(RULES_FILE)
    assert rules.version
    assert [b.code for b in rules.predikat.bands] == ["SR", "R", "S", "T", "ST"]
    assert rules.capaian.negative_formula == "2T-R"
    assert rules.bulletin.issuer == "Pemerintah Provinsi Lampung"  # the PDFs' author


def test_the_issuer_defaults_to_the_province(data: dict[str, Any]) -> None:
    del data["bulletin"]["issuer"]
    assert parse_rules(data, "rules.yaml").bulletin.issuer == "Pemerintah Provinsi Lampung"


def _set(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("capaian.typo_key", 1, "capaian.typo_key: unknown key"),
        ("surprise", {}, "surprise: unknown key"),
        ("capaian.negative_formula", "R/T", "capaian.negative_formula"),
        ("predikat.bands.1.lower", 75, "overlap between band"),  # Tinggi starts inside Sedang
        ("predikat.bands.1.lower", 77, "gap between band"),
        ("predikat.bands.0.upper", 100, "highest band (ST) must have upper: null"),
        ("predikat.bands.4.lower", 0, "lowest band (SR) must have lower: null"),
        ("predikat.bands.2.code", "ST", "duplicate band code"),
        ("predikat.bands.0.color", "green", "color must be #RRGGBB"),
        ("predikat.bands", [], "predikat.bands"),
        ("projection.at_risk_below_band", "XX", "unknown band 'XX'"),
        ("scoring.cap", -5, "floor harus lebih kecil dari cap"),
        ("submission.deadline_day", 31, "submission.deadline_day"),
        ("version", "", "version"),
        ("bulletin.issuer", "", "bulletin.issuer"),
        ("bulletin.issuer", "x" * 121, "bulletin.issuer"),
        ("approval.unapproved_in_province", "hidden", "approval.unapproved_in_province"),
    ],
)
def test_invalid_rules_name_the_key(
    data: dict[str, Any], path: str, value: Any, message: str
) -> None:
    _set(data, path, value)
    with pytest.raises(RulesError, match=re.escape(message)):
        parse_rules(data, "rules.yaml")


def test_missing_key_is_reported(data: dict[str, Any]) -> None:
    del data["scoring"]["floor"]
    with pytest.raises(RulesError, match=re.escape("scoring.floor: required key is missing")):
        parse_rules(data, "rules.yaml")


def test_missing_file_and_bad_yaml(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match="tidak ada"):
        load_rules(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: [unclosed\n", encoding="utf-8")
    with pytest.raises(RulesError, match="bukan YAML yang sah"):
        load_rules(bad)
    scalar = tmp_path / "scalar.yaml"
    scalar.write_text("just text\n", encoding="utf-8")
    with pytest.raises(RulesError, match="pasangan kunci dan nilai"):
        load_rules(scalar)


def test_the_runtime_reads_the_rules_once_and_again_on_reload(
    tmp_path: Path, data: dict[str, Any]
) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    rt = Runtime(Settings(rules_file=path))
    assert rt.rules.version == data["version"]
    data["version"] = "2026.2-test"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    assert rt.rules.version != "2026.2-test"  # read once, where the process started
    assert rt.reload_rules().version == "2026.2-test"
    assert rt.rules.version == "2026.2-test"


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (None, "marked"),  # a rules file written before the section existed: the default
        ({"unapproved_in_province": "marked"}, "marked"),
        ({"unapproved_in_province": "withheld"}, "withheld"),
    ],
)
def test_the_approval_policy(data: dict[str, Any], section: Any, expected: str) -> None:
    data.pop("approval", None)
    if section is not None:
        data["approval"] = section
    assert parse_rules(data, "rules.yaml").approval.unapproved_in_province == expected


def test_the_shipped_approval_policy_is_marked() -> None:
    assert load_rules(RULES_FILE).approval.unapproved_in_province == "marked"
