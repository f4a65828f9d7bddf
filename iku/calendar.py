"""The evaluation calendar: periods, Indonesian month names, reporting frequencies, target keys.

A period is a calendar month written ``YYYY-MM`` (the fiscal year is the calendar year). Month
and day names come from Babel's ``id_ID`` locale, the one the bulletins use.

Frequencies and which months they are due (domain.md section 3):

- *due* (:func:`is_due`): a value is expected in that month, and its absence is "missing":
  monthly IKU every month, quarterly in March/June/September/December, semester in June and
  December. Annual IKU (often BPS releases) have no fixed month: they are never due, so never
  missing.
- *reportable* (:func:`is_reportable`): a value reported in that month counts (for the month's
  capaian and the year to date) and the month's template has a line for it: the due months,
  and every month for annual IKU (reported "belum tersedia" until the value is out). A value of
  a quarterly IKU sent in February is off schedule and ignored.

Target period keys: ``annual``, ``M01``..``M12``, ``Q1``..``Q4``, ``S1``..``S2`` (a PK breakdown
row covers the months of its key).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Final

import numpy as np
from babel.dates import get_day_names, get_month_names

from iku.enums import FREQUENCIES
from iku.i18n import _
from iku.settings import TIMEZONE

LOCALE: Final = "id_ID"
MONTHS: Final = 12

#: ``Januari`` .. ``Desember``.
MONTH_NAMES: Final[tuple[str, ...]] = tuple(
    get_month_names("wide", locale=LOCALE)[m] for m in range(1, MONTHS + 1)
)
#: ``Jan`` .. ``Des`` (chart labels).
MONTH_ABBREVIATIONS: Final[tuple[str, ...]] = tuple(
    get_month_names("abbreviated", locale=LOCALE)[m] for m in range(1, MONTHS + 1)
)
#: ``Senin`` .. ``Minggu`` (Monday first, as ``date.weekday()`` counts).
DAY_NAMES: Final[tuple[str, ...]] = tuple(get_day_names("wide", locale=LOCALE)[d] for d in range(7))


class PeriodError(ValueError):
    """A period that cannot be read; the message (through the catalogs) says how to write one."""


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------

_CANONICAL = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        """Read a canonical ``YYYY-MM`` period (what users type on the command line)."""
        match = _CANONICAL.fullmatch(str(text).strip())
        if not match:
            raise PeriodError(
                _("period '%(text)s' is not valid; write a month like 2026-10", text=text)
            )
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, moment: date | datetime) -> Period:
        """The period containing a date (a datetime is taken in WIB)."""
        if isinstance(moment, datetime):
            moment = moment.astimezone(TIMEZONE).date() if moment.tzinfo else moment.date()
        return cls(moment.year, moment.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def index(self) -> int:
        """Months since year 0: differences between periods are month counts."""
        return self.year * 12 + self.month - 1

    def shift(self, months: int) -> Period:
        index = self.index + months
        return Period(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.shift(1).first_day - timedelta(days=1)

    @property
    def label(self) -> str:
        """``Oktober 2026``."""
        return f"{MONTH_NAMES[self.month - 1]} {self.year}"


def is_period(text: str) -> bool:
    """True for a canonical ``YYYY-MM`` string."""
    return bool(_CANONICAL.match(text))


def make_period(year: int, month: int) -> str:
    """``make_period(2026, 7) == "2026-07"``; a year outside 1900-2200 is refused."""
    if not (1 <= month <= 12 and 1900 <= year <= 2200):
        raise PeriodError(_("period %(month)s/%(year)s is not valid", month=month, year=year))
    return f"{year:04d}-{month:02d}"


def split(period: str) -> tuple[int, int]:
    """``split("2026-07") == (2026, 7)``."""
    parsed = Period.parse(period)
    return parsed.year, parsed.month


def month_index(period: str) -> int:
    """Months since year 0: differences between periods are month counts."""
    return Period.parse(period).index


def shift_period(period: str, months: int) -> str:
    """``shift_period("2026-01", -1) == "2025-12"``."""
    return str(Period.parse(period).shift(months))


def last_day(period: str) -> date:
    """The last day of a period (the day that decides which target version is in force)."""
    return Period.parse(period).last_day


def label(period: str) -> str:
    """``Oktober 2026``."""
    return Period.parse(period).label


def previous_period(now: datetime | None = None) -> str:
    """The month before ``now`` in WIB: the period a monthly cycle evaluates."""
    moment = now.astimezone(TIMEZONE) if now is not None else datetime.now(TIMEZONE)
    return str(Period.of(moment).shift(-1))


def periods_between(first: str, last: str) -> list[str]:
    """Every period from ``first`` to ``last`` inclusive."""
    start, end = Period.parse(first), Period.parse(last)
    out = []
    while start <= end:
        out.append(str(start))
        start = start.shift(1)
    return out


def format_datetime_id(moment: datetime) -> str:
    """``Senin, 2 November 2026 pukul 09.30 WIB`` (the moment is shown in WIB)."""
    moment = moment.astimezone(TIMEZONE)
    day = DAY_NAMES[moment.weekday()]
    month = MONTH_NAMES[moment.month - 1]
    return f"{day}, {moment.day} {month} {moment.year} pukul {moment:%H.%M} WIB"


# --------------------------------------------------------------------------------------------
# Periods as agencies write them
# --------------------------------------------------------------------------------------------

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


def _month_words() -> dict[str, int]:
    words: dict[str, int] = {}
    for number, (indonesian, english) in enumerate(zip(MONTH_NAMES, _MONTHS_EN, strict=True), 1):
        for word in (indonesian.lower(), english):
            words[word] = number
            words[word[:3]] = number
    words.update({"agu": 8, "agt": 8, "ags": 8, "okt": 10, "nop": 11, "des": 12, "sept": 9})
    return words


_MONTH_WORDS: Final = _month_words()
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})(?:[-/.]\d{1,2})?(?:[ T].*)?$")
_MONTH_FIRST = re.compile(r"^(\d{1,2})[-/.](\d{4})$")
_WORDS = re.compile(r"^(?:bulan\s+)?([a-z]+)\.?[\s\-/,]*(\d{4})$")


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
        _(
            "period '%(raw)s' cannot be read; write for example 2026-10, 10/2026 or Oktober 2026",
            raw=raw,
        )
    )


# --------------------------------------------------------------------------------------------
# Frequencies
# --------------------------------------------------------------------------------------------

MONTHLY, QUARTERLY, SEMESTER, ANNUAL = 0, 1, 2, 3
#: Months in one reporting period, by frequency code.
SPAN: Final = np.array([1, 3, 6, 12], dtype=np.int64)

_MONTH_NUMBERS = np.arange(1, MONTHS + 1)
#: DUE[f, k]: a value of frequency code f is due in month k+1 (absent: missing).
DUE: Final = np.array(
    [
        np.ones(MONTHS, dtype=bool),
        _MONTH_NUMBERS % 3 == 0,
        _MONTH_NUMBERS % 6 == 0,
        np.zeros(MONTHS, dtype=bool),
    ]
)
#: REPORTABLE[f, k]: a value reported in month k+1 counts, and the template lists the IKU.
REPORTABLE: Final = DUE | (np.arange(len(FREQUENCIES)) == ANNUAL)[:, None]


def _code(frequency: str) -> int:
    try:
        return FREQUENCIES.index(frequency)
    except ValueError:
        raise ValueError(f"unknown frequency {frequency!r} (known: {FREQUENCIES})") from None


def is_due(frequency: str, month: int) -> bool:
    """Whether a value of this frequency is due in ``month`` (1-12): absent means missing."""
    return bool(DUE[_code(frequency), month - 1])


def is_reportable(frequency: str, month: int) -> bool:
    """Whether a value reported in ``month`` counts (and the month's template lists the IKU)."""
    return bool(REPORTABLE[_code(frequency), month - 1])


def frequencies_due(month: int) -> tuple[str, ...]:
    """The frequencies with a value due in ``month``."""
    return tuple(f for i, f in enumerate(FREQUENCIES) if DUE[i, month - 1])


def periods_per_year(frequency: str) -> int:
    """12 monthly, 4 quarterly, 2 semester, 1 annual."""
    return int(MONTHS // SPAN[_code(frequency)])


# --------------------------------------------------------------------------------------------
# Target period keys
# --------------------------------------------------------------------------------------------

#: First month and number of months each target period key covers (by position in
#: iku.enums.TARGET_PERIOD_KEYS).
KEY_FIRST_MONTH: Final = np.array([1, *range(1, 13), 1, 4, 7, 10, 1, 7], dtype=np.int64)
KEY_SPAN: Final = np.array([12, *([1] * 12), 3, 3, 3, 3, 6, 6], dtype=np.int64)


def breakdown_key(frequency: str, month: int) -> str:
    """The target period key (M10, Q3, S2, annual) of the reporting period containing
    ``month`` for a frequency."""
    if frequency == "quarterly":
        return f"Q{(month - 1) // 3 + 1}"
    if frequency == "semester":
        return f"S{(month - 1) // 6 + 1}"
    if frequency == "annual":
        return "annual"
    return f"M{month:02d}"
