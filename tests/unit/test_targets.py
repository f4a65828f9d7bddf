"""Target texts as people write them become bounds and a comparator."""

from __future__ import annotations

import pytest

from iku.rules import load_rules
from iku.targets.text import TargetParseError, parse_target
from tests.conftest import RULES_FILE

RULES = load_rules(RULES_FILE)


@pytest.mark.parametrize(
    ("text", "comparator", "lower", "upper"),
    [
        ("95", "eq", 95.0, 95.0),
        ("72,5", "eq", 72.5, 72.5),
        ("1.250", "eq", 1250.0, 1250.0),  # Indonesian thousands in a declared-format catalog
        ("<= 60 menit", "le", None, 60.0),  # hospital waiting time standard
        ("≤ 60 menit", "le", None, 60.0),
        ("maksimal 60 menit", "le", None, 60.0),
        ("<49", "lt", None, 49.0),  # DBD incidence per 100.000
        ("< 49 per 100.000 penduduk", "lt", None, 49.0),  # digits inside the unit text
        (">= 95%", "ge", 95.0, None),
        ("minimal 90", "ge", 90.0, None),
        ("11,9 - 12,4", "range", 11.9, 12.4),  # poverty range
        ("70 hingga 70,3", "range", 70.0, 70.3),
        ("80-90%", "range", 80.0, 90.0),
        ("0 - 5", "range", 0.0, 5.0),
        ("2 s.d. 4", "range", 2.0, 4.0),
        ("4,5 sampai dengan 5", "range", 4.5, 5.0),
        ("Rp 1.500.000", "eq", 1500000.0, 1500000.0),
        ("-2 - 3", "range", -2.0, 3.0),
        ("12,4 - 11,9", "range", 11.9, 12.4),  # written high-to-low
        # plus-minus: the range centre ± spread (issue 13)
        ("3 ± 1", "range", 2.0, 4.0),
        ("3±1", "range", 2.0, 4.0),
        ("3 +/- 1", "range", 2.0, 4.0),
        ("2,5 ± 0,5 %", "range", 2.0, 3.0),
        ("3 ± 0", "eq", 3.0, 3.0),
        ("-1 ± 2", "range", -3.0, 1.0),
        # negative targets (an economic growth target of -1,5)
        ("-1,5", "eq", -1.5, -1.5),
        ("−1,5 %", "eq", -1.5, -1.5),  # the typographic minus sign
    ],
)
def test_parse_target(text: str, comparator: str, lower: float | None, upper: float | None) -> None:
    parsed = parse_target(text)
    assert (parsed.comparator, parsed.lower, parsed.upper) == (comparator, lower, upper)
    assert parsed.text == text.strip()


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "kosong"),
        ("tinggi", "tidak dapat dibaca"),
        ("72.5", "format Indonesia"),  # a decimal point where the catalog declares a comma
        ("< 10 - 20", "pembanding dan rentang"),
        ("1,2,3", "format Indonesia"),
    ],
)
def test_unreadable_targets(text: str, fragment: str) -> None:
    with pytest.raises(TargetParseError, match=fragment):
        parse_target(text)


def test_point_of_single_bound_targets() -> None:
    assert parse_target("<= 60").point == 60.0
    assert parse_target(">= 95").point == 95.0
    assert parse_target("2 - 4").point is None


@pytest.mark.parametrize(
    ("scale", "text", "comparator", "lower", "upper"),
    [
        # A plain grade is "at least this grade": a better grade meets it too.
        ("opini_bpk", "WTP", "ge", 4.0, None),
        ("akreditasi_rs", "Paripurna", "ge", 4.0, None),
        ("akreditasi_rs", " paripurna ", "ge", 4.0, None),
        ("predikat_sakip", "BB", "ge", 5.0, None),
        ("predikat_sakip", "minimal BB", "ge", 5.0, None),
        ("predikat_sakip", "> B", "gt", 4.0, None),
    ],
)
def test_qualitative_targets_are_grades_of_a_scale(
    scale: str, text: str, comparator: str, lower: float | None, upper: float | None
) -> None:
    parsed = parse_target(text, RULES.scale(scale))
    assert (parsed.comparator, parsed.lower, parsed.upper) == (comparator, lower, upper)
    assert parsed.text == text.strip()


def test_a_grade_outside_the_scale_names_the_grades() -> None:
    with pytest.raises(TargetParseError, match="tulis salah satu: WTP, WDP, TW, TMP"):
        parse_target("Baik", RULES.scale("opini_bpk"))
    with pytest.raises(TargetParseError, match="tidak dapat dibaca"):
        parse_target("WTP")  # without its scale a grade is not a number
