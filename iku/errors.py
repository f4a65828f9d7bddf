"""The error boundary: which failures a person can fix (one sentence) and where the rest go.

Every entry point (the CLI, the web application, a flow's start) ends a failure the same way:
:func:`explain` turns an exception into a :class:`Failure`. An *expected* failure (a bad
argument, a missing setting, an unreachable database, a decision that cannot be taken) is one
sentence (Bahasa Indonesia by default) saying what is wrong and what to do. Anything else is a
bug: its traceback goes to a rotating log file, and the person reads one sentence with that
file's path; a traceback is never shown on the terminal or in a page.

Expected failures are recognised by class. The stage modules that define them are not imported
here (the vocabulary imports no stage, and ``iku --help`` must stay light): an exception of a
class from a module that was never imported cannot have been raised, so :func:`classify` only
looks at modules already in :data:`sys.modules`.

The sentences below are user-facing text: English msgids translated through the gettext
catalogs (:mod:`iku.i18n`) when a failure is explained, in the language of the moment (the
CLI's ``IKU_LANGUAGE``, a web request's language). The classes' own messages are translated
where they are raised, the same way.
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

from iku.i18n import N_, _

# --- user-facing sentences: English msgids (N_), translated through iku/locale when shown -----
MSG_UNEXPECTED: Final = N_(
    "An unexpected error occurred (%(kind)s); the details are logged in %(log)s: send that "
    "file to the system administrator."
)
MSG_UNEXPECTED_NO_LOG: Final = N_(
    "An unexpected error occurred (%(kind)s) and its record could not be written to %(log)s "
    "(%(reason)s); check IKU_LOG_FILE, then run again."
)
MSG_INTERRUPTED: Final = N_("Stopped by the user; run the same command again if needed.")
MSG_DATABASE: Final = N_(
    "The database %(url)s cannot be used (%(detail)s); check IKU_DATABASE_URL and make sure "
    "its database server is running."
)
MSG_DATABASE_URL: Final = N_(
    "IKU_DATABASE_URL %(url)s cannot be used (%(detail)s); write for example "
    "postgresql+psycopg2://user:password@host:5432/iku."
)
MSG_DATABASE_ERROR: Final = N_(
    "The database refused the command (%(detail)s); check whether its schema is up to date "
    "(`iku db upgrade`)."
)
MSG_FILE_MISSING: Final = N_("The file or folder %(path)s does not exist; check the path.")
MSG_NO_PERMISSION: Final = N_(
    "There is no permission to open %(path)s; check that file's access rights."
)
MSG_OS: Final = N_("%(path)s cannot be used (%(detail)s); check the path and the disk space.")
MSG_SETTING: Final = N_(
    "The setting %(name)s is not valid (%(detail)s); fix it in the environment or in .env."
)
MSG_CATALOG: Final = N_(
    "The catalog has %(count)s problems and was not loaded (the database is unchanged); fix "
    "the following rows, then run again:\n%(problems)s"
)
MSG_CONFIGURED: Final = N_("that is configured")
MSG_INVALID_VALUE: Final = N_("invalid value")
MSG_RULES: Final = N_(
    "The rules file is not valid: %(detail)s; fix it, then check it with `iku rules check`."
)


class UserError(Exception):
    """A problem the user can fix. The message is one sentence, translated through the catalogs
    (Bahasa Indonesia by default): what is wrong and what to do."""


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
    return _(MSG_CATALOG, count=len(problems), problems="\n".join(problems))


def _rules(exc: BaseException) -> str:
    return _(MSG_RULES, detail=str(exc).rstrip("."))


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
    url = _safe_url(database_url) if database_url else _(MSG_CONFIGURED)
    if isinstance(exc, sa_exc.ArgumentError | sa_exc.NoSuchModuleError):
        return _(MSG_DATABASE_URL, url=url, detail=_first_line(exc))
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        return _(MSG_DATABASE, url=url, detail=_first_line(getattr(exc, "orig", exc)))
    if isinstance(exc, sa_exc.ProgrammingError):
        return _(MSG_DATABASE_ERROR, detail=_first_line(getattr(exc, "orig", exc)))
    return None


def _settings_message(exc: BaseException) -> str | None:
    pydantic_core = sys.modules.get("pydantic_core")
    if pydantic_core is None or not isinstance(exc, pydantic_core.ValidationError):
        return None
    if exc.title != "Settings":
        return None
    first = exc.errors()[0]
    name = "IKU_" + "_".join(str(part) for part in first.get("loc", ())).upper()
    return _(MSG_SETTING, name=name, detail=first.get("msg") or _(MSG_INVALID_VALUE))


def _os_message(exc: BaseException) -> str | None:
    if not isinstance(exc, OSError) or exc.filename is None:
        return None
    path = exc.filename
    if isinstance(exc, FileNotFoundError):
        return _(MSG_FILE_MISSING, path=path)
    if isinstance(exc, PermissionError):
        return _(MSG_NO_PERMISSION, path=path)
    return _(MSG_OS, path=path, detail=exc.strerror or type(exc).__name__)


def classify(exc: BaseException, *, database_url: str | None = None) -> str | None:
    """The one sentence of an expected failure, or None when ``exc`` is unexpected (a bug).

    ``database_url``: the URL in use, shown (without its password) when the database fails.
    """
    if isinstance(exc, KeyboardInterrupt):
        return _(MSG_INTERRUPTED)
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
            _(MSG_UNEXPECTED_NO_LOG, kind=kind, log=log_file, reason=reason), expected=False
        )
    return Failure(_(MSG_UNEXPECTED, kind=kind, log=written), expected=False, log_file=written)
