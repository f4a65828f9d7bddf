"""What every command shares: the process runtime, the consoles and the error boundary.

The boundary is :class:`IkuGroup`, the ``iku`` command's group: every invocation ends there.
A bad invocation (unknown option or value, missing option) and an expected failure print one
sentence in the CLI's language and exit non-zero; an unexpected failure is logged with its
traceback to the log file (``IKU_LOG_FILE``, default ``var/log/iku.log``) and the sentence names
that file. The classification itself is :func:`iku.errors.explain`, shared with the web
application.

What people read goes through the gettext catalogs (:mod:`iku.i18n`): the texts here and in
every command module are English msgids marked with ``N_`` and translated when shown, in the
language of the ``IKU_LANGUAGE`` setting (Bahasa Indonesia by default, ``en`` for English),
chosen at the start of every invocation.

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
from iku.i18n import N_, _, configured_language, process_language

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
    "status_label",
]

# --- user-facing text: English msgids, translated through iku/locale when shown ---------------
MSG_ERROR_PREFIX: Final = N_("[bold red]Error:[/] ")
MSG_NOT_MIGRATED: Final = N_(
    "The database %(url)s does not use the latest schema yet; run `iku db upgrade` (or `iku "
    "setup`) first."
)
MSG_UNKNOWN_AGENCY: Final = N_(
    "The agency code '%(code)s' is unknown; see data/catalog/agencies.csv (and run `iku catalog "
    "load` if the catalog changed)."
)
MSG_PARENT_MISSING: Final = N_(
    "The folder %(parent)s for %(option)s does not exist; create it first or choose another path."
)
MSG_NOT_A_FOLDER: Final = N_("%(parent)s for %(option)s is not a folder; choose another path.")
MSG_NO_SUCH_OPTION: Final = N_(
    "The option %(option)s is unknown to `%(command)s`%(suggestion)s; see `%(command)s --help`."
)
MSG_SUGGESTION: Final = N_(" (perhaps you meant %(options)s)")
MSG_MISSING_OPTION: Final = N_(
    "The option %(option)s is required for `%(command)s`; see `%(command)s --help`."
)
MSG_MISSING_ARGUMENT: Final = N_(
    "The argument %(argument)s is required for `%(command)s`; see `%(command)s --help`."
)
MSG_NO_SUCH_COMMAND: Final = N_(
    "The command '%(name)s' is unknown to `%(command)s`; see `%(command)s --help`."
)
MSG_BAD_VALUE: Final = N_(
    "The value '%(value)s' for %(param)s is not valid: %(reason)s; see `%(command)s --help`."
)
MSG_BAD_VALUE_PLAIN: Final = N_("The value for %(param)s is not valid; see `%(command)s --help`.")
MSG_EXTRA_ARGUMENT: Final = N_(
    "The argument '%(value)s' is not expected by `%(command)s`; see `%(command)s --help`."
)
MSG_OPTION_NEEDS_VALUE: Final = N_("The option %(option)s needs a value; see `%(command)s --help`.")
MSG_USAGE: Final = N_("The command cannot be read (%(detail)s); see `%(command)s --help`.")
MSG_ABORTED: Final = N_("Aborted.")
MSG_VALUE: Final = N_("value")
#: Why a value is refused, by the pydantic error type Typer's coercion reports.
REASONS: Final[dict[str, str]] = {
    "int_parsing": N_("must be a whole number"),
    "int_from_float": N_("must be a whole number"),
    "float_parsing": N_("must be a number (for example 85.5)"),
    "bool_parsing": N_("must be yes/no (true/false)"),
    "literal_error": N_("choose one of %(expected)s"),
    "enum": N_("choose one of %(expected)s"),
    "greater_than_equal": N_("at least %(ge)s"),
    "greater_than": N_("must be more than %(gt)s"),
    "less_than_equal": N_("at most %(le)s"),
    "less_than": N_("must be less than %(lt)s"),
    "date_from_datetime_parsing": N_("must be a date like 2026-11-03"),
    "date_parsing": N_("must be a date like 2026-11-03"),
}
MSG_REASON_OTHER: Final = N_("the value cannot be used")
#: Typer's help panels and markers (Rich markup and ``{}`` are Typer's own placeholders).
HELP_TEXTS: Final[dict[str, str]] = {
    "ARGUMENTS_PANEL_TITLE": N_("Arguments"),
    "OPTIONS_PANEL_TITLE": N_("Options"),
    "COMMANDS_PANEL_TITLE": N_("Commands"),
    "ERRORS_PANEL_TITLE": N_("Errors"),
    "DEFAULT_STRING": N_("[default: {}]"),
    "REQUIRED_LONG_STRING": N_("[required]"),
    "ENVVAR_STRING": N_("[env var: {}]"),
    "DEPRECATED_STRING": N_("(deprecated) "),
    "ABORTED_TEXT": N_("Aborted."),
    "RICH_HELP": N_("Try [blue]'{command_path} {help_option}'[/] for help."),
}
HELP_OPTION: Final = N_("Show this message and exit.")
#: How a cycle's status reads.
STATUS_LABELS: Final[dict[str, str]] = {
    "completed": N_("completed"),
    "partial": N_("partial"),
    "failed": N_("failed"),
    "running": N_("running"),
    "pending": N_("pending"),
}


def status_label(status: str) -> str:
    """A cycle's status as people read it (the code itself when unknown)."""
    label = STATUS_LABELS.get(status)
    return _(label) if label else status


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

    # Building it sets the process language from the settings, which have the last word (the
    # start of the invocation read the same setting without building them; IkuGroup.main).
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
        raise UserError(_(MSG_NOT_MIGRATED, url=safe_url(rt.settings.database_url)))


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
        raise UserError(_(MSG_UNKNOWN_AGENCY, code=code))
    return str(known)


def existing_parent(path: Path, option: str) -> Path:
    """``path`` made absolute, refusing one whose folder does not exist: a command never
    creates folders the user did not name."""
    target = path.expanduser()
    target = target if target.is_absolute() else Path.cwd() / target
    parent = target.parent
    if not parent.exists():
        raise UserError(_(MSG_PARENT_MISSING, parent=parent, option=option))
    if not parent.is_dir():
        raise UserError(_(MSG_NOT_A_FOLDER, parent=parent, option=option))
    return target


# --- the boundary -----------------------------------------------------------------------------


def _param_name(param: Any) -> str:
    opts = getattr(param, "opts", None)
    if opts and getattr(param, "param_type_name", "") == "option":
        return str(opts[0])
    name = getattr(param, "display_name_raw", None) or getattr(param, "name", None) or "?"
    return str(name).upper()


def _bad_value(exc: cx.BadParameter, command: str) -> str:
    param = _param_name(exc.param) if exc.param is not None else _(MSG_VALUE)
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        first = errors()[0]
        template = _(REASONS.get(first.get("type", ""), MSG_REASON_OTHER))
        descriptor = getattr(exc.param, "type_descriptor", None)
        choices = getattr(descriptor, "choices", None)
        if choices:
            template = _(REASONS["literal_error"])
            first = {**first, "ctx": {"expected": ", ".join(str(c) for c in choices)}}
        context = {
            k: str(v).replace("'", "").replace(" or ", ", ")
            for k, v in (first.get("ctx") or {}).items()
        }
        try:
            reason = template % context if "%(" in template else template
        except (KeyError, ValueError, TypeError):
            reason = _(MSG_REASON_OTHER)
        return _(
            MSG_BAD_VALUE, value=first.get("input", ""), param=param, reason=reason, command=command
        )
    return _(MSG_BAD_VALUE_PLAIN, param=param, command=command)


def usage_message(exc: cx.UsageError) -> str:
    """One sentence for a bad invocation (Click/Typer's own errors are English)."""
    command = exc.ctx.command_path if exc.ctx is not None else "iku"
    if isinstance(exc, cx.NoSuchOption):
        possibilities = sorted(exc.possibilities or ())
        suggestion = _(MSG_SUGGESTION, options=", ".join(possibilities)) if possibilities else ""
        return _(MSG_NO_SUCH_OPTION, option=exc.option_name, command=command, suggestion=suggestion)
    if isinstance(exc, cx.MissingParameter):
        name = _param_name(exc.param) if exc.param is not None else "?"
        if getattr(exc.param, "param_type_name", "") == "argument":
            return _(MSG_MISSING_ARGUMENT, argument=name, command=command)
        return _(MSG_MISSING_OPTION, option=name, command=command)
    if isinstance(exc, cx.BadParameter):
        return _bad_value(exc, command)
    if isinstance(exc, cx.BadOptionUsage):
        return _(MSG_OPTION_NEEDS_VALUE, option=exc.option_name, command=command)
    text = exc.message or ""
    if text.startswith("No such command"):
        name = text.split("'")[1] if "'" in text else text
        return _(MSG_NO_SUCH_COMMAND, name=name, command=command)
    if text.startswith("Got unexpected extra argument"):
        value = text.rsplit("(", 1)[-1].rstrip(")") if "(" in text else text
        return _(MSG_EXTRA_ARGUMENT, value=value, command=command)
    return _(MSG_USAGE, detail=text.rstrip("."), command=command)


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
    err.print(_(MSG_ERROR_PREFIX) + _escape(failure.message), highlight=False)
    return failure.exit_code


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)


def _translated(text: str | None) -> str | None:
    return _(text) if text else text


def _localise_help(group: TyperGroup) -> None:
    """Typer's help panels, every command's and parameter's help and the ``--help`` option in
    the CLI's language, only when a help page is about to be shown (Typer's Rich formatting is
    not imported otherwise). The help texts are English msgids marked with ``N_``; Typer builds
    the Click commands again on every invocation, so translating them in place is safe."""
    from typer import rich_utils

    for name, text in HELP_TEXTS.items():
        setattr(rich_utils, name, _(text))
    pending: list[Command] = [group]
    while pending:
        command = pending.pop()
        command.help = _translated(command.help)
        command.short_help = _translated(command.short_help)
        for param in command.params:
            if hasattr(param, "help"):
                param.help = _translated(param.help)
        option = command.get_help_option(Context(command))
        if option is not None:
            option.help = _(HELP_OPTION)
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
    """The ``iku`` group: Typer's parsing, this project's error boundary and help in the CLI's
    language (``IKU_LANGUAGE``: Bahasa Indonesia by default, or English)."""

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
        # The language first: usage errors and help pages come before any command runs. The
        # process's earlier language comes back afterwards (tests invoke the CLI in-process).
        with process_language(configured_language()):
            code = self._invoke(arguments, name, complete_var, extra)
        if not standalone_mode:
            return code
        sys.exit(code)

    def _invoke(
        self, arguments: list[str], name: str, complete_var: str | None, extra: dict[str, Any]
    ) -> int:
        if _shows_help(self, arguments):
            _localise_help(self)
        try:
            result = super().main(arguments, name, complete_var, standalone_mode=False, **extra)
        except cx.NoArgsIsHelpError as exc:
            exc.show()
            code = 0
        except cx.UsageError as exc:
            err.print(_(MSG_ERROR_PREFIX) + _escape(usage_message(exc)), highlight=False)
            code = 2
        except cx.ClickException as exc:
            err.print(_(MSG_ERROR_PREFIX) + _escape(exc.format_message()), highlight=False)
            code = exc.exit_code
        except typer.Abort:
            err.print(_(MSG_ABORTED))
            code = 1
        except typer.Exit as exc:
            code = exc.exit_code
        except (Exception, KeyboardInterrupt) as exc:
            command = " ".join([name, *[a for a in arguments if not a.startswith("-")][:2]])
            code = report_failure(exc, command)
        else:
            code = result if isinstance(result, int) else 0
        return int(code or 0)
