"""Readers: CSV encodings and delimiters, JSON schema, xlsx (fast and detailed paths agree)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from iku.ingest import readers
from iku.ingest.rejections import (
    FILE_EMPTY,
    FILE_TOO_LARGE,
    FILE_UNREADABLE,
    MISSING_COLUMNS,
    TOO_MANY_ROWS,
    Rejected,
)

HEADER = "Kode OPD;Periode;Kode IKU;Realisasi;Keterangan"


def limits(max_rows: int = 10, max_unpacked_bytes: int = 10**8) -> readers.ReadLimits:
    """Reader limits for a test: the rows and unpacked size given, the rules' defaults else."""
    return readers.ReadLimits(
        max_rows=max_rows,
        max_unpacked_bytes=max_unpacked_bytes,
        max_cells=1_000_000,
        max_zip_entries=1000,
        max_number_digits=30,
    )


LINE = "DINKES;10/2026;DINKES-02;93,10;naik – stabil"


def csv_bytes(text: str, encoding: str) -> bytes:
    return text.encode(encoding)


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [("utf-8", "\n"), ("utf-8-sig", "\r\n"), ("cp1252", "\r\n"), ("utf-16", "\r\n")],
)
def test_csv_encodings(encoding: str, newline: str) -> None:
    data = csv_bytes(newline.join([HEADER, LINE]) + newline, encoding)
    table = readers.read_csv(data, limits(10))
    assert [(r.source_row, r.indicator_code, r.value, r.note) for r in table.rows] == [
        (2, "DINKES-02", "93,10", "naik – stabil")
    ]
    assert table.periods == [(2, "10/2026")] and table.agencies == [(2, "DINKES")]


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("Kode IKU;Realisasi\nDINKES-02;93,1\n", ";"),
        ('indicator_code,value\nDINKES-02,"93,1"\n', ","),
        ("Kode IKU\tRealisasi\nDINKES-02\t93,1\n", "\t"),
        ("Laporan Oktober\n\nKode IKU;Realisasi;Catatan\nDINKES-02;93,1;a, b\n", ";"),
    ],
)
def test_delimiter_sniffing(text: str, delimiter: str) -> None:
    assert readers.sniff_delimiter(text) == delimiter
    assert readers.read_csv(text.encode(), limits(10)).rows[0].value == "93,1"


def test_csv_row_numbers_are_file_lines_even_with_quoted_newlines() -> None:
    text = 'Kode IKU;Realisasi;Keterangan\nDINKES-01;46;"dua\nbaris"\n\nDINKES-02;93;x\n'
    rows = readers.read_csv(text.encode(), limits(10)).rows
    assert [(r.source_row, r.indicator_code) for r in rows] == [(2, "DINKES-01"), (5, "DINKES-02")]


@pytest.mark.parametrize(
    ("data", "rule"),
    [
        (b"   \r\n", FILE_EMPTY),
        (b"\x00\x01\x02binary\x00" * 20, FILE_UNREADABLE),
        (b"Kode IKU;Realisasi\n\x81\x8d\x8f;1\n", FILE_UNREADABLE),  # not cp1252 either
        (b"Nama;Nilai Capaian\nx;1\n", MISSING_COLUMNS),
    ],
)
def test_csv_rejections(data: bytes, rule: str) -> None:
    with pytest.raises(Rejected) as caught:
        readers.read_csv(data, limits(10))
    assert caught.value.rule == rule


def test_json_schema_and_aliases() -> None:
    document = {
        "agency_code": "DINKES",
        "period": "2026-10",
        "rows": [
            {"indicator_code": "DINKES-02", "realisasi": 93.1, "evidence_url": "https://x"},
            {
                "indicator_code": "DINKES-03",
                "realisasi": None,
                "state": "belum_tersedia",
                "note": "rilis SKI",
            },
            {"kode_iku": "DINKES-05", "nilai": "97,25"},
        ],
    }
    table = readers.read_json(json.dumps(document).encode(), limits(10))
    assert table.agencies == [(0, "DINKES")] and table.periods == [(0, "2026-10")]
    assert [(r.source_row, r.indicator_code, r.value, r.state) for r in table.rows] == [
        (1, "DINKES-02", 93.1, None),
        (2, "DINKES-03", None, "belum_tersedia"),
        (3, "DINKES-05", "97,25", None),
    ]
    assert table.rows[0].evidence == "https://x" and table.rows[1].note == "rilis SKI"


@pytest.mark.parametrize(
    ("document", "rule"),
    [
        ('{"period": "2026-10", "rows": [', FILE_UNREADABLE),
        ("[1, 2]", FILE_UNREADABLE),
        ('{"period": "2026-10"}', MISSING_COLUMNS),
        ('{"period": "2026-10", "rows": {"a": 1}}', FILE_UNREADABLE),
        ('{"period": "2026-10", "rows": [1]}', FILE_UNREADABLE),
        ('{"period": "2026-10", "rows": [{"realisasi": 1}]}', MISSING_COLUMNS),
        ('{"period": "2026-10", "rows": [{"indicator_code": "X-01"}]}', MISSING_COLUMNS),
        (
            '{"rows": [' + ",".join(['{"indicator_code": "X-01", "realisasi": 1}'] * 11) + "]}",
            TOO_MANY_ROWS,
        ),
    ],
)
def test_json_rejections(document: str, rule: str) -> None:
    with pytest.raises(Rejected) as caught:
        readers.read_json(document.encode(), limits(10))
    assert caught.value.rule == rule


def _workbook(tmp_path: Path, percent: bool) -> Path:
    workbook = Workbook()
    notes = workbook.active
    assert notes is not None
    notes.title = "Catatan"
    notes.append(["Lembar ini bukan data"])
    sheet = workbook.create_sheet("Data")
    sheet.append(["Periode", "Oktober 2026"])
    sheet.append(["No", "Kode IKU", "Realisasi", None, "Keterangan"])
    sheet.append([None, None, "Nilai", "Status", None])
    sheet.merge_cells("C2:D2")
    sheet.merge_cells("A2:A3")
    sheet.append([1, "DINKES-02", 0.931 if percent else 93.1, None, "x"])
    sheet.append([2, "DINKES-03", None, "belum tersedia", "rilis SKI"])
    sheet.append([])
    sheet.append(["Catatan: data sementara"])
    sheet.merge_cells("A7:E7")
    if percent:
        sheet["C4"].number_format = "0.00%"
    path = tmp_path / ("percent.xlsx" if percent else "plain.xlsx")
    workbook.save(path)
    return path


@pytest.mark.parametrize("percent", [False, True], ids=["fast-calamine", "detailed-openpyxl"])
def test_xlsx_paths_read_the_same_table(tmp_path: Path, percent: bool) -> None:
    path = _workbook(tmp_path, percent)
    assert readers.inspect_workbook(path, limits(100)).detailed is percent
    table = readers.read_xlsx(path, limits(100))
    assert table.reader == "xlsx" and table.header_row == 2
    assert table.periods == [(1, "Oktober 2026")]
    assert [(r.source_row, r.indicator_code, r.value, r.state) for r in table.rows] == [
        (4, "DINKES-02", 93.1, None),
        (5, "DINKES-03", None, "belum tersedia"),
    ]


def test_zip_that_unpacks_too_far_is_refused_unopened(tmp_path: Path) -> None:
    path = _workbook(tmp_path, False)
    with pytest.raises(Rejected) as caught:
        readers.read_xlsx(path, limits(100, 2000))
    assert caught.value.rule == FILE_TOO_LARGE


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"PK\x03\x04 truncated", "bukan buku kerja"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel lama"),
    ],
)
def test_broken_workbooks(tmp_path: Path, content: bytes, detail: str) -> None:
    path = tmp_path / "x.xlsx"
    path.write_bytes(content)
    with pytest.raises(Rejected) as caught:
        readers.read_xlsx(path, limits(100))
    assert caught.value.rule == FILE_UNREADABLE and detail in caught.value.reason


def test_zip_without_workbook(tmp_path: Path) -> None:
    path = tmp_path / "x.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(Rejected, match="bukan buku kerja"):
        readers.read_xlsx(path, limits(100))


@pytest.mark.parametrize(
    ("lines", "held", "rows"),
    [
        # A quote opened and never closed: each line after it is a row of its own, held.
        (['A-01;1;"catatan', "A-02;2;x", "A-03;3;y"], [2, 3, 4], [2, 3, 4]),
        # A quote closed two lines later swallowed a line holding the separator: held too.
        (['A-01;1;"satu', "A-02;2;dua", 'tiga"', "A-04;4;z"], [2, 3, 4], [2, 3, 4, 5]),
        # A note with a line break (no separator on the next line) is a single row, not held.
        (['A-01;1;"dua', 'baris"', "A-02;2;x"], [], [2, 4]),
    ],
)
def test_csv_broken_quotes_lose_no_line(lines: list[str], held: list[int], rows: list[int]) -> None:
    text = "\n".join(["Kode IKU;Realisasi;Keterangan", *lines]) + "\n"
    table = readers.read_csv(text.encode(), limits(10))
    assert [r.source_row for r in table.rows] == rows
    assert [r.source_row for r in table.rows if r.hold] == held


def test_csv_lines_beyond_the_read_window_are_named() -> None:
    """Reading stops at 2 x max_rows + 40 non-blank lines; what follows is named, not lost."""
    notes = "\n".join(f"catatan {n}" for n in range(30))
    text = "Kode IKU;Realisasi\nA-01;1\n" + notes + "\nA-02;2\n"
    table = readers.read_csv(text.encode(), limits(max_rows=2))  # a window of 44 lines
    assert [r.source_row for r in table.rows] == [2, 33] and table.notes == []
    notes = "\n".join(f"catatan {n}" for n in range(60))
    text = "Kode IKU;Realisasi\nA-01;1\n" + notes + "\nA-02;2\n"
    table = readers.read_csv(text.encode(), limits(max_rows=2))
    assert [r.source_row for r in table.rows] == [2]
    assert table.notes == ["baris 45 dan seterusnya tidak dibaca (batas baca 44 baris berisi)"]


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        (
            '{"period": "2026-10", "rows": [{"indicator_code": "X-01", "realisasi": '
            + "9" * 400
            + "}]}",
            "400 digit",
        ),
        ('{"period": "2026-10", "rows": ' + "[" * 5000 + "]" * 5000 + "}", "terlalu dalam"),
    ],
)
def test_json_refused_with_a_sentence(document: str, detail: str) -> None:
    with pytest.raises(Rejected) as caught:
        readers.read_json(document.encode(), limits(10))
    assert caught.value.rule == FILE_UNREADABLE and detail in caught.value.reason


def test_xlsx_inspection_refuses_a_lying_zip(tmp_path: Path) -> None:
    from tests.data.bad_submissions.hostile import lying_zip_bomb

    path = lying_zip_bomb(tmp_path / "bom.xlsx", expands_to=8 * 1024 * 1024)
    with pytest.raises(Rejected) as caught:
        readers.read_xlsx(path, limits(100))
    assert caught.value.rule == FILE_TOO_LARGE and "dinyatakan" in caught.value.reason
