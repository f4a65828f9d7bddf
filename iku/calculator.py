"""The capaian calculator behind ``iku capaian``: a CSV of targets and realisasi in, capaian out.

Input columns (header names are case-insensitive): ``polarity`` (positive/negative/range or
positif/negatif/rentang), ``target`` (text as people write it: "95", "<= 60 menit",
"11,9 - 12,4", "80-90%", "70 hingga 70,3", "<49"), ``realisasi`` (Indonesian or plain number, or
a state word such as "belum tersedia"), optional ``formula`` (``2T-R`` or ``T/R``; empty: the
rules file's default), optional ``scale`` (an ordinal scale of the rules file such as
``opini_bpk``: target and realisasi are then grades, "WTP", "WDP", and capaian is computed on
their scores). Every other column passes through unchanged and in order. The output adds
``capaian_pct`` (rounded half up to two decimals, as the bulletins print it), ``capaian_pct_full``
(full precision: what the predikat was judged on), ``predikat`` (band code) and ``catatan``
(which bound or policy was used, or why there is no value); both capaian columns are empty when
not computable. A bad row never stops the run: its reason goes into ``catatan``. Comma or
semicolon separated, UTF-8 with or without BOM (Windows-1252 is accepted too); the output uses
the input's separator and that separator's number convention: a semicolon file (what Excel
writes in id-ID) gets comma decimals (``97,37``), a comma file dot decimals (``97.37``); no
thousands separator, never an exponent.
"""

from __future__ import annotations

import csv
import decimal
import io
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Final

import numpy as np

from iku import capaian as cp
from iku.i18n import _
from iku.numbers import STATE_NOT_AVAILABLE, STATE_NOT_REPORTED, choose_by_magnitude, read_number
from iku.rules import Rules
from iku.targets.text import TargetParseError, parse_target

OUTPUT_COLUMNS: Final = ("capaian_pct", "capaian_pct_full", "predikat", "catatan")
#: Decimals of ``capaian_pct`` (the bulletins' two decimals).
DIGITS: Final = 2
POLARITY_WORDS: Final = {
    "positive": "positive",
    "positif": "positive",
    "negative": "negative",
    "negatif": "negative",
    "range": "range",
    "rentang": "range",
}
FORMULA_WORDS: Final = {"2T-R": "2T-R", "T/R": "T/R"}
COLUMN_ALIASES: Final = {
    "polarity": ("polarity", "polaritas"),
    "target": ("target",),
    "realisasi": ("realisasi",),
    "formula": ("formula", "rumus"),
    "scale": ("scale", "skala"),
}


class CalculatorInputError(ValueError):
    """The input file as a whole cannot be used (the message says what to fix)."""


@dataclass
class CsvTable:
    """A CSV file read as text cells, with the separator and BOM it used."""

    header: list[str]
    rows: list[list[str]]
    delimiter: str
    had_bom: bool
    encoding: str


def read_table(path: Path) -> CsvTable:
    """Read a comma or semicolon CSV (UTF-8 with or without BOM; Windows-1252 accepted)."""
    if not path.is_file():
        raise CalculatorInputError(
            _("The input file %(path)s does not exist; check its path.", path=path)
        )
    data = path.read_bytes()
    had_bom = data.startswith(b"\xef\xbb\xbf")
    try:
        text, encoding = data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, encoding = data.decode("cp1252"), "cp1252"
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise CalculatorInputError(
            _(
                "The input file %(path)s is empty; the file needs a header row with polarity, "
                "target and realisasi.",
                path=path,
            )
        )
    delimiter = max(
        (",", ";"), key=lambda d: (len(next(csv.reader([lines[0]], delimiter=d))), d == ",")
    )
    records = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = records[0]
    rows = [r for r in records[1:] if any(cell.strip() for cell in r)]
    return CsvTable(header, rows, delimiter, had_bom, encoding)


def _column(header: list[str], name: str) -> int | None:
    wanted = COLUMN_ALIASES[name]
    for index, cell in enumerate(header):
        if cell.strip().lower() in wanted:
            return index
    return None


def _reference(lower: float, upper: float) -> float | None:
    """The target's magnitude, to settle an ambiguous realisasi."""
    values = [v for v in (lower, upper) if not np.isnan(v)]
    return sum(values) / len(values) if values else None


def calculate(table: CsvTable, rules: Rules) -> list[list[str]]:
    """The output rows (header first): the input cells plus capaian_pct, predikat, catatan."""
    header = [cell.strip() for cell in table.header]
    clashes = [c for c in OUTPUT_COLUMNS if c in (h.lower() for h in header)]
    if clashes:
        raise CalculatorInputError(
            _(
                "The input already has the columns %(columns)s; rename or remove them (the "
                "calculator adds them).",
                columns=", ".join(clashes),
            )
        )
    positions = {name: _column(header, name) for name in COLUMN_ALIASES}
    missing = [n for n in ("polarity", "target", "realisasi") if positions[n] is None]
    if missing:
        raise CalculatorInputError(
            _(
                "The input lacks the columns %(columns)s; the header row needs polarity, target "
                "and realisasi (formula is optional).",
                columns=", ".join(missing),
            )
        )
    width = len(table.header)
    count = len(table.rows)
    realisasi = np.full(count, np.nan)
    lower = np.full(count, np.nan)
    upper = np.full(count, np.nan)
    comparator = np.full(count, -1, dtype=np.int8)
    polarity = np.full(count, -1, dtype=np.int8)
    formula = np.full(count, -1, dtype=np.int8)
    state = np.full(count, cp.STATE_NUMBER, dtype=np.int8)
    usable = np.ones(count, dtype=bool)
    notes: list[list[str]] = [[] for _ in range(count)]
    cells: list[list[str]] = []

    def cell(row: list[str], name: str) -> str:
        index = positions[name]
        return row[index].strip() if index is not None and index < len(row) else ""

    # Parsing is per row (text rules); the arithmetic below is vectorised.
    for i, row in enumerate(table.rows):
        if len(row) > width:
            notes[i].append(
                f"baris memiliki {len(row)} kolom, header {width}: kolom berlebih dibuang"
            )
        cells.append((row + [""] * width)[:width])
        word = cell(row, "polarity").lower()
        if word in POLARITY_WORDS:
            polarity[i] = cp.POLARITIES.index(POLARITY_WORDS[word])
        else:
            notes[i].append(
                f"polaritas '{cell(row, 'polarity')}' tidak dikenal "
                "(tulis positive/positif, negative/negatif atau range/rentang)"
            )
            usable[i] = False
        written = cell(row, "formula").replace(" ", "").upper()
        if written:
            if written not in FORMULA_WORDS:
                notes[i].append(
                    f"rumus '{cell(row, 'formula')}' tidak dikenal (tulis 2T-R atau T/R)"
                )
                usable[i] = False
            else:
                formula[i] = cp.NEGATIVE_FORMULAS.index(FORMULA_WORDS[written])
                if polarity[i] == cp.POSITIVE:
                    notes[i].append("rumus diabaikan: hanya berlaku untuk polaritas negatif")
        scale_code = cell(row, "scale")
        scale = None
        if scale_code:
            try:
                scale = rules.scale(scale_code)
            except KeyError:
                known = ", ".join(sc.code for sc in rules.scales) or "tidak ada"
                notes[i].append(f"skala '{scale_code}' tidak dikenal (aturan memuat: {known})")
                usable[i] = False
        try:
            target = parse_target(cell(row, "target"), scale)
        except TargetParseError as exc:
            notes[i].append(str(exc))
            usable[i] = False
        else:
            comparator[i] = cp.COMPARATORS.index(target.comparator)
            lower[i] = np.nan if target.lower is None else target.lower
            upper[i] = np.nan if target.upper is None else target.upper
        text = cell(row, "realisasi")
        reading = read_number(text)
        grade = scale.score(text) if scale is not None and reading.state is None else None
        if scale is not None and reading.state is None:
            if grade is None:
                notes[i].append(f"realisasi '{text}' bukan tingkat {scale.label} ({scale.names})")
                usable[i] = False
            else:
                realisasi[i] = grade
        elif reading.value is not None:
            realisasi[i] = reading.value
        elif reading.state is not None:
            state[i] = (
                cp.STATE_NOT_AVAILABLE
                if reading.state == STATE_NOT_AVAILABLE
                else cp.STATE_NOT_REPORTED
                if reading.state == STATE_NOT_REPORTED
                else cp.STATE_ABSENT
            )
        elif reading.is_ambiguous:
            chosen = choose_by_magnitude(
                reading.candidates, reference=_reference(lower[i], upper[i])
            )
            readings = " atau ".join(cp.format_number(c) for c in reading.candidates)
            if chosen is None:
                notes[i].append(
                    f"realisasi '{text}' ambigu (bisa {readings}); tulis dengan koma desimal "
                    "atau tanpa pemisah ribuan"
                )
                usable[i] = False
            else:
                realisasi[i] = chosen
                notes[i].append(
                    f"realisasi '{text}' dibaca {cp.format_number(chosen)} sesuai besaran target"
                )
        else:
            notes[i].append(reading.problem or f"realisasi '{text}' tidak dapat dibaca")
            usable[i] = False

    result = cp.evaluate(realisasi, lower, upper, comparator, polarity, formula, rules, state)
    output = [[*header, *OUTPUT_COLUMNS]]
    for i in range(count):
        raw = result.raw[i]
        ok = usable[i] and not np.isnan(raw)
        text_note = "; ".join([*notes[i], str(result.catatan[i])] if usable[i] else notes[i])
        output.append(
            [
                *cells[i],
                csv_number(float(raw), table.delimiter) if ok else "",
                csv_number(float(raw), table.delimiter, digits=None) if ok else "",
                str(result.predikat[i]) if ok else "",
                text_note,
            ]
        )
    return output


def decimal_mark(delimiter: str) -> str:
    """The decimal mark a CSV with this separator uses: a comma in a semicolon file (Excel in
    id-ID), a dot in a comma file."""
    return "," if delimiter == ";" else "."


def csv_number(value: float, delimiter: str, digits: int | None = DIGITS) -> str:
    """``value`` for a CSV with ``delimiter``: rounded half up to ``digits`` decimals (None:
    every digit of the float), no grouping, no exponent, the file's decimal mark."""
    if digits is None:
        text = np.format_float_positional(value, unique=True, trim="-")
    else:
        with decimal.localcontext() as context:
            context.rounding = ROUND_HALF_UP
            rounded = Decimal(repr(value)).quantize(Decimal(1).scaleb(-digits))
        text = f"{abs(rounded) if rounded == 0 else rounded:f}"  # never "-0.00"
    return text.replace(".", decimal_mark(delimiter))


def render(rows: list[list[str]], delimiter: str) -> str:
    """The rows as CSV text with the given separator."""
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return buffer.getvalue()
