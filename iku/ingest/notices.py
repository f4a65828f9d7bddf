"""Notices in Bahasa Indonesia, written to ``<output>/outbox/<AGENCY>/``.

A rejection notice is a short text file: which file, what is wrong, what to do. A receipt note
(``penerimaan_<sha>.txt``) tells the agency of a staged file which of its lines were not read as
data, and which rows are held for the bureau's data stewards, with line numbers: nothing of a
file vanishes unsaid. A notice's name depends only on the file's hash, so ingesting the same
bytes twice rewrites the same notice, never a second one. Notices are written 0o640.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Final

from iku import calendar
from iku.ingest.archive import make_dir
from iku.ingest.rejections import TITLES, Rejected

FILE_MODE: Final = 0o640

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


def _write(path: Path, text: str) -> Path:
    make_dir(path.parent)
    handle, temp = tempfile.mkstemp(prefix=".notice-", dir=path.parent)
    with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as out:
        out.write(text)
    os.chmod(temp, FILE_MODE)
    os.replace(temp, path)
    return path


def write_notice(output_dir: Path, facts: NoticeFacts, rejection: Rejected) -> Path:
    """Write (or rewrite, identically) the notice for a rejected file; return its path."""
    return _write(
        notice_path(output_dir, facts.agency_code, facts.sha256), render_notice(facts, rejection)
    )


def receipt_path(output_dir: Path, agency_code: str, sha256: str) -> Path:
    return output_dir / "outbox" / agency_code / f"penerimaan_{sha256[:16]}.txt"


def line_ranges(numbers: Sequence[int]) -> str:
    """``[3, 4, 5, 9]`` -> ``3-5, 9``."""
    ordered = sorted(set(numbers))
    parts: list[str] = []
    start = previous = None
    for n in ordered:
        if start is None:
            start = previous = n
        elif previous is not None and n == previous + 1:
            previous = n
        else:
            parts.append(f"{start}" if start == previous else f"{start}-{previous}")
            start = previous = n
    if start is not None:
        parts.append(f"{start}" if start == previous else f"{start}-{previous}")
    return ", ".join(parts)


def render_receipt(
    facts: NoticeFacts,
    staged: int,
    held: Sequence[tuple[int, str]],
    skipped: Sequence[tuple[int, str]],
    notes: Sequence[str],
) -> str:
    """The receipt note of a staged file (see the module docstring)."""
    who = f"{facts.agency_name} ({facts.agency_code})" if facts.agency_name else facts.agency_code
    lines = [
        "CATATAN PENERIMAAN KIRIMAN REALISASI IKU",
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
    lines += ["", f"Berkas DITERIMA: {staged} baris data dibaca dan akan divalidasi."]
    if held:
        lines += ["", "Baris yang ditahan untuk diperiksa petugas data (belum dipakai):"]
        lines += [f"  baris {row}: {reason}" for row, reason in held]
    if skipped:
        by_kind: dict[str, list[int]] = {}
        for row, kind in skipped:
            by_kind.setdefault(kind, []).append(row)
        lines += ["", "Baris yang tidak dibaca sebagai data:"]
        lines += [f"  baris {line_ranges(rows)}: {kind}" for kind, rows in by_kind.items()]
    if notes:
        lines += ["", "Bagian lain berkas yang tidak dibaca:"]
        lines += [f"  {note}" for note in notes]
    lines += [
        "",
        "Bila ada data di baris-baris di atas, perbaiki berkas lalu kirim ulang; kiriman ulang",
        "untuk periode yang sama menggantikan kiriman ini.",
        "",
    ]
    return "\n".join(lines)


def write_receipt(
    output_dir: Path,
    facts: NoticeFacts,
    staged: int,
    held: Sequence[tuple[int, str]],
    skipped: Sequence[tuple[int, str]],
    notes: Sequence[str],
) -> Path:
    """Write (or rewrite, identically) the receipt note of a staged file; return its path."""
    assert facts.agency_code is not None
    return _write(
        receipt_path(output_dir, facts.agency_code, facts.sha256),
        render_receipt(facts, staged, held, skipped, notes),
    )
