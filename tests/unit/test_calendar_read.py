"""Reporting periods as agencies write them, the submission window, expected months."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from iku import calendar
from iku.ingest.rejections import PERIOD_OUTSIDE_WINDOW, Rejected
from iku.ingest.service import check_window
from iku.rules import Rules
from iku.settings import TIMEZONE


@pytest.mark.parametrize(
    ("raw", "period"),
    [
        ("2026-10", "2026-10"),  # ISO
        ("2026/10", "2026-10"),
        ("2026-10-01", "2026-10"),  # a date string: its month
        ("10/2026", "2026-10"),  # month first, as Indonesian Excel writes it
        ("1/2026", "2026-01"),
        ("Oktober 2026", "2026-10"),  # Indonesian month name
        ("oktober  2026", "2026-10"),
        ("Okt 2026", "2026-10"),  # abbreviation
        ("Agustus-2026", "2026-08"),
        ("October 2026", "2026-10"),  # English
        ("Bulan Desember 2026", "2026-12"),
        (datetime(2026, 10, 1), "2026-10"),  # an Excel date cell
        (date(2026, 3, 1), "2026-03"),
        (None, None),  # empty cell
        ("  ", None),
    ],
)
def test_reads_period_formats(raw: object, period: str | None) -> None:
    assert calendar.read_period(raw) == period


@pytest.mark.parametrize("raw", ["13/2026", "2026-13", "Oktober", "okt-26", "triwulan III 2026"])
def test_unreadable_periods_are_refused_in_indonesian(raw: str) -> None:
    with pytest.raises(calendar.PeriodError, match="tidak"):
        calendar.read_period(raw)


@pytest.mark.parametrize(
    ("frequency", "months"),
    [
        ("monthly", list(range(1, 13))),
        ("quarterly", [3, 6, 9, 12]),
        ("semester", [6, 12]),
        ("annual", list(range(1, 13))),  # reported whenever released; on every template
    ],
)
def test_expected_months(frequency: str, months: list[int]) -> None:
    found = [
        m
        for m in range(1, 13)
        if calendar.is_reportable(frequency, calendar.split(f"2026-{m:02d}")[1])
    ]
    assert found == months


@pytest.mark.parametrize(
    ("frequency", "period", "key"),
    [
        ("monthly", "2026-10", "M10"),
        ("quarterly", "2026-09", "Q3"),
        ("semester", "2026-06", "S1"),
        ("semester", "2026-12", "S2"),
        ("annual", "2026-12", "annual"),
    ],
)
def test_breakdown_keys(frequency: str, period: str, key: str) -> None:
    assert calendar.breakdown_key(frequency, calendar.split(period)[1]) == key


def test_calendar_helpers() -> None:
    assert calendar.shift_period("2026-11", 3) == "2027-02"
    assert calendar.shift_period("2026-01", -1) == "2025-12"
    assert calendar.last_day("2028-02") == date(2028, 2, 29)
    assert calendar.label("2026-08") == "Agustus 2026"
    moment = datetime(2026, 11, 2, 9, 30, tzinfo=TIMEZONE)
    assert calendar.format_datetime_id(moment) == "Senin, 2 November 2026 pukul 09.30 WIB"


def _at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(tzinfo=TIMEZONE)


@pytest.mark.parametrize(
    ("period", "received", "accepted"),
    [
        ("2026-10", "2026-11-01T07:00", True),  # the first day after the month
        ("2026-10", "2026-10-31T23:00", False),  # the month has not ended
        ("2026-07", "2026-10-31T23:59", True),  # open_months = 3: July closes end of October
        ("2026-07", "2026-11-01T00:01", False),
        ("2026-12", "2027-01-04T10:00", True),  # across the year
        ("2027-01", "2026-12-15T10:00", False),  # a future period
    ],
)
def test_submission_window(rules: Rules, period: str, received: str, accepted: bool) -> None:
    if accepted:
        check_window(period, _at(received), rules)
    else:
        with pytest.raises(Rejected) as caught:
            check_window(period, _at(received), rules)
        assert caught.value.rule == PERIOD_OUTSIDE_WINDOW
