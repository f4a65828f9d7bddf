"""What every command shares: the process runtime, the consoles and the error boundary.

The boundary is :class:`IkuGroup`, the ``iku`` command's group: every invocation ends there.
A bad invocation (unknown option or value, missing option) and an expected failure print one
sentence in Bahasa Indonesia and exit non-zero; an unexpected failure is logged with its
traceback to the log file (``IKU_LOG_FILE``, default ``var/log/iku.log``) and the sentence names
that file. The classification itself is :func:`iku.errors.explain`, shared with the web
application.

This module imports no heavy library at import time: ``iku --help`` loads Typer and Rich only.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import typer

# Typer 0.29 vendors Click and re-exports only BadParameter, Exit and Abort; the usage errors
# and Context this boundary translates are reachable only here (typer discussion #1832).
from typer._click import Command, Context
from typer._click import exceptions as cx
from typer.core import TyperGroup

from iku.errors import UserError

if TYPE_CHECKING:
    from rich.console import Console

    from iku.runtime import Runtime

__all__ = [
    "IkuGroup",
    "UserError",
    "console",
    "err",
    "existing_parent",
    "require_agency",
    "require_schema",
    "runtime",
    "safe_url",
    "start_process",
]

# --- user-facing sentences (Bahasa Indonesia) -------------------------------------------------
MSG_ERROR_PREFIX: Final = "[bold red]Kesalahan:[/] "
MSG_NOT_MIGRATED: Final = (
    "Basis data {url} belum memakai skema terbaru; jalankan `iku db upgrade` (atau `iku setup`) "
    "terlebih dahulu."
)
MSG_UNKNOWN_AGENCY: Final = (
    "Kode perangkat daerah '{code}' tidak dikenal; lihat data/catalog/agencies.csv (dan "
    "jalankan `iku catalog load` bila katalog berubah)."
)
MSG_PARENT_MISSING: Final = (
    "Folder {parent} untuk {option} tidak ada; buat folder itu dulu atau pilih jalur lain."
)
MSG_NOT_A_FOLDER: Final = "{parent} untuk {option} bukan folder; pilih jalur lain."
MSG_NO_SUCH_OPTION: Final = (
    "Opsi {option} tidak dikenal oleh `{command}`{suggestion}; lihat `{command} --help`."
)
MSG_SUGGESTION: Final = " (mungkin maksudnya {options})"
MSG_MISSING_OPTION: Final = "Opsi {option} wajib diisi untuk `{command}`; lihat `{command} --help`."
MSG_MISSING_ARGUMENT: Final = (
    "Argumen {argument} wajib diisi untuk `{command}`; lihat `{command} --help`."
)
MSG_NO_SUCH_COMMAND: Final = (
    "Perintah '{name}' tidak dikenal oleh `{command}`; lihat `{command} --help`."
)
MSG_BAD_VALUE: Final = (
    "Nilai '{value}' untuk {param} tidak sah: {reason}; lihat `{command} --help`."
)
MSG_BAD_VALUE_PLAIN: Final = "Nilai untuk {param} tidak sah; lihat `{command} --help`."
MSG_EXTRA_ARGUMENT: Final = (
    "Argumen '{value}' tidak diharapkan oleh `{command}`; lihat `{command} --help`."
)
MSG_OPTION_NEEDS_VALUE: Final = "Opsi {option} memerlukan nilai; lihat `{command} --help`."
MSG_USAGE: Final = "Perintah tidak dapat dibaca ({detail}); lihat `{command} --help`."
MSG_ABORTED: Final = "Dibatalkan."
#: Why a value is refused, by the pydantic error type Typer's coercion reports.
REASONS: Final[dict[str, str]] = {
    "int_parsing": "harus bilangan bulat",
    "int_from_float": "harus bilangan bulat",
    "float_parsing": "harus angka (misalnya 85.5)",
    "bool_parsing": "harus ya/tidak (true/false)",
    "literal_error": "pilih salah satu dari {expected}",
    "enum": "pilih salah satu dari {expected}",
    "greater_than_equal": "paling kecil {ge}",
    "greater_than": "harus lebih dari {gt}",
    "less_than_equal": "paling besar {le}",
    "less_than": "harus kurang dari {lt}",
    "date_from_datetime_parsing": "harus tanggal seperti 2026-11-03",
    "date_parsing": "harus tanggal seperti 2026-11-03",
}
MSG_REASON_OTHER: Final = "nilainya tidak dapat dipakai"
#: Typer's help in Bahasa Indonesia (its panel titles and markers).
HELP_TEXTS: Final[dict[str, str]] = {
    "ARGUMENTS_PANEL_TITLE": "Argumen",
    "OPTIONS_PANEL_TITLE": "Opsi",
    "COMMANDS_PANEL_TITLE": "Perintah",
    "ERRORS_PANEL_TITLE": "Kesalahan",
    "DEFAULT_STRING": "[bawaan: {}]",
    "REQUIRED_LONG_STRING": "[wajib]",
    "ENVVAR_STRING": "[variabel lingkungan: {}]",
    "DEPRECATED_STRING": "(usang) ",
    "ABORTED_TEXT": "Dibatalkan.",
    "RICH_HELP": "Lihat [blue]'{command_path} {help_option}'[/] untuk bantuan.",
}
HELP_OPTION: Final = "Tampilkan bantuan ini lalu keluar."
#: How a cycle's status reads.
STATUS_LABELS: Final[dict[str, str]] = {
    "completed": "selesai",
    "partial": "sebagian",
    "failed": "gagal",
    "running": "berjalan",
    "pending": "menunggu",
}


class _LazyConsole:
    """A Rich console created on first use (Rich costs start-up time ``--help`` does not
    need)."""

    def __init__(self, **options: Any) -> None:
        self._options = options
        self._console: Console | None = None

    @property
    def real(self) -> Console:
        """The Rich console itself (for Rich objects that take one: ``Progress(console=...)``)."""
        if self._console is None:
            from rich.console import Console

            self._console = Console(**self._options)
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __enter__(self) -> Console:
        return self.real.__enter__()

    def __exit__(self, *exc: Any) -> None:
        self.real.__exit__(*exc)


console: Any = _LazyConsole()
err: Any = _LazyConsole(stderr=True, soft_wrap=True)


def runtime() -> Runtime:
    """The CLI process's runtime (settings, engine, rules, folders), built on first use."""
    from iku.runtime import process_runtime

    return process_runtime()


def start_process() -> None:
    """Start an invocation from the environment as it is now (a new process in real use; the
    same test process calling the CLI several times with other settings): the process runtime
    is built again on first use, and flows and tasks run in this process use it too. A process
    that never imported the runtime has none to forget (and ``--help`` stays light)."""
    loaded = sys.modules.get("iku.runtime")
    if loaded is not None:
        loaded.reset_process_runtime()


def safe_url(url: str) -> str:
    """A database URL with its password hidden, for messages and logs."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def require_schema() -> None:
    """Stop with a clear message when the database has not been migrated."""
    from iku import migrate

    rt = runtime()
    if not migrate.is_up_to_date(rt.engine):
        raise UserError(MSG_NOT_MIGRATED.format(url=safe_url(rt.settings.database_url)))


def require_agency(code: str | None) -> str | None:
    """The agency code as the catalog spells it; a code the database does not know stops
    with a sentence (an unknown code would otherwise list nothing, silently)."""
    if code is None:
        return None
    from sqlalchemy import func, select

    from iku import models as m

    with runtime().engine.connect() as connection:
        known = connection.scalar(
            select(m.Agency.code).where(func.upper(m.Agency.code) == code.strip().upper())
        )
    if known is None:
        raise UserError(MSG_UNKNOWN_AGENCY.format(code=code))
    return str(known)


def existing_parent(path: Path, option: str) -> Path:
    """``path`` made absolute, refusing one whose folder does not exist: a command never
    creates folders the user did not name."""
    target = path.expanduser()
    target = target if target.is_absolute() else Path.cwd() / target
    parent = target.parent
    if not parent.exists():
        raise UserError(MSG_PARENT_MISSING.format(parent=parent, option=option))
    if not parent.is_dir():
        raise UserError(MSG_NOT_A_FOLDER.format(parent=parent, option=option))
    return target


# --- the boundary -----------------------------------------------------------------------------


def _param_name(param: Any) -> str:
    opts = getattr(param, "opts", None)
    if opts and getattr(param, "param_type_name", "") == "option":
        return str(opts[0])
    name = getattr(param, "display_name_raw", None) or getattr(param, "name", None) or "?"
    return str(name).upper()


def _bad_value(exc: cx.BadParameter, command: str) -> str:
    param = _param_name(exc.param) if exc.param is not None else "nilai"
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        first = errors()[0]
        template = REASONS.get(first.get("type", ""), MSG_REASON_OTHER)
        descriptor = getattr(exc.param, "type_descriptor", None)
        choices = getattr(descriptor, "choices", None)
        if choices:
            template = REASONS["literal_error"]
            first = {**first, "ctx": {"expected": ", ".join(str(c) for c in choices)}}
        context = {
            k: str(v).replace("'", "").replace(" or ", ", ")
            for k, v in (first.get("ctx") or {}).items()
        }
        try:
            reason = template.format(**context)
        except (KeyError, IndexError):
            reason = MSG_REASON_OTHER
        return MSG_BAD_VALUE.format(
            value=first.get("input", ""), param=param, reason=reason, command=command
        )
    return MSG_BAD_VALUE_PLAIN.format(param=param, command=command)


def usage_message(exc: cx.UsageError) -> str:
    """One Indonesian sentence for a bad invocation (Click/Typer's own errors are English)."""
    command = exc.ctx.command_path if exc.ctx is not None else "iku"
    if isinstance(exc, cx.NoSuchOption):
        possibilities = sorted(exc.possibilities or ())
        suggestion = (
            MSG_SUGGESTION.format(options=", ".join(possibilities)) if possibilities else ""
        )
        return MSG_NO_SUCH_OPTION.format(
            option=exc.option_name, command=command, suggestion=suggestion
        )
    if isinstance(exc, cx.MissingParameter):
        name = _param_name(exc.param) if exc.param is not None else "?"
        if getattr(exc.param, "param_type_name", "") == "argument":
            return MSG_MISSING_ARGUMENT.format(argument=name, command=command)
        return MSG_MISSING_OPTION.format(option=name, command=command)
    if isinstance(exc, cx.BadParameter):
        return _bad_value(exc, command)
    if isinstance(exc, cx.BadOptionUsage):
        return MSG_OPTION_NEEDS_VALUE.format(option=exc.option_name, command=command)
    text = exc.message or ""
    if text.startswith("No such command"):
        name = text.split("'")[1] if "'" in text else text
        return MSG_NO_SUCH_COMMAND.format(name=name, command=command)
    if text.startswith("Got unexpected extra argument"):
        value = text.rsplit("(", 1)[-1].rstrip(")") if "(" in text else text
        return MSG_EXTRA_ARGUMENT.format(value=value, command=command)
    return MSG_USAGE.format(detail=text.rstrip("."), command=command)


def _log_file() -> Path:
    try:
        return runtime().settings.log_path
    except Exception:  # the settings themselves are what failed
        raw = os.environ.get("IKU_LOG_FILE", "").strip()
        return Path(raw) if raw else Path.cwd() / "var" / "log" / "iku.log"


def _database_url() -> str | None:
    try:
        return runtime().settings.database_url
    except Exception:
        return os.environ.get("IKU_DATABASE_URL") or None


def report_failure(exc: BaseException, command: str) -> int:
    """Print the one sentence of a failure (logging an unexpected one); return the exit code."""
    from iku.errors import explain

    failure = explain(exc, log_file=_log_file(), database_url=_database_url(), context=command)
    err.print(MSG_ERROR_PREFIX + _escape(failure.message), highlight=False)
    return failure.exit_code


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _localise_help(group: TyperGroup) -> None:
    """Typer's help panels and the ``--help`` option in Bahasa Indonesia (only when a help page
    is about to be shown: Typer's Rich formatting is not imported otherwise)."""
    from typer import rich_utils

    for name, text in HELP_TEXTS.items():
        setattr(rich_utils, name, text)
    pending: list[Command] = [group]
    while pending:
        command = pending.pop()
        option = command.get_help_option(Context(command))
        if option is not None:
            option.help = HELP_OPTION
        if isinstance(command, TyperGroup):
            pending.extend(command.commands.values())


def _shows_help(group: TyperGroup, args: Sequence[str]) -> bool:
    if not args or any(a in ("--help", "-h") for a in args):
        return True
    command: Command = group
    for arg in args:
        if arg.startswith("-") or not isinstance(command, TyperGroup):
            return False
        found = command.commands.get(arg)
        if found is None:
            return False
        command = found
    return isinstance(command, TyperGroup)  # a group without a command prints its help


class IkuGroup(TyperGroup):
    """The ``iku`` group: Typer's parsing, this project's error boundary and Indonesian help."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        arguments = list(sys.argv[1:] if args is None else args)
        name = "iku"  # the console script's name, whatever launched it (python -m, tests)
        if _shows_help(self, arguments):
            _localise_help(self)
        try:
            result = super().main(arguments, name, complete_var, standalone_mode=False, **extra)
        except cx.NoArgsIsHelpError as exc:
            exc.show()
            code = 0
        except cx.UsageError as exc:
            err.print(MSG_ERROR_PREFIX + _escape(usage_message(exc)), highlight=False)
            code = 2
        except cx.ClickException as exc:
            err.print(MSG_ERROR_PREFIX + _escape(exc.format_message()), highlight=False)
            code = exc.exit_code
        except typer.Abort:
            err.print(MSG_ABORTED)
            code = 1
        except typer.Exit as exc:
            code = exc.exit_code
        except (Exception, KeyboardInterrupt) as exc:
            command = " ".join([name, *[a for a in arguments if not a.startswith("-")][:2]])
            code = report_failure(exc, command)
        else:
            code = result if isinstance(result, int) else 0
        if not standalone_mode:
            return code
        sys.exit(code)
