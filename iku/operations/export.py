"""Open data of a period: ``capaian.csv`` and ``perlu_tindakan.csv`` (docs/exports.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from iku.db import now_wib, session_scope
from iku.reports.attention import ATTENTION_COLUMNS, attention_items
from iku.reports.capaian import CAPAIAN_COLUMNS, capaian_rows, write_csv
from iku.runtime import Runtime

CAPAIAN_FILE = "capaian.csv"
ATTENTION_FILE = "perlu_tindakan.csv"


class ExportError(ValueError):
    """The export cannot be written (the message says why, in Indonesian)."""


@dataclass(frozen=True)
class Exported:
    period: str
    capaian: Path
    attention: Path
    rows: int
    items: int


def export(rt: Runtime, period: str, out_dir: Path, *, as_of: datetime | None = None) -> Exported:
    """Write the period's ``capaian.csv`` and ``perlu_tindakan.csv`` into ``out_dir`` (created
    when its parent exists; never a chain of folders nobody named)."""
    if not out_dir.is_dir():
        if not out_dir.parent.is_dir():
            raise ExportError(
                f"folder {out_dir.parent} tidak ada; buat dulu atau pilih folder lain"
            )
        out_dir.mkdir()
    with session_scope(rt.engine) as session:
        rows = capaian_rows(session, period, rt.rules)
        if not rows:
            raise ExportError(
                f"periode {period} belum dihitung; jalankan `iku run --period {period}` dulu"
            )
        items = attention_items(session, period, rt.rules, as_of=as_of or now_wib())
    capaian = write_csv(rows, CAPAIAN_COLUMNS, out_dir / CAPAIAN_FILE)
    attention = write_csv([i.as_row() for i in items], ATTENTION_COLUMNS, out_dir / ATTENTION_FILE)
    return Exported(period, capaian, attention, len(rows), len(items))
