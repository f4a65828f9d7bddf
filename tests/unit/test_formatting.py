"""Indonesian formatting filters (domain.md section 8): numbers, percent, rupiah, dates, periods."""

from __future__ import annotations

import decimal
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from babel.numbers import format_decimal
from hypothesis import given
from hypothesis import strategies as st

from iku.formatting import (
    LOCALE,
    Absent,
    MissingFigureError,
    _format_number,
    angka,
    bulan_singkat,
    jam,
    periode,
    persen,
    rupiah,
    selisih,
    tanggal,
    waktu,
)
from iku.numbers import parse_id_strict
from iku.settings import TIMEZONE


@pytest.mark.parametrize(
    ("value", "args", "expected"),
    [
        (1234.56, (), "1.234,56"),  # dot groups thousands, comma marks decimals
        (1234567.89, (), "1.234.567,89"),
        (0, (), "0,00"),
        (-0.001, (), "0,00"),  # never "-0,00"
        (-1234.5, (), "-1.234,50"),
        (85.245, (), "85,25"),  # half up, as readers round (Babel alone rounds half even)
        (0.125, (), "0,13"),
        (Decimal("2.5"), (0,), "3"),
        (1250.0, (2, 0), "1.250"),  # trailing zeros trimmed for realisasi
        (56.23, (2, 0), "56,23"),
        (73.4, (2, 0), "73,4"),
        (12, (0,), "12"),
    ],
)
def test_angka(value: float, args: tuple[int, ...], expected: str) -> None:
    assert angka(value, *args) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (85.2448979591837, "85,24%"),  # LKj Lampung DBD example
        (100, "100,00%"),
        (113.675, "113,68%"),
        (107.14285714, "107,14%"),
        (0, "0,00%"),
    ],
)
def test_persen(value: float, expected: str) -> None:
    assert persen(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"), [(1.254, "+1,25"), (-3.4, "-3,40"), (0.0, "0,00"), (-0.004, "0,00")]
)
def test_selisih(value: float, expected: str) -> None:
    assert selisih(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [(1500000, "Rp1.500.000"), (1500000.5, "Rp1.500.001"), (0, "Rp0"), (999.49, "Rp999")],
)
def test_rupiah(value: float, expected: str) -> None:
    assert rupiah(value) == expected


@pytest.mark.parametrize("function", [angka, persen, selisih, rupiah])
def test_absent_value_prints_its_words(function: object) -> None:
    assert callable(function)
    assert function(Absent("belum tersedia")) == "belum tersedia"


@pytest.mark.parametrize("function", [angka, persen, selisih, rupiah, tanggal, jam, periode])
def test_none_is_a_missing_figure_not_a_blank(function: object) -> None:
    assert callable(function)
    with pytest.raises(MissingFigureError):
        function(None)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True])
def test_non_numbers_are_refused(value: object) -> None:
    with pytest.raises(MissingFigureError):
        angka(value)  # type: ignore[arg-type]


def test_absent_needs_words() -> None:
    with pytest.raises(ValueError):
        Absent("")


@pytest.mark.parametrize(
    ("value", "with_day", "expected"),
    [
        (date(2026, 11, 2), False, "2 November 2026"),
        (date(2026, 11, 2), True, "Senin, 2 November 2026"),
        (date(2026, 8, 17), False, "17 Agustus 2026"),
        # 20:00 UTC on 1 November is 03:00 WIB on 2 November: dates are WIB dates.
        (datetime(2026, 11, 1, 20, 0, tzinfo=UTC), False, "2 November 2026"),
    ],
)
def test_tanggal(value: date, with_day: bool, expected: str) -> None:
    assert tanggal(value, with_day=with_day) == expected


def test_jam_and_waktu_are_in_wib() -> None:
    moment = datetime(2026, 11, 2, 2, 30, tzinfo=UTC)
    assert jam(moment) == "09.30 WIB"
    assert jam(moment.astimezone(TIMEZONE)) == "09.30 WIB"
    assert waktu(moment) == "2 November 2026 pukul 09.30 WIB"


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(MissingFigureError, match="naive"):
        jam(datetime(2026, 11, 2, 9, 30))
    with pytest.raises(MissingFigureError, match="naive"):
        tanggal(datetime(2026, 11, 2, 9, 30))


MONTHS = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
]


@pytest.mark.parametrize(("month", "name"), list(enumerate(MONTHS, start=1)))
def test_periode_month_names(month: int, name: str) -> None:
    assert periode(f"2026-{month:02d}") == f"{name} 2026"


def test_short_month_label() -> None:
    assert bulan_singkat("2026-10") == "Okt"
    assert bulan_singkat("2026-08") == "Agu"


@pytest.mark.parametrize("bad", ["2026-13", "2026-1", "oct-2026", "202610", ""])
def test_periode_rejects_malformed_periods(bad: str) -> None:
    with pytest.raises(ValueError, match="tulis bulan seperti"):
        periode(bad)


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False))
def test_angka_reads_back_with_the_indonesian_parser(value: Decimal) -> None:
    assert parse_id_strict(angka(value)) == pytest.approx(float(value), abs=1e-9)


def _pattern(digits: int, min_digits: int | None, signed: bool) -> str:
    """The CLDR pattern of a number with ``digits`` decimals, at least ``min_digits`` shown."""
    least = digits if min_digits is None else min(min_digits, digits)
    fraction = "0" * least + "#" * (digits - least)
    body = "#,##0" + (f".{fraction}" if fraction else "")
    return f"+{body};-{body}" if signed else body


def _babel(value: Decimal, digits: int, min_digits: int | None, signed: bool) -> str:
    """Babel's own formatting of the pattern the fast formatter implements."""
    with decimal.localcontext() as context:
        context.rounding = decimal.ROUND_HALF_UP
        rounded = value.quantize(Decimal(1).scaleb(-digits))
    if rounded == 0:
        rounded = abs(rounded)
    pattern = _pattern(digits, min_digits, signed and rounded != 0)
    return format_decimal(rounded, format=pattern, locale=LOCALE)


OPTIONS = [(2, None, False), (2, 0, False), (3, 1, False), (0, None, False), (2, None, True)]


@given(
    value=st.one_of(
        st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
        st.sampled_from([0.0, 0.005, -0.005, 85.245, -85.245, 999.995, 1000.0, 1e9 + 0.5]),
        st.decimals(min_value=-10_000, max_value=10_000, places=3),
    ),
    options=st.sampled_from(OPTIONS),
)
def test_number_formatting_matches_babel(
    value: float | Decimal, options: tuple[int, int | None, bool]
) -> None:
    """The direct formatter writes exactly what Babel writes for id_ID: signs, half-up ties,
    trailing zeros, grouping and magnitudes."""
    digits, min_digits, signed = options
    exact = value if isinstance(value, Decimal) else Decimal(repr(value))
    assert _format_number(value, digits, min_digits, signed) == _babel(
        exact, digits, min_digits, signed
    )
