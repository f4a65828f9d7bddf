"""Shared helpers of the ingestion integration tests."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine, func, select

from iku import models as m
from iku.ingest.context import IngestContext
from iku.ingest.service import ingest_stated
from iku.operations.ingest import ingest_history
from iku.rules import Rules, load_rules
from iku.runtime import Runtime
from iku.settings import TIMEZONE
from iku.simulate import stated_receipts
from tests.conftest import RULES_FILE

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
        rules or load_rules(RULES_FILE),
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


def load_simulation(rt: Runtime, manifest_path: Path, context: IngestContext | None = None) -> int:
    """Ingest a simulation with the receipt times it states (history arrives with its own
    times; the inbox scan would say "now"), into the runtime's database unless a context is
    given. Returns the number of files."""
    files = stated_receipts(manifest_path)
    if context is None:
        summary = ingest_history(rt, files, by="uji")
    else:
        summary = ingest_stated(files, context, by="uji")
    return summary.files_seen
