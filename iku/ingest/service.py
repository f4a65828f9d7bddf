"""Ingest files: look at them safely, archive, read in isolation, then stage or reject.

Plain functions (no Prefect): the CLI calls them directly, ``tasks/ingest.py`` wraps them.
Every entry a scan meets ends in exactly one outcome:

- ``staged`` (the current version), ``superseded`` (kept as history because a later file for
  the same agency and period is current), ``rejected`` (with a rule, an Indonesian reason and
  a notice) or ``duplicate`` (the same bytes as an earlier submission of the same agency);
- ``ignored``: system files and partial uploads (``~$x.xlsx``, ``.filepart``, dotfiles);
- ``refused``: not a regular file inside the inbox (a symlink, a device, a FIFO, a socket, a
  hard link, a sub-folder of an agency folder): reported, never archived, never read;
- ``skipped``: the file changed or disappeared while it was read; read whole on the next scan.

The receipt time (``received_at``) is when the system first received the bytes: for the inbox,
the scan that read the file; for files that arrived through another channel, the time an
operator states (:class:`Receipt`). The file's own modification time is recorded beside it for
information only (the sender sets it). Files taken from the inbox leave it (the archive keeps
them) and a record of each (:class:`~iku.models.InboxFile`) spares re-reading one that could
not be removed.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import stat
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Final

from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError

from iku import calendar
from iku import models as m
from iku.db import now_wib, session_scope
from iku.i18n import _
from iku.ingest.archive import (
    Archived,
    FileIdentity,
    SourceChanged,
    archive_open_file,
)
from iku.ingest.bounds import FieldLimits, shown
from iku.ingest.context import IngestContext
from iku.ingest.isolation import ArchiveCorrupted, ReaderLimits
from iku.ingest.notices import NoticeFacts, display_name, write_notice, write_receipt
from iku.ingest.outcomes import (
    DUPLICATE,
    IGNORED,
    REFUSED,
    REJECTED,
    SKIPPED,
    STAGED,
    SUPERSEDED,
)
from iku.ingest.rejections import (
    AGENCY_MISMATCH,
    FILE_EMPTY,
    FILE_TOO_LARGE,
    FILE_UNREADABLE,
    INVALID_PERIOD,
    MISSING_COLUMNS,
    MULTIPLE_PERIODS,
    PERIOD_LOCKED,
    PERIOD_OUTSIDE_WINDOW,
    UNKNOWN_AGENCY,
    UNSAFE_FILE_NAME,
    UNSUPPORTED_FORMAT,
    Rejected,
)
from iku.ingest.rows import stage_row
from iku.ingest.table import RawTable
from iku.rules import Rules
from iku.settings import TIMEZONE

log = logging.getLogger("iku.ingest")

#: File extensions and the submission format they are read as.
FORMATS: Final = {".xlsx": "xlsx", ".xlsm": "xlsx", ".csv": "csv", ".json": "json"}
_IGNORED_NAMES: Final = frozenset({"thumbs.db", "desktop.ini", ".ds_store"})
#: Names of uploads still being written (WinSCP, browsers, editors, copy tools).
PARTIAL_SUFFIXES: Final = (
    ".filepart",
    ".part",
    ".partial",
    ".crdownload",
    ".download",
    ".tmp",
    ".temp",
    ".swp",
)
_UNSAFE_NAME = re.compile(r"(^|[\\/])\.\.([\\/]|$)|[\\/\x00-\x1f\x7f]")
_CURRENT: Final = ("staged", "validated")
_STORE_ATTEMPTS: Final = 3
_OPEN_FLAGS: Final = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class UnknownAgencyError(ValueError):
    """``--agency`` names an agency that is not in the catalog."""


@dataclass(frozen=True)
class Receipt:
    """When the system received a file's bytes, and who stated it (None: observed)."""

    at: datetime
    stated_by: str | None = None

    def __post_init__(self) -> None:
        if self.at.tzinfo is None:
            raise ValueError("a receipt time must carry its time zone")


@dataclass
class FileOutcome:
    """What happened to one file (or one refused entry)."""

    file: str
    status: str
    agency: str | None = None
    period: str | None = None
    file_format: str | None = None
    reader: str | None = None
    sha256: str | None = None
    submission_id: int | None = None
    rows: int = 0
    held: int = 0
    rule: str | None = None
    reason: str | None = None
    supersedes_id: int | None = None
    duplicate_of: int | None = None
    identical_to: list[str] = field(default_factory=list)
    notice: str | None = None
    received_at: str | None = None
    receipt_stated_by: str | None = None
    file_modified_at: str | None = None
    left_inbox: bool = False
    not_read: list[str] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.submission_id is not None and self.status in (STAGED, SUPERSEDED, REJECTED)


@dataclass
class IngestSummary:
    """The outcome of one ingestion run (``--json`` prints :meth:`to_dict`)."""

    files: list[FileOutcome] = field(default_factory=list)

    @property
    def files_seen(self) -> int:
        return sum(1 for f in self.files if f.status != REFUSED)

    @property
    def submissions_created(self) -> int:
        return sum(1 for f in self.files if f.created)

    @property
    def duplicates(self) -> int:
        return sum(1 for f in self.files if f.status == DUPLICATE)

    @property
    def superseded(self) -> int:
        """Submissions that became history in this run (replaced, or older on arrival)."""
        replaced = sum(1 for f in self.files if f.supersedes_id is not None)
        return replaced + sum(1 for f in self.files if f.status == SUPERSEDED)

    @property
    def rejected(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == REJECTED]

    @property
    def refused(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == REFUSED]

    @property
    def skipped(self) -> list[FileOutcome]:
        return [f for f in self.files if f.status == SKIPPED]

    @property
    def rows_staged(self) -> int:
        return sum(f.rows for f in self.files if f.status in (STAGED, SUPERSEDED))

    @property
    def rows_held(self) -> int:
        return sum(f.held for f in self.files if f.status in (STAGED, SUPERSEDED))

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_seen": self.files_seen,
            "submissions_created": self.submissions_created,
            "duplicates": self.duplicates,
            "superseded": self.superseded,
            "rejected": [
                {"file": f.file, "reason": f.reason, "rule": f.rule} for f in self.rejected
            ],
            "refused": [{"file": f.file, "reason": f.reason} for f in self.refused],
            "skipped": [{"file": f.file, "reason": f.reason} for f in self.skipped],
            "rows_staged": self.rows_staged,
            "rows_held": self.rows_held,
            "ignored": sum(1 for f in self.files if f.status == IGNORED),
            "files": [asdict(f) for f in self.files],
        }


def is_ignorable(name: str) -> bool:
    """Hidden files, Office lock files (``~$x.xlsx``), OS litter and partial uploads
    (``x.csv.filepart``, ``x.xlsx.crdownload``, ``x.tmp``) are not submissions."""
    lower = name.lower()
    return (
        name.startswith((".", "~$")) or lower in _IGNORED_NAMES or lower.endswith(PARTIAL_SUFFIXES)
    )


def is_unsafe_name(name: str) -> bool:
    """Path separators, ``..`` components, control characters or an over-long name."""
    return bool(_UNSAFE_NAME.search(name)) or len(name.encode("utf-8", "replace")) > 255


# --- looking at the tree -----------------------------------------------------------------------


@dataclass(frozen=True)
class Candidate:
    """A regular file a scan found: where it is, the agency folder it lies in (None: none),
    its path relative to the inbox when it lies in it, and what it was when seen."""

    path: Path
    folder: str | None
    inbox_path: str | None
    identity: FileIdentity


@dataclass
class Scan:
    """What a scan found: the files to ingest, and the entries it ignored or refused."""

    files: list[Candidate] = field(default_factory=list)
    outcomes: list[FileOutcome] = field(default_factory=list)
    seen_at: datetime = field(default_factory=now_wib)


_REFUSE_LINK = "tautan simbolik (symlink) tidak dibaca; kirim berkasnya sendiri"
_REFUSE_SPECIAL = "bukan berkas biasa (perangkat, FIFO atau soket) dan tidak dibaca"
_REFUSE_HARDLINK = "berkas bertautan keras (hard link) tidak dibaca; kirim salinannya sendiri"
_REFUSE_SUBFOLDER = (
    "sub-folder di dalam folder perangkat daerah tidak dibaca; letakkan berkas langsung di "
    "inbox/<KODE_OPD>/"
)
_REFUSE_OUTSIDE = "berkas ini berada di luar folder yang dipindai dan tidak dibaca"


def _refusal(path: Path, status: os.stat_result) -> str | None:
    """Why an entry is not read (None: a regular file that may be read)."""
    if stat.S_ISLNK(status.st_mode):
        return _REFUSE_LINK
    if stat.S_ISDIR(status.st_mode):
        return None
    if not stat.S_ISREG(status.st_mode):
        return _REFUSE_SPECIAL
    if status.st_nlink > 1:
        return _REFUSE_HARDLINK
    return None


def _refused(path: Path, reason: str) -> FileOutcome:
    log.warning("refused %s: %s", path, reason)
    return FileOutcome(file=str(path), status=REFUSED, reason=reason)


def _is_within(path: Path, root: Path) -> bool:
    real, base = os.path.realpath(path), os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _inbox_relative(path: Path, context: IngestContext) -> str | None:
    if context.inbox_dir is None:
        return None
    try:
        relative = Path(os.path.abspath(path)).relative_to(os.path.abspath(context.inbox_dir))
    except ValueError:
        return None
    return relative.as_posix()


class _Walker:
    """Walks one scan root without following any link (``lstat`` on every entry)."""

    def __init__(self, context: IngestContext, scan: Scan) -> None:
        self.context = context
        self.scan = scan

    def _entries(self, folder: Path) -> list[os.DirEntry[str]]:
        try:
            with os.scandir(folder) as entries:
                return sorted(entries, key=lambda e: e.name)
        except OSError as exc:
            self.scan.outcomes.append(
                _refused(folder, f"folder tidak dapat dibaca ({exc.strerror})")
            )
            return []

    def file(self, path: Path, status: os.stat_result, folder: str | None, root: Path) -> None:
        name = path.name
        if is_ignorable(name) and not is_unsafe_name(name):
            self.scan.outcomes.append(
                FileOutcome(
                    file=str(path),
                    status=IGNORED,
                    reason="berkas sistem, tersembunyi atau unggahan yang belum selesai",
                )
            )
            return
        problem = _refusal(path, status)
        if problem is None and not _is_within(path, root):
            problem = _REFUSE_OUTSIDE
        if problem is not None:
            self.scan.outcomes.append(_refused(path, problem))
            return
        self.scan.files.append(
            Candidate(path, folder, _inbox_relative(path, self.context), FileIdentity.of(status))
        )

    def folder(self, folder: Path, root: Path, *, agency_folder: str | None, depth: int) -> None:
        """``depth`` 0: an inbox-like root (its folders are agency folders); 1: an agency folder
        (its files belong to ``agency_folder``; folders inside it are refused)."""
        for entry in self._entries(folder):
            path = Path(entry.path)
            try:
                status = os.lstat(path)
            except FileNotFoundError:
                continue  # gone since the listing: nothing to read
            if stat.S_ISDIR(status.st_mode):
                if entry.name.startswith("."):
                    continue  # hidden folders (.simulation, .Trash) are not part of the inbox
                if depth >= 1:
                    self.scan.outcomes.append(_refused(path, _REFUSE_SUBFOLDER))
                else:
                    self.folder(path, root, agency_folder=entry.name, depth=1)
                continue
            self.file(path, status, agency_folder if depth >= 1 else None, root)


def scan_paths(paths: Iterable[Path], context: IngestContext) -> Scan:
    """The files under the given files or folders, in the order they will be ingested (by
    modification time: within one scan the files share their receipt time, so the sender's
    own order decides which of two versions is current), and every entry ignored or refused.

    A folder is an agency folder when it is named with an agency code and is not the inbox
    itself (its files belong to that agency, folders inside it are refused); any other folder
    is read as an inbox (``<folder>/<AGENCY_CODE>/<file>``; deeper folders are refused).
    """
    scan = Scan(seen_at=context.clock())
    walker = _Walker(context, scan)
    inbox = os.path.abspath(context.inbox_dir) if context.inbox_dir is not None else None
    for given in paths:
        path = Path(given)
        try:
            status = os.lstat(path)
        except FileNotFoundError:
            raise FileNotFoundError(f"{path} does not exist") from None
        if stat.S_ISLNK(status.st_mode):
            scan.outcomes.append(_refused(path, _REFUSE_LINK))
        elif stat.S_ISDIR(status.st_mode):
            code = path.name.strip().upper()
            relative = _inbox_relative(path, context)
            if relative is not None and relative != ".":
                depth = relative.count("/") + 1
                if depth >= 2:
                    scan.outcomes.append(_refused(path, _REFUSE_SUBFOLDER))
                else:
                    walker.folder(path, context.inbox_dir or path, agency_folder=path.name, depth=1)
            elif os.path.abspath(path) != inbox and code in context.agencies:
                walker.folder(path, path, agency_folder=path.name, depth=1)
            else:
                walker.folder(path, path, agency_folder=None, depth=0)
        else:
            candidate = _single(path, status, context)
            if isinstance(candidate, FileOutcome):
                scan.outcomes.append(candidate)
            else:
                scan.files.append(candidate)
    seen: set[Path] = set()
    unique = []
    for candidate in scan.files:
        if candidate.path not in seen:
            seen.add(candidate.path)
            unique.append(candidate)
    scan.files = sorted(unique, key=lambda c: (c.identity.modified_ns, str(c.path)))
    return scan


def _single(path: Path, status: os.stat_result, context: IngestContext) -> Candidate | FileOutcome:
    """A file named on its own: in the inbox, its place in the inbox tree decides (no deeper
    than ``<inbox>/<AGENCY>/<file>``); elsewhere its folder's name, as given."""
    problem = _refusal(path, status)
    if problem is not None:
        return _refused(path, problem)
    relative = _inbox_relative(path, context)
    if relative is not None:
        parts = relative.split("/")
        assert context.inbox_dir is not None
        if len(parts) > 2:
            return _refused(path, _REFUSE_SUBFOLDER)
        if (
            not _is_within(path, context.inbox_dir)
            or Path(context.inbox_dir, *parts[:-1]).is_symlink()
        ):
            return _refused(path, _REFUSE_OUTSIDE)
        folder = parts[0] if len(parts) == 2 else None
    else:
        folder = path.parent.name or None
    return Candidate(path, folder, relative, FileIdentity.of(status))


# --- one file ----------------------------------------------------------------------------------


def ingest_paths(
    paths: Sequence[Path],
    *,
    agency: str | None = None,
    context: IngestContext,
    receipt: Receipt | None = None,
) -> IngestSummary:
    """Ingest files and folders; each file is handled on its own (one bad file stops nothing).

    ``receipt`` states when files that came through another channel were received (and by
    whom); without it, the receipt time is the time of this scan.
    """
    if agency is not None and agency.strip().upper() not in context.agencies:
        raise UnknownAgencyError(
            _(
                "The agency code '%(code)s' is unknown; use a code from the catalog "
                "(data/catalog/agencies.csv, loaded with `iku catalog load`).",
                code=agency,
            )
        )
    scan = scan_paths(paths, context)
    summary = IngestSummary(files=list(scan.outcomes))
    processed = _processed_earlier(context, scan.files)
    when = receipt or Receipt(scan.seen_at)
    for candidate in scan.files:
        key = _record_key(candidate)
        earlier = processed.get(key) if key is not None else None
        if earlier is not None:
            summary.files.append(_already_processed(context, candidate, earlier))
            continue
        summary.files.append(ingest_candidate(candidate, context, agency_hint=agency, receipt=when))
    return summary


def ingest_stated(
    files: Sequence[tuple[Path, datetime]], context: IngestContext, *, by: str
) -> IngestSummary:
    """Ingest files that arrived through another channel, each with its stated receipt time
    (in the order of those times), recorded with who stated them (``by``)."""
    summary = IngestSummary()
    for path, received_at in sorted(files, key=lambda item: (item[1], str(item[0]))):
        part = ingest_paths([path], context=context, receipt=Receipt(received_at, by))
        summary.files.extend(part.files)
    return summary


def ingest_file(
    path: Path,
    context: IngestContext,
    *,
    agency_hint: str | None = None,
    original_name: str | None = None,
    receipt: Receipt | None = None,
    raise_if_locked: bool = False,
) -> FileOutcome:
    """Ingest one file. ``original_name`` is the name the sender gave (uploads); default: the
    file's own name. ``agency_hint`` (``--agency``) names the agency of a file that is not in
    an ``<AGENCY_CODE>/`` folder. ``receipt``: see :func:`ingest_paths` (default: now).

    A file for a locked period is archived and rejected (``period_locked``); with
    ``raise_if_locked`` (the submissions API) :class:`iku.periods.PeriodLockedError` is raised
    instead, before anything is stored in the database (the API answers 409)."""
    name = original_name if original_name is not None else path.name
    if is_ignorable(name) and not is_unsafe_name(name):
        return FileOutcome(file=str(path), status=IGNORED, reason="berkas sistem atau tersembunyi")
    try:
        status = os.lstat(path)
    except FileNotFoundError:
        return _skipped(path, "berkas tidak ada lagi ketika akan dibaca")
    candidate = _single(path, status, context)
    if isinstance(candidate, FileOutcome):
        return candidate
    return ingest_candidate(
        candidate,
        context,
        agency_hint=agency_hint,
        original_name=original_name,
        receipt=receipt or Receipt(context.clock()),
        raise_if_locked=raise_if_locked,
    )


def ingest_candidate(
    candidate: Candidate,
    context: IngestContext,
    *,
    agency_hint: str | None = None,
    original_name: str | None = None,
    receipt: Receipt,
    raise_if_locked: bool = False,
) -> FileOutcome:
    prepared = prepare_candidate(
        candidate, context, agency_hint=agency_hint, original_name=original_name, receipt=receipt
    )
    if isinstance(prepared, FileOutcome):
        return prepared
    if raise_if_locked:
        raise_if_period_locked(context, prepared)
    if prepared.outcome.status == DUPLICATE:
        if candidate.inbox_path is not None:
            with session_scope(context.engine) as session:
                _record_inbox_file(session, prepared, DUPLICATE, prepared.outcome.duplicate_of)
        _leave_inbox(context, prepared)
        return prepared.outcome
    return store_prepared(context, prepared)


def raise_if_period_locked(context: IngestContext, prepared: Prepared) -> None:
    """Raise :class:`iku.periods.PeriodLockedError` when the prepared file reports a locked
    period (nothing is stored yet: the submissions API answers 409)."""
    from iku.periods import PeriodLockedError, is_locked

    if prepared.rejection is not None and prepared.rejection.rule == PERIOD_LOCKED:
        assert prepared.period is not None
        raise PeriodLockedError(prepared.period)
    if prepared.outcome.status == DUPLICATE and prepared.period is not None:
        with session_scope(context.engine) as session:
            if is_locked(session, prepared.period):
                raise PeriodLockedError(prepared.period)


def _skipped(path: Path, why: str) -> FileOutcome:
    log.info("skipped %s for this scan: %s", path, why)
    return FileOutcome(
        file=str(path),
        status=SKIPPED,
        reason=f"{why}; dibaca ulang pada pemindaian berikutnya",
    )


def _find_by_sha(engine: Engine, sha256: str, agency_id: int) -> int | None:
    """The agency's earlier submission of these bytes (rejected copies do not count)."""
    with engine.connect() as connection:
        return connection.scalar(
            select(m.Submission.id).where(
                m.Submission.sha256 == sha256,
                m.Submission.agency_id == agency_id,
                m.Submission.status != REJECTED,
            )
        )


def _same_bytes(engine: Engine, sha256: str, agency_id: int) -> tuple[int | None, list[str]]:
    """The agency's earlier submission of these bytes, and other agencies' submissions of
    them (``AGENCY #id``), in one query; rejected copies do not count."""
    with engine.connect() as connection:
        rows = connection.execute(
            select(m.Submission.agency_id, m.Agency.code, m.Submission.id)
            .join(m.Agency, m.Agency.id == m.Submission.agency_id)
            .where(m.Submission.sha256 == sha256, m.Submission.status != REJECTED)
            .order_by(m.Submission.id)
        ).all()
    own = next((submission_id for owner, _, submission_id in rows if owner == agency_id), None)
    others = [f"{code} #{sid}" for owner, code, sid in rows if owner != agency_id]
    return own, others


def _read(archived: Archived, file_format: str, context: IngestContext) -> RawTable:
    """The file's table, read in a reader process under the rules' limits."""
    limits = ReaderLimits.of(context.rules.ingest)
    return context.readers().read(archived.path, file_format, archived.sha256, limits)


def _where(row: int) -> str:
    return f" (baris {row})" if row else ""


def resolve_agency(table: RawTable, agency: str, agency_name: str | None) -> None:
    """Every agency code written in the file must be the submitting agency's."""
    accepted = {agency.upper()}
    if agency_name:
        accepted.add(agency_name.strip().upper())
    for row, raw in table.agencies:
        written = str(raw).strip()
        if written and written.upper() not in accepted:
            raise Rejected(
                AGENCY_MISMATCH,
                f"berkas menyebut kode OPD '{shown(written)}'{_where(row)}, padahal dikirim "
                f"untuk {agency}.",
            )


def template_agency(table: RawTable, context: IngestContext) -> str | None:
    """The agency code a filled template carries (one known code, written once or more)."""
    if table.reader != "template":
        return None
    codes = {str(raw).strip().upper() for _, raw in table.agencies if str(raw).strip()}
    if len(codes) != 1:
        return None
    code = next(iter(codes))
    return code if code in context.agencies else None


def resolve_period(table: RawTable) -> str:
    """The one period the file reports."""
    found: dict[str, int] = {}
    for row, raw in table.periods:
        try:
            period = calendar.read_period(raw)
        except calendar.PeriodError as exc:
            raise Rejected(INVALID_PERIOD, f"{shown(exc, 200)}{_where(row)}.") from None
        if period is not None:
            found.setdefault(period, row)
    if not found:
        raise Rejected(
            MISSING_COLUMNS,
            "periode laporan tidak ditemukan (kolom 'Periode' atau isian 'Periode' di atas tabel).",
        )
    if len(found) > 1:
        shown_periods = ", ".join(
            f"{calendar.label(p)}{_where(r)}" for p, r in sorted(found.items())[:4]
        )
        raise Rejected(
            MULTIPLE_PERIODS, f"berkas berisi {len(found)} periode berbeda: {shown_periods}."
        )
    return next(iter(found))


def check_window(period: str, received_at: datetime, rules: Rules) -> None:
    """The period must have ended and be at most ``open_months`` months old on receipt."""
    received_at = received_at.astimezone(TIMEZONE)
    received_period = calendar.make_period(received_at.year, received_at.month)
    age = calendar.month_index(received_period) - calendar.month_index(period)
    when = received_at.strftime("%d-%m-%Y")
    if age < 1:
        raise Rejected(
            PERIOD_OUTSIDE_WINDOW,
            f"periode {calendar.label(period)} belum berakhir ketika berkas diterima ({when}); "
            "realisasi dikirim setelah akhir bulan.",
        )
    if age > rules.submission.open_months:
        closed = calendar.last_day(calendar.shift_period(period, rules.submission.open_months))
        raise Rejected(
            PERIOD_OUTSIDE_WINDOW,
            f"masa pengiriman periode {calendar.label(period)} sudah ditutup pada "
            f"{closed:%d-%m-%Y} ({rules.submission.open_months} bulan setelah akhir periode); "
            f"berkas diterima {when}.",
        )


def check_not_locked(period: str, context: IngestContext) -> None:
    """A locked period (:mod:`iku.periods`) takes no more submissions: the file is archived and
    rejected with a notice saying so (``period_locked``)."""
    from iku.periods import is_locked

    with session_scope(context.engine) as session:
        locked = is_locked(session, period)
    if locked:
        raise Rejected(
            PERIOD_LOCKED,
            f"periode {calendar.label(period)} sudah dikunci: buletinnya final dan periode ini "
            "tidak menerima kiriman lagi.",
        )


@dataclass
class Prepared:
    outcome: FileOutcome
    archived: Archived
    file_name: str
    received_at: datetime
    agency: str | None
    candidate: Candidate | None = None
    receipt: Receipt | None = None
    period: str | None = None
    staged: list[dict[str, Any]] = field(default_factory=list)
    rejection: Rejected | None = None
    table: RawTable | None = None


def _agency_of(
    folder: str | None, context: IngestContext, agency_hint: str | None
) -> tuple[str | None, Rejected | None]:
    code = folder.strip().upper() if folder else None
    hint = agency_hint.strip().upper() if agency_hint else None
    if code in context.agencies:
        assert code is not None
        if hint and hint != code:
            return code, Rejected(
                AGENCY_MISMATCH,
                f"berkas berada di folder {code}, tetapi dinyatakan milik {hint}.",
            )
        return code, None
    if hint and hint in context.agencies:
        return hint, None
    where = (
        f"folder '{shown(folder, 60)}' bukan kode perangkat daerah yang terdaftar"
        if folder
        else "berkas tidak berada di folder perangkat daerah"
    )
    return None, Rejected(UNKNOWN_AGENCY, where + "; pengirim tidak dapat ditentukan.")


def prepare_file(
    path: Path,
    context: IngestContext,
    *,
    agency_hint: str | None = None,
    original_name: str | None = None,
    receipt: Receipt | None = None,
) -> Prepared:
    """Archive, then read and check one file without writing to the database (tests of
    concurrent writers store several prepared copies at once)."""
    candidate = _single(path, os.lstat(path), context)
    if isinstance(candidate, FileOutcome):
        raise ValueError(f"{path}: {candidate.reason}")
    prepared = prepare_candidate(
        candidate,
        context,
        agency_hint=agency_hint,
        original_name=original_name,
        receipt=receipt or Receipt(context.clock()),
    )
    if isinstance(prepared, FileOutcome):
        raise ValueError(f"{path}: {prepared.reason}")
    return prepared


def _archive(candidate: Candidate, context: IngestContext, name: str) -> Archived | FileOutcome:
    """Open the file without following links, check it is the file the scan saw, and copy it
    into the archive; an entry that is not that regular file any more is refused or skipped."""
    path = candidate.path
    try:
        handle = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        return _skipped(path, "berkas hilang sebelum dibaca")
    except OSError as exc:
        if exc.errno == 40:  # ELOOP: it became a symlink
            return _refused(path, _REFUSE_LINK)
        return _skipped(path, f"berkas tidak dapat dibuka ({exc.strerror})")
    try:
        status = os.fstat(handle)
        problem = _refusal(path, status)
        if problem is not None:
            return _refused(path, problem)
        if not candidate.identity.same_content(FileIdentity.of(status)):
            return _skipped(path, "berkas berubah sejak pemindaian")
        return archive_open_file(handle, context.archive_dir, name, source=path)
    except SourceChanged:
        return _skipped(path, "berkas berubah atau hilang ketika dibaca (unggahan belum selesai?)")
    finally:
        os.close(handle)


def prepare_candidate(
    candidate: Candidate,
    context: IngestContext,
    *,
    agency_hint: str | None = None,
    original_name: str | None = None,
    receipt: Receipt,
) -> Prepared | FileOutcome:
    """Archive, then read and check the file without writing to the database."""
    path = candidate.path
    name = original_name if original_name is not None else path.name
    archived = _archive(candidate, context, name)
    if isinstance(archived, FileOutcome):
        return archived
    agency, agency_problem = _agency_of(candidate.folder, context, agency_hint)
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    file_format = FORMATS.get(suffix)
    modified = datetime.fromtimestamp(candidate.identity.modified_ns / 1e9, TIMEZONE)
    outcome = FileOutcome(
        file=str(path),
        status=STAGED,
        agency=agency,
        file_format=file_format,
        sha256=archived.sha256,
        received_at=receipt.at.isoformat(),
        receipt_stated_by=receipt.stated_by,
        file_modified_at=modified.isoformat(),
    )
    if archived.repaired:
        outcome.not_read.append("salinan arsip yang rusak diganti dengan berkas ini")
    prepared = Prepared(outcome, archived, name, receipt.at, agency, candidate, receipt)
    if agency is not None and agency_problem is None and _duplicate(context, prepared):
        return prepared
    rules = context.rules
    try:
        if is_unsafe_name(name):
            raise Rejected(
                UNSAFE_FILE_NAME,
                f"nama berkas '{display_name(name)}' memuat '../', garis miring terbalik atau "
                "karakter kendali.",
            )
        if agency_problem is not None and agency_problem.rule != UNKNOWN_AGENCY:
            raise agency_problem
        if file_format is None:
            if agency_problem is not None:
                raise agency_problem
            raise Rejected(
                UNSUPPORTED_FORMAT,
                f"format '{shown(suffix, 20) or 'tanpa ekstensi'}' tidak didukung.",
            )
        if archived.size_bytes == 0:
            raise agency_problem or Rejected(FILE_EMPTY, "berkas berukuran 0 bita.")
        if archived.size_bytes > rules.ingest.max_file_bytes:
            raise agency_problem or Rejected(
                FILE_TOO_LARGE,
                f"ukuran berkas {archived.size_bytes:,} bita melebihi batas "
                f"{rules.ingest.max_file_bytes:,} bita.".replace(",", "."),
            )
        try:
            table = _read(archived, file_format, context)
        except Rejected:
            if agency_problem is not None:
                raise agency_problem from None
            raise
        prepared.table = table
        outcome.reader = table.reader
        if agency_problem is not None:
            # A filled template carries its agency's code: honoured outside an agency folder.
            embedded = template_agency(table, context)
            if embedded is None:
                raise agency_problem
            agency = prepared.agency = outcome.agency = embedded
            if _duplicate(context, prepared):
                return prepared
        assert agency is not None
        period_problem: Rejected | None = None
        try:
            prepared.period = resolve_period(table)
        except Rejected as problem:
            period_problem = problem
        resolve_agency(table, agency, context.agency_names.get(agency))
        if not table.rows:
            raise Rejected(FILE_EMPTY, "tidak ada baris data IKU di dalam berkas.")
        if period_problem is not None:
            raise period_problem
        period = prepared.period
        assert period is not None
        check_window(period, receipt.at, rules)
        check_not_locked(period, context)
        limits = FieldLimits.of(rules.ingest.max_text_chars)
        prepared.staged = [
            stage_row(
                row,
                agency_code=agency,
                period=period,
                source_file=name,
                magnitude=lambda code: context.magnitude(agency, code, period),
                limits=limits,
                scale_of=lambda code: context.scale_of(agency, code),
            )
            for row in table.rows
        ]
    except Rejected as rejection:
        prepared.rejection = rejection
    except ArchiveCorrupted as corrupted:
        log.error(
            "%s: the archive copy %s no longer matches its sha256 (now %s); removed, the file "
            "is read again on the next scan",
            path,
            archived.path,
            corrupted,
        )
        archived.path.unlink(missing_ok=True)
        return _skipped(path, "salinan arsip berkas rusak ketika dibaca")
    except Exception as exc:
        # One line for the operator; the traceback for whoever debugs (a log file's level).
        log.error("unexpected failure reading %s (%s: %s); rejected", path, type(exc).__name__, exc)
        log.debug("traceback of the failure reading %s", path, exc_info=True)
        prepared.rejection = Rejected(
            FILE_UNREADABLE,
            "isi berkas tidak dapat dipahami; simpan ulang dari Excel atau gunakan templat resmi.",
        )
    outcome.period = prepared.period
    return prepared


def _duplicate(context: IngestContext, prepared: Prepared) -> bool:
    """Mark the outcome a duplicate if the agency already sent these bytes; note other
    agencies' identical files for the stewards."""
    assert prepared.agency is not None
    agency_id = context.agencies[prepared.agency]
    existing, elsewhere = _same_bytes(context.engine, prepared.archived.sha256, agency_id)
    if existing is not None:
        prepared.outcome.status, prepared.outcome.duplicate_of = DUPLICATE, existing
        prepared.outcome.reason = f"sama persis dengan kiriman #{existing}"
        return True
    prepared.outcome.identical_to = elsewhere
    return False


def store_prepared(context: IngestContext, prepared: Prepared) -> FileOutcome:
    """Record a prepared file in one transaction. The database, not a prior check, decides
    duplicates (one non-rejected sha256 per agency) and which version is current (one current
    per agency and period): a concurrent writer's commit turns into ``duplicate`` or a retry."""
    outcome = prepared.outcome
    if prepared.rejection is not None:
        outcome = _store_rejection(context, prepared)
        _leave_inbox(context, prepared)
        return outcome
    assert prepared.agency is not None and prepared.period is not None
    for attempt in range(1, _STORE_ATTEMPTS + 1):
        try:
            with session_scope(context.engine) as session:
                _stage(session, context, prepared)
            break
        except IntegrityError:
            agency_id = context.agencies[prepared.agency]
            existing = _find_by_sha(context.engine, prepared.archived.sha256, agency_id)
            if existing is not None:
                outcome.status, outcome.duplicate_of = DUPLICATE, existing
                outcome.submission_id, outcome.supersedes_id, outcome.rows = None, None, 0
                outcome.held = 0
                _leave_inbox(context, prepared)
                return outcome
            if attempt == _STORE_ATTEMPTS:
                raise
            log.info("another ingestion changed %s %s; retrying", prepared.agency, prepared.period)
    _write_receipt(context, prepared)
    _leave_inbox(context, prepared)
    log.info(
        "%s: %s %s %s, %d rows (%d held)",
        outcome.file,
        outcome.status,
        outcome.agency,
        outcome.period,
        outcome.rows,
        outcome.held,
    )
    return outcome


def _submission(context: IngestContext, prepared: Prepared, status: str) -> m.Submission:
    assert prepared.agency is not None
    archived = prepared.archived
    modified = None
    if prepared.candidate is not None:
        modified = datetime.fromtimestamp(prepared.candidate.identity.modified_ns / 1e9, TIMEZONE)
    return m.Submission(
        agency_id=context.agencies[prepared.agency],
        period=prepared.period,
        file_name=display_name(prepared.file_name),
        file_format=prepared.outcome.file_format,
        sha256=archived.sha256,
        size_bytes=archived.size_bytes,
        archive_path=str(archived.path),
        received_at=prepared.received_at,
        file_modified_at=modified,
        receipt_stated_by=prepared.receipt.stated_by if prepared.receipt else None,
        ingested_at=now_wib(),
        status=status,
        reader=prepared.outcome.reader,
        row_count=len(prepared.staged) if status != REJECTED else 0,
    )


def _serialise_versions(session: Any, agency: str, period: str) -> None:
    """On PostgreSQL, take a transaction lock on (agency, period) so concurrent versions of
    the same report queue instead of racing for "current" (SELECT ... FOR UPDATE cannot lock a
    row that does not exist yet). SQLite already serialises writers."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"iku-submission:{agency}:{period}".encode()).digest()
    key = int.from_bytes(digest[:8], "big", signed=True)
    session.execute(select(func.pg_advisory_xact_lock(key)))


def _stage(session: Any, context: IngestContext, prepared: Prepared) -> None:
    outcome = prepared.outcome
    assert prepared.agency is not None and prepared.period is not None
    _serialise_versions(session, prepared.agency, prepared.period)
    current = session.scalars(
        select(m.Submission)
        .where(
            m.Submission.agency_id == context.agencies[prepared.agency],
            m.Submission.period == prepared.period,
            m.Submission.status.in_(_CURRENT),
        )
        .with_for_update()
    ).first()
    supersedes: int | None = None
    status = STAGED
    if current is not None:
        if current.received_at <= prepared.received_at:
            current.status = SUPERSEDED
            session.flush()
            supersedes = current.id
        else:
            status = SUPERSEDED  # an older file arriving late: history, not the current version
    submission = _submission(context, prepared, status)
    submission.supersedes_id = supersedes
    session.add(submission)
    session.flush()
    if prepared.staged:
        session.execute(
            insert(m.StagedRow),
            [{**row, "submission_id": submission.id} for row in prepared.staged],
        )
    _record_inbox_file(session, prepared, status, submission.id)
    outcome.status = status
    outcome.submission_id = submission.id
    outcome.supersedes_id = supersedes
    outcome.rows = len(prepared.staged)
    outcome.held = sum(1 for row in prepared.staged if row["hold_reason"])


def _store_rejection(context: IngestContext, prepared: Prepared) -> FileOutcome:
    outcome = prepared.outcome
    rejection = prepared.rejection
    assert rejection is not None
    outcome.status, outcome.rule, outcome.reason = REJECTED, rejection.rule, rejection.reason
    with session_scope(context.engine) as session:
        if prepared.agency is not None and outcome.file_format is not None:
            submission = _submission(context, prepared, REJECTED)
            submission.rejection_rule = rejection.rule
            submission.rejection_reason = rejection.reason
            session.add(submission)
            session.flush()
            outcome.submission_id = submission.id
        _record_inbox_file(session, prepared, REJECTED, outcome.submission_id)
    facts = NoticeFacts(
        file_name=prepared.file_name,
        sha256=prepared.archived.sha256,
        received_at=prepared.received_at,
        agency_code=prepared.agency,
        agency_name=context.agency_names.get(prepared.agency or ""),
        period=prepared.period,
        submission_id=outcome.submission_id,
    )
    outcome.notice = str(write_notice(context.output_dir, facts, rejection))
    log.info("%s: rejected (%s) %s", outcome.file, rejection.rule, rejection.reason)
    return outcome


def _write_receipt(context: IngestContext, prepared: Prepared) -> None:
    """The receipt note of a staged file when some of it was not read as data or is held."""
    table = prepared.table
    if table is None or prepared.agency is None:
        return
    header_end = table.header_row or 0
    body_skips = [(n, why) for n, why in table.skipped if n > header_end]
    held = [
        (row["source_row"], str(row["hold_reason"]))
        for row in prepared.staged
        if row["hold_reason"]
    ]
    notes = list(table.notes) + list(prepared.outcome.not_read)
    if prepared.outcome.identical_to:
        notes.append(
            "isi berkas sama persis dengan kiriman perangkat daerah lain: "
            + ", ".join(prepared.outcome.identical_to)
            + " (diteruskan ke petugas data untuk diperiksa)"
        )
    outcome = prepared.outcome
    outcome.not_read = [f"baris {n}: {why}" for n, why in body_skips] + notes
    if not (body_skips or held or notes):
        return
    facts = NoticeFacts(
        file_name=prepared.file_name,
        sha256=prepared.archived.sha256,
        received_at=prepared.received_at,
        agency_code=prepared.agency,
        agency_name=context.agency_names.get(prepared.agency),
        period=prepared.period,
        submission_id=outcome.submission_id,
    )
    outcome.notice = str(
        write_receipt(context.output_dir, facts, len(prepared.staged), held, table.skipped, notes)
    )


# --- leaving the inbox -------------------------------------------------------------------------


def _record_key(candidate: Candidate) -> tuple[str, int, int, int] | None:
    if candidate.inbox_path is None:
        return None
    identity = candidate.identity
    return candidate.inbox_path, identity.size, identity.modified_ns, identity.changed_ns


def _record_inbox_file(
    session: Any, prepared: Prepared, outcome: str, submission_id: int | None
) -> None:
    candidate = prepared.candidate
    if candidate is None or candidate.inbox_path is None:
        return
    session.add(
        m.InboxFile(
            path=candidate.inbox_path,
            size_bytes=candidate.identity.size,
            modified_ns=candidate.identity.modified_ns,
            changed_ns=candidate.identity.changed_ns,
            sha256=prepared.archived.sha256,
            outcome=outcome,
            submission_id=submission_id,
            received_at=prepared.received_at,
        )
    )


def _processed_earlier(
    context: IngestContext, candidates: Sequence[Candidate]
) -> dict[tuple[str, int, int, int], tuple[str, int | None]]:
    """Inbox files this system already took (and could not remove): key -> (sha, submission)."""
    paths = sorted({c.inbox_path for c in candidates if c.inbox_path is not None})
    found: dict[tuple[str, int, int, int], tuple[str, int | None]] = {}
    with context.engine.connect() as connection:
        for start in range(0, len(paths), 500):
            rows = connection.execute(
                select(
                    m.InboxFile.path,
                    m.InboxFile.size_bytes,
                    m.InboxFile.modified_ns,
                    m.InboxFile.changed_ns,
                    m.InboxFile.sha256,
                    m.InboxFile.submission_id,
                ).where(m.InboxFile.path.in_(paths[start : start + 500]))
            )
            for path, size, modified, changed, sha, submission_id in rows:
                found[(path, size, modified, changed)] = (sha, submission_id)
    return found


def _already_processed(
    context: IngestContext, candidate: Candidate, earlier: tuple[str, int | None]
) -> FileOutcome:
    sha, submission_id = earlier
    _remove_from_inbox(context, candidate)
    return FileOutcome(
        file=str(candidate.path),
        status=DUPLICATE,
        sha256=sha,
        duplicate_of=submission_id,
        reason="sudah diproses pada pemindaian sebelumnya",
    )


def _leave_inbox(context: IngestContext, prepared: Prepared) -> None:
    """A processed inbox file leaves the inbox (its bytes are in the archive)."""
    if prepared.candidate is not None and _remove_from_inbox(context, prepared.candidate):
        prepared.outcome.left_inbox = True


def _remove_from_inbox(context: IngestContext, candidate: Candidate) -> bool:
    if candidate.inbox_path is None:
        return False
    try:
        now = FileIdentity.of(os.lstat(candidate.path))
        if not candidate.identity.same_content(now):
            return False  # a new upload under the same name: the next scan reads it
        os.unlink(candidate.path)
    except FileNotFoundError:
        return True
    except OSError as exc:
        log.warning(
            "%s stays in the inbox (%s); its record spares reading it again", candidate.path, exc
        )
        return False
    return True
