"""File readers: the template and other .xlsx layouts, CSV (sniffed), JSON -> :class:`RawTable`.

Readers never evaluate anything: formula cells give their cached values, text stays text; a
formula without a cached value is marked (:class:`~iku.ingest.table.FormulaCell`) so its row is
held, never read as empty. Anything a reader cannot make sense of becomes a
:class:`~iku.ingest.rejections.Rejected` with an Indonesian reason, never an exception trace.

A workbook is inspected at the zip and XML level before any spreadsheet library opens it: every
part is decompressed once under a size cap (a zip whose headers understate what it unpacks to
is refused), the cells and merged ranges of each sheet are counted, and a sheet whose used
area is larger than ``max_cells`` is never given to python-calamine (which allocates the whole
area: one cell at XFD1048576 aborted the process). Merged ranges are applied by this module
within the read window only (openpyxl would create a cell object for every cell of a merged
range). These readers run in a reader process with memory and time limits
(:mod:`iku.ingest.isolation`): whatever these checks miss stops that process, not ingestion.
"""

from __future__ import annotations

import codecs
import csv
import dataclasses
import html
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Final

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
#: Columns read from a sheet (a table has far fewer; a stray cell in XFD must not widen rows).
MAX_COLUMNS: Final = 60


@dataclass(frozen=True)
class ReadLimits:
    """What a reader may take on (all from ``rules.ingest``)."""

    max_rows: int
    max_unpacked_bytes: int
    max_cells: int
    max_zip_entries: int
    max_number_digits: int

    @classmethod
    def of(cls, ingest: Any) -> ReadLimits:
        """The limits of an :class:`iku.rules.IngestRules`."""
        return cls(
            max_rows=ingest.max_rows,
            max_unpacked_bytes=ingest.max_unpacked_bytes,
            max_cells=ingest.max_cells,
            max_zip_entries=ingest.max_zip_entries,
            max_number_digits=ingest.max_number_digits,
        )

    @property
    def window_rows(self) -> int:
        """Rows read from a sheet: enough to tell that it is over the row limit."""
        return self.max_rows * 2 + _SNIFF_LINES


def _unreadable(detail: str) -> Rejected:
    return Rejected(FILE_UNREADABLE, detail)


def _bytes(n: int) -> str:
    return f"{n:,}".replace(",", ".")


# --- xlsx: inspection at the zip and XML level ------------------------------------------------


_PERCENT_BUILTIN: Final = frozenset({"9", "10"})
_XF = re.compile(rb"<xf\b[^>]*>")
_NUMFMT = re.compile(rb'<numFmt\b[^>]*numFmtId="(\d+)"[^>]*formatCode="([^"]*)"')
_FMT_ID = re.compile(rb'numFmtId="(\d+)"')
_QUOTED = re.compile(r'"[^"]*"|\\.')
_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_RELATIONSHIP = re.compile(rb"<(?:\w+:)?Relationship\b([^>]*)/?>")
_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.DOTALL)
_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]{1,7})"')
_TYPE_ERROR = re.compile(rb'\bt="e"')
_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.DOTALL)
_HAS_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)\b[^>]*>\s*\S", re.DOTALL)
_MERGE = re.compile(
    rb'<(?:\w+:)?mergeCell\b[^>]*\bref="([A-Z]{1,3})([0-9]{1,7}):([A-Z]{1,3})([0-9]{1,7})"'
)
_LOCAL_HEADER: Final = b"PK\x03\x04"


def column_number(letters: bytes | str) -> int:
    """``A`` -> 1, ``XFD`` -> 16384."""
    number = 0
    for ch in letters.decode() if isinstance(letters, bytes) else letters:
        number = number * 26 + ord(ch) - 64
    return number


def column_letters(number: int) -> str:
    letters = ""
    while number:
        number, rest = divmod(number - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


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


@dataclass
class SheetInfo:
    """One worksheet as its XML describes it."""

    name: str
    state: str
    part: str
    cells: int = 0
    max_row: int = 0
    max_col: int = 0
    has_errors: bool = False
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    no_cache: dict[tuple[int, int], str] = field(default_factory=dict)
    outside: int = 0
    first_outside: str | None = None

    @property
    def visible(self) -> bool:
        return self.state == "visible"

    @property
    def area(self) -> int:
        return self.max_row * self.max_col


@dataclass
class WorkbookInfo:
    sheets: list[SheetInfo]
    percent: bool

    @property
    def detailed(self) -> bool:
        """Whether openpyxl must read it: cells shown as percentages or formula errors, which
        python-calamine cannot tell."""
        return self.percent or any(s.has_errors for s in self.sheets)


def _member(handle: BinaryIO, info: zipfile.ZipInfo, cap: int) -> bytes:
    """The member's bytes, decompressed here under ``cap``: the central directory's size and
    CRC must be the truth (a header that understates the unpacked size is a zip bomb)."""
    handle.seek(info.header_offset)
    header = handle.read(30)
    if len(header) < 30 or header[:4] != _LOCAL_HEADER:
        raise _unreadable("buku kerja rusak: bagian arsip zip tidak utuh.")
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    handle.seek(info.header_offset + 30 + name_length + extra_length)
    declared = info.file_size
    limit = min(declared, cap)
    if info.compress_type == zipfile.ZIP_STORED:
        data = handle.read(info.compress_size)
        if len(data) != declared:
            raise _unreadable("buku kerja rusak: ukuran bagian arsip zip tidak cocok.")
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        decompressor = zlib.decompressobj(-15)
        pieces: list[bytes] = []
        total = 0
        remaining = info.compress_size
        pending = b""
        while True:
            if not pending:
                if remaining <= 0 or decompressor.eof:
                    break
                pending = handle.read(min(1 << 16, remaining))
                remaining -= len(pending)
                if not pending:
                    break
            try:
                piece = decompressor.decompress(pending, limit - total + 1)
            except zlib.error:
                raise _unreadable("buku kerja rusak: data zip tidak dapat dibuka.") from None
            pending = decompressor.unconsumed_tail
            total += len(piece)
            if total > limit:
                if total > declared:
                    raise Rejected(
                        FILE_TOO_LARGE,
                        f"bagian '{info.filename[:60]}' buku kerja membuka lebih besar dari "
                        f"ukuran yang dinyatakan ({_bytes(declared)} bita): berkas tidak wajar.",
                    )
                raise Rejected(
                    FILE_TOO_LARGE,
                    f"isi buku kerja setelah dibuka melebihi batas {_bytes(cap)} bita.",
                )
            pieces.append(piece)
        data = b"".join(pieces)
        if len(data) != declared:
            raise _unreadable("buku kerja rusak: isi bagian arsip zip tidak lengkap.")
    else:
        raise _unreadable("buku kerja memakai pemampatan zip yang tidak didukung Excel.")
    if zlib.crc32(data) != info.CRC:
        raise _unreadable("buku kerja rusak: pemeriksaan CRC arsip zip gagal.")
    return data


def _attributes(raw: bytes) -> dict[str, str]:
    return {
        key.decode().split(":")[-1] if key != b"r:id" else "rid": html.unescape(value.decode())
        for key, value in _ATTR.findall(raw)
    }


def _sheet_parts(workbook: bytes, rels: bytes) -> list[tuple[str, str, str]]:
    """(name, state, part) of every sheet, in workbook order."""
    targets = {}
    for match in _RELATIONSHIP.finditer(rels):
        attributes = _attributes(match.group(1))
        if "Id" in attributes and "Target" in attributes:
            target = attributes["Target"].lstrip("/")
            targets[attributes["Id"]] = target if target.startswith("xl/") else "xl/" + target
    sheets = []
    for match in _SHEET.finditer(workbook):
        attributes = _attributes(match.group(1))
        rid = attributes.get("rid") or attributes.get("id")
        if "name" in attributes and rid in targets:
            sheets.append((attributes["name"], attributes.get("state", "visible"), targets[rid]))
    return sheets


def _scan_sheet(info: SheetInfo, xml: bytes, limits: ReadLimits) -> None:
    """Count cells, their extent, formula errors, formulas without a cached value (within the
    read window) and merged ranges, from the sheet's XML."""
    window_rows = limits.window_rows
    for match in _CELL.finditer(xml):
        attributes, content = match.group(1), match.group(2) or b""
        ref = _REF.search(attributes)
        if ref is None:
            continue
        row, col = int(ref.group(2)), column_number(ref.group(1))
        info.max_row = max(info.max_row, row)
        info.max_col = max(info.max_col, col)
        has_value = bool(_HAS_VALUE.search(content))
        formula = _FORMULA.search(content)
        if has_value or formula:
            info.cells += 1
        if _TYPE_ERROR.search(attributes):
            info.has_errors = True
        inside = row <= window_rows and col <= MAX_COLUMNS
        if not inside and (has_value or formula):
            info.outside += 1
            info.first_outside = info.first_outside or f"{column_letters(col)}{row}"
        if formula and not has_value and inside:
            text = html.unescape((formula.group(1) or b"").decode("utf-8", "replace")).strip()
            info.no_cache[(row, col)] = text or "rumus bersama"
    for top_col, top_row, bottom_col, bottom_row in _MERGE.findall(xml):
        info.merges.append(
            (
                int(top_row),
                column_number(top_col),
                int(bottom_row),
                column_number(bottom_col),
            )
        )


def inspect_workbook(path: Path, limits: ReadLimits) -> WorkbookInfo:
    """Refuse what is not a sound workbook, before any spreadsheet library opens it."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head == _CFB_MAGIC:
        raise _unreadable(
            "berkas ini berformat Excel lama (.xls) atau dilindungi kata sandi, bukan .xlsx biasa."
        )
    try:
        with zipfile.ZipFile(path) as archive, path.open("rb") as handle:
            infos = archive.infolist()
            if len(infos) > limits.max_zip_entries:
                raise Rejected(
                    FILE_TOO_LARGE,
                    f"buku kerja berisi {_bytes(len(infos))} bagian arsip, melebihi batas "
                    f"{_bytes(limits.max_zip_entries)}.",
                )
            names = {info.filename for info in infos}
            if "[Content_Types].xml" not in names or not any(
                n.startswith("xl/workbook") for n in names
            ):
                raise _unreadable("berkas ini arsip zip, tetapi bukan buku kerja Excel (.xlsx).")
            if any(info.flag_bits & 0x1 for info in infos):
                raise _unreadable("buku kerja ini terenkripsi.")
            unpacked = sum(info.file_size for info in infos)
            if unpacked > limits.max_unpacked_bytes:
                raise Rejected(
                    FILE_TOO_LARGE,
                    f"isi buku kerja setelah dibuka {_bytes(unpacked)} bita, melebihi batas "
                    f"{_bytes(limits.max_unpacked_bytes)} bita.",
                )
            wanted = {"xl/workbook.xml", "xl/_rels/workbook.xml.rels", "xl/styles.xml"}
            parts: dict[str, bytes] = {}
            budget = limits.max_unpacked_bytes
            for info in infos:
                data = _member(handle, info, budget)
                budget -= len(data)
                name = info.filename
                if name in wanted or (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    parts[name] = data
            sheets = [
                SheetInfo(name=name, state=state, part=part)
                for name, state, part in _sheet_parts(
                    parts.get("xl/workbook.xml", b""), parts.get("xl/_rels/workbook.xml.rels", b"")
                )
            ]
            for sheet in sheets:
                _scan_sheet(sheet, parts.pop(sheet.part, b""), limits)
            cells = sum(s.cells for s in sheets)
            if cells > limits.max_cells:
                raise Rejected(
                    FILE_TOO_LARGE,
                    f"buku kerja berisi {_bytes(cells)} sel berisi, melebihi batas "
                    f"{_bytes(limits.max_cells)} sel.",
                )
            percent = "xl/styles.xml" in parts and _percent_styles(parts["xl/styles.xml"])
            return WorkbookInfo(sheets=sheets, percent=percent)
    except (zipfile.BadZipFile, zlib.error, EOFError, struct.error):
        raise _unreadable(
            "berkas ini bukan buku kerja Excel (.xlsx) yang sah; mungkin rusak atau hanya "
            "berganti nama."
        ) from None


# --- xlsx: values ------------------------------------------------------------------------------


Grid = list[list[object]]


def _apply_merges(grid: Grid, merges: Sequence[tuple[int, int, int, int]]) -> None:
    """Merged header labels are spread over their range; cells of other ranges that span
    several rows are marked (:class:`~iku.ingest.table.MergedCell`), so a row whose code or
    value sits in one is held. Only the read window is touched, whatever a range's size."""
    height = len(grid)
    for top, left, bottom, right in merges:
        if top > height or left > MAX_COLUMNS:
            continue
        bottom, right = min(bottom, height), min(right, MAX_COLUMNS)
        row = grid[top - 1]
        label = row[left - 1] if left - 1 < len(row) else None
        is_label = isinstance(label, str) and t.classify(t.normalise_label(label))[1]
        if not is_label and bottom == top:
            continue  # a title or a note merged across columns: its text stays in one cell
        span = f"{column_letters(left)}{top}:{column_letters(right)}{bottom}"
        for r in range(top, bottom + 1):
            cells = grid[r - 1]
            for c in range(left, min(right, len(cells)) + 1):
                if is_label:
                    if cells[c - 1] is None:
                        cells[c - 1] = label
                else:
                    # The top-left keeps its value; the cells it covers are marked empty.
                    first = r == top and c == left
                    cells[c - 1] = t.MergedCell(label if first else None, span)


def _mark_formulas(grid: Grid, no_cache: dict[tuple[int, int], str]) -> None:
    for (row, col), formula in no_cache.items():
        if row <= len(grid) and col <= len(grid[row - 1]):
            grid[row - 1][col - 1] = t.FormulaCell(formula)


def _rows_of(grid: Grid) -> list[t.Row]:
    return [
        (number, row) for number, row in enumerate(grid, start=1) if any(v is not None for v in row)
    ]


def _calamine_grids(
    path: Path, wanted: Sequence[SheetInfo], marker: SheetInfo | None, limits: ReadLimits
) -> tuple[str, dict[str, Grid]]:
    """Cell values with python-calamine (fast): cached values, no evaluation."""
    from python_calamine import CalamineWorkbook

    workbook = CalamineWorkbook.from_path(str(path))
    try:
        reader = "xlsx"
        if marker is not None:
            first = workbook.get_sheet_by_name(marker.name).to_python(nrows=1)
            if first and first[0] and first[0][0] == TEMPLATE_MARKER:
                reader = "template"
        grids: dict[str, Grid] = {}
        for sheet in wanted:
            values = workbook.get_sheet_by_name(sheet.name).to_python(
                skip_empty_area=False, nrows=limits.window_rows
            )
            grids[sheet.name] = [
                [None if v == "" else v for v in row[:MAX_COLUMNS]] for row in values
            ]
        return reader, grids
    finally:
        workbook.close()


def _openpyxl_grids(
    path: Path, wanted: Sequence[SheetInfo], marker: SheetInfo | None, limits: ReadLimits
) -> tuple[str, dict[str, Grid]]:
    """The same with openpyxl in read-only (streaming) mode, which knows number formats and
    formula errors; percent-formatted numbers are taken as displayed."""
    import openpyxl

    workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    try:
        reader = "xlsx"
        if marker is not None:
            first = next(
                workbook[marker.name].iter_rows(max_row=1, max_col=1, values_only=True), ()
            )
            if first and first[0] == TEMPLATE_MARKER:
                reader = "template"
        grids: dict[str, Grid] = {}
        for sheet in wanted:
            grid: Grid = []
            for cells in workbook[sheet.name].iter_rows(
                min_row=1, max_row=limits.window_rows, max_col=MAX_COLUMNS
            ):
                values: list[object] = []
                for cell in cells:
                    value = getattr(cell, "value", None)
                    if (
                        isinstance(value, int | float)
                        and not isinstance(value, bool)
                        and "%" in (getattr(cell, "number_format", None) or "")
                    ):
                        value = t.PercentCell(float(value))
                    values.append(value)
                grid.append(values)
            while grid and not any(v is not None for v in grid[-1]):
                grid.pop()
            grids[sheet.name] = grid
        return reader, grids
    finally:
        workbook.close()


def read_xlsx(path: Path, limits: ReadLimits) -> t.RawTable:
    """Read the template or any .xlsx layout: the first visible sheet with a recognisable table.

    python-calamine reads plain workbooks (about 50 times faster); openpyxl reads the ones whose
    cells are shown as percentages (Excel stores 85% as 0.85) or hold formula errors, and the
    ones whose used area is too large for calamine to hold.
    """
    info = inspect_workbook(path, limits)
    visible = [s for s in info.sheets if s.visible]
    visible.sort(key=lambda s: s.name != TEMPLATE_SHEET)
    marker = next(
        (s for s in info.sheets if s.name == TEMPLATE_MARKER_SHEET and not s.visible), None
    )
    touched = [*visible, *([marker] if marker else [])]
    streaming = info.detailed or any(s.area > limits.max_cells for s in touched)
    try:
        reader, grids = (_openpyxl_grids if streaming else _calamine_grids)(
            path, visible, marker, limits
        )
    except Rejected:
        raise
    except MemoryError:
        raise
    except Exception as exc:  # both libraries raise many types for damaged parts
        raise _unreadable(
            f"buku kerja tidak dapat dibuka ({type(exc).__name__}); simpan ulang dari Excel."
        ) from None
    first_problem: Rejected | None = None
    found: t.RawTable | None = None
    others: list[str] = []
    for sheet in visible:
        grid = grids.get(sheet.name, [])
        _apply_merges(grid, sheet.merges)
        _mark_formulas(grid, sheet.no_cache)
        rows = _rows_of(grid)
        if not rows:
            continue
        try:
            table = t.extract(rows, reader, limits.max_rows)
        except Rejected as exc:
            if exc.rule == TOO_MANY_ROWS and found is None:
                raise
            if found is None:
                first_problem = first_problem or exc
            continue
        if found is None:
            found = table
            found.sheet = sheet.name
            if sheet.outside:
                found.notes.append(
                    f"lembar '{sheet.name}' memuat {_bytes(sheet.outside)} sel berisi di luar "
                    f"jangkauan baca ({limits.window_rows} baris x {MAX_COLUMNS} kolom), mis. "
                    f"{sheet.first_outside}; sel itu tidak dibaca"
                )
        elif table.rows:
            others.append(f"'{sheet.name}' ({len(table.rows)} baris data)")
    if found is None:
        if first_problem is not None:
            raise first_problem
        raise Rejected(FILE_EMPTY, "buku kerja tidak berisi data pada lembar mana pun.")
    if others:
        found.notes.append(
            "lembar lain juga memuat tabel IKU dan tidak dibaca (satu lembar per berkas): "
            + ", ".join(others)
        )
    hidden = [s.name for s in info.sheets if not s.visible and s is not marker]
    if hidden:
        found.notes.append(
            "lembar tersembunyi tidak dibaca: " + ", ".join(f"'{n[:40]}'" for n in hidden[:5])
        )
    return found


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


@dataclass(frozen=True)
class CsvRecord:
    """One CSV record: the lines it spans, its fields, and why it is held (or None)."""

    first: int
    last: int
    fields: list[str]
    hold: str | None = None


def _csv_records(
    text: str, delimiter: str, limit: int | None = None, unread: list[int] | None = None
) -> list[CsvRecord]:
    """Records with the file lines they span. A quoted field that runs over lines which
    themselves hold the delimiter is a broken quote (one unclosed ``"`` swallows the rest of
    the file): those lines are read one by one without quote handling and held, so no line
    disappears into one field."""
    lines = io.StringIO(text, newline="").readlines()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    if unread is not None:
        unread.clear()
    records: list[CsvRecord] = []
    previous = 0
    kept = 0
    try:
        for fields in reader:
            first, last = previous + 1, reader.line_num
            previous = last
            if last > first and any(delimiter in line for line in lines[first:last]):
                hold = (
                    f'tanda kutip (") tidak seimbang mulai baris {first}: baris {first}-{last} '
                    "terbaca sebagai satu isian; tiap baris dibaca tersendiri tanpa tanda kutip "
                    "dan ditahan untuk diperiksa"
                )
                for number in range(first, last + 1):
                    raw = lines[number - 1].rstrip("\r\n")
                    split = next(csv.reader([raw], delimiter=delimiter, quoting=csv.QUOTE_NONE), [])
                    if any(f.strip() for f in split):
                        records.append(CsvRecord(number, number, split, hold))
                        kept += 1
            elif any(f.strip() for f in fields):
                records.append(CsvRecord(first, last, fields))
                kept += 1
            if limit is not None and kept >= limit:
                if unread is not None and any(line.strip() for line in lines[last:]):
                    unread.append(last + 1)  # the first line not read
                break
    except csv.Error as exc:
        raise _unreadable(f"baris {previous + 1}: CSV rusak ({exc}).") from None
    return records


def _csv_rows(text: str, delimiter: str, limit: int | None = None) -> list[t.Row]:
    return [(r.first, r.fields) for r in _csv_records(text, delimiter, limit)]


def sniff_delimiter(text: str) -> str:
    """The delimiter that yields the best header (semicolon wins ties: Indonesian Excel)."""
    head = "".join(io.StringIO(text, newline="").readlines()[:_SNIFF_LINES])
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


def read_csv(data: bytes, limits: ReadLimits) -> t.RawTable:
    text = decode_text(data)
    if not text.strip():
        raise Rejected(FILE_EMPTY, "berkas CSV kosong.")
    delimiter = sniff_delimiter(text)
    unread: list[int] = []
    records = _csv_records(text, delimiter, limit=limits.window_rows, unread=unread)
    table = t.extract([(r.first, r.fields) for r in records], "csv", limits.max_rows)
    if unread:
        table.notes.append(
            f"baris {unread[0]} dan seterusnya tidak dibaca (batas baca {limits.window_rows} "
            "baris berisi)"
        )
    held = {r.first: r.hold for r in records if r.hold}
    spans = {r.first: r.last for r in records if r.last > r.first}
    if held or spans:
        table.rows = [
            dataclasses.replace(
                row,
                hold="; ".join(h for h in (row.hold, held.get(row.source_row)) if h) or None,
                last_row=spans.get(row.source_row),
            )
            for row in table.rows
        ]
    return table


# --- JSON --------------------------------------------------------------------------------------

JSON_SCHEMA_HINT: Final = (
    '{"agency_code": "DINKES", "period": "2026-10", "rows": '
    '[{"indicator_code": "DINKES-01", "realisasi": 85.2}]}'
)


def _bounded_int(max_digits: int) -> Any:
    def parse(text: str) -> int:
        digits = len(text.lstrip("-"))
        if digits > max_digits:
            raise Rejected(
                FILE_UNREADABLE,
                f"JSON memuat bilangan bulat {digits} digit (batas {max_digits} digit); "
                "tulis realisasi sebagai angka biasa.",
            )
        return int(text)

    return parse


def read_json(data: bytes, limits: ReadLimits) -> t.RawTable:
    max_rows = limits.max_rows
    text = decode_text(data)
    if not text.strip():
        raise Rejected(FILE_EMPTY, "berkas JSON kosong.")
    try:
        document = json.loads(text, parse_int=_bounded_int(limits.max_number_digits))
    except json.JSONDecodeError as exc:
        raise _unreadable(f"JSON tidak sah pada baris {exc.lineno} kolom {exc.colno}.") from None
    except RecursionError:
        raise _unreadable(
            "struktur JSON bersarang terlalu dalam; gunakan bentuk " + JSON_SCHEMA_HINT
        ) from None
    except ValueError as exc:  # e.g. a number Python refuses to convert
        raise _unreadable(
            f"JSON memuat nilai yang tidak dapat dibaca ({type(exc).__name__})."
        ) from None
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
            value=_scalar(fields.get(t.VALUE)),
            state=_scalar(fields.get(t.STATE)),
            agency=_scalar(fields.get(t.AGENCY)),
            period=_scalar(fields.get(t.PERIOD)),
            unit=_scalar(fields.get(t.UNIT)),
            evidence=_scalar(fields.get(t.EVIDENCE)),
            note=_scalar(fields.get(t.NOTE)),
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


def _scalar(value: object) -> object:
    """A JSON value as a cell: objects and arrays become their JSON text (never a number)."""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)[:100_000]
    return value
