"""Finding the table: header aliases, two-row merged headers, metadata, notes and totals."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from iku.ingest import table as t
from iku.ingest.rejections import MISSING_COLUMNS, TOO_MANY_ROWS, Rejected


def rows(*lines: Sequence[object], start: int = 1) -> list[t.Row]:
    return [(start + i, list(line)) for i, line in enumerate(lines)]


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Kode IKU", t.CODE),
        ("kode_indikator", t.CODE),
        ("Indicator code", t.CODE),
        ("Realisasi", t.VALUE),
        ("Capaian Realisasi", t.VALUE),
        ("Actual", t.VALUE),
        ("Realisasi s.d. Bulan Ini", t.VALUE),  # a long label: contains "realisasi"
        ("Realisasi Status", t.STATE),  # merged "Realisasi" over "Status": the state wins
        ("Satuan", t.UNIT),
        ("Keterangan", t.NOTE),
        ("Catatan:", t.NOTE),
        ("Link Bukti Dukung", t.EVIDENCE),
        ("Periode", t.PERIOD),
        ("Bulan", t.PERIOD),
        ("Kode OPD", t.AGENCY),
        ("kode perangkat daerah", t.AGENCY),
        ("Target", t.TARGET),
        ("Indikator Kinerja", t.NAME),
        ("Capaian (%)", None),  # the achievement is computed, never read
        ("", None),
    ],
)
def test_column_aliases(label: str, field: str | None) -> None:
    assert t.classify(t.normalise_label(label))[0] == field


def test_single_row_header_with_metadata_above() -> None:
    table = t.extract(
        rows(
            ["LAPORAN REALISASI IKU"],
            ["Kode OPD", "DINKES"],
            ["Periode", ":", "Oktober 2026"],
            [],
            ["No", "Kode IKU", "Realisasi", "Keterangan"],
            [1, "DINKES-01", 46.35, None],
            [2, "DINKES-02", "93,1", "naik"],
        ),
        "xlsx",
        100,
    )
    assert table.header_row == 5
    assert [(r.source_row, r.indicator_code, r.value) for r in table.rows] == [
        (6, "DINKES-01", 46.35),
        (7, "DINKES-02", "93,1"),
    ]
    assert table.agencies == [(2, "DINKES")]
    assert table.periods == [(3, "Oktober 2026")]  # the ":" cell is skipped


def test_two_row_merged_header_and_numbering_row() -> None:
    table = t.extract(
        rows(
            ["No", "Kode Indikator", "Realisasi", "Realisasi", "Bukti Dukung"],
            [None, None, "Nilai", "Status", None],
            ["(1)", "(2)", "(3)", "(4)", "(5)"],
            [1, "DINKES-01", 46.35, None, "https://x"],
            [2, "DINKES-03", None, "belum tersedia", None],
            start=4,
        ),
        "xlsx",
        100,
    )
    assert table.columns[t.VALUE] == 2 and table.columns[t.STATE] == 3
    assert [r.source_row for r in table.rows] == [7, 8]
    assert table.rows[1].state == "belum tersedia"


def test_label_value_metadata_in_one_cell() -> None:
    table = t.extract(
        rows(["Bulan: Oktober 2026"], ["Kode IKU", "Realisasi"], ["DINKES-01", 1]), "csv", 10
    )
    assert table.periods == [(1, "Oktober 2026")]


def test_blank_rows_notes_and_totals_are_not_data() -> None:
    table = t.extract(
        rows(
            ["Kode IKU", "Nama", "Realisasi"],
            ["DINKES-04", "Kematian ibu", 7],
            [None, None, None],
            ["A. Sasaran strategis 2", None, None],  # a section title in the code column
            [None, "Jumlah", 7],  # a total line
            ["Catatan: angka sementara", None, None],
            [None, "Mengetahui, Kepala Dinas", None],
            ["DINKES-01", "DBD", None],  # a data row without a value (not reported)
            [None, None, "85"],  # a value without a code: data, validation flags the code
        ),
        "csv",
        10,
    )
    assert [(r.source_row, r.indicator_code) for r in table.rows] == [
        (2, "DINKES-04"),
        (8, "DINKES-01"),
        (9, ""),
    ]


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["Kode IKU", "Nilai Capaian"], "Realisasi"),
        (["Nama Indikator", "Realisasi"], "Kode IKU"),
        (["a", "b"], "Kode IKU, Realisasi"),
    ],
)
def test_missing_required_columns(header: list[str], missing: str) -> None:
    with pytest.raises(Rejected) as caught:
        t.extract(rows(header, ["X-01", 1]), "csv", 10)
    assert caught.value.rule == MISSING_COLUMNS
    assert caught.value.reason.endswith(missing + ".")


def test_row_limit() -> None:
    data = [["Kode IKU", "Realisasi"]] + [[f"DINKES-{i:02d}", i] for i in range(6)]
    assert len(t.extract(rows(*data), "csv", 6).rows) == 6
    with pytest.raises(Rejected) as caught:
        t.extract(rows(*data), "csv", 5)
    assert caught.value.rule == TOO_MANY_ROWS


def test_percent_cell_keeps_the_stored_number() -> None:
    cell = t.PercentCell(0.8524)
    assert cell == 85.24 and cell.stored == 0.8524


@pytest.mark.parametrize(
    ("lines", "agencies"),
    [
        # "Kode OPD:" beside "Bulan :" on one row (the simulator's other .xlsx layout; the demo's
        # planted wrong-agency file was accepted because only the first label was read).
        ([["Bulan", ":", "April 2026", None, "Kode OPD: BKD"]], [(1, "BKD")]),
        ([["Kode OPD", "DINKES", "Periode", "2026-10"]], [(1, "DINKES")]),
    ],
)
def test_every_label_of_a_metadata_row_is_read(
    lines: list[list[object]], agencies: list[tuple[int, object]]
) -> None:
    table = t.extract(
        rows(*lines, ["Kode IKU", "Realisasi"], ["X-01", 1]),
        "xlsx",
        10,
    )
    assert table.agencies == agencies and len(table.periods) == 1


def test_an_agency_code_below_the_table_counts() -> None:
    table = t.extract(
        rows(
            ["Periode", "2026-10"],
            ["Kode IKU", "Realisasi", "Keterangan"],
            ["X-01", 1, None],
            [None, None, None],
            [None, None, "Kode OPD: RSUDAM"],
        ),
        "xlsx",
        10,
    )
    assert table.agencies == [(5, "RSUDAM")]
    assert table.skipped[-1] == (5, t.NOTE_LINE)


def test_every_line_not_staged_is_accounted() -> None:
    table = t.extract(
        rows(
            ["LAPORAN"],
            ["Kode IKU", "Realisasi"],
            ["(1)", "(2)", "(3)"],
            ["X-01", 1],
            ["A. Sasaran dua", None],
            ["X-02", 2],
            [None, 3, "Jumlah"],
            ["Kode IKU", "Realisasi"],
            ["X-03", 3],
            ["Catatan: sementara", None],
        ),
        "csv",
        10,
    )
    assert [r.source_row for r in table.rows] == [4, 6, 9]
    assert table.skipped == [
        (1, t.ABOVE_TABLE),
        (2, t.HEADER),
        (3, t.NUMBERING),
        (5, t.SECTION_TITLE),
        (7, t.TOTAL_LINE),
        (8, t.SECOND_HEADER),
        (10, t.NOTE_LINE),
    ]
