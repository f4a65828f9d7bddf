"""Regenerate the bad-input corpus (the files in this folder); README.md says what each shows.

Run from the project root: ``.venv/bin/python -m tests.data.bad_submissions.generate``.
Deterministic: the same bytes every time (fixed seed, fixed zip timestamps).
"""

from __future__ import annotations

import json
import random
import re
import zipfile
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

from iku.ingest.template import normalise_zip
from tests.data.bad_submissions import hostile

HERE = Path(__file__).resolve().parent
WHEN = datetime(2026, 11, 3, 9, 0)
HEADER = ["Kode OPD", "Periode", "Kode IKU", "Realisasi", "Status", "Link Bukti", "Keterangan"]
EVIDENCE = "https://data.lampungprov.go.id/bukti/dinkes/2026-10/"


def _csv(name: str, lines: list[str], encoding: str = "utf-8", newline: str = "\r\n") -> None:
    (HERE / name).write_bytes((newline.join(lines) + newline).encode(encoding))


def _save(
    workbook: Workbook, name: str, patches: dict[str, Callable[[bytes], bytes]] | None = None
) -> None:
    path = HERE / name
    workbook.properties.created = WHEN
    workbook.properties.modified = WHEN
    workbook.save(path)
    normalise_zip(path, WHEN, patches)


def _patch(replacements: dict[str, str]) -> Callable[[bytes], bytes]:
    def apply(data: bytes) -> bytes:
        text = data.decode("utf-8")
        for ref, xml in replacements.items():
            text, count = re.subn(rf'<c r="{ref}"[^>]*>.*?</c>', xml, text, count=1)
            assert count == 1, ref
        return text.encode("utf-8")

    return apply


def main() -> None:
    (HERE / "kosong.csv").write_bytes(b"")
    (HERE / "acak.xlsx").write_bytes(random.Random(4).randbytes(2048))
    with zipfile.ZipFile(HERE / "bukan_workbook.xlsx", "w") as archive:
        info = zipfile.ZipInfo("catatan.txt", date_time=(2026, 11, 3, 9, 0, 0))
        archive.writestr(info, "Ini arsip zip biasa, bukan buku kerja Excel.\n")
    (HERE / "laporan_lama.xls").write_bytes(
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + random.Random(5).randbytes(1024)
    )

    # More data rows than rules.ingest.max_rows (5000).
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Data"
    sheet.append(["Kode IKU", "Realisasi", "Periode"])
    for n in range(5001):
        sheet.append([f"DINKES-{n % 5 + 1:02d}", 90 + n % 7, "2026-10"])
    _save(workbook, "terlalu_banyak_baris.xlsx")

    # Two-row header with merged cells, "(1) (2) ..." numbering row, trailing notes.
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "IKU"
    sheet["A1"] = "LAPORAN REALISASI IKU DINAS KESEHATAN"
    sheet.merge_cells("A1:G1")
    sheet["A2"] = "Bulan : Oktober 2026"
    for col, title in enumerate(["No", "Kode Indikator", "Indikator", "Realisasi"], start=1):
        sheet.cell(4, col, title)
    sheet["F4"] = "Bukti Dukung"
    sheet["G4"] = "Keterangan"
    sheet["D5"], sheet["E5"] = "Nilai", "Status"
    for col in (1, 2, 3, 6, 7):
        sheet.merge_cells(start_row=4, start_column=col, end_row=5, end_column=col)
    sheet.merge_cells("D4:E4")
    sheet.append([f"({n})" for n in range(1, 8)])
    sheet.append([1, "DINKES-01", "Angka Kesakitan DBD", 46.35, None, EVIDENCE + "01.pdf", None])
    sheet.append([2, "DINKES-02", "Cakupan IDL", 93.1, "angka", EVIDENCE + "02.pdf", None])
    sheet.append([3, "DINKES-03", "Prevalensi Stunting", None, "belum tersedia", None, "SKI 2026"])
    sheet.append([])
    sheet.append(["Catatan: angka sementara, dapat dikoreksi pada laporan berikutnya."])
    sheet.merge_cells("A11:G11")
    sheet.append([None, None, None, None, "Mengetahui, Kepala Dinas"])
    _save(workbook, "header_gabung.xlsx")

    # Extra sheets before the data sheet; the reader skips sheets without the table.
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    first.title = "Rekap"
    first.append(["Rekapitulasi", "2026"])
    first.append(["Bulan", "Jumlah", "Keterangan"])
    chart = workbook.create_sheet("Grafik")
    chart.append(["(grafik)"])
    data = workbook.create_sheet("Realisasi Oktober")
    data.append(["Kode OPD", "DINKES"])
    data.append(["Periode", "10/2026"])
    data.append([])
    data.append(["Kode IKU", "Nama IKU", "Realisasi", "Keterangan"])
    data.append(["DINKES-02", "Cakupan IDL", 92.4, None])
    data.append(["DINKES-05", "Cakupan JKN", 97.25, "data BPJS akhir bulan"])
    _save(workbook, "lembar_tambahan.xlsx")

    # Formula cells: cached values are read, formulas never evaluated; an error cell is text.
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Kode IKU", "Realisasi", "Periode", "Link Bukti"])
    sheet.append(["DINKES-01", 46.0, "2026-10", EVIDENCE + "01.pdf"])
    sheet.append(["DINKES-02", 93.0, "2026-10", EVIDENCE + "02.pdf"])
    sheet.append(["DINKES-04", 7, "2026-10", EVIDENCE + "04.pdf"])
    _save(
        workbook,
        "rumus.xlsx",
        {
            "xl/worksheets/sheet1.xml": _patch(
                {
                    "B2": '<c r="B2"><f>ROUND(46.349,2)</f><v>46.35</v></c>',
                    "B3": '<c r="B3" t="e"><f>B9/0</f><v>#DIV/0!</v></c>',
                    "B4": '<c r="B4"><f>SUM(3,4)</f><v>7</v></c>',
                }
            )
        },
    )

    # Cells formatted as percent: Excel stores 85% as 0.85; the reader takes what is shown.
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(["Kode IKU", "Realisasi", "Periode", "Link Bukti"])
    sheet.append(["DINKES-02", 0.9312, "2026-10", EVIDENCE + "02.pdf"])
    sheet.append(["DINKES-05", 0.9725, "2026-10", None])
    sheet["B2"].number_format = "0.00%"
    sheet["B3"].number_format = "0.00%"
    _save(workbook, "persen.xlsx")

    rows = [
        "DINKES;10/2026;DINKES-01;46,35;;{e}01.pdf;",
        "DINKES;10/2026;DINKES-02;93,10;;{e}02.pdf;",
        "DINKES;10/2026;DINKES-05;97,25;;;",
    ]
    body = [r.format(e=EVIDENCE) for r in rows]
    _csv("bom_utf8.csv", [";".join(HEADER), *body], encoding="utf-8-sig")
    _csv(
        "titik_koma.csv",
        [
            "Laporan Realisasi IKU Dinas Kesehatan Oktober 2026;;;;;;",
            ";".join(HEADER),
            *body,
            "DINKES;10/2026;DINKES-03;;belum tersedia;;Menunggu rilis SKI 2026",
            ";;;;;;",
            "Sumber: rekapitulasi bidang P2P;;;;;;",
        ],
    )
    _csv(
        "cp1252.csv",
        [
            ";".join(HEADER),
            "DINKES;Oktober 2026;DINKES-01;46,35;;;Kasus turun – data café sehat",
            "DINKES;Oktober 2026;DINKES-02;93,10;;;Naik ± 1 persen",
        ],
        encoding="cp1252",
    )
    _csv(
        "baris_ganda.csv",
        [
            ";".join(HEADER),
            "DINKES;2026-10;DINKES-02;93,10;;;",
            "DINKES;2026-10;DINKES-02;93,40;;;koreksi",
            "DINKES;2026-10;DINKES-05;97,25;;;",
        ],
    )
    _csv(
        "opd_lain.csv",
        [";".join(HEADER), "RSUDAM;2026-10;DINKES-02;93,10;;;", "RSUDAM;2026-10;DINKES-05;97;;;"],
    )
    _csv(
        "tanpa_kolom_realisasi.csv",
        [
            "Kode OPD;Periode;Kode IKU;Keterangan",
            "DINKES;2026-10;DINKES-02;ada",
            "DINKES;2026-10;DINKES-05;ada",
        ],
    )
    _csv(
        "dua_periode.csv",
        [
            ";".join(HEADER),
            "DINKES;2026-09;DINKES-02;93,10;;;",
            "DINKES;2026-10;DINKES-02;93,40;;;",
        ],
    )
    _csv(
        "angka_ambigu.csv",
        [
            "agency_code,period,indicator_code,value,note",
            "DINKES,2026-10,DINKES-01,46.5,titik atau koma?",
            "DINKES,2026-10,DINKES-02,93.75,besaran memastikan 93.75",
            'DINKES,2026-10,DINKES-05,"97,5",',
        ],
    )
    _csv(
        "Laporan Realisasi – Dinas Kesehatan (Oktober) ✓.csv",
        [
            ";".join(HEADER),
            "DINKES;2026-10;DINKES-02;93,10;;;",
            "DINKES;2026-10;DINKES-05;97,25;;;",
        ],
    )
    _csv(
        "jalur_berbahaya.csv",
        [";".join(HEADER), "DINKES;2026-10;DINKES-02;93,10;;;"],
    )
    _csv("di_luar_folder.csv", [";".join(HEADER), "DINKES;2026-10;DINKES-02;93,20;;;di mana?"])

    document = {
        "agency_code": "DINKES",
        "period": "2026-10",
        "rows": [
            {
                "indicator_code": "DINKES-02",
                "realisasi": 93.1,
                "note": "<script>alert('x')</script><b>naik</b> & stabil",
            },
            {"indicator_code": "DINKES-05", "realisasi": '=HYPERLINK("http://x","97")'},
            {"indicator_code": "DINKES-03", "realisasi": None, "state": "belum_tersedia"},
        ],
    }
    (HERE / "catatan_html.json").write_text(
        json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    old = {**document, "period": "2026-05", "rows": document["rows"][:1]}
    (HERE / "periode_lama.json").write_text(json.dumps(old, indent=2) + "\n", encoding="utf-8")
    (HERE / "rusak.json").write_text('{"agency_code": "DINKES", "period": "2026-10", "rows": [')
    hostile.main()


if __name__ == "__main__":
    main()
