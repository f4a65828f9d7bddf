"""Rejection notices in Bahasa Indonesia, written to ``<output>/outbox/<AGENCY>/``.

A notice is a short text file: which file, what is wrong, what to do. Its name depends only on
the file's hash, so ingesting the same inbox twice rewrites the same notice, never a second one.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from iku import calendar
from iku.ingest.rejections import TITLES, Rejected

#: Outbox folder for files whose agency is unknown.
NO_AGENCY: Final = "_TANPA_OPD"
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def display_name(name: str) -> str:
    """A file name safe to print: control characters shown as escapes, at most 255 chars."""
    shown = _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", name)
    return shown if len(shown) <= 255 else shown[:252] + "..."


@dataclass(frozen=True, slots=True)
class NoticeFacts:
    file_name: str
    sha256: str
    received_at: datetime
    agency_code: str | None
    agency_name: str | None
    period: str | None
    submission_id: int | None


def notice_path(output_dir: Path, agency_code: str | None, sha256: str) -> Path:
    return output_dir / "outbox" / (agency_code or NO_AGENCY) / f"penolakan_{sha256[:16]}.txt"


def render_notice(facts: NoticeFacts, rejection: Rejected) -> str:
    who = (
        f"{facts.agency_name} ({facts.agency_code})"
        if facts.agency_name
        else (facts.agency_code or "perangkat daerah pengirim (tidak diketahui)")
    )
    lines = [
        "PEMBERITAHUAN PENOLAKAN KIRIMAN REALISASI IKU",
        "Pemerintah Provinsi Lampung - Evaluasi Kinerja Bulanan",
        "",
        f"Kepada        : {who}",
        f"Berkas        : {display_name(facts.file_name)}",
        f"Diterima      : {calendar.format_datetime_id(facts.received_at)}",
        f"Periode       : {calendar.label(facts.period) if facts.period else '-'}",
        f"Sidik SHA-256 : {facts.sha256}",
    ]
    if facts.submission_id is not None:
        lines.append(f"No. kiriman   : {facts.submission_id}")
    lines += [
        "",
        "Kiriman ini DITOLAK seluruhnya; tidak ada data dari berkas ini yang dimuat.",
        "",
        f"Masalah ({TITLES[rejection.rule]}, kode aturan: {rejection.rule}):",
        f"  {rejection.reason}",
        "",
        "Yang perlu dilakukan:",
        f"  {rejection.action}",
        "",
        "Setelah diperbaiki, kirim ulang berkas ke folder inbox perangkat daerah Anda.",
        "Berkas asli tetap tersimpan di arsip dengan sidik SHA-256 di atas.",
        "",
    ]
    return "\n".join(lines)


def write_notice(output_dir: Path, facts: NoticeFacts, rejection: Rejected) -> Path:
    """Write (or rewrite, identically) the notice for a rejected file; return its path."""
    path = notice_path(output_dir, facts.agency_code, facts.sha256)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(prefix=".notice-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
        out.write(render_notice(facts, rejection))
    os.replace(temp, path)
    return path
