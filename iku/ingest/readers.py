"""File readers: the template and other .xlsx layouts, CSV (sniffed), JSON -> :class:`RawTable`.

Readers never evaluate anything: formula cells give their cached values (openpyxl
``data_only=True``), text stays text. Anything a reader cannot make sense of becomes a
:class:`~iku.ingest.rejections.Rejected` with an Indonesian reason, never an exception trace.
"""

from __future__ import annotations

import codecs
import csv
import html
import io
import json
import re
import zipfile
import zlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

from iku.ingest import table as t
from iku.ingest.rejections import (
    FILE_EMPTY,
    FILE_TOO_LARGE,
    FILE_UNREADABLE,
    MISSING_COLUMNS,
    TOO_MANY_ROWS,
    Rejected,
)

#: The template's data sheet and its hidden marker sheet (see iku.template).
TEMPLATE_SHEET: Final = "Realisasi"
TEMPLATE_MARKER_SHEET: Final = "_iku"
TEMPLATE_MARKER: Final = "iku-lampung-template"

_CFB_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_DELIMITERS: Final = (";", ",", "\t")
_SNIFF_LINES: Final = 40


def _unreadable(detail: str) -> Rejected:
    return Rejected(FILE_UNREADABLE, detail)


# --- xlsx --------------------------------------------------------------------------------------


_PERCENT_BUILTIN: Final = frozenset({"9", "10"})
_XF = re.compile(rb"<xf\b[^>]*>")
_NUMFMT = re.compile(rb'<numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"')
_FMT_ID = re.compile(rb'numFmtId="(\d+)"')
_QUOTED = re.compile(r'"[^"]*"|\\.')


def _percent_styles(styles: bytes) -> bool:
    """Whether any cell format of the workbook shows numbers as percentages."""
    custom = {
        m.group(1).decode(): html.unescape(m.group(2).decode()) for m in _NUMFMT.finditer(styles)
    }
    start = styles.find(b"<cellXfs")
    end = styles.find(b"</cellXfs>", start)
    if start < 0:
        return False
    for xf in _XF.finditer(styles, start, end if end > 0 else len(styles)):
        found = _FMT_ID.search(xf.group())
        fmt_id = found.group(1).decode() if found else "0"
        code = custom.get(fmt_id, "")
        if fmt_id in _PERCENT_BUILTIN or "%" in _QUOTED.sub("", code):
            return True
    return False


def _inspect_zip(path: Path, max_unpacked_bytes: int) -> bool:
    """Refuse what is not a sound workbook; return whether the detailed reader is needed
    (cells shown as percentages, or formula errors, which the fast reader cannot tell)."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == _CFB_MAGIC:
        raise _unreadable(
            "berkas ini berformat Excel lama (.xls) atau dilindungi kata sandi, bukan .xlsx biasa."
        )
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names or not any(
                n.startswith("xl/workbook") for n in names
            ):
                raise _unreadable("berkas ini arsip zip, tetapi bukan buku kerja Excel (.xlsx).")
            if any(info.flag_bits & 0x1 for info in infos):
                raise _unreadable("buku kerja ini terenkripsi.")
            unpacked = sum(info.file_size for info in infos)
            if unpacked > max_unpacked_bytes:
                raise Rejected(
                    FILE_TOO_LARGE,
                    f"isi buku kerja setelah dibuka {unpacked:,} bita, melebihi batas "
                    f"{max_unpacked_bytes:,} bita.".replace(",", "."),
                )
            detailed = "xl/styles.xml" in names and _percent_styles(archive.read("xl/styles.xml"))
            for name in sorted(names):
                if detailed:
                    break
                if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    detailed = b't="e"' in archive.read(name)
            return detailed
    except (zipfile.BadZipFile, zlib.error, EOFError):
        raise _unreadable(
            "berkas ini bukan buku kerja Excel (.xlsx) yang sah; mungkin rusak atau hanya "
            "berganti nama."
        ) from None


_MAX_COLUMNS: Final = 60


def _sheet_rows(sheet: Any, max_rows: int) -> list[t.Row]:
    """Cell values of a worksheet by Excel row; percent-formatted numbers as displayed.

    Reads at most enough rows to tell that a sheet is over the row limit, and the first
    columns only (a stray format in XFD1048576 must not make us walk a million empty cells).
    """
    merged_fill: dict[tuple[int, int], object] = {}
    for merged in sheet.merged_cells.ranges:
        top_left = sheet.cell(merged.min_row, merged.min_col).value
        # Only merged *header labels* are spread over their range; merged notes are not.
        if isinstance(top_left, str) and t.classify(t.normalise_label(top_left))[1]:
            for row in range(merged.min_row, merged.max_row + 1):
                for col in range(merged.min_col, merged.max_col + 1):
                    merged_fill[(row, col)] = top_left
    rows: list[t.Row] = []
    last_row = min(sheet.max_row, max_rows * 2 + _SNIFF_LINES)
    last_col = min(sheet.max_column, _MAX_COLUMNS)
    for cells in sheet.iter_rows(min_row=1, max_row=last_row, max_col=last_col):
        values: list[object] = []
        number = None
        for cell in cells:
            if number is None:
                number = cell.row
            value = cell.value
            if value is None and merged_fill:
                value = merged_fill.get((cell.row, cell.column))
            elif (
                isinstance(value, int | float)
                and not isinstance(value, bool)
                and "%" in (cell.number_format or "")
            ):
                value = t.PercentCell(float(value))
            values.append(value)
        if number is not None and any(v is not None for v in values):
            rows.append((number, values))
    return rows


def _fill_merged(rows: list[list[object]], ranges: Sequence[Any]) -> None:
    """Spread merged *header labels* over their range (0-based ranges); merged notes stay put."""
    for (top, left), (bottom, right) in ranges:
        if top >= len(rows) or left >= len(rows[top]):
            continue
        label = rows[top][left]
        if not isinstance(label, str) or not t.classify(t.normalise_label(label))[1]:
            continue
        for r in range(top, min(bottom + 1, len(rows))):
            for c in range(left, min(right + 1, len(rows[r]))):
                if rows[r][c] is None:
                    rows[r][c] = label


def _fast_sheets(path: Path, max_rows: int) -> tuple[str, list[tuple[str, list[t.Row]]]]:
    """(reader, visible sheets as rows) with python-calamine: cached values, no evaluation."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        reader = "xlsx"
        visible = []
        for meta in workbook.sheets_metadata:
            if str(meta.visible).endswith("Visible") and "Hidden" not in str(meta.visible):
                visible.append(meta.name)
            elif meta.name == TEMPLATE_MARKER_SHEET:
                marker = workbook.get_sheet_by_name(meta.name).to_python(nrows=1)
                if marker and marker[0] and marker[0][0] == TEMPLATE_MARKER:
                    reader = "template"
        visible.sort(key=lambda name: name != TEMPLATE_SHEET)
        sheets = []
        for name in visible:
            sheet = workbook.get_sheet_by_name(name)
            grid = sheet.to_python(skip_empty_area=False, nrows=max_rows * 2 + _SNIFF_LINES)
            values: list[list[object]] = [
                [None if v == "" else v for v in row[:_MAX_COLUMNS]] for row in grid
            ]
            _fill_merged(values, sheet.merged_cell_ranges or [])
            rows: list[t.Row] = [
                (index, row)
                for index, row in enumerate(values, start=1)
                if any(v is not None for v in row)
            ]
            sheets.append((name, rows))
        return reader, sheets
    finally:
        workbook.close()


def _detailed_sheets(path: Path, max_rows: int) -> tuple[str, list[tuple[str, list[t.Row]]]]:
    """The same with openpyxl, which also knows number formats and formula errors."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, data_only=True, read_only=False)
    try:
        reader = "xlsx"
        names = workbook.sheetnames
        if (
            TEMPLATE_MARKER_SHEET in names
            and workbook[TEMPLATE_MARKER_SHEET]["A1"].value == TEMPLATE_MARKER
        ):
            reader = "template"
        sheets = [s for s in workbook.worksheets if s.sheet_state == "visible"]
        sheets.sort(key=lambda s: s.title != TEMPLATE_SHEET)
        return reader, [(s.title, _sheet_rows(s, max_rows)) for s in sheets]
    finally:
        workbook.close()


def read_xlsx(path: Path, max_rows: int, max_unpacked_bytes: int) -> t.RawTable:
    """Read the template or any .xlsx layout: the first visible sheet with a recognisable table.

    python-calamine reads plain workbooks (about 50 times faster); openpyxl reads the ones whose
    cells are shown as percentages (Excel stores 85% as 0.85) or hold formula errors.
    """
    detailed = _inspect_zip(path, max_unpacked_bytes)
    try:
        reader, sheets = (_detailed_sheets if detailed else _fast_sheets)(path, max_rows)
    except Rejected:
        raise
    except Exception as exc:  # both libraries raise many types for damaged parts
        raise _unreadable(
            f"buku kerja tidak dapat dibuka ({type(exc).__name__}); simpan ulang dari Excel."
        ) from None
    first_problem: Rejected | None = None
    for _name, rows in sheets:
        if not rows:
            continue
        try:
            return t.extract(rows, reader, max_rows)
        except Rejected as exc:
            if exc.rule == TOO_MANY_ROWS:
                raise
            first_problem = first_problem or exc
    if first_problem is not None:
        raise first_problem
    raise Rejected(FILE_EMPTY, "buku kerja tidak berisi data pada lembar mana pun.")


# --- CSV ---------------------------------------------------------------------------------------


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 with BOM, else cp1252; binary data is refused."""
    if data.startswith(codecs.BOM_UTF8):
        candidates: Sequence[tuple[str, bytes]] = (("utf-8", data[3:]),)
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = (("utf-16", data),)
    else:
        candidates = (("utf-8", data), ("cp1252", data))
    for encoding, payload in candidates:
        try:
            text = payload.decode(encoding)
        except UnicodeDecodeError:
            continue
        controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n")
        if "\x00" in text or controls > max(2, len(text) // 100):
            raise _unreadable("berkas berisi data biner, bukan teks CSV.")
        return text
    raise _unreadable(
        "pengodean teks berkas tidak dikenali; simpan sebagai 'CSV UTF-8 (dipisahkan koma)'."
    )


def _csv_rows(text: str, delimiter: str, limit: int | None = None) -> list[t.Row]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[t.Row] = []
    previous = 0
    try:
        for record in reader:
            start = previous + 1
            previous = reader.line_num
            if any(field.strip() for field in record):
                rows.append((start, record))
            if limit is not None and len(rows) >= limit:
                break
    except csv.Error as exc:
        raise _unreadable(f"baris {previous + 1}: CSV rusak ({exc}).") from None
    return rows


def sniff_delimiter(text: str) -> str:
    """The delimiter that yields the best header (semicolon wins ties: Indonesian Excel)."""
    head = "\n".join(text.splitlines()[:_SNIFF_LINES])
    best, best_score = ";", -1
    for delimiter in _DELIMITERS:
        rows = _csv_rows(head, delimiter)
        try:
            _, mapping, _ = t.find_header(rows)
            score = len(mapping) + 100
        except Rejected:
            score = max((len(r[1]) for r in rows), default=0) if rows else 0
            score = min(score, 99)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def read_csv(data: bytes, max_rows: int) -> t.RawTable:
    text = decode_text(data)
    if not text.strip():
        raise Rejected(FILE_EMPTY, "berkas CSV kosong.")
    delimiter = sniff_delimiter(text)
    rows = _csv_rows(text, delimiter, limit=max_rows * 2 + _SNIFF_LINES)
    return t.extract(rows, "csv", max_rows)


# --- JSON --------------------------------------------------------------------------------------

JSON_SCHEMA_HINT: Final = (
    '{"agency_code": "DINKES", "period": "2026-10", "rows": '
    '[{"indicator_code": "DINKES-01", "realisasi": 85.2}]}'
)


def read_json(data: bytes, max_rows: int) -> t.RawTable:
    text = decode_text(data)
    if not text.strip():
        raise Rejected(FILE_EMPTY, "berkas JSON kosong.")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _unreadable(f"JSON tidak sah pada baris {exc.lineno} kolom {exc.colno}.") from None
    if not isinstance(document, dict):
        raise _unreadable(f"isi JSON harus berupa objek seperti {JSON_SCHEMA_HINT}.")
    top = {t.classify(t.normalise_label(k))[0] or k: v for k, v in document.items()}
    if "rows" not in top:
        raise Rejected(MISSING_COLUMNS, "kunci 'rows' (daftar baris realisasi) tidak ada.")
    items = top["rows"]
    if not isinstance(items, list):
        raise _unreadable("'rows' harus berupa daftar (array) baris realisasi.")
    if len(items) > max_rows:
        raise Rejected(
            TOO_MANY_ROWS, f"berkas berisi {len(items)} baris data, melebihi batas {max_rows}."
        )
    result = t.RawTable(reader="json")
    if top.get(t.AGENCY) is not None:
        result.agencies.append((0, top[t.AGENCY]))
    if top.get(t.PERIOD) is not None:
        result.periods.append((0, top[t.PERIOD]))
    seen: set[str] = set()
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise _unreadable(f"baris ke-{index} dalam 'rows' bukan objek JSON.")
        fields: dict[str, Any] = {}
        for key, value in item.items():
            name = t.classify(t.normalise_label(key))[0]
            if name is not None and name not in fields:
                fields[name] = value
        seen.update(fields)
        code = fields.get(t.CODE)
        row = t.RawRow(
            source_row=index,
            indicator_code="" if code is None else str(code).strip(),
            value=fields.get(t.VALUE),
            state=fields.get(t.STATE),
            agency=fields.get(t.AGENCY),
            period=fields.get(t.PERIOD),
            unit=fields.get(t.UNIT),
            evidence=fields.get(t.EVIDENCE),
            note=fields.get(t.NOTE),
        )
        result.rows.append(row)
        if row.agency is not None:
            result.agencies.append((index, row.agency))
        if row.period is not None:
            result.periods.append((index, row.period))
    missing = [
        label
        for name, label in ((t.CODE, "indicator_code"), (t.VALUE, "realisasi"))
        if items and name not in seen and not (name == t.VALUE and t.STATE in seen)
    ]
    if missing:
        raise Rejected(
            MISSING_COLUMNS, "kunci wajib tidak ada pada baris mana pun: " + ", ".join(missing)
        )
    return result
