"""Open data of a period: ``capaian.csv`` and ``perlu_tindakan.csv`` (docs/exports.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from iku.db import now_wib, session_scope
from iku.i18n import _
from iku.reports.attention import ATTENTION_COLUMNS, attention_items
from iku.reports.capaian import CAPAIAN_COLUMNS, capaian_rows, to_csv
from iku.runtime import Runtime

CAPAIAN_FILE = "capaian.csv"
ATTENTION_FILE = "perlu_tindakan.csv"


class ExportError(ValueError):
    """The export cannot be written (the message says why, through the catalogs)."""


@dataclass(frozen=True)
class Exported:
    period: str
    capaian: Path
    attention: Path
    rows: int
    items: int


def _folder(out_dir: Path) -> None:
    """The target folder, created when its parent exists (never a chain of folders nobody
    named)."""
    if out_dir.exists() and not out_dir.is_dir():
        raise ExportError(_("%(path)s is not a folder; choose another target folder", path=out_dir))
    if out_dir.is_dir():
        return
    if not out_dir.parent.is_dir():
        raise ExportError(
            _(
                "the folder %(path)s does not exist; create it first or choose another folder",
                path=out_dir.parent,
            )
        )
    try:
        out_dir.mkdir()
    except OSError as exc:
        raise ExportError(
            _(
                "the folder %(path)s cannot be created (%(reason)s); choose another folder",
                path=out_dir,
                reason=exc.strerror or exc,
            )
        ) from None


def _write_all(files: dict[Path, str]) -> None:
    """Write every file or none: each goes to a temporary file beside it first, and only when
    all are written do they replace the earlier export (a reader never sees half of one)."""
    temporary = {path: path.with_name(path.name + ".tmp") for path in files}
    try:
        for path, text in files.items():
            temporary[path].write_text(text, encoding="utf-8")
        for path in files:
            temporary[path].replace(path)
    except OSError as exc:
        raise ExportError(
            _(
                "cannot write %(path)s (%(reason)s); check the target folder or choose another "
                "folder",
                path=_target(exc, files),
                reason=exc.strerror or exc,
            )
        ) from None
    finally:
        for tmp in temporary.values():
            tmp.unlink(missing_ok=True)


def _target(exc: OSError, files: dict[Path, str]) -> str:
    """The file a write failed on, as the user named it (not its temporary twin)."""
    name = str(exc.filename2 or exc.filename or next(iter(files)))
    return name.removesuffix(".tmp")


def capaian_csv(rows: list[dict[str, Any]]) -> str:
    """The text of ``capaian.csv`` for a period's rows: what ``iku export`` writes and the
    public pages serve (``/publik/<period>/capaian.csv``), byte for byte."""
    return to_csv(rows, CAPAIAN_COLUMNS)


def export(rt: Runtime, period: str, out_dir: Path, *, as_of: datetime | None = None) -> Exported:
    """Write the period's ``capaian.csv`` and ``perlu_tindakan.csv`` into ``out_dir`` (created
    when its parent exists). A period never computed, or a folder that cannot be written, is an
    :class:`ExportError` and leaves nothing behind."""
    with session_scope(rt.engine) as session:
        rows = capaian_rows(session, period, rt.rules)
        if not rows:
            raise ExportError(
                _(
                    "the period %(period)s has not been computed; run `iku run --period "
                    "%(period)s` first",
                    period=period,
                )
            )
        items = attention_items(session, period, rt.rules, as_of=as_of or now_wib())
    _folder(out_dir)
    capaian, attention = out_dir / CAPAIAN_FILE, out_dir / ATTENTION_FILE
    _write_all(
        {
            capaian: capaian_csv(rows),
            attention: to_csv([i.as_row() for i in items], ATTENTION_COLUMNS),
        }
    )
    return Exported(period, capaian, attention, len(rows), len(items))
