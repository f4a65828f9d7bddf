"""Find the table in a sheet or CSV: header row by column aliases, metadata above it, data rows.

Every reader turns its file into a list of ``(row_number, cells)``; this module does the rest, so
the xlsx and CSV layouts are understood the same way. Row numbers are the ones the agency sees.
Nothing vanishes: every non-blank line that is not staged as a data row is accounted in
:attr:`RawTable.skipped` (title, header, note, total, ...) so the agency can be told.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Final

from iku.ingest.rejections import MISSING_COLUMNS, TOO_MANY_ROWS, Rejected

AGENCY: Final = "agency_code"
PERIOD: Final = "period"
CODE: Final = "indicator_code"
NAME: Final = "indicator_name"
UNIT: Final = "unit"
TARGET: Final = "target"
VALUE: Final = "realisasi"
STATE: Final = "state"
EVIDENCE: Final = "evidence_url"
NOTE: Final = "note"
NUMBER: Final = "no"

#: Column names people use, after normalisation (lower case, punctuation to spaces).
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    AGENCY: (
        "kode opd",
        "kode perangkat daerah",
        "kode pd",
        "kode skpd",
        "kode instansi",
        "kode unit kerja",
        "agency code",
        "agency",
        "opd code",
    ),
    PERIOD: (
        "periode",
        "bulan",
        "periode laporan",
        "bulan laporan",
        "periode pelaporan",
        "masa laporan",
        "period",
        "month",
        "reporting period",
    ),
    CODE: (
        "kode iku",
        "kode indikator",
        "kode indikator kinerja",
        "kode",
        "indicator code",
        "indicator id",
        "code",
    ),
    NAME: (
        "nama iku",
        "indikator",
        "indikator kinerja",
        "indikator kinerja utama",
        "nama indikator",
        "indicator",
        "indicator name",
        "uraian",
        "iku",
    ),
    UNIT: ("satuan", "unit", "satuan pengukuran"),
    TARGET: ("target", "target tahunan", "target berlaku", "target in force"),
    VALUE: (
        "realisasi",
        "capaian realisasi",
        "nilai realisasi",
        "realisasi bulan ini",
        "realisasi nilai",
        "realisasi angka",
        "jumlah realisasi",
        "nilai",
        "actual",
        "value",
    ),
    STATE: (
        "status",
        "status data",
        "status realisasi",
        "realisasi status",
        "keadaan data",
        "state",
    ),
    EVIDENCE: (
        "bukti",
        "link bukti",
        "bukti dukung",
        "link bukti dukung",
        "tautan bukti",
        "tautan bukti dukung",
        "url bukti",
        "evidence",
        "evidence url",
        "evidence link",
    ),
    NOTE: ("keterangan", "catatan", "ket", "penjelasan", "note", "notes", "remarks"),
    NUMBER: ("no", "nomor", "no urut"),
}
_EXACT: Final = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
#: Looser matches for long or combined labels, tried in this order (more specific first).
_CONTAINS: Final[tuple[tuple[str, re.Pattern[str]], ...]] = (
    (STATE, re.compile(r"\b(status|state)\b")),
    (EVIDENCE, re.compile(r"\b(bukti|evidence|tautan|link)\b")),
    (NOTE, re.compile(r"\b(keterangan|catatan|notes?)\b")),
    (AGENCY, re.compile(r"\bkode (opd|pd|skpd|perangkat daerah|instansi)\b|\bagency\b")),
    (CODE, re.compile(r"\bkode (iku|indikator)\b|\bindicator (code|id)\b")),
    (TARGET, re.compile(r"^target\b")),
    (VALUE, re.compile(r"\b(realisasi|actual|value)\b")),
    (UNIT, re.compile(r"\b(satuan|unit)\b")),
    (PERIOD, re.compile(r"\b(periode|period|bulan)\b")),
    (NAME, re.compile(r"\b(indikator|indicator|iku)\b")),
)
REQUIRED: Final = (CODE, VALUE)
_LABELS_ID: Final = {CODE: "Kode IKU", VALUE: "Realisasi", PERIOD: "Periode"}
_NOTE_START = re.compile(
    r"^(catatan|keterangan|ket\.|sumber|mengetahui|note|nb|\*|nip\b|dibuat|disahkan)",
    re.IGNORECASE,
)
_SUMMARY_WORDS: Final = frozenset({"jumlah", "total", "rata rata", "rerata", "grand total"})
_NUMBERING = re.compile(r"^\(?\d{1,2}\)?$")
_HEADER_SCAN_ROWS: Final = 40

Row = tuple[int, Sequence[object]]

#: Why a non-blank line is not a data row (Indonesian, for the agency's notice).
ABOVE_TABLE: Final = "judul atau isian di atas tabel"
HEADER: Final = "judul kolom"
NUMBERING: Final = "nomor kolom"
NOTE_LINE: Final = "catatan, tanda tangan atau teks di luar tabel"
TOTAL_LINE: Final = "baris jumlah atau rata-rata"
SECTION_TITLE: Final = "judul bagian"
SECOND_HEADER: Final = "judul kolom tabel berikutnya"


def normalise_label(raw: object) -> str:
    """``"Realisasi (Angka):"`` -> ``"realisasi angka"``."""
    if raw is None:
        return ""
    text = str(raw).lower().replace("\n", " ")
    text = re.sub(r"[^\w%]+", " ", text).replace("_", " ")
    return re.sub(r"\s+", " ", text).strip()


def classify(label: str) -> tuple[str | None, bool]:
    """The field a column label names, and whether the match is exact."""
    if not label:
        return None, False
    if label in _EXACT:
        return _EXACT[label], True
    for name, pattern in _CONTAINS:
        if pattern.search(label):
            return name, False
    return None, False


@dataclass(frozen=True, slots=True)
class FormulaCell:
    """A formula cell with no cached value: Excel never computed and saved a result, so there
    is nothing to read (formulas are never evaluated here). The row is held, never guessed."""

    formula: str

    def __str__(self) -> str:
        return "=" + self.formula


@dataclass(frozen=True, slots=True)
class MergedCell:
    """A cell inside a merged range that spans several rows (``span``, e.g. ``D8:D9``) and is
    not a header label: Excel shows the top-left value across the rows, so which row it belongs
    to cannot be told. ``value`` is the top-left value."""

    value: object
    span: str

    def __str__(self) -> str:
        return "" if self.value is None else str(self.value)


def plain(value: object) -> object:
    """A cell's value with the merged-range marker removed."""
    return value.value if isinstance(value, MergedCell) else value


@dataclass(frozen=True, slots=True)
class RawRow:
    """One data row as found, before any parsing. ``hold`` is why the reader could not read
    the row with confidence (held for the stewards), or None."""

    source_row: int
    indicator_code: str
    value: object
    state: object = None
    agency: object = None
    period: object = None
    unit: object = None
    evidence: object = None
    note: object = None
    hold: str | None = None
    last_row: int | None = None


@dataclass
class RawTable:
    """The data rows of a file, with the agency and period written in it (all occurrences).

    ``skipped`` lists every non-blank line that is not a data row, with why; ``notes`` says what
    else of the file was not read (other sheets with a table, cells outside the read window).
    """

    reader: str
    rows: list[RawRow] = field(default_factory=list)
    agencies: list[tuple[int, object]] = field(default_factory=list)
    periods: list[tuple[int, object]] = field(default_factory=list)
    header_row: int | None = None
    columns: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[int, str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    sheet: str | None = None


class PercentCell(float):
    """A numeric spreadsheet cell shown with a percent format: Excel stores 85% as 0.85.

    The float is the value as displayed (85.0); ``stored`` is the cell's own number.
    """

    stored: float

    def __new__(cls, stored: float) -> PercentCell:
        shown = super().__new__(cls, float(f"{stored * 100:.12g}"))
        shown.stored = stored
        return shown

    def __reduce__(self) -> tuple[type[PercentCell], tuple[float]]:
        return (PercentCell, (self.stored,))


def _is_blank(value: object) -> bool:
    value = plain(value)
    return value is None or (isinstance(value, str) and not value.strip())


def _cell(cells: Sequence[object], index: int | None) -> object:
    if index is None or index >= len(cells):
        return None
    value = cells[index]
    if isinstance(value, MergedCell):
        return MergedCell(_cell([value.value], 0), value.span)
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _mapping(labels: Sequence[str]) -> tuple[dict[str, int], int]:
    """Map fields to columns (exact matches first); return the mapping and its score."""
    exact: dict[str, int] = {}
    loose: dict[str, int] = {}
    duplicates = 0
    for index, label in enumerate(labels):
        name, is_exact = classify(label)
        if name is None:
            continue
        target = exact if is_exact else loose
        if name in target:
            duplicates += 1
            continue
        target[name] = index
    mapping = {**loose, **exact}
    used: set[int] = set()
    for name in list(mapping):
        if mapping[name] in used:
            del mapping[name]
        else:
            used.add(mapping[name])
    has_required = all(name in mapping for name in REQUIRED)
    return mapping, (len(mapping) - duplicates) + (100 if has_required else 0)


def _labels(cells: Sequence[object]) -> list[str]:
    return [normalise_label(c) if isinstance(c, str) else "" for c in map(plain, cells)]


def find_header(rows: Sequence[Row]) -> tuple[int, dict[str, int], int]:
    """Locate the header among the first rows: (index in rows, mapping, rows it spans).

    A header may span two rows when cells are merged (``Realisasi`` over ``Nilai`` and
    ``Status``): the two labels of a column are then read together.
    """
    best: tuple[int, dict[str, int], int] | None = None
    best_score = 0
    for position, (_number, cells) in enumerate(rows[:_HEADER_SCAN_ROWS]):
        labels = _labels(cells)
        if sum(1 for label in labels if label) < 2:
            continue
        mapping, score = _mapping(labels)
        span = 1
        # Only a row that already reads as a header may continue on the row below it.
        if len(mapping) >= 3 and position + 1 < len(rows):
            below = _labels(rows[position + 1][1])
            if any(below):
                width = max(len(labels), len(below))
                combined = []
                for i in range(width):
                    top = labels[i] if i < len(labels) else ""
                    bottom = below[i] if i < len(below) else ""
                    combined.append(top if bottom in ("", top) else f"{top} {bottom}".strip())
                two_mapping, two_score = _mapping(combined)
                if two_score > score and _looks_like_subheader(rows[position + 1][1], mapping):
                    mapping, score, span = two_mapping, two_score, 2
        if score > best_score:
            best, best_score = (position, mapping, span), score
        if score >= 100 and len(mapping) >= 4:
            break
    if best is None or best_score < 100:
        found = best[1] if best else {}
        missing = [_LABELS_ID[name] for name in REQUIRED if name not in found]
        raise Rejected(
            MISSING_COLUMNS,
            "kolom wajib tidak ditemukan: " + ", ".join(missing) + ".",
        )
    return best


def _looks_like_subheader(cells: Sequence[object], mapping: dict[str, int]) -> bool:
    """A second header row has text only (no numbers) and no indicator code under 'Kode'."""
    texts = [plain(c) for c in cells if not _is_blank(c)]
    if any(isinstance(c, int | float) for c in texts):
        return False
    code_column = mapping.get(CODE)
    if code_column is not None:
        code = _cell(cells, code_column)
        if code is not None and re.match(r"^[A-Z][A-Z0-9_]*-\d", str(code)):
            return False
    return True


def _is_numbering_row(cells: Sequence[object]) -> bool:
    """The "(1) (2) (3)" row under many Indonesian table headers."""
    values = [plain(c) for c in cells if not _is_blank(c)]
    if len(values) < 3:
        return False
    return all(_NUMBERING.match(str(v).strip()) for v in values)


def _metadata(rows: Sequence[Row], end: int) -> tuple[list[tuple[int, object]], ...]:
    """``Periode: Oktober 2026`` / ``Kode OPD | DINKES`` lines above the table."""
    agencies: list[tuple[int, object]] = []
    periods: list[tuple[int, object]] = []
    for number, raw_cells in rows[:end]:
        cells = [plain(c) for c in raw_cells]
        used: set[int] = set()
        # Every label on the line counts: a layout may write "Bulan : Oktober 2026" and
        # "Kode OPD: DINKES" side by side on one row.
        for index, cell in enumerate(cells):
            if index in used or not isinstance(cell, str) or not cell.strip():
                continue
            label, sep, rest = cell.partition(":")
            name, exact = classify(normalise_label(label))
            if not exact or name not in (AGENCY, PERIOD):
                continue
            value: object = rest.strip() if sep and rest.strip() else None
            if value is None:
                for offset, later in enumerate(cells[index + 1 :], start=index + 1):
                    if not _is_blank(later) and str(later).strip() != ":":
                        value = later.strip() if isinstance(later, str) else later
                        used.add(offset)
                        break
            if value is None:
                continue
            (agencies if name == AGENCY else periods).append((number, value))
    return agencies, periods


def _text(value: object) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _is_header_again(cells: Sequence[object], mapping: dict[str, int]) -> dict[str, int] | None:
    """The mapping of a line in the body that is itself a table header (a second table below
    the first), or None."""
    labels = _labels(cells)
    if sum(1 for label in labels if label) < 2:
        return None
    found, score = _mapping(labels)
    return found if score >= 100 else None


#: The fields whose merged cells make a row's reading uncertain (notes may be shared).
_READ_FIELDS: Final = (CODE, VALUE, STATE)
_FIELD_WORDS: Final = {
    AGENCY: "kode OPD",
    PERIOD: "periode",
    CODE: "kode IKU",
    NAME: "nama IKU",
    UNIT: "satuan",
    TARGET: "target",
    VALUE: "realisasi",
    STATE: "status",
    EVIDENCE: "link bukti",
    NOTE: "keterangan",
    NUMBER: "nomor",
}


def extract(rows: Sequence[Row], reader: str, max_rows: int) -> RawTable:
    """Find the header and read every data row; blank rows, notes and totals are skipped (and
    accounted in ``skipped``). A header repeated below the data starts a second table with its
    own columns."""
    position, mapping, span = find_header(rows)
    table = RawTable(reader=reader, header_row=rows[position][0], columns=dict(mapping))
    table.agencies, table.periods = _metadata(rows, position)
    table.skipped.extend((number, ABOVE_TABLE) for number, _ in rows[:position])
    table.skipped.extend((number, HEADER) for number, _ in rows[position : position + span])
    body = rows[position + span :]
    if body and _is_numbering_row(body[0][1]):
        table.skipped.append((body[0][0], NUMBERING))
        body = body[1:]
    notes: list[Row] = []
    for number, cells in body:
        marked = {name: _cell(cells, index) for name, index in mapping.items()}
        picked = {name: plain(value) for name, value in marked.items()}
        if all(v is None for v in picked.values()):
            table.skipped.append((number, NOTE_LINE))
            notes.append((number, cells))
            continue
        code = picked.get(CODE)
        value = picked.get(VALUE)
        state = picked.get(STATE)
        code_text = _text(code)
        has_reading = value is not None or state is not None
        if code is None and value is None:
            table.skipped.append((number, NOTE_LINE))  # a note or a signature block
            notes.append((number, cells))
            continue
        if not has_reading and (_NOTE_START.match(code_text) or len(code_text) > 60):
            table.skipped.append((number, NOTE_LINE))  # a trailing note in the code column
            continue
        if not has_reading and " " in code_text:
            table.skipped.append((number, SECTION_TITLE))  # "A. Sasaran 2": codes have no spaces
            continue
        if code is None and any(
            normalise_label(c) in _SUMMARY_WORDS for c in map(plain, cells) if isinstance(c, str)
        ):
            table.skipped.append((number, TOTAL_LINE))  # "Jumlah" / "Rata-rata" is no IKU
            continue
        again = _is_header_again(cells, mapping) if isinstance(value, str) else None
        if again is not None:
            mapping = again
            table.skipped.append((number, SECOND_HEADER))
            continue
        holds = []
        merged = sorted(
            {v.span for n, v in marked.items() if n in _READ_FIELDS and isinstance(v, MergedCell)}
        )
        if merged:
            holds.append(
                "sel digabung (merge) melintasi beberapa baris ("
                + ", ".join(merged)
                + "): nilainya tidak dapat dipastikan untuk baris ini"
            )
        formulas = [
            f"{_FIELD_WORDS.get(n, n)} ({str(v)[:80]})"
            for n, v in picked.items()
            if isinstance(v, FormulaCell)
        ]
        if formulas:
            holds.append(
                "sel berisi rumus tanpa nilai tersimpan: "
                + ", ".join(formulas)
                + "; buka berkas di Excel, biarkan rumus dihitung, simpan, lalu kirim ulang"
            )
        table.rows.append(
            RawRow(
                source_row=number,
                indicator_code=code_text,
                value=value,
                state=state,
                agency=picked.get(AGENCY),
                period=picked.get(PERIOD),
                unit=picked.get(UNIT),
                evidence=picked.get(EVIDENCE),
                note=picked.get(NOTE),
                hold="; ".join(holds) if holds else None,
            )
        )
        if len(table.rows) > max_rows:
            raise Rejected(
                TOO_MANY_ROWS,
                f"berkas berisi lebih dari {max_rows} baris data (batas per kiriman).",
            )
    # A "Kode OPD: ..." line in the notes or the signature block below the table counts too.
    table.agencies.extend(_metadata(notes, len(notes))[0])
    for row in table.rows:
        if row.agency is not None:
            table.agencies.append((row.source_row, row.agency))
        if row.period is not None:
            table.periods.append((row.source_row, row.period))
    return table
