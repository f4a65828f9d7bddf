"""Writing simulated files in every format agencies use (template, other .xlsx, CSV, JSON)."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, Final

from iku import calendar
from iku.ingest.template import TemplateRow, TemplateSpec, build_workbook, normalise_zip
from iku.numbers import STATE_NOT_AVAILABLE, STATE_NOT_REPORTED, STATE_NUMBER
from iku.simulate.model import SimFile, SimLine, format_id


def _cell_value(line: SimLine) -> object:
    """What goes into a spreadsheet's Realisasi cell (a number, or text for defects)."""
    if line.written_set:
        return line.written
    if line.state != STATE_NUMBER:
        return None
    return line.value


def _text_value(line: SimLine, options: dict[str, Any]) -> str:
    if line.written_set:
        return str(line.written)
    if line.state != STATE_NUMBER:
        if options.get("state_in_value"):
            return "belum tersedia" if line.state == STATE_NOT_AVAILABLE else "-"
        return ""
    assert line.value is not None
    return format_id(
        line.value, line.decimals, plain_thousands=options.get("plain_thousands", False)
    )


def _status_text(line: SimLine, options: dict[str, Any], text_value: str = "") -> str | None:
    if line.state == STATE_NOT_AVAILABLE:
        return None if text_value == "belum tersedia" else "belum tersedia"
    if line.state == STATE_NOT_REPORTED:
        return None if text_value == "-" else "tidak dilaporkan"
    return "angka" if options.get("explicit_angka") else None


def _period_text(period: str, style: str) -> str:
    year, month = calendar.split(period)
    if style == "slash":
        return f"{month:02d}/{year}"
    if style == "words":
        return calendar.label(period)
    return period


def write_file(sim: SimFile, out_dir: Path, rng: random.Random) -> None:
    path = out_dir / sim.agency / sim.name
    path.parent.mkdir(parents=True, exist_ok=True)
    if sim.kind == "template":
        _write_template(sim, path)
    elif sim.kind == "xlsx":
        _write_xlsx(sim, path)
    elif sim.kind == "csv":
        _write_csv(sim, path)
    else:
        _write_json(sim, path)
    if sim.corrupt:
        data = path.read_bytes()
        path.write_bytes(data[: max(len(data) * 3 // 5, 10)])
    stamp = sim.received_at.timestamp()
    os.utime(path, (stamp, stamp))


def _write_template(sim: SimFile, path: Path) -> None:
    rows = []
    for line in sim.lines:
        status = _status_text(line, sim.options)
        rows.append(
            TemplateRow(
                code=line.code,
                name=line.name,
                unit=line.unit,
                target_text=line.target_text,
                realisasi=_cell_value(line),
                status=status,
                evidence=line.evidence,
                note=line.note,
            )
        )
    spec = TemplateSpec(
        agency_code=sim.agency_written,
        agency_name=sim.agency_name,
        period=sim.period_written,
        rows=rows,
        generated_at=sim.received_at - timedelta(days=3),
    )
    workbook = build_workbook(spec)
    sheet = workbook["Realisasi"]
    if sim.drop_value_column:
        sheet.cell(6, 6).value = "Nilai Capaian"
    first = 7
    for offset, line in enumerate(sim.lines):
        line.source_row = first + offset
        cell = sheet.cell(line.source_row, 6)
        if isinstance(cell.value, str):
            cell.data_type = "s"  # text stays text, even "=..." (never a formula)
    workbook.save(path)
    normalise_zip(path, sim.received_at)


_GENERIC_HEADER: Final = (
    "No",
    "Kode Indikator",
    "Indikator Kinerja",
    "Satuan",
    "Realisasi",
    None,
    "Bukti Dukung",
    "Keterangan",
)


def _write_xlsx(sim: SimFile, path: Path) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    summary = workbook.active
    assert summary is not None
    summary.title = "Rekap"
    summary.append(["Rekap pengiriman tahun berjalan"])
    summary.append(["Bulan", "Jumlah baris", "Keterangan"])
    summary.append([calendar.label(sim.period), len(sim.lines), "otomatis"])
    sheet = workbook.create_sheet("Data IKU")
    sheet["A1"] = f"LAPORAN REALISASI INDIKATOR KINERJA UTAMA {sim.agency_name.upper()}"
    sheet["A1"].font = Font(bold=True)
    sheet.merge_cells("A1:H1")
    sheet["A2"] = "Perangkat Daerah"
    sheet["B2"] = ":"
    sheet["C2"] = sim.agency_name
    sheet["A3"] = "Bulan"
    sheet["B3"] = ":"
    sheet["C3"] = _period_text(sim.period_written, "words")
    if sim.options.get("agency_line") or sim.agency_written != sim.agency:
        sheet["E3"] = f"Kode OPD: {sim.agency_written}"
    for column, title in enumerate(_GENERIC_HEADER, start=1):
        if title is not None:
            sheet.cell(5, column, title).font = Font(bold=True)
    sheet.cell(6, 5, "Nilai").font = Font(bold=True)
    sheet.cell(6, 6, "Status").font = Font(bold=True)
    for column in (1, 2, 3, 4, 7, 8):
        sheet.merge_cells(start_row=5, start_column=column, end_row=6, end_column=column)
    sheet.merge_cells("E5:F5")
    if sim.drop_value_column:
        sheet.cell(5, 5).value = "Capaian"
        sheet.cell(6, 5).value = "Angka"
    for column in range(1, 9):
        sheet.cell(7, column, f"({column})").alignment = Alignment(horizontal="center")
    formula_rows: dict[str, str] = {}
    row = 8
    for number, line in enumerate(sim.lines, start=1):
        value = _cell_value(line)
        status = _status_text(line, {})
        percent = (
            sim.options.get("percent_cells")
            and not line.written_set
            and line.state == STATE_NUMBER
            and line.unit.strip() == "%"
            and line.value is not None
            and number % 2 == 0
        )
        cells: list[object] = [
            number,
            line.code,
            line.name,
            line.unit,
            round(line.value / 100, 6) if percent and line.value is not None else value,
            status,
            line.evidence,
            line.note,
        ]
        for column, content in enumerate(cells, start=1):
            cell = sheet.cell(row, column, content)
            if isinstance(content, str) and column == 5:
                cell.data_type = "s"
        if percent:
            sheet.cell(row, 5).number_format = "0.00%"
            line.percent_cell = True
        elif (
            sim.options.get("formulas")
            and isinstance(value, float)
            and not line.written_set
            and number % 3 == 1
        ):
            formula_rows[f"E{row}"] = _formula_for(value, line.decimals)
            line.formula = True
        line.source_row = row
        row += 1
    sheet.cell(row + 1, 1, "Catatan: angka realisasi bersifat sementara dan dapat dikoreksi.")
    sheet.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=8)
    sheet.cell(row + 3, 6, "Mengetahui,")
    sheet.cell(row + 4, 6, f"Kepala {sim.agency_name}")
    sheet.cell(row + 7, 6, "NIP. 19700101 199503 1 001")
    workbook.properties.created = sim.received_at.replace(tzinfo=None)
    workbook.properties.modified = sim.received_at.replace(tzinfo=None)
    workbook.save(path)
    sheet_part = "xl/worksheets/sheet2.xml"
    normalise_zip(path, sim.received_at, {sheet_part: _formula_patch(formula_rows)})


def _formula_for(value: float, decimals: int) -> str:
    """A formula whose cached result is ``value`` (the reader uses the cache, never evaluates)."""
    if decimals == 0:
        half = int(value) // 2
        return f"SUM({half},{int(value) - half})"
    return f"ROUND({value:.{decimals}f}+0,{decimals})"


def _formula_patch(formulas: dict[str, str]) -> Callable[[bytes], bytes]:
    def patch(data: bytes) -> bytes:
        text = data.decode("utf-8")
        for ref, formula in formulas.items():
            pattern = re.compile(rf'(<c r="{ref}"[^>]*>)(<v>)')
            text, count = pattern.subn(rf"\1<f>{formula}</f>\2", text, count=1)
            if count != 1:
                raise RuntimeError(f"cannot plant a formula in {ref}")
        return text.encode("utf-8")

    return patch


def _write_csv(sim: SimFile, path: Path) -> None:
    options = sim.options
    delimiter = options["delimiter"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    line_number = 0
    if options.get("preamble"):
        writer.writerow([f"Laporan Realisasi IKU {sim.agency_name} - {calendar.label(sim.period)}"])
        line_number += 1
    if delimiter == ",":
        header = [
            "agency_code",
            "period",
            "indicator_code",
            "indicator_name",
            "unit",
            "value",
            "state",
            "evidence",
            "note",
        ]
    else:
        header = [
            "Kode OPD",
            "Periode",
            "Kode IKU",
            "Nama Indikator",
            "Satuan",
            "Realisasi",
            "Status",
            "Link Bukti",
            "Keterangan",
        ]
    keep = [i for i in range(len(header)) if not (sim.drop_value_column and i == 5)]
    writer.writerow([header[i] for i in keep])
    line_number += 1
    period_text = _period_text(sim.period_written, options["period_style"])
    for line in sim.lines:
        value = _text_value(line, options)
        record = [
            sim.agency_written,
            period_text,
            line.code,
            line.name,
            line.unit,
            value,
            _status_text(line, options, value) or "",
            line.evidence or "",
            line.note or "",
        ]
        writer.writerow([record[i] for i in keep])
        line_number += 1
        line.source_row = line_number
    writer.writerow([])
    writer.writerow(["Sumber: rekapitulasi bidang; dicetak dari aplikasi e-Kinerja."])
    encoding = options["encoding"]
    path.write_bytes(buffer.getvalue().encode(encoding, errors="replace"))


def _write_json(sim: SimFile, path: Path) -> None:
    strings = sim.options.get("strings", False)
    rows = []
    for index, line in enumerate(sim.lines, start=1):
        item: dict[str, Any] = {"indicator_code": line.code}
        if line.written_set:
            item["realisasi"] = line.written
        elif line.state != STATE_NUMBER:
            item["realisasi"] = None
            item["state"] = line.state
        elif strings:
            assert line.value is not None
            item["realisasi"] = format_id(line.value, line.decimals, plain_thousands=True)
        else:
            item["realisasi"] = line.value
        if line.evidence:
            item["evidence_url"] = line.evidence
        if line.note:
            item["note"] = line.note
        rows.append(item)
        line.source_row = index
    document = {
        "agency_code": sim.agency_written,
        "period": sim.period_written,
        "generated_by": "aplikasi e-Kinerja OPD",
        "rows": rows,
    }
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
