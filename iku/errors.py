"""The error boundary: which failures a person can fix (one sentence) and where the rest go.

Every entry point (the CLI, the web application, a flow's start) ends a failure the same way:
:func:`explain` turns an exception into a :class:`Failure`. An *expected* failure (a bad
argument, a missing setting, an unreachable database, a decision that cannot be taken) is one
sentence in Bahasa Indonesia saying what is wrong and what to do. Anything else is a bug: its
traceback goes to a rotating log file, and the person reads one sentence with that file's path;
a traceback is never shown on the terminal or in a page.

Expected failures are recognised by class. The stage modules that define them are not imported
here (the vocabulary imports no stage, and ``iku --help`` must stay light): an exception of a
class from a module that was never imported cannot have been raised, so :func:`classify` only
looks at modules already in :data:`sys.modules`.

The sentences below are user-facing text, kept in one place so they can move into the message
catalogs.
"""

from __future__ import annotations

import logging
import os
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from logging.handlers import RotatingFileHandler
from pathlib import Path
from typing import Final

# --- user-facing sentences (Bahasa Indonesia) -------------------------------------------------
MSG_UNEXPECTED: Final = (
    "Terjadi kesalahan yang tidak terduga ({kind}); rinciannya dicatat di {log}: kirimkan berkas "
    "itu kepada pengelola sistem."
)
MSG_UNEXPECTED_NO_LOG: Final = (
    "Terjadi kesalahan yang tidak terduga ({kind}) dan catatannya tidak dapat ditulis ke {log} "
    "({reason}); periksa IKU_LOG_FILE lalu jalankan lagi."
)
MSG_INTERRUPTED: Final = "Dihentikan oleh pengguna; jalankan perintah yang sama lagi bila perlu."
MSG_DATABASE: Final = (
    "Basis data {url} tidak dapat dipakai ({detail}); periksa IKU_DATABASE_URL dan pastikan "
    "server basis datanya berjalan."
)
MSG_DATABASE_URL: Final = (
    "IKU_DATABASE_URL {url} tidak dapat dipakai ({detail}); tulis misalnya "
    "postgresql+psycopg2://pengguna:sandi@host:5432/iku."
)
MSG_DATABASE_ERROR: Final = (
    "Basis data menolak perintah ({detail}); periksa apakah skemanya mutakhir (`iku db upgrade`)."
)
MSG_FILE_MISSING: Final = "Berkas atau folder {path} tidak ada; periksa jalurnya."
MSG_NO_PERMISSION: Final = "Tidak ada izin untuk membuka {path}; periksa hak akses berkas itu."
MSG_OS: Final = "{path} tidak dapat dipakai ({detail}); periksa jalurnya dan ruang disk."
MSG_SETTING: Final = "Pengaturan {name} tidak sah ({detail}); perbaiki di lingkungan atau di .env."
MSG_CATALOG: Final = (
    "Katalog berisi {count} masalah dan tidak dimuat (basis data tidak berubah); perbaiki "
    "baris berikut lalu jalankan lagi:\n{problems}"
)
MSG_RULES: Final = (
    "Berkas aturan tidak sah: {detail}; perbaiki lalu periksa dengan `iku rules check`."
)


class UserError(Exception):
    """A problem the user can fix. The message is one sentence in Bahasa Indonesia: what is
    wrong and what to do."""


class ConfigurationError(UserError):
    """A setting is missing or wrong; the process stops at start."""


@dataclass(frozen=True)
class Failure:
    """How an entry point reports a failure: the sentence to show, whether it was expected,
    the log file holding the traceback of an unexpected one, and the exit code."""

    message: str
    expected: bool
    log_file: Path | None = None
    exit_code: int = 1


def _as_is(exc: BaseException) -> str:
    return str(exc)


def _catalog(exc: BaseException) -> str:
    problems: list[str] = list(getattr(exc, "problems", []) or [str(exc)])
    return MSG_CATALOG.format(count=len(problems), problems="\n".join(problems))


def _rules(exc: BaseException) -> str:
    return MSG_RULES.format(detail=str(exc).rstrip("."))


#: Expected failures by (module, class): how to say them. The classes' own messages are already
#: one sentence with what to do; a few get a frame. Checked by tests/unit/test_errors.py.
EXPECTED: Final[tuple[tuple[str, str, Callable[[BaseException], str]], ...]] = (
    ("iku.errors", "UserError", _as_is),
    ("iku.calendar", "PeriodError", _as_is),
    ("iku.locks", "CycleBusyError", _as_is),
    ("iku.rules", "RulesError", _rules),
    ("iku.catalog", "CatalogError", _catalog),
    ("iku.calculator", "CalculatorInputError", _as_is),
    ("iku.numbers", "NumberFormatError", _as_is),
    ("iku.delivery.mail", "DeliveryError", _as_is),
    ("iku.bulletins.readmodel", "RenderError", _as_is),
    ("iku.simulate.model", "SimulationError", _as_is),
    ("iku.ingest.service", "UnknownAgencyError", _as_is),
    ("quality.review", "ReviewError", _as_is),
)


def _expected_message(exc: BaseException) -> str | None:
    for module_name, class_name, say in EXPECTED:
        module = sys.modules.get(module_name)
        cls = getattr(module, class_name, None) if module is not None else None
        if isinstance(cls, type) and isinstance(exc, cls):
            return say(exc)
    return None


def _safe_url(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL: show only its scheme
        return url.split("://", 1)[0] + "://..."


def _first_line(value: object) -> str:
    text = str(value).strip()
    return text.splitlines()[0].rstrip(".") if text else ""


def _database_message(exc: BaseException, database_url: str | None) -> str | None:
    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is None:
        return None
    url = _safe_url(database_url) if database_url else "yang diatur"
    if isinstance(exc, sa_exc.ArgumentError | sa_exc.NoSuchModuleError):
        return MSG_DATABASE_URL.format(url=url, detail=_first_line(exc))
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return MSG_DATABASE.format(url=url, detail=_first_line(getattr(exc, "orig", exc)))
    if isinstance(exc, sa_exc.ProgrammingError):
        return MSG_DATABASE_ERROR.format(detail=_first_line(getattr(exc, "orig", exc)))
    return None


def _settings_message(exc: BaseException) -> str | None:
    pydantic_core = sys.modules.get("pydantic_core")
    if pydantic_core is None or not isinstance(exc, pydantic_core.ValidationError):
        return None
    if exc.title != "Settings":
        return None
    first = exc.errors()[0]
    name = "IKU_" + "_".join(str(part) for part in first.get("loc", ())).upper()
    return MSG_SETTING.format(name=name, detail=first.get("msg", "nilai tidak sah"))


def _os_message(exc: BaseException) -> str | None:
    if not isinstance(exc, OSError) or exc.filename is None:
        return None
    path = exc.filename
    if isinstance(exc, FileNotFoundError):
        return MSG_FILE_MISSING.format(path=path)
    if isinstance(exc, PermissionError):
        return MSG_NO_PERMISSION.format(path=path)
    return MSG_OS.format(path=path, detail=exc.strerror or type(exc).__name__)


def classify(exc: BaseException, *, database_url: str | None = None) -> str | None:
    """The one sentence of an expected failure, or None when ``exc`` is unexpected (a bug).

    ``database_url``: the URL in use, shown (without its password) when the database fails.
    """
    if isinstance(exc, KeyboardInterrupt):
        return MSG_INTERRUPTED
    for probe in (
        _expected_message,
        lambda e: _database_message(e, database_url),
        _settings_message,
        _os_message,
    ):
        message = probe(exc)
        if message is not None:
            return message
    return None


_handlers: dict[Path, logging.Handler] = {}
_handlers_lock = threading.Lock()
LOG_MAX_BYTES: Final = 1_000_000
LOG_BACKUPS: Final = 5


def error_logger(log_file: Path) -> logging.Logger:
    """The ``iku.errors`` logger writing to ``log_file`` (rotating: 1 MB, 5 old files kept);
    the folder is created when missing."""
    logger = logging.getLogger("iku.errors")
    with _handlers_lock:
        if log_file not in _handlers:
            log_file.parent.mkdir(parents=True, exist_ok=True)
            handler = RotatingFileHandler(
                log_file, maxBytes=LOG_MAX_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
            )
            handler.setFormatter(
                logging.Formatter("%(asctime)s %(levelname)s pid=%(process)d %(message)s")
            )
            logger.addHandler(handler)
            _handlers[log_file] = handler
    logger.setLevel(logging.INFO)
    logger.propagate = False  # never onto a terminal handler
    return logger


def log_unexpected(exc: BaseException, log_file: Path, context: str = "") -> Path:
    """Write ``exc`` with its traceback to ``log_file``; return the file actually written (a
    temporary folder's ``iku.log`` when ``log_file`` cannot be written)."""
    text = "".join(traceback.format_exception(exc))
    where = f" in {context}" if context else ""
    try:
        error_logger(log_file).error("unexpected error%s\n%s", where, text.rstrip())
        return log_file
    except OSError:
        fallback = Path(tempfile.gettempdir()) / f"iku-{os.getuid()}.log"
        error_logger(fallback).error("unexpected error%s\n%s", where, text.rstrip())
        return fallback


def explain(
    exc: BaseException,
    *,
    log_file: Path,
    database_url: str | None = None,
    context: str = "",
) -> Failure:
    """How an entry point reports ``exc``: an expected failure as its sentence; an unexpected
    one logged with its traceback to ``log_file`` and a sentence naming that file."""
    message = classify(exc, database_url=database_url)
    if message is not None:
        code = 130 if isinstance(exc, KeyboardInterrupt) else 1
        return Failure(message, expected=True, exit_code=code)
    kind = type(exc).__name__
    try:
        written = log_unexpected(exc, log_file, context)
    except OSError as problem:
        reason = problem.strerror or type(problem).__name__
        return Failure(
            MSG_UNEXPECTED_NO_LOG.format(kind=kind, log=log_file, reason=reason), expected=False
        )
    return Failure(MSG_UNEXPECTED.format(kind=kind, log=written), expected=False, log_file=written)
