"""Indonesian (Babel ``id_ID``) formatting of figures, dates and periods for the bulletins.

Every filter refuses ``None``: a figure that is missing must fail the render, never print a
blank. A value that is legitimately absent (a realisasi "belum tersedia", a capaian that cannot
be computed) is passed as an :class:`Absent` carrying the words to print, and every number filter
prints those words instead of a number.
"""

from __future__ import annotations

import decimal
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from babel.dates import format_date, format_time
from babel.numbers import (
    format_currency,
    get_decimal_symbol,
    get_group_symbol,
    get_minus_sign_symbol,
    get_plus_sign_symbol,
)

from iku.calendar import MONTH_ABBREVIATIONS, Period
from iku.settings import TIMEZONE

LOCALE: Final = "id_ID"

Number = int | float | Decimal


class MissingFigureError(ValueError):
    """A filter received ``None`` where a figure (or an explicit :class:`Absent`) was required."""


class Absent:
    """A value that is legitimately absent, with the Indonesian words the bulletin prints."""

    __slots__ = ("label",)

    def __init__(self, label: str) -> None:
        if not label:
            raise ValueError("an absent value needs the words to print")
        self.label = label

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Absent) and other.label == self.label

    def __hash__(self) -> int:
        return hash(("Absent", self.label))

    def __repr__(self) -> str:
        return f"Absent({self.label!r})"

    def __str__(self) -> str:
        return self.label


def is_absent(value: object) -> bool:
    """Jinja test ``is absent``."""
    return isinstance(value, Absent)


def _require(value: object, what: str) -> None:
    if value is None:
        raise MissingFigureError(f"{what}: the figure is missing (None)")
    if isinstance(value, bool):
        raise MissingFigureError(f"{what}: expected a number, got a boolean")


def _decimal(value: Number) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise MissingFigureError(f"not a finite number: {value!r}")
        # The shortest repr is the number people typed (85.245, not 85.24499999...).
        return Decimal(repr(value))
    return Decimal(value)


#: The locale's number symbols, from Babel's CLDR data (``,`` decimal, ``.`` grouping).
_DECIMAL: Final = get_decimal_symbol(LOCALE)
_GROUP: Final = get_group_symbol(LOCALE)
_MINUS: Final = get_minus_sign_symbol(LOCALE)
_PLUS: Final = get_plus_sign_symbol(LOCALE)


def _format_number(value: Number, digits: int, min_digits: int | None, signed: bool) -> str:
    """The number rounded half up to ``digits`` decimals, trailing zeros trimmed down to
    ``min_digits``, grouped by thousands, with a sign when ``signed``: what Babel writes for
    the pattern ``#,##0.00##`` in ``id_ID`` (a property test holds the two equal), written
    directly, as Babel's general formatter cost 15 us a call and dominated the thousands of
    numbers in a national validation's messages."""
    number = _decimal(value)
    quantum = Decimal(1).scaleb(-digits)
    with decimal.localcontext() as context:
        # Half up, as readers (and spreadsheets) round: 85,245 -> 85,25.
        context.rounding = ROUND_HALF_UP
        rounded = number.quantize(quantum)
    if rounded == 0:
        rounded = abs(rounded)  # never "-0,00"
    whole, _, fraction = f"{abs(rounded):,f}".partition(".")
    least = digits if min_digits is None else min(min_digits, digits)
    fraction = fraction.rstrip("0").ljust(least, "0")
    text = whole.replace(",", _GROUP) + (_DECIMAL + fraction if fraction else "")
    if rounded < 0:
        return _MINUS + text
    return _PLUS + text if signed and rounded != 0 else text


def angka(value: Number | Absent | None, digits: int = 2, min_digits: int | None = None) -> str:
    """A number in Indonesian format: ``1.234,56``; ``min_digits`` trims trailing zeros."""
    if isinstance(value, Absent):
        return value.label
    _require(value, "angka")
    assert value is not None
    return _format_number(value, digits, min_digits, signed=False)


def selisih(value: Number | Absent | None, digits: int = 2) -> str:
    """A signed difference: ``+1,25`` / ``-3,40`` / ``0,00``."""
    if isinstance(value, Absent):
        return value.label
    _require(value, "selisih")
    assert value is not None
    return _format_number(value, digits, None, signed=True)


def persen(value: Number | Absent | None, digits: int = 2) -> str:
    """A value already in percent: ``85.24`` -> ``85,24%``."""
    if isinstance(value, Absent):
        return value.label
    _require(value, "persen")
    assert value is not None
    return _format_number(value, digits, None, signed=False) + "%"


def rupiah(value: Number | Absent | None) -> str:
    """Rupiah without decimals: ``Rp1.500.000``."""
    if isinstance(value, Absent):
        return value.label
    _require(value, "rupiah")
    assert value is not None
    with decimal.localcontext() as context:
        context.rounding = ROUND_HALF_UP
        whole = _decimal(value).quantize(Decimal(1))
    return format_currency(whole, "IDR", format="¤#,##0", locale=LOCALE, currency_digits=False)


def _as_wib_date(value: date | datetime) -> date:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise MissingFigureError(f"naive datetime {value!r}: its time zone is unknown")
        return value.astimezone(TIMEZONE).date()
    return value


def tanggal(value: date | datetime | None, with_day: bool = False) -> str:
    """A date: ``2 November 2026`` (``Senin, 2 November 2026`` with the weekday), in WIB."""
    _require(value, "tanggal")
    assert value is not None
    pattern = "EEEE, d MMMM y" if with_day else "d MMMM y"
    return format_date(_as_wib_date(value), pattern, locale=LOCALE)


def jam(value: datetime | None) -> str:
    """A time of day in WIB: ``09.30 WIB``."""
    _require(value, "jam")
    assert value is not None
    if value.tzinfo is None:
        raise MissingFigureError(f"naive datetime {value!r}: its time zone is unknown")
    return format_time(value.astimezone(TIMEZONE), "HH.mm", locale=LOCALE) + " WIB"


def waktu(value: datetime | None) -> str:
    """Date and time in WIB: ``2 November 2026 pukul 09.30 WIB``."""
    _require(value, "waktu")
    assert value is not None
    return f"{tanggal(value)} pukul {jam(value)}"


def periode(value: str | None) -> str:
    """A ``YYYY-MM`` period: ``2026-10`` -> ``Oktober 2026``."""
    _require(value, "periode")
    assert value is not None
    return Period.parse(value).label


def bulan_singkat(value: str | None) -> str:
    """A period's short month label for charts: ``2026-10`` -> ``Okt``."""
    _require(value, "bulan_singkat")
    assert value is not None
    return MONTH_ABBREVIATIONS[Period.parse(value).month - 1]
