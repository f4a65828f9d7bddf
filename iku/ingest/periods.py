"""Reporting periods (``YYYY-MM``): reading them as agencies write them, and calendar helpers."""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime
from typing import Final

from iku.periods import MONTHS_ID

_MONTHS_EN: Final = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
_DAYS_ID: Final = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")


def _month_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for number, (indonesian, english) in enumerate(zip(MONTHS_ID, _MONTHS_EN, strict=True), 1):
        for word in (indonesian.lower(), english):
            words[word] = number
            words[word[:3]] = number
    words.update({"agu": 8, "agt": 8, "ags": 8, "okt": 10, "nop": 11, "des": 12, "sept": 9})
    return words


_MONTH_WORDS: Final = _month_words()
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:[ T].*)?$")
_MONTH_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_WORDS = re.compile(r"^(?:bulan\s+)?([a-z]+)\.?[\s\-/,]*(\d{4})$")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


class PeriodError(ValueError):
    """A period that cannot be read; the message is in Indonesian."""


def is_period(text: str) -> bool:
    """True for a canonical ``YYYY-MM`` string."""
    return bool(_PERIOD.match(text))


def make_period(year: int, month: int) -> str:
    if not (1 <= month <= 12 and 1900 <= year <= 2200):
        raise PeriodError(f"periode {month}/{year} tidak sah")
    return f"{year:04d}-{month:02d}"


def read_period(raw: object) -> str | None:
    """Read a period cell ("2026-10", "10/2026", "Oktober 2026", an Excel date) as ``YYYY-MM``.

    Returns None for an empty cell; raises :class:`PeriodError` for anything unreadable.
    """
    if raw is None:
        return None
    if isinstance(raw, datetime | date):
        return make_period(raw.year, raw.month)
    text = re.sub(r"\s+", " ", str(raw)).strip().lower()
    if not text:
        return None
    if match := _ISO.match(text):
        return make_period(int(match[1]), int(match[2]))
    if match := _MONTH_FIRST.match(text):
        return make_period(int(match[2]), int(match[1]))
    if (match := _WORDS.match(text)) and match[1] in _MONTH_WORDS:
        return make_period(int(match[2]), _MONTH_WORDS[match[1]])
    raise PeriodError(
        f"periode '{raw}' tidak dapat dibaca; tulis misalnya 2026-10, 10/2026 atau Oktober 2026"
    )


def split(period: str) -> tuple[int, int]:
    year, month = period.split("-")
    return int(year), int(month)


def month_index(period: str) -> int:
    """Months since year 0: differences between periods are month counts."""
    year, month = split(period)
    return year * 12 + month - 1


def from_index(index: int) -> str:
    return make_period(index // 12, index % 12 + 1)


def add_months(period: str, months: int) -> str:
    return from_index(month_index(period) + months)


def last_day(period: str) -> date:
    year, month = split(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def label(period: str) -> str:
    """``Oktober 2026``."""
    year, month = split(period)
    return f"{MONTHS_ID[month - 1]} {year}"


def expects_value(frequency: str, period: str) -> bool:
    """Whether an indicator of this frequency has a line on the period's template.

    Monthly: every month; quarterly: Mar/Jun/Sep/Dec; semester: Jun/Dec. Annual IKU (often BPS
    releases) have no fixed month: they are on every month's template, reported as "belum
    tersedia" until the value is out (the engine never counts them missing).
    """
    month = split(period)[1]
    if frequency == "quarterly":
        return month % 3 == 0
    if frequency == "semester":
        return month % 6 == 0
    return True


def periods_per_year(frequency: str) -> int:
    return {"monthly": 12, "quarterly": 4, "semester": 2, "annual": 1}.get(frequency, 12)


def breakdown_key(frequency: str, period: str) -> str:
    """The target period key (M10, Q3, S2, annual) that covers this period for a frequency."""
    month = split(period)[1]
    if frequency == "quarterly":
        return f"Q{(month - 1) // 3 + 1}"
    if frequency == "semester":
        return f"S{(month - 1) // 6 + 1}"
    if frequency == "annual":
        return "annual"
    return f"M{month:02d}"


def format_datetime_id(moment: datetime) -> str:
    """``Senin, 3 November 2026 pukul 09.30 WIB`` (the moment must already be in WIB)."""
    day = _DAYS_ID[moment.weekday()]
    month = MONTHS_ID[moment.month - 1]
    return f"{day}, {moment.day} {month} {moment.year} pukul {moment:%H.%M} WIB"
