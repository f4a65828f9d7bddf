"""Periods: parsing, shifting across years, the previous month in WIB."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from iku.calendar import Period, PeriodError, periods_between, previous_period, shift_period


@pytest.mark.parametrize(
    ("period", "months", "expected"),
    [("2026-01", -1, "2025-12"), ("2026-12", 1, "2027-01"), ("2026-07", -6, "2026-01")],
)
def test_shift(period: str, months: int, expected: str) -> None:
    assert shift_period(period, months) == expected


@pytest.mark.parametrize("text", ["2026-13", "2026-7", "Oktober 2026", "", "2026/07"])
def test_bad_periods(text: str) -> None:
    with pytest.raises(PeriodError):
        Period.parse(text)


def test_days_and_names() -> None:
    p = Period.parse("2026-02")
    assert (p.first_day, p.last_day) == (date(2026, 2, 1), date(2026, 2, 28))
    assert Period.parse("2026-10").label == "Oktober 2026"


def test_previous_period_is_taken_in_jakarta_time() -> None:
    # 31 Oct 2026 18:00 UTC is already 1 November 01:00 WIB: the previous month is October.
    assert previous_period(datetime(2026, 10, 31, 18, 0, tzinfo=UTC)) == "2026-10"
    assert previous_period(datetime(2026, 10, 31, 16, 0, tzinfo=UTC)) == "2026-09"


def test_periods_between() -> None:
    assert periods_between("2025-11", "2026-02") == ["2025-11", "2025-12", "2026-01", "2026-02"]
