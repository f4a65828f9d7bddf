"""The raw-file archive: every submitted file, unchanged, under its sha256 (content addressed).

The archive path is built from the hash and a sanitised extension only; the name the agency
gave the file never becomes a path.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Final

_CHUNK: Final = 1 << 20
_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")


@dataclass(frozen=True, slots=True)
class Archived:
    sha256: str
    size_bytes: int
    path: Path


def safe_suffix(name: str) -> str:
    """The file name's extension if it is plain (``.xlsx``), else ``.bin``."""
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    return suffix if _SAFE_SUFFIX.match(suffix) else ".bin"


def archive_path(archive_dir: Path, sha256: str, suffix: str) -> Path:
    return archive_dir / sha256[:2] / f"{sha256}{suffix}"


def archive_file(source: Path, archive_dir: Path, name: str | None = None) -> Archived:
    """Copy ``source`` into the archive while hashing it; an existing copy is kept as is.

    The copy is written to a temporary file and renamed into place, so a reader never sees a
    half-written archive file and two concurrent ingestions of the same bytes are harmless.
    """
    suffix = safe_suffix(name or source.name)
    archive_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    size = 0
    handle, temp_name = tempfile.mkstemp(prefix=".incoming-", dir=archive_dir)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as src:
            while chunk := src.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        sha = digest.hexdigest()
        target = archive_path(archive_dir, sha, suffix)
        if target.exists():
            temp.unlink()
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(temp, 0o444)
            os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return Archived(sha256=sha, size_bytes=size, path=target)
