"""Turn a raw row into a staged row: read the realisasi, its state, and settle ambiguity.

The outcome of each row is recorded, never decided: ``parse_status`` is ``ok``, ``ambiguous``
(two readings and the indicator's magnitude does not settle them) or ``invalid`` (not a
number, a formula-looking text, a state that contradicts the value). Validation (issue 5)
quarantines the last two as ``ambiguous_number`` / ``not_a_number``.

``hold_reason`` holds a row for the stewards when ingestion could not keep or read it with
confidence: a field longer than the database or the policy allows (stored shortened, see
:mod:`iku.ingest.bounds`), a formula cell without a saved value, a cell merged over several
rows, a line of a CSV with a broken quote. Validation quarantines it as ``read_problem``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Final

from iku.ingest.bounds import FieldLimits, shorten, shown, too_long
from iku.ingest.table import FormulaCell, PercentCell, RawRow
from iku.numbers import (
    STATE_NOT_AVAILABLE,
    STATE_NOT_REPORTED,
    STATE_NUMBER,
    STATE_WORDS,
    choose_by_magnitude,
    read_number,
)
from iku.rules import Scale

OK: Final = "ok"
AMBIGUOUS: Final = "ambiguous"
INVALID: Final = "invalid"

#: "=SUM(..)", "+cmd", "-HYPERLINK", "@foo": spreadsheet formula or DDE injection text.
FORMULA_LIKE: Final = re.compile(r"^[=+\-@]\s*[^\W\d_]")

_STATE_COLUMN: Final[dict[str, str]] = {
    **STATE_WORDS,
    "angka": STATE_NUMBER,
    "number": STATE_NUMBER,
    "numeric": STATE_NUMBER,
    "not available": STATE_NOT_AVAILABLE,
    "not reported": STATE_NOT_REPORTED,
}
_STATE_LABELS: Final = {
    STATE_NUMBER: "angka",
    STATE_NOT_AVAILABLE: "belum tersedia",
    STATE_NOT_REPORTED: "tidak dilaporkan",
}

#: (reference magnitude, lower bound, upper bound) of an indicator, or None if unknown.
Magnitude = tuple[float | None, float | None, float | None]


def raw_text(value: object) -> str | None:
    """A cell as text, for the record (``raw_value``): what the agency wrote or stored."""
    if value is None:
        return None
    if isinstance(value, PercentCell):
        return f"{value.stored!r} [format %]"
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, int) and abs(value) >= 10**30:
        return f"{value:.6e}"
    return str(value)


def _text_or_none(value: object) -> str | None:
    text = raw_text(value)
    if text is None:
        return None
    text = text.strip()
    return text or None


def read_state_column(raw: object) -> tuple[str | None, str | None]:
    """The state column: (state or None when blank, problem text when unrecognised)."""
    if raw is None:
        return None, None
    text = re.sub(r"[\s_]+", " ", str(raw)).strip().lower()
    if not text:
        return None, None
    state = _STATE_COLUMN.get(text) or _STATE_COLUMN.get(text.replace(" ", "_"))
    if state is None:
        return None, (
            f"status '{shown(raw)}' tidak dikenal (pilih: angka, belum tersedia, tidak dilaporkan)"
        )
    return state, None


def _bounded(field: str, text: str | None, limits: FieldLimits, holds: list[str]) -> str | None:
    """``text`` within its field's limit; a longer one is shortened and the row held."""
    if text is None:
        return None
    limit = limits[field]
    if len(text) > limit:
        holds.append(too_long(field, len(text), limit))
        return shorten(text, limit)
    return text


def stage_row(
    row: RawRow,
    *,
    agency_code: str,
    period: str,
    source_file: str,
    magnitude: Callable[[str], Magnitude | None],
    limits: FieldLimits,
    scale_of: Callable[[str], Scale | None] = lambda _code: None,
) -> dict[str, Any]:
    """The ``staged_row`` values for one raw row. ``magnitude(code)`` is only called when needed;
    ``scale_of(code)`` names the ordinal scale of a qualitative IKU, whose realisasi is a grade
    ("WTP") staged as its score.

    Every text field is bounded by ``limits`` (the database's column lengths, the policy for
    free text): an over-long value is stored shortened and the row is held, never a database
    error and never silently cut.
    """
    value: float | None = None
    state: str | None = None
    status = OK
    problem: str | None = None
    candidates: list[float] | None = None
    holds: list[str] = [row.hold] if row.hold else []

    raw = row.value
    raw_record = _bounded("raw_value", raw_text(raw), limits, holds)
    state_column, state_problem = read_state_column(
        None if isinstance(row.state, FormulaCell) else row.state
    )
    text = raw.strip() if isinstance(raw, str) else None
    if isinstance(raw, FormulaCell):
        status, problem = INVALID, "rumus tanpa nilai tersimpan; nilainya tidak diketahui"
    elif raw_record != raw_text(raw):
        status, problem = INVALID, "isian realisasi terlalu panjang untuk dibaca sebagai angka"
    elif isinstance(raw, str) and FORMULA_LIKE.match(raw.strip()):
        status, problem = (
            INVALID,
            f"'{shown(raw)}' tampak seperti rumus; disimpan sebagai teks",
        )
    elif state_problem is not None:
        status, problem = INVALID, state_problem
    elif isinstance(raw, datetime | date):
        status, problem = INVALID, f"realisasi berisi tanggal ({raw_text(raw)}), bukan angka"
    elif isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) >= 10**30:
        status, problem = INVALID, f"angka {raw_text(raw)} terlalu besar untuk sebuah realisasi"
    elif (
        text
        and (scale := scale_of(row.indicator_code)) is not None
        and read_number(raw).state is None
    ):
        score = scale.score(text)
        if state_column not in (None, STATE_NUMBER):
            status = INVALID
            problem = (
                f"status '{_STATE_LABELS[state_column]}' tetapi realisasi berisi '{shown(text)}'"
            )
        elif score is None:
            status = INVALID
            problem = (
                f"'{shown(text)}' bukan tingkat {scale.label}; tulis salah satu: {scale.names}"
            )
        else:
            value, state = score, STATE_NUMBER
    else:
        reading = read_number(raw)
        blank = raw is None or text == ""
        if reading.problem is not None:
            status, problem = INVALID, reading.problem
        elif reading.state is not None:
            if state_column == STATE_NUMBER:
                status = INVALID
                problem = (
                    "status 'angka' tetapi realisasi kosong"
                    if blank
                    else f"status 'angka' tetapi realisasi '{shown(text)}' bukan angka"
                )
            else:
                # The state column wins over a dash or an empty cell ("-" + "belum tersedia").
                state = state_column or reading.state
        elif state_column not in (None, STATE_NUMBER):
            status = INVALID
            problem = (
                f"status '{_STATE_LABELS[state_column]}' tetapi realisasi berisi angka "
                f"({raw_text(raw)})"
            )
        elif reading.value is not None:
            value, state = reading.value, STATE_NUMBER
        else:
            options = tuple(reading.candidates)
            known = magnitude(row.indicator_code)
            settled = None
            if known is not None:
                reference, lower, upper = known
                settled = choose_by_magnitude(
                    options, reference=reference, lower=lower, upper=upper
                )
            if settled is not None:
                value, state = settled, STATE_NUMBER
            else:
                status = AMBIGUOUS
                candidates = list(options)
                shown_options = " atau ".join(f"{c:g}" for c in options)
                problem = (
                    f"'{shown(text)}' dapat dibaca sebagai {shown_options}; besaran IKU tidak "
                    "memastikannya"
                )
    if value is not None and not math.isfinite(value):
        value, state, status, problem = None, None, INVALID, "nilai tak hingga bukan angka yang sah"

    code = _bounded("indicator_code", row.indicator_code, limits, holds) or ""
    note = _bounded("note", _text_or_none(row.note), limits, holds)
    unit = _bounded("unit", _text_or_none(row.unit), limits, holds)
    evidence = _bounded("evidence_url", _text_or_none(row.evidence), limits, holds)
    return {
        "source_file": shorten(source_file, limits["source_file"]),
        "source_row": row.source_row,
        "agency_code": agency_code,
        "indicator_code": code,
        "period": period,
        "raw_value": raw_record,
        "value": value if status == OK else None,
        "state": state if status == OK else None,
        "parse_status": status,
        "parse_problem": problem,
        "candidates": candidates,
        "unit": unit,
        "evidence_url": evidence,
        "note": note,
        "state_reason": note if status == OK and state not in (None, STATE_NUMBER) else None,
        "hold_reason": "; ".join(holds) if holds else None,
    }
