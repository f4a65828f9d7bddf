"""The pre-filled .xlsx submission template for one agency and period (``iku template``).

Sheet ``Realisasi`` holds one row per IKU the period expects (reference columns locked, the
state column limited to a list), sheet ``Petunjuk`` explains how to fill it in Bahasa
Indonesia, and a hidden sheet ``_iku`` marks the file as our template. The ingestion reader
(:mod:`iku.ingest.readers`) reads it back; the simulator fills it with values.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from iku import calendar
from iku.formatting import angka
from iku.ingest.context import IndicatorInfo, IngestContext
from iku.ingest.readers import TEMPLATE_MARKER, TEMPLATE_MARKER_SHEET, TEMPLATE_SHEET
from iku.targets.resolve import MonthTargets

if TYPE_CHECKING:
    from openpyxl import Workbook

TEMPLATE_VERSION: Final = "1"
HEADER_ROW: Final = 6
HEADERS: Final = (
    "No",
    "Kode IKU",
    "Nama IKU",
    "Satuan",
    "Target",
    "Realisasi",
    "Status",
    "Link Bukti",
    "Keterangan",
)
STATE_CHOICES: Final = ("angka", "belum tersedia", "tidak dilaporkan")
_WIDTHS: Final = (5, 20, 60, 16, 24, 14, 18, 40, 40)
_EDITABLE_COLUMNS: Final = (6, 7, 8, 9)  # Realisasi, Status, Link Bukti, Keterangan

INSTRUCTIONS: Final = (
    "PETUNJUK PENGISIAN FORMULIR REALISASI IKU",
    "",
    "1. Isi lembar 'Realisasi': satu baris untuk setiap IKU yang tercantum. Jangan menambah, "
    "menghapus atau mengubah urutan baris dan kolom abu-abu (terkunci).",
    "2. Kolom 'Realisasi': tulis angka realisasi periode ini, misalnya 85,24 atau 1.250. "
    "Boleh memakai tanda %, tetapi tulis 85,24% (bukan 0,85). Jangan menulis rumus.",
    "3. Kolom 'Status': biarkan kosong atau pilih 'angka' bila realisasi berupa angka. "
    "Pilih 'belum tersedia' bila data belum dirilis (misalnya menunggu rilis BPS) atau "
    "'tidak dilaporkan' bila data tidak ada; kosongkan kolom Realisasi.",
    "4. Bila status 'belum tersedia' atau 'tidak dilaporkan', kolom 'Keterangan' WAJIB diisi "
    "alasannya (misalnya: 'Rilis BPS dijadwalkan 15 Desember 2026').",
    "5. Kolom 'Link Bukti': tautan dokumen bukti dukung (Google Drive, SIMRS, situs BPS, ...). "
    "Wajib untuk IKU yang mensyaratkan bukti dukung.",
    "6. Angka nol (0) berarti realisasinya memang nol; data yang belum ada BUKAN nol.",
    "7. Simpan tetap dalam format .xlsx dan kirim ke folder inbox/<KODE_OPD>/ paling lambat "
    "tanggal batas pengiriman bulan berikutnya. Kiriman ulang untuk periode yang sama "
    "menggantikan kiriman sebelumnya (yang lama tetap tersimpan sebagai riwayat).",
    "8. Berkas yang tidak dapat diterima dikembalikan dengan pemberitahuan penolakan yang "
    "menjelaskan perbaikannya.",
)


@dataclass
class TemplateRow:
    """One IKU line of the template; the fill fields are empty in a fresh template."""

    code: str
    name: str
    unit: str
    target_text: str
    realisasi: object = None
    status: str | None = None
    evidence: str | None = None
    note: str | None = None
    realisasi_formula: str | None = None
    cumulative: bool = False
    evidence_required: bool = False
    min_value: float | None = None
    max_value: float | None = None

    @property
    def marks(self) -> str:
        """What the name cell adds: a cumulative IKU, an evidence link required."""
        found = []
        if self.cumulative:
            found.append("kumulatif sejak Januari")
        if self.evidence_required:
            found.append("wajib Link Bukti")
        return f" [{'; '.join(found)}]" if found else ""


@dataclass
class TemplateSpec:
    agency_code: str
    agency_name: str
    period: str
    rows: list[TemplateRow] = field(default_factory=list)
    generated_at: datetime | None = None


def target_number(value: float) -> str:
    """A target number as the template prints it: ``170.000``, ``76,5``."""
    return angka(value, 2, 0)


def expected_rows(
    indicators: Iterable[IndicatorInfo], targets: MonthTargets, period: str
) -> list[TemplateRow]:
    """The template rows of an agency for a period: the IKU reportable that month, each with
    the target in force as the one resolver gives it (``targets``: resolved for ``period``)."""
    month = calendar.split(period)[1]
    rows = []
    for indicator in sorted(indicators, key=lambda i: i.code):
        if not calendar.is_reportable(indicator.frequency, month):
            continue
        rows.append(
            TemplateRow(
                code=indicator.code,
                name=indicator.name,
                unit=indicator.unit,
                target_text=targets.describe(targets.position(indicator.id), target_number),
                cumulative=indicator.cumulative,
                evidence_required=indicator.evidence_required,
                min_value=indicator.min_value,
                max_value=indicator.max_value,
            )
        )
    return rows


def build_workbook(spec: TemplateSpec) -> Workbook:
    """The template workbook (filled in if the rows carry values)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill, Protection
    from openpyxl.worksheet.datavalidation import DataValidation

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = TEMPLATE_SHEET
    bold = Font(bold=True)
    locked_fill = PatternFill("solid", fgColor="E7E6E6")
    header_fill = PatternFill("solid", fgColor="1F4E79")

    sheet["A1"] = "FORMULIR REALISASI INDIKATOR KINERJA UTAMA (IKU) - PEMERINTAH PROVINSI LAMPUNG"
    sheet["A1"].font = Font(bold=True, size=13)
    sheet.merge_cells("A1:I1")
    for row, (label, value) in enumerate(
        (
            ("Kode OPD", spec.agency_code),
            ("Nama OPD", spec.agency_name),
            ("Periode", spec.period),
        ),
        start=2,
    ):
        sheet.cell(row, 1, label).font = bold
        sheet.cell(row, 2, value)
    sheet.cell(4, 3, calendar.label(spec.period))
    for column, (title, width) in enumerate(zip(HEADERS, _WIDTHS, strict=True), start=1):
        cell = sheet.cell(HEADER_ROW, column, title)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[cell.column_letter].width = width

    first = HEADER_ROW + 1
    for offset, line in enumerate(spec.rows):
        row = first + offset
        values: tuple[object, ...] = (
            offset + 1,
            line.code,
            line.name + line.marks,
            line.unit,
            line.target_text,
            line.realisasi,
            line.status,
            line.evidence,
            line.note,
        )
        for column, content in enumerate(values, start=1):
            cell = sheet.cell(row, column, content)
            if column in _EDITABLE_COLUMNS:
                cell.protection = Protection(locked=False)
            else:
                cell.fill = locked_fill
            if column == 3:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
        if line.realisasi_formula is not None:
            sheet.cell(row, 6).value = line.realisasi_formula
    last = max(first, first + len(spec.rows) - 1)

    choices = DataValidation(
        type="list",
        formula1='"' + ",".join(STATE_CHOICES) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Status tidak dikenal",
        error="Pilih: angka, belum tersedia atau tidak dilaporkan.",
        promptTitle="Status realisasi",
        prompt="Kosongkan atau pilih 'angka' bila realisasi berupa angka.",
    )
    sheet.add_data_validation(choices)
    choices.add(f"G{first}:G{last}")
    # Realisasi within the IKU's bounds (the catalog's min_value/max_value), one rule per
    # distinct pair of bounds.
    bounded: dict[tuple[float | None, float | None], DataValidation] = {}
    for offset, line in enumerate(spec.rows):
        if line.min_value is None and line.max_value is None:
            continue
        bounds = (line.min_value, line.max_value)
        if bounds not in bounded:
            low, high = (angka(v, 6, 0) if v is not None else None for v in bounds)
            if line.min_value is not None and line.max_value is not None:
                rule = DataValidation(
                    type="decimal",
                    operator="between",
                    formula1=repr(float(line.min_value)),
                    formula2=repr(float(line.max_value)),
                    error=f"Realisasi harus angka antara {low} dan {high}.",
                )
            elif line.min_value is not None:
                rule = DataValidation(
                    type="decimal",
                    operator="greaterThanOrEqual",
                    formula1=repr(float(line.min_value)),
                    error=f"Realisasi harus angka paling kecil {low}.",
                )
            else:
                rule = DataValidation(
                    type="decimal",
                    operator="lessThanOrEqual",
                    formula1=repr(float(line.max_value or 0)),
                    error=f"Realisasi harus angka paling besar {high}.",
                )
            rule.allow_blank = True
            rule.showErrorMessage = True
            rule.errorTitle = "Realisasi di luar batas"
            sheet.add_data_validation(rule)
            bounded[bounds] = rule
        bounded[bounds].add(f"F{first + offset}")
    sheet.freeze_panes = sheet.cell(first, 1)
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False
    sheet.protection.formatRows = False

    guide = workbook.create_sheet("Petunjuk")
    guide.column_dimensions["A"].width = 120
    for row, text in enumerate(INSTRUCTIONS, start=1):
        cell = guide.cell(row, 1, text)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        if row == 1:
            cell.font = Font(bold=True, size=13)

    marker = workbook.create_sheet(TEMPLATE_MARKER_SHEET)
    marker.sheet_state = "hidden"
    marker["A1"] = TEMPLATE_MARKER
    for row, (key, value) in enumerate(
        (
            ("template_version", TEMPLATE_VERSION),
            ("agency_code", spec.agency_code),
            ("period", spec.period),
            ("generated_at", spec.generated_at.isoformat() if spec.generated_at else ""),
        ),
        start=2,
    ):
        marker.cell(row, 1, key)
        marker.cell(row, 2, value)

    when = spec.generated_at or datetime(2000, 1, 1)
    workbook.properties.creator = "IKU Lampung"
    workbook.properties.title = f"Realisasi IKU {spec.agency_code} {spec.period}"
    workbook.properties.created = when.replace(tzinfo=None)
    workbook.properties.modified = when.replace(tzinfo=None)
    return workbook


def save_workbook(workbook: Workbook, path: Path, when: datetime | None = None) -> Path:
    """Save, then fix the zip entries' timestamps so equal content gives equal bytes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    normalise_zip(path, when or datetime(2000, 1, 1))
    return path


def normalise_zip(
    path: Path, when: datetime, patches: dict[str, Callable[[bytes], bytes]] | None = None
) -> None:
    """Rewrite a zip with fixed entry timestamps; ``patches`` maps an entry name to a function
    that edits its bytes (the simulator uses it to plant cached formula cells)."""
    stamp = (max(when.year, 1980), when.month, when.day, when.hour, when.minute, 0)
    moment = f"{stamp[0]:04d}-{when:%m-%dT%H:%M}:00Z".encode()
    with zipfile.ZipFile(path) as source:
        entries = [(info, source.read(info.filename)) for info in source.infolist()]
    for index, (info, data) in enumerate(entries):
        if info.filename == "docProps/core.xml":
            # openpyxl stamps the save time here; the workbook's own time keeps bytes stable.
            data = re.sub(
                rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                rb"\g<1>" + moment + rb"\g<2>",
                data,
            )
            entries[index] = (info, data)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info, data in entries:
            if patches and info.filename in patches:
                data = patches[info.filename](data)
            fixed = zipfile.ZipInfo(info.filename, date_time=stamp)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            target.writestr(fixed, data)


def write_template(spec: TemplateSpec, path: Path) -> Path:
    """Write the template for ``spec`` to ``path``."""
    return save_workbook(build_workbook(spec), path, spec.generated_at)


def spec_for_agency(
    context: IngestContext, agency_code: str, period: str, generated_at: datetime
) -> TemplateSpec:
    """The template of an agency and period from the catalog as ingestion knows it."""
    code = agency_code.strip().upper()
    if code not in context.agencies:
        raise KeyError(code)
    indicators = [i for i in context.indicators.values() if i.agency_code == code]
    return TemplateSpec(
        agency_code=code,
        agency_name=context.agency_names[code],
        period=period,
        rows=expected_rows(indicators, context.month_targets(period), period),
        generated_at=generated_at.replace(microsecond=0),
    )
