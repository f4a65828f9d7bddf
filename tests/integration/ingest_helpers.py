"""Shared helpers of the ingestion integration tests."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from iku import models as m
from iku.ingest.context import IngestContext
from iku.rules import Rules, get_rules
from iku.settings import TIMEZONE

ARRIVAL = datetime(2026, 11, 3, 9, 0, tzinfo=TIMEZONE)
HEADER = "Kode OPD;Periode;Kode IKU;Realisasi;Status;Link Bukti;Keterangan"


def make_context(
    engine: Engine,
    tmp_path: Path,
    rules: Rules | None = None,
    *,
    now: datetime = ARRIVAL,
) -> IngestContext:
    """A context whose inbox is ``tmp_path/inbox`` and whose clock says ``now``: a file the
    inbox scan sees is received at ``now`` (the receipt time of a submission for October)."""
    context = IngestContext.load(
        engine,
        rules or get_rules(),
        tmp_path / "archive",
        tmp_path / "out",
        inbox_dir=tmp_path / "inbox",
    )
    context.clock = lambda: now
    return context


def put(path: Path, content: str | bytes, when: datetime = ARRIVAL) -> Path:
    """Write a file and set its modification time (kept for information: the receipt time is
    when the system first sees the file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def csv_text(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def count(engine: Engine, model: type[m.Base], *where: object) -> int:
    with engine.connect() as connection:
        query = select(func.count()).select_from(model)
        for condition in where:
            query = query.where(condition)  # type: ignore[arg-type]
        return int(connection.scalar(query) or 0)


def load_simulation(manifest_path: Path, context: IngestContext | None = None) -> int:
    """Ingest a simulation with the receipt times it states (history arrives with its own
    times; the inbox scan would say "now"), into the settings' database unless a context is
    given. Returns the number of files."""
    from iku.ingest.service import ingest_stated, load_context
    from iku.simulate import stated_receipts

    owned = context is None
    context = context or load_context()
    try:
        summary = ingest_stated(stated_receipts(manifest_path), context, by="uji")
    finally:
        if owned:
            context.close()
    return summary.files_seen
