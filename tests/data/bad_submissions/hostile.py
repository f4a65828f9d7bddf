"""The hostile part of the bad-input corpus: files made to crash, exhaust or mislead ingestion.

``main()`` (run by ``generate.py``) writes the small ones into ``hostile/``, deterministically;
the README's second table says what each must get. What is large or must be made where it is
used is built at test time by the functions below (:func:`lying_zip_bomb`) or by the corpus
test itself (symlinks, a FIFO, a hard link, a sub-folder, modification times).
"""

from __future__ import annotations

import json
import struct
import zipfile
import zlib
from collections.abc import Callable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent / "hostile"
#: 55 characters: longer than the database's IKU code (48).
LONG_CODE: Final = "DKPTPH-PRODUKTIVITAS-PADI-SAWAH-IRIGASI-TEKNIS-" + "2026-XY1"
EVIDENCE = "https://data.lampungprov.go.id/bukti/"
_CT: Final = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    b'package/2006/content-types"><Override PartName="/xl/workbook.xml" ContentType="application'
    b'/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/></Types>'
)
_WORKBOOK: Final = (
    b'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships"><sheets><sheet name="Realisasi" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_RELS: Final = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    b'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats'
    b'.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    b"</Relationships>"
)


def _csv(name: str, lines: list[str], newline: str = "\r\n") -> None:
    (HERE / name).write_bytes((newline.join(lines) + newline).encode("utf-8"))


def _replacing(edits: dict[str, str]) -> Callable[[bytes], bytes]:
    """A zip-part patch that replaces each anchor (which must be there) once."""

    def apply(data: bytes) -> bytes:
        text = data.decode("utf-8")
        for anchor, replacement in edits.items():
            assert anchor in text, anchor
            text = text.replace(anchor, replacement, 1)
        return text.encode("utf-8")

    return apply


def _save(workbook: Workbook, name: str, patches: dict[str, dict[str, str]] | None = None) -> None:
    from iku.template import normalise_zip

    when = datetime(2026, 11, 3, 9, 0)
    path = HERE / name
    workbook.properties.created = when
    workbook.properties.modified = when
    workbook.save(path)
    normalise_zip(path, when, {part: _replacing(e) for part, e in (patches or {}).items()})


def _sheet(title: str, rows: Sequence[Sequence[object]]) -> Workbook:
    workbook = Workbook()
    sheet = _active(workbook)
    sheet.title = title
    for row in rows:
        sheet.append(list(row))
    return workbook


def _active(workbook: Workbook) -> Any:
    sheet = workbook.active
    assert sheet is not None
    return sheet


def main() -> None:
    HERE.mkdir(exist_ok=True)
    header: list[object] = ["Kode IKU", "Realisasi", "Periode", "Link Bukti"]

    # A value in the last cell of the sheet, XFD1048576: python-calamine allocates the whole
    # used area (17 billion cells) and aborted the process. Read by the streaming reader.
    workbook = _sheet(
        "Realisasi",
        [
            header,
            ["BAPENDA-01", 512.5, "2026-10", EVIDENCE + "bapenda/01.pdf"],
            ["BAPENDA-02", 201.25, "2026-10", EVIDENCE + "bapenda/02.pdf"],
            ["BAPENDA-03", 88.5, "2026-10", None],
        ],
    )
    _active(workbook)["XFD1048576"] = "ujung lembar"
    _save(workbook, "sel_xfd.xlsx")

    # Percent formats and one merged range from F1 to XFD1048576: openpyxl made a cell object
    # for each of its 17 billion cells (3,5 GB, 114 s). The merge is written into the XML.
    workbook = _sheet(
        "Realisasi",
        [
            [*header, None, "Catatan lampiran"],
            ["BIRO_ORGANISASI-03", 0.9312, "2026-10", EVIDENCE + "biro/03.pdf"],
            ["BIRO_ORGANISASI-01", 82.4, "2026-10", EVIDENCE + "biro/01.pdf"],
        ],
    )
    _active(workbook)["B2"].number_format = "0.00%"
    _save(
        workbook,
        "gabung_raksasa_persen.xlsx",
        {
            "xl/worksheets/sheet1.xml": {
                "</sheetData>": '</sheetData><mergeCells count="1">'
                '<mergeCell ref="F1:XFD1048576"/></mergeCells>'
            }
        },
    )

    # A quote opened on line 3 and never closed: lines 3-5 were one note (3 of 5 rows staged,
    # nothing said). Now every line is a row, the ones after the quote held.
    _csv(
        "kutip_terbuka.csv",
        [
            "Kode OPD;Periode;Kode IKU;Realisasi;Keterangan",
            "BKD;2026-10;BKD-02;91,5;",
            'BKD;2026-10;BKD-03;1250;"data dari aplikasi',
            "BKD;2026-10;BKD-01;78,2;indeks semester",
            "BKD;2026-10;BKD-02;91,6;koreksi",
        ],
    )

    # Formula cells: B2 has a cached value, B3 none (never calculated and saved), B4 a number.
    workbook = _sheet(
        "Realisasi",
        [
            header,
            ["BMBK-03", 71.0, "2026-10", EVIDENCE + "bmbk/03.pdf"],
            ["BMBK-01", 64.0, "2026-10", EVIDENCE + "bmbk/01.pdf"],
            ["BMBK-02", 55.5, "2026-10", None],
        ],
    )
    _save(
        workbook,
        "rumus_tanpa_nilai.xlsx",
        {
            "xl/worksheets/sheet1.xml": {
                '<c r="B2" t="n"><v>71</v></c>': '<c r="B2"><f>ROUND(70.96,0)</f><v>71</v></c>',
                '<c r="B3" t="n"><v>64</v></c>': '<c r="B3"><f>SUM(Data!C1:C9)</f></c>',
            }
        },
    )

    # Two tables on one sheet (the second with its own column order) and a second visible
    # sheet with a table: every row of the sheet is read, the other sheet is named as unread.
    workbook = _sheet(
        "Realisasi",
        [
            header,
            ["DINSOS-01", 12.4, "2026-10", EVIDENCE + "dinsos/01.pdf"],
            ["DINSOS-02", 15230, "2026-10", EVIDENCE + "dinsos/02.pdf"],
            [],
            ["Tabel tambahan: IKU yang dilaporkan terpisah"],
            ["Periode", "Realisasi", "Kode IKU"],
            ["2026-10", 64.5, "DINSOS-03"],
        ],
    )
    copy = workbook.create_sheet("Salinan September")
    for row in (header, ["DINSOS-01", 12.1, "2026-09", None]):
        copy.append(row)
    _save(workbook, "dua_tabel.xlsx")

    # A realisasi cell merged over two IKU rows (C3:C4) and a note merged over two rows: the
    # value's rows are held (which IKU it belongs to is unknowable), a shared note is fine.
    workbook = _sheet(
        "Realisasi",
        [
            ["Kode IKU", "Periode", "Realisasi", "Keterangan"],
            ["DISDIKBUD-05", "2026-10", 15420, "data dapodik"],
            ["DISDIKBUD-06", "2026-10", 81.5, None],
            ["DISDIKBUD-04", "2026-10", None, None],
            ["DISDIKBUD-02", "2026-10", 91.2, None],
        ],
    )
    _active(workbook).merge_cells("C3:C4")
    _active(workbook).merge_cells("D2:D3")
    _save(workbook, "sel_gabung_data.xlsx")

    # A very hidden first sheet with another agency's table (a decoy): never read.
    workbook = _sheet(
        "Data",
        [header, ["DINKES-02", 10.0, "2026-08", None], ["DINKES-05", 11.0, "2026-08", None]],
    )
    _active(workbook).sheet_state = "veryHidden"
    visible = workbook.create_sheet("Realisasi")
    for row in (
        header,
        ["DISHUB-02", 14, "2026-10", None],
        ["DISHUB-01", 61.5, "2026-10", EVIDENCE + "dishub/01.pdf"],
        ["DISHUB-03", 70.25, "2026-10", None],
    ):
        visible.append(row)
    workbook.active = 1
    _save(workbook, "lembar_sangat_tersembunyi.xlsx")

    # Old Mac line endings (CR only).
    _csv(
        "cr_saja.csv",
        [
            "Kode OPD;Periode;Kode IKU;Realisasi;Link Bukti",
            "DISKOPUKM;2026-10;DISKOPUKM-02;1520;" + EVIDENCE + "diskop/02.pdf",
            "DISKOPUKM;2026-10;DISKOPUKM-01;11,2;",
            "DISKOPUKM;2026-10;DISKOPUKM-03;45,5;",
        ],
        newline="\r",
    )

    # Text that a spreadsheet would run as a formula (or DDE): kept as text, rows not numbers.
    _csv(
        "teks_mirip_rumus.csv",
        [
            "Kode OPD;Periode;Kode IKU;Realisasi;Keterangan",
            "DISNAKERTRANS;2026-10;DISNAKERTRANS-01;=1+1;",
            "DISNAKERTRANS;2026-10;DISNAKERTRANS-03;@SUM(A1:A9);",
            'DISNAKERTRANS;2026-10;DISNAKERTRANS-04;88,5;=HYPERLINK("http://x";"klik")',
            "DISNAKERTRANS;2026-10;DISNAKERTRANS-02;-2+3;",
        ],
    )

    # An IKU code of 55 characters: longer than the database's IKU code (48).
    _csv(
        "kode_55.csv",
        [
            "Kode OPD;Periode;Kode IKU;Realisasi",
            "DKPTPH;2026-10;DKPTPH-01;102,5",
            "DKPTPH;2026-10;" + LONG_CODE + ";55",
            "DKPTPH;2026-10;DKPTPH-03;125000",
        ],
    )

    # An evidence link of 2.000 characters: longer than realisation.evidence_url (1.000).
    _csv(
        "tautan_2000.csv",
        [
            "Kode OPD;Periode;Kode IKU;Realisasi;Link Bukti",
            "DLH;2026-10;DLH-04;72,5;" + EVIDENCE + "dlh/" + "a" * (2000 - len(EVIDENCE) - 4),
            "DLH;2026-10;DLH-03;68,1;",
        ],
    )

    # A note of 5.000 characters (over rules.ingest.max_text_chars).
    document = {
        "agency_code": "DPMPTSP",
        "period": "2026-10",
        "rows": [
            {"indicator_code": "DPMPTSP-03", "realisasi": 91.5, "note": "Catatan panjang. " * 300},
            {"indicator_code": "DPMPTSP-04", "realisasi": 120},
        ],
    }
    (HERE / "catatan_panjang.json").write_text(json.dumps(document) + "\n", encoding="utf-8")

    # Terminal markup in a code, a value and a note: printed as written, never as markup.
    _csv(
        "markup.csv",
        [
            "Kode OPD;Periode;Kode IKU;Realisasi;Keterangan",
            "INSPEKTORAT;2026-10;[/link];1;",
            "INSPEKTORAT;2026-10;INSPEKTORAT-04;[red]97,5;[bold]tebal[/bold]",
            "INSPEKTORAT;2026-10;INSPEKTORAT-02;85,5;[link=http://x]tautan[/link]",
        ],
    )

    # The same bytes in two agencies' folders (no agency code inside).
    _csv(
        "sama_persis.csv",
        [
            "Periode;Kode IKU;Realisasi",
            "2026-10;PSDA-02;88,4",
            "2026-10;PSDA-01;72,5",
            "2026-10;PSDA-03;1250",
        ],
    )

    # DINKES's file, first dropped in RSUDAM's folder (rejected), then in its own (ingested).
    _csv(
        "titipan.csv",
        [
            "Kode OPD;Periode;Kode IKU;Realisasi;Link Bukti",
            "DINKES;2026-10;DINKES-01;46,35;" + EVIDENCE + "dinkes/01.pdf",
            "DINKES;2026-10;DINKES-02;93,10;" + EVIDENCE + "dinkes/02.pdf",
            "DINKES;2026-10;DINKES-05;97,25;",
        ],
    )

    # September, back-dated to 20 September (before the month ended); received in November.
    _csv(
        "mundur.csv",
        [
            "Kode OPD;Periode;Kode IKU;Realisasi;Link Bukti",
            "DINKES;2026-09;DINKES-01;44,10;" + EVIDENCE + "dinkes/09-01.pdf",
            "DINKES;2026-09;DINKES-02;92,80;" + EVIDENCE + "dinkes/09-02.pdf",
            "DINKES;2026-09;DINKES-05;97,10;",
        ],
    )

    # A clean file: its agency's validation must complete whatever the others hold.
    _csv(
        "kontrol.csv",
        [
            "Kode OPD;Periode;Kode IKU;Realisasi;Link Bukti",
            "RSUDAM;2026-10;RSUDAM-01;58;" + EVIDENCE + "rsudam/01.pdf",
            "RSUDAM;2026-10;RSUDAM-02;86,5;",
            "RSUDAM;2026-10;RSUDAM-04;1,2;",
            "RSUDAM;2026-10;RSUDAM-05;14250;",
        ],
    )

    # Refused with a sentence: a 400-digit integer, nesting 5.000 deep, a 3.000-character
    # agency code.
    digits = {"period": "2026-10", "rows": [{"indicator_code": "DINKES-02", "realisasi": 0}]}
    text = json.dumps(digits).replace('"realisasi": 0', '"realisasi": ' + "9" * 400)
    (HERE / "angka_400_digit.json").write_text(text + "\n", encoding="utf-8")
    (HERE / "json_bersarang.json").write_text(
        '{"period": "2026-10", "rows": ' + "[" * 5000 + "]" * 5000 + "}\n", encoding="utf-8"
    )
    _csv(
        "kode_opd_panjang.csv",
        ["Kode OPD;Periode;Kode IKU;Realisasi", "DINKES" * 500 + ";2026-10;DINKES-02;93,1"],
    )


def lying_zip_bomb(path: Path, expands_to: int = 200 * 1024 * 1024) -> Path:
    """A workbook whose sheet part declares 1 KiB (with the CRC of its first KiB) but
    decompresses to ``expands_to`` bytes: a reader that trusts the stream, not the header,
    fills memory (892 MB before it was refused). About 200 KB on disk; built at test time."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = b"\0" * (1 << 20)
    parts = [compressor.compress(chunk) for _ in range(expands_to // len(chunk))]
    bomb = b"".join(parts) + compressor.flush()
    declared = 1024
    members = [
        ("[Content_Types].xml", zipfile.ZIP_STORED, len(_CT), zlib.crc32(_CT), _CT),
        ("xl/workbook.xml", zipfile.ZIP_STORED, len(_WORKBOOK), zlib.crc32(_WORKBOOK), _WORKBOOK),
        ("xl/_rels/workbook.xml.rels", zipfile.ZIP_STORED, len(_RELS), zlib.crc32(_RELS), _RELS),
        # The lie: 1 KiB declared, with the CRC of the first KiB of what the stream yields.
        (
            "xl/worksheets/sheet1.xml",
            zipfile.ZIP_DEFLATED,
            declared,
            zlib.crc32(bytes(declared)),
            bomb,
        ),
    ]
    body = b""
    directory = b""
    for name, method, size, crc, data in members:
        encoded = name.encode()
        offset = len(body)
        fields = (method, 0, 0x5B63, crc, len(data), size, len(encoded), 0)
        body += struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, *fields) + encoded + data
        directory += (
            struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, *fields, 0, 0, 0, 0, offset)
            + encoded
        )
    end = struct.pack(
        "<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(directory), len(body), 0
    )
    path.write_bytes(body + directory + end)
    return path
