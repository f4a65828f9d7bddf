"""The cycle's Prefect artifacts as people read them: Bahasa Indonesia, id_ID numbers, and links
that open from the Prefect UI.

A browser showing the Prefect UI cannot open ``file://`` paths of the server's disk. When the
output folder is published over HTTP (``IKU_PUBLIC_BASE_URL``, e.g. a reverse proxy serving
``out/``), every file is a link under that address; without it an artifact names the file by its
path relative to the output folder, as text, and says how to make it a link. Cells are plain
strings: never a Python repr of a dict or a list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final
from urllib.parse import quote

from iku.formatting import angka, persen
from iku.settings import Settings

MSG_NO_BASE_URL: Final = (
    "_Berkas di bawah ini berada di folder keluaran server; atur IKU_PUBLIC_BASE_URL (alamat "
    "tempat folder itu diterbitkan) agar menjadi tautan._"
)
AUDIENCE_WORDS: Final = {
    "province": "provinsi",
    "agency": "perangkat daerah",
    "steward": "pengelola data",
    "index": "indeks",
}
STATUS_WORDS: Final = {
    "completed": "selesai",
    "partial": "sebagian",
    "failed": "gagal",
    "rendered": "dibuat",
    "sent": "terkirim",
    "skipped": "sudah terkirim",
    "staged": "ditampung",
    "superseded": "menggantikan",
    "rejected": "ditolak",
    "duplicate": "ganda",
    "ignored": "diabaikan",
}
CHANNEL_WORDS: Final = {"smtp": "e-mail (SMTP)", "eml": "berkas .eml"}


def relative(path: Path, output_dir: Path) -> str:
    """``path`` relative to the output folder (POSIX separators), or its name if outside."""
    try:
        return path.resolve().relative_to(output_dir.resolve()).as_posix()
    except ValueError:
        return path.name


def href(path: Path, settings: Settings) -> str | None:
    """The public address of a file of the output folder, or None without a base URL."""
    base = settings.public_base_url.strip()
    if not base:
        return None
    return base.rstrip("/") + "/" + quote(relative(path, settings.output_dir))


def file_link(label: str, path: Path, settings: Settings) -> str:
    """A markdown link to a file of the output folder, or its relative path as code."""
    address = href(path, settings)
    if address is None:
        return f"{label}: `{relative(path, settings.output_dir)}`"
    return f"[{label}]({address})"


def cell(path: Path | None, settings: Settings) -> str:
    """A table cell naming a file: its public address, or its path in the output folder."""
    if path is None:
        return "–"
    return href(path, settings) or relative(path, settings.output_dir)


def count(value: int | float | None) -> str:
    return "–" if value is None else angka(value, 0)


def seconds(value: float) -> str:
    return f"{angka(value, 2)} detik"


def percent(value: float | None) -> str:
    return "–" if value is None else persen(value)


def word(table: dict[str, str], key: str | None) -> str:
    return "–" if key is None else table.get(key, key)
