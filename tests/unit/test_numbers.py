"""Indonesian number reading: formats, states, ambiguity and magnitude settlement."""

from __future__ import annotations

import pytest

from iku.numbers import (
    STATE_NOT_AVAILABLE,
    STATE_NOT_REPORTED,
    NumberFormatError,
    choose_by_magnitude,
    parse_id_strict,
    read_number,
)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("1.234,5", 1234.5),  # Indonesian thousands + decimal comma
        ("85,24%", 85.24),  # percent sign dropped, decimal comma
        ("85,24 %", 85.24),
        ("0,85", 0.85),  # decimal comma with two digits is not ambiguous
        ("1.234.567,89", 1234567.89),
        ("1.234.567", 1234567.0),  # several dot groups can only be thousands
        ("12,345,678.5", 12345678.5),  # English export: comma groups, point decimal
        ("1,234.5", 1234.5),
        ("-3,5", -3.5),
        ("−3,5", -3.5),  # unicode minus
        ("Rp1.500.000", 1500000.0),
        ("Rp 1.500.000,50", 1500000.5),
        ("  72 ", 72.0),
        ("1\u00a0234,5", 1234.5),  # non-breaking space as a group separator
        (5, 5.0),
        (97.35, 97.35),  # a numeric spreadsheet cell is never ambiguous
    ],
)
def test_reads_unambiguous_numbers(raw: object, value: float) -> None:
    reading = read_number(raw)
    assert reading.value == pytest.approx(value)
    assert reading.problem is None and not reading.is_ambiguous


@pytest.mark.parametrize(
    ("raw", "candidates"),
    [
        ("1.234", (1.234, 1234.0)),  # one separator + exactly three digits
        ("1,234", (1.234, 1234.0)),
        ("97.35", (97.35, 9735.0)),  # a lone decimal point: plain 97.35 or mistyped 9.735
        ("-1.250", (-1.25, -1250.0)),
    ],
)
def test_ambiguous_strings_are_never_guessed(raw: str, candidates: tuple[float, float]) -> None:
    reading = read_number(raw)
    assert reading.value is None
    assert reading.candidates == pytest.approx(candidates)


@pytest.mark.parametrize(
    ("raw", "state"),
    [
        ("-", STATE_NOT_REPORTED),
        ("n/a", STATE_NOT_REPORTED),
        ("N/A", STATE_NOT_REPORTED),
        ("tidak dilaporkan", STATE_NOT_REPORTED),
        ("Belum Tersedia", STATE_NOT_AVAILABLE),
        ("belum  tersedia", STATE_NOT_AVAILABLE),
        ("", STATE_NOT_REPORTED),
        (None, STATE_NOT_REPORTED),
        (float("nan"), STATE_NOT_REPORTED),
    ],
)
def test_state_words(raw: object, state: str) -> None:
    reading = read_number(raw)
    assert reading.state == state and reading.value is None


@pytest.mark.parametrize(
    "raw", ["abc", "=SUM(A1:A3)", "+cmd", "@foo", "1,2,3", "12.34.5", "1.23,4.5", "1e5x", True]
)
def test_unreadable_cells_have_a_problem(raw: object) -> None:
    reading = read_number(raw)
    assert reading.value is None and reading.state is None
    assert reading.problem


@pytest.mark.parametrize(
    ("text", "value"), [("1.234,5", 1234.5), ("95", 95.0), ("11,9", 11.9), ("-2", -2.0)]
)
def test_parse_id_strict(text: str, value: float) -> None:
    assert parse_id_strict(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["72.5", "1,2,3", "", "abc", "1.23"])
def test_parse_id_strict_rejects_other_formats(text: str) -> None:
    with pytest.raises(NumberFormatError):
        parse_id_strict(text)


@pytest.mark.parametrize(
    ("candidates", "reference", "lower", "upper", "expected"),
    [
        # 97.35 vs 9735 for a percentage around 95: only 97.35 fits the bounds and magnitude
        ((97.35, 9735.0), 95.0, 0.0, 100.0, 97.35),
        # 1.234 vs 1234 for a count whose target is 1.200: 1234
        ((1.234, 1234.0), 1200.0, 0.0, None, 1234.0),
        # both far from the reference: unsettled
        ((1.234, 1234.0), 50.0, None, None, None),
        # no reference and no bounds: both plausible, never guessed
        ((1.234, 1234.0), None, None, None, None),
    ],
)
def test_choose_by_magnitude(
    candidates: tuple[float, ...],
    reference: float | None,
    lower: float | None,
    upper: float | None,
    expected: float | None,
) -> None:
    chosen = choose_by_magnitude(candidates, reference=reference, lower=lower, upper=upper)
    assert chosen == (pytest.approx(expected) if expected is not None else None)
