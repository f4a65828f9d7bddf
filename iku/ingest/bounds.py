"""How long each field of a staged row may be: the database's column lengths, read from the model.

A staged field flows into several columns (the IKU code into ``staged_row``, ``indicator`` and
``validation_issue``; the evidence link into ``staged_row`` and ``realisation``), so its limit is
the shortest of them: a row that fits when staged fits wherever validation routes it, on every
backend (SQLite does not enforce lengths, PostgreSQL does). Free text that the database does not
bound (notes, units, the realisasi cell as written) is bounded by policy
(``rules.ingest.max_text_chars``). A value over its limit is never a database error: ingestion
stores it shortened and holds the row for the stewards with a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import String, Table

from iku import models as m
from iku.db import table_of

#: What a staged field is called in messages to agencies and stewards.
FIELD_LABELS: Final[dict[str, str]] = {
    "indicator_code": "kode IKU",
    "evidence_url": "link bukti",
    "note": "keterangan",
    "unit": "satuan",
    "raw_value": "isian realisasi",
    "state": "status",
    "source_file": "nama berkas",
}
ELLIPSIS: Final = "…"


def column_length(model: type[m.Base], column: str) -> int | None:
    """The declared length of a string column (None: unbounded, e.g. ``Text``)."""
    kind = table_of(model).c[column].type
    return kind.length if isinstance(kind, String) and kind.length else None


def _shortest(*columns: tuple[type[m.Base], str]) -> int | None:
    lengths = [n for n in (column_length(model, name) for model, name in columns) if n]
    return min(lengths) if lengths else None


#: Every bounded staged field and the columns it flows into (validation_issue.indicator_code,
#: indicator.code and realisation.evidence_url are shorter than their staged_row columns).
DESTINATIONS: Final[dict[str, tuple[tuple[type[m.Base], str], ...]]] = {
    "indicator_code": (
        (m.StagedRow, "indicator_code"),
        (m.Indicator, "code"),
        (m.ValidationIssue, "indicator_code"),
    ),
    "evidence_url": ((m.StagedRow, "evidence_url"), (m.Realisation, "evidence_url")),
    "source_file": ((m.StagedRow, "source_file"), (m.Submission, "file_name")),
    "note": ((m.StagedRow, "note"), (m.Realisation, "note")),
    "unit": ((m.StagedRow, "unit"),),
    "raw_value": ((m.StagedRow, "raw_value"),),
}


@dataclass(frozen=True)
class FieldLimits:
    """The length limit of each staged field (characters)."""

    limits: Mapping[str, int]

    @classmethod
    def of(cls, max_text_chars: int) -> FieldLimits:
        """Column lengths from the model, and the policy for text the database leaves unbounded."""
        found = {}
        for field, columns in DESTINATIONS.items():
            length = _shortest(*columns)
            found[field] = min(length, max_text_chars) if length else max_text_chars
        return cls(found)

    def __getitem__(self, field: str) -> int:
        return self.limits[field]


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + ELLIPSIS


def shown(value: object, limit: int = 60) -> str:
    """Agency text quoted in a message (a reason, a problem): at most ``limit`` characters."""
    return shorten(" ".join(str(value).split()), limit)


def too_long(field: str, length: int, limit: int) -> str:
    """The Indonesian reason a row is held for a field over its limit."""
    label = FIELD_LABELS.get(field, field)
    return (
        f"{label} terlalu panjang ({length:,} karakter; batas {limit:,}); "
        "disimpan terpotong".replace(",", ".")
    )


def fit_columns(table: Table, data: Mapping[str, list[Any]]) -> dict[str, list[Any]]:
    """Column lists for a bulk insert with every string cut to its column's length.

    The last guard before the database (rows staged by ingestion already fit, see the module
    docstring); it keeps one over-long value from failing a whole validation on PostgreSQL.
    """
    fitted: dict[str, list[Any]] = {}
    for name, values in data.items():
        kind = table.c[name].type
        limit = kind.length if isinstance(kind, String) and kind.length else None
        fitted[name] = values if limit is None else list(_fit(values, limit))
    return fitted


def _fit(values: Iterable[Any], limit: int) -> Iterable[Any]:
    for value in values:
        yield shorten(value, limit) if isinstance(value, str) else value
