"""The raw-file archive: every submitted file, unchanged, under its sha256 (content addressed).

The archive path is built from the hash and a sanitised extension only; the name the agency
gave the file never becomes a path. Each archive file carries its sha256 in its name and is
checked against it whenever it is used again (an existing copy that no longer matches is
replaced by the bytes just received, and reported); :func:`verify_archive` checks them all.
Files are written read-only for owner and group (0o440) in folders of 0o750: archived
submissions can hold personal data and are nobody else's to read.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

log = logging.getLogger("iku.ingest")

_CHUNK: Final = 1 << 20
_SAFE_SUFFIX = re.compile(r"^\.[a-z0-9]{1,8}$")
_ARCHIVED_NAME = re.compile(r"^([0-9a-f]{64})(\.[a-z0-9]{1,8})$")
FILE_MODE: Final = 0o440
DIR_MODE: Final = 0o750


@dataclass(frozen=True, slots=True)
class Archived:
    sha256: str
    size_bytes: int
    path: Path
    repaired: bool = False


@dataclass(frozen=True, slots=True)
class FileIdentity:
    """What a file was when it was looked at: which file, how big, last changed when."""

    device: int
    inode: int
    size: int
    modified_ns: int
    changed_ns: int

    @classmethod
    def of(cls, status: os.stat_result) -> FileIdentity:
        return cls(
            status.st_dev,
            status.st_ino,
            status.st_size,
            status.st_mtime_ns,
            status.st_ctime_ns,
        )

    def same_content(self, other: FileIdentity) -> bool:
        """The same file, not written to since (size and modification time unchanged)."""
        return (self.device, self.inode, self.size, self.modified_ns) == (
            other.device,
            other.inode,
            other.size,
            other.modified_ns,
        )


class SourceChanged(Exception):
    """The file changed, was replaced or disappeared while it was copied."""


def safe_suffix(name: str) -> str:
    """The file name's extension if it is plain (``.xlsx``), else ``.bin``."""
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    return suffix if _SAFE_SUFFIX.match(suffix) else ".bin"


def archive_path(archive_dir: Path, sha256: str, suffix: str) -> Path:
    return archive_dir / sha256[:2] / f"{sha256}{suffix}"


def make_dir(path: Path) -> None:
    """Create a folder (and its parents) as 0o750; existing folders are left as they are."""
    if path.is_dir():
        return
    if not path.parent.is_dir():
        make_dir(path.parent)
    try:
        path.mkdir(mode=DIR_MODE)
    except FileExistsError:
        return
    os.chmod(path, DIR_MODE)  # mkdir's mode is reduced by the umask; this one is exact


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def archive_open_file(
    handle: int, archive_dir: Path, name: str, source: Path | None = None
) -> Archived:
    """Copy an open file (``handle``, a descriptor) into the archive while hashing it.

    The copy is written to a temporary file and renamed into place, so a reader never sees a
    half-written archive file and two concurrent ingestions of the same bytes are harmless.
    When ``source`` is given, the file must still be the one opened, unchanged, after the copy
    (:class:`SourceChanged` otherwise: an upload still being written is read on the next scan).
    """
    suffix = safe_suffix(name)
    make_dir(archive_dir)
    before = FileIdentity.of(os.fstat(handle))
    digest = hashlib.sha256()
    size = 0
    fd, temp_name = tempfile.mkstemp(prefix=".incoming-", dir=archive_dir)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            os.lseek(handle, 0, os.SEEK_SET)
            while chunk := os.read(handle, _CHUNK):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
        after = FileIdentity.of(os.fstat(handle))
        if not before.same_content(after) or size != after.size:
            raise SourceChanged("the file changed while it was copied")
        if source is not None:
            try:
                now = FileIdentity.of(os.lstat(source))
            except FileNotFoundError:
                raise SourceChanged("the file disappeared while it was copied") from None
            if not after.same_content(now):
                raise SourceChanged("the file was replaced while it was copied")
        sha = digest.hexdigest()
        target = archive_path(archive_dir, sha, suffix)
        repaired = False
        if target.exists():
            if file_sha256(target) == sha:
                temp.unlink()
                return Archived(sha256=sha, size_bytes=size, path=target)
            log.error("archive file %s did not match its sha256; replaced by the new copy", target)
            repaired = True
            os.chmod(target, 0o640)
        make_dir(target.parent)
        os.chmod(temp, FILE_MODE)
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return Archived(sha256=sha, size_bytes=size, path=target, repaired=repaired)


def archive_file(source: Path, archive_dir: Path, name: str | None = None) -> Archived:
    """Copy ``source`` (a regular file, never followed through a symlink) into the archive."""
    handle = os.open(source, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise ValueError(f"{source} is not a regular file")
        return archive_open_file(handle, archive_dir, name or source.name)
    finally:
        os.close(handle)


@dataclass(frozen=True, slots=True)
class ArchiveProblem:
    path: Path
    problem: str


def archived_files(archive_dir: Path) -> Iterator[Path]:
    if not archive_dir.is_dir():
        return
    for folder in sorted(archive_dir.iterdir()):
        if folder.is_dir() and not folder.is_symlink():
            yield from sorted(p for p in folder.iterdir() if not p.name.startswith("."))


def verify_archive(archive_dir: Path) -> tuple[int, list[ArchiveProblem]]:
    """Check every archive file against the sha256 in its name: (files checked, problems)."""
    checked = 0
    problems: list[ArchiveProblem] = []
    for path in archived_files(archive_dir):
        match = _ARCHIVED_NAME.match(path.name)
        if match is None or path.parent.name != match.group(1)[:2]:
            problems.append(ArchiveProblem(path, "not an archive file name (sha256 + extension)"))
            continue
        if path.is_symlink() or not path.is_file():
            problems.append(ArchiveProblem(path, "not a regular file"))
            continue
        checked += 1
        actual = file_sha256(path)
        if actual != match.group(1):
            problems.append(ArchiveProblem(path, f"content has sha256 {actual}"))
    return checked, problems
