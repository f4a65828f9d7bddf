"""One raw row to one staged row: numbers, states, formula-looking text, ambiguity (table)."""

from __future__ import annotations

from typing import Any

import pytest

from iku.ingest.bounds import FieldLimits
from iku.ingest.rows import stage_row
from iku.ingest.table import PercentCell, RawRow

LIMITS = FieldLimits.of(2000)

# DBD incidence: reference 49 per 100.000, no upper bound; a % IKU: reference 95, max 120.
MAGNITUDES = {"DINKES-01": (49.0, 0.0, None), "DINKES-02": (95.0, 0.0, 120.0)}


def staged(value: object, state: object = None, note: str | None = None, code: str = "DINKES-02"):
    row = RawRow(source_row=7, indicator_code=code, value=value, state=state, note=note)
    return stage_row(
        row,
        agency_code="DINKES",
        period="2026-10",
        source_file="f.xlsx",
        magnitude=MAGNITUDES.get,
        limits=LIMITS,
    )


@pytest.mark.parametrize(
    ("value", "state", "expected"),
    [
        # a number, written every way agencies write it
        (93.1, None, (93.1, "angka", "ok")),  # numeric cell
        ("93,1", None, (93.1, "angka", "ok")),  # decimal comma
        ("93,10%", None, (93.1, "angka", "ok")),  # percent sign
        ("1.234,5", None, (1234.5, "angka", "ok")),  # Indonesian thousands
        (PercentCell(0.931), None, (93.1, "angka", "ok")),  # a cell formatted as percent
        (0, None, (0.0, "angka", "ok")),  # zero is a number, not missing
        ("93,1", "angka", (93.1, "angka", "ok")),  # explicit state column
        # states
        (None, None, (None, "tidak_dilaporkan", "ok")),  # empty cell
        ("-", None, (None, "tidak_dilaporkan", "ok")),
        ("belum tersedia", None, (None, "belum_tersedia", "ok")),
        (None, "belum tersedia", (None, "belum_tersedia", "ok")),
        ("-", "Belum Tersedia", (None, "belum_tersedia", "ok")),  # the state column wins
        (None, "tidak dilaporkan", (None, "tidak_dilaporkan", "ok")),
        # contradictions and text: invalid, never guessed
        (93.1, "belum tersedia", (None, None, "invalid")),
        (None, "angka", (None, None, "invalid")),
        ("93,1", "mungkin", (None, None, "invalid")),  # unknown state word
        ("sekitar 93", None, (None, None, "invalid")),
        ("#DIV/0!", None, (None, None, "invalid")),  # a cached formula error
        ("=SUM(F7:F9)", None, (None, None, "invalid")),  # formula text kept as text
        ("+cmd|' /C calc'!A0", None, (None, None, "invalid")),  # DDE injection
        ("@SUM(1)", None, (None, None, "invalid")),
        ("-HYPERLINK(1)", None, (None, None, "invalid")),
        (True, None, (None, None, "invalid")),
        # ambiguity settled by the IKU's magnitude (bounds and reference)
        ("93.75", None, (93.75, "angka", "ok")),  # 9375 is above the % IKU's max 120
    ],
)
def test_value_and_state(value: object, state: object, expected: tuple[Any, ...]) -> None:
    row = staged(value, state)
    assert (row["value"], row["state"], row["parse_status"]) == expected
    if expected[2] != "ok":
        assert row["parse_problem"]  # an Indonesian reason for the steward


def test_formula_text_is_kept_verbatim() -> None:
    row = staged('=HYPERLINK("http://x","97")')
    assert row["raw_value"] == '=HYPERLINK("http://x","97")'
    assert "rumus" in row["parse_problem"]


def test_ambiguous_when_magnitude_cannot_settle() -> None:
    # DBD incidence 46.5 or 465: both within 10x of 49 and no upper bound.
    row = staged("46.5", code="DINKES-01")
    assert row["parse_status"] == "ambiguous" and row["value"] is None
    assert row["candidates"] == [46.5, 465.0]


def test_unknown_indicator_is_never_settled() -> None:
    row = staged("1.234", code="DINKES-99")
    assert row["parse_status"] == "ambiguous" and row["candidates"] == [1.234, 1234.0]


def test_state_reason_is_the_note_only_for_states() -> None:
    assert staged(None, "belum tersedia", note="rilis BPS Desember")["state_reason"] == (
        "rilis BPS Desember"
    )
    assert staged("93,1", note="naik")["state_reason"] is None
    assert staged(None, "belum tersedia")["state_reason"] is None  # validation flags it


def test_html_in_notes_is_stored_as_text() -> None:
    note = "<script>alert(1)</script> & <b>naik</b>"
    assert staged("93,1", note=note)["note"] == note


def test_raw_value_records_what_was_found() -> None:
    assert staged(120000.0)["raw_value"] == "120000"
    assert staged(93.1)["raw_value"] == "93.1"
    assert staged(PercentCell(0.931))["raw_value"] == "0.931 [format %]"
    assert staged(None)["raw_value"] is None
