"""Reporting periods: calendar months written ``YYYY-MM`` (the fiscal year is the calendar year)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from iku.settings import TIMEZONE

#: Indonesian month names, as bulletins, notices and templates print them.
MONTHS_ID = (
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
)


class PeriodError(ValueError):
    """A period that is not ``YYYY-MM``."""


@dataclass(frozen=True, order=True)
class Period:
    """A calendar month."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Period:
        match = re.fullmatch(r"(\d{4})-(\d{2})", str(text).strip())
        if not match or not 1 <= int(match[2]) <= 12:
            raise PeriodError(f"period '{text}' is not a month like 2026-07")
        return cls(int(match[1]), int(match[2]))

    @classmethod
    def of(cls, moment: date | datetime) -> Period:
        if isinstance(moment, datetime):
            moment = moment.astimezone(TIMEZONE).date() if moment.tzinfo else moment.date()
        return cls(moment.year, moment.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def shift(self, months: int) -> Period:
        index = self.year * 12 + (self.month - 1) + months
        return Period(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def last_day(self) -> date:
        return self.shift(1).first_day - timedelta(days=1)

    @property
    def name_id(self) -> str:
        """``Oktober 2026``."""
        return f"{MONTHS_ID[self.month - 1]} {self.year}"


def shift_period(period: str, months: int) -> str:
    """``shift_period("2026-01", -1) == "2025-12"``."""
    return str(Period.parse(period).shift(months))


def previous_period(now: datetime | None = None) -> str:
    """The month before ``now`` in Asia/Jakarta: the period a monthly cycle evaluates."""
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
