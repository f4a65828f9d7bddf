"""Ingest files: archive first, check, read, then stage in one transaction or reject.

Plain functions (no Prefect): the CLI calls them directly, ``tasks/ingest.py`` wraps them.
Every file ends in exactly one outcome: ``staged`` (current version), ``superseded`` (kept as
history because a later file for the same agency and period is already current), ``rejected``
(with a rule, an Indonesian reason and a notice), ``duplicate`` (same bytes as an earlier
submission) or ``ignored`` (system files such as ``~$lock`` or ``.DS_Store``).
"""

from __future__ import annotations

import hashlib
import logging
import re
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
from iku.ingest.archive import Archived, archive_file
from iku.ingest.context import IngestContext
from iku.ingest.notices import NoticeFacts, display_name, write_notice
from iku.ingest.readers import read_csv, read_json, read_xlsx
from iku.ingest.rejections import (
    AGENCY_MISMATCH,
    FILE_EMPTY,
    FILE_TOO_LARGE,
    FILE_UNREADABLE,
    INVALID_PERIOD,
    MISSING_COLUMNS,
    MULTIPLE_PERIODS,
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
_UNSAFE_NAME = re.compile(r"(^|[\\/])\.\.([\\/]|$)|[\\/\x00-\x1f\x7f]")
_CURRENT: Final = ("staged", "validated")
_STORE_ATTEMPTS: Final = 3

STAGED: Final = "staged"
SUPERSEDED: Final = "superseded"
REJECTED: Final = "rejected"
DUPLICATE: Final = "duplicate"
IGNORED: Final = "ignored"


class UnknownAgencyError(ValueError):
    """``--agency`` names an agency that is not in the catalog."""


@dataclass
class FileOutcome:
    """What happened to one file."""

    file: str
    status: str
    agency: str | None = None
    period: str | None = None
    file_format: str | None = None
    reader: str | None = None
    sha256: str | None = None
    submission_id: int | None = None
    rows: int = 0
    rule: str | None = None
    reason: str | None = None
    supersedes_id: int | None = None
    duplicate_of: int | None = None
    notice: str | None = None
    received_at: str | None = None

    @property
    def created(self) -> bool:
        return self.submission_id is not None and self.status in (STAGED, SUPERSEDED, REJECTED)


@dataclass
class IngestSummary:
    """The outcome of one ingestion run (``--json`` prints :meth:`to_dict`)."""

    files: list[FileOutcome] = field(default_factory=list)

    @property
    def files_seen(self) -> int:
        return len(self.files)

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
    def rows_staged(self) -> int:
        return sum(f.rows for f in self.files if f.status in (STAGED, SUPERSEDED))

    def to_dict(self) -> dict[str, Any]:
        return {
            "files_seen": self.files_seen,
            "submissions_created": self.submissions_created,
            "duplicates": self.duplicates,
            "superseded": self.superseded,
            "rejected": [
                {"file": f.file, "reason": f.reason, "rule": f.rule} for f in self.rejected
            ],
            "rows_staged": self.rows_staged,
            "ignored": sum(1 for f in self.files if f.status == IGNORED),
            "files": [asdict(f) for f in self.files],
        }


def is_ignorable(name: str) -> bool:
    """Hidden files, Office lock files (``~$x.xlsx``) and OS litter are not submissions."""
    return name.startswith((".", "~$")) or name.lower() in _IGNORED_NAMES


def is_unsafe_name(name: str) -> bool:
    """Path separators, ``..`` components, control characters or an over-long name."""
    return bool(_UNSAFE_NAME.search(name)) or len(name.encode("utf-8", "replace")) > 255


def collect_files(paths: Iterable[Path]) -> list[Path]:
    """Files named, and files inside folders named (recursively), oldest arrival first."""
    found: dict[Path, None] = {}
    for path in paths:
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                hidden = any(p.startswith(".") for p in child.relative_to(path).parts[:-1])
                if child.is_file() and not hidden:
                    found[child] = None
        elif path.is_file():
            found[path] = None
        else:
            raise FileNotFoundError(f"{path} does not exist")
    return sorted(found, key=lambda p: (p.stat().st_mtime, str(p)))


def ingest_paths(
    paths: Sequence[Path],
    *,
    context: IngestContext,
    agency: str | None = None,
) -> IngestSummary:
    """Ingest files and folders; each file is handled on its own (one bad file stops nothing)."""
    if agency is not None and agency.strip().upper() not in context.agencies:
        raise UnknownAgencyError(
            f"unknown agency code {agency!r}: use a code from the catalog (iku catalog load)"
        )
    summary = IngestSummary()
    for path in collect_files(paths):
        summary.files.append(ingest_file(path, context, agency_hint=agency))
    return summary


def _find_by_sha(engine: Engine, sha256: str) -> int | None:
    with engine.connect() as connection:
        return connection.scalar(select(m.Submission.id).where(m.Submission.sha256 == sha256))


def _read(path: Path, file_format: str, rules: Rules) -> RawTable:
    if file_format == "xlsx":
        return read_xlsx(path, rules.ingest.max_rows, rules.ingest.max_unpacked_bytes)
    data = path.read_bytes()
    if file_format == "csv":
        return read_csv(data, rules.ingest.max_rows)
    return read_json(data, rules.ingest.max_rows)


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
                f"berkas menyebut kode OPD '{written}'{_where(row)}, padahal dikirim untuk "
                f"{agency}.",
            )


def resolve_period(table: RawTable) -> str:
    """The one period the file reports."""
    found: dict[str, int] = {}
    for row, raw in table.periods:
        try:
            period = calendar.read_period(raw)
        except calendar.PeriodError as exc:
            raise Rejected(INVALID_PERIOD, f"{exc}{_where(row)}.") from None
        if period is not None:
            found.setdefault(period, row)
    if not found:
        raise Rejected(
            MISSING_COLUMNS,
            "periode laporan tidak ditemukan (kolom 'Periode' atau isian 'Periode' di atas tabel).",
        )
    if len(found) > 1:
        shown = ", ".join(f"{calendar.label(p)}{_where(r)}" for p, r in sorted(found.items())[:4])
        raise Rejected(MULTIPLE_PERIODS, f"berkas berisi {len(found)} periode berbeda: {shown}.")
    return next(iter(found))


def check_window(period: str, received_at: datetime, rules: Rules) -> None:
    """The period must have ended and be at most ``open_months`` months old on arrival."""
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


@dataclass
class Prepared:
    outcome: FileOutcome
    archived: Archived
    file_name: str
    received_at: datetime
    agency: str | None
    period: str | None = None
    staged: list[dict[str, Any]] = field(default_factory=list)
    rejection: Rejected | None = None


def ingest_file(
    path: Path,
    context: IngestContext,
    *,
    agency_hint: str | None = None,
    original_name: str | None = None,
) -> FileOutcome:
    """Ingest one file. ``original_name`` is the name the sender gave (uploads); default: the
    file's own name. ``agency_hint`` (``--agency``) names the agency of a file that is not in
    an ``<AGENCY_CODE>/`` folder."""
    name = original_name if original_name is not None else path.name
    if is_ignorable(name) and not is_unsafe_name(name):
        return FileOutcome(file=str(path), status=IGNORED, reason="berkas sistem atau tersembunyi")
    prepared = prepare_file(path, context, agency_hint=agency_hint, original_name=name)
    if prepared.outcome.status == DUPLICATE:
        return prepared.outcome
    return store_prepared(context, prepared)


def _agency_of(
    path: Path, context: IngestContext, agency_hint: str | None
) -> tuple[str | None, Rejected | None]:
    folder = path.parent.name.strip().upper()
    hint = agency_hint.strip().upper() if agency_hint else None
    if folder in context.agencies:
        if hint and hint != folder:
            return folder, Rejected(
                AGENCY_MISMATCH,
                f"berkas berada di folder {folder}, tetapi dinyatakan milik {hint}.",
            )
        return folder, None
    if hint and hint in context.agencies:
        return hint, None
    where = (
        f"folder '{path.parent.name}' bukan kode perangkat daerah yang terdaftar"
        if path.parent.name
        else "berkas tidak berada di folder perangkat daerah"
    )
    return None, Rejected(UNKNOWN_AGENCY, where + "; pengirim tidak dapat ditentukan.")


def prepare_file(
    path: Path,
    context: IngestContext,
    *,
    agency_hint: str | None = None,
    original_name: str | None = None,
) -> Prepared:
    """Archive, then read and check the file without writing to the database."""
    name = original_name if original_name is not None else path.name
    received_at = datetime.fromtimestamp(path.stat().st_mtime, TIMEZONE)
    agency, agency_problem = _agency_of(path, context, agency_hint)
    archived = archive_file(path, context.archive_dir, name)
    suffix = Path(name.replace("\\", "/")).suffix.lower()
    file_format = FORMATS.get(suffix)
    outcome = FileOutcome(
        file=str(path),
        status=STAGED,
        agency=agency,
        file_format=file_format,
        sha256=archived.sha256,
        received_at=received_at.isoformat(),
    )
    prepared = Prepared(outcome, archived, name, received_at, agency)
    existing = _find_by_sha(context.engine, archived.sha256)
    if existing is not None:
        outcome.status, outcome.duplicate_of = DUPLICATE, existing
        return prepared
    rules = context.rules
    try:
        if is_unsafe_name(name):
            raise Rejected(
                UNSAFE_FILE_NAME,
                f"nama berkas '{display_name(name)}' memuat '../', garis miring terbalik atau "
                "karakter kendali.",
            )
        if agency_problem is not None:
            raise agency_problem
        assert agency is not None
        if file_format is None:
            raise Rejected(
                UNSUPPORTED_FORMAT,
                f"format '{suffix or 'tanpa ekstensi'}' tidak didukung.",
            )
        if archived.size_bytes == 0:
            raise Rejected(FILE_EMPTY, "berkas berukuran 0 bita.")
        if archived.size_bytes > rules.ingest.max_file_bytes:
            raise Rejected(
                FILE_TOO_LARGE,
                f"ukuran berkas {archived.size_bytes:,} bita melebihi batas "
                f"{rules.ingest.max_file_bytes:,} bita.".replace(",", "."),
            )
        table = _read(archived.path, file_format, rules)
        outcome.reader = table.reader
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
        check_window(period, received_at, rules)
        prepared.staged = [
            stage_row(
                row,
                agency_code=agency,
                period=period,
                source_file=name,
                magnitude=lambda code: context.magnitude(agency, code, period),
                scale_of=lambda code: context.scale_of(agency, code),
            )
            for row in table.rows
        ]
    except Rejected as rejection:
        prepared.rejection = rejection
    except Exception:
        log.exception("unexpected failure reading %s; rejected as unreadable", path)
        prepared.rejection = Rejected(
            FILE_UNREADABLE,
            "isi berkas tidak dapat dipahami; simpan ulang dari Excel atau gunakan templat resmi.",
        )
    outcome.period = prepared.period
    return prepared


def store_prepared(context: IngestContext, prepared: Prepared) -> FileOutcome:
    """Record a prepared file in one transaction. The database, not a prior check, decides
    duplicates (unique sha256) and which version is current (one current per agency and
    period): a concurrent writer's commit turns into ``duplicate`` or a retry here."""
    outcome = prepared.outcome
    if prepared.rejection is not None:
        return _store_rejection(context, prepared)
    assert prepared.agency is not None and prepared.period is not None
    for attempt in range(1, _STORE_ATTEMPTS + 1):
        try:
            with session_scope(context.engine) as session:
                _stage(session, context, prepared)
            break
        except IntegrityError:
            existing = _find_by_sha(context.engine, prepared.archived.sha256)
            if existing is not None:
                outcome.status, outcome.duplicate_of = DUPLICATE, existing
                outcome.submission_id, outcome.supersedes_id, outcome.rows = None, None, 0
                return outcome
            if attempt == _STORE_ATTEMPTS:
                raise
            log.info("another ingestion changed %s %s; retrying", prepared.agency, prepared.period)
    log.info(
        "%s: %s %s %s, %d rows",
        outcome.file,
        outcome.status,
        outcome.agency,
        outcome.period,
        outcome.rows,
    )
    return outcome


def _submission(context: IngestContext, prepared: Prepared, status: str) -> m.Submission:
    assert prepared.agency is not None
    archived = prepared.archived
    return m.Submission(
        agency_id=context.agencies[prepared.agency],
        period=prepared.period,
        file_name=display_name(prepared.file_name),
        file_format=prepared.outcome.file_format,
        sha256=archived.sha256,
        size_bytes=archived.size_bytes,
        archive_path=str(archived.path),
        received_at=prepared.received_at,
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
    outcome.status = status
    outcome.submission_id = submission.id
    outcome.supersedes_id = supersedes
    outcome.rows = len(prepared.staged)


def _store_rejection(context: IngestContext, prepared: Prepared) -> FileOutcome:
    outcome = prepared.outcome
    rejection = prepared.rejection
    assert rejection is not None
    outcome.status, outcome.rule, outcome.reason = REJECTED, rejection.rule, rejection.reason
    if prepared.agency is not None and outcome.file_format is not None:
        try:
            with session_scope(context.engine) as session:
                submission = _submission(context, prepared, REJECTED)
                submission.rejection_rule = rejection.rule
                submission.rejection_reason = rejection.reason
                session.add(submission)
                session.flush()
                outcome.submission_id = submission.id
        except IntegrityError:
            existing = _find_by_sha(context.engine, prepared.archived.sha256)
            if existing is None:
                raise
            outcome.status, outcome.duplicate_of = DUPLICATE, existing
            outcome.rule = outcome.reason = None
            outcome.submission_id = None
            return outcome
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
