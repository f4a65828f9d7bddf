"""What every command shares: the process runtime, the consoles and the error boundary."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from iku.catalog import CatalogError
from iku.rules import RulesError
from iku.runtime import Runtime, process_runtime, use_process_runtime

console = Console()
err = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


def runtime() -> Runtime:
    """The CLI process's runtime (settings, engine, rules, folders), built on first use."""
    return process_runtime()


def start_process() -> None:
    """Build the invocation's runtime from the environment as it is now; flows and tasks run
    in this process use it too."""
    previous = process_runtime()
    use_process_runtime(Runtime.from_environment())
    previous.dispose()


def safe_url(url: str) -> str:
    """A database URL with its password hidden, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


class UserError(Exception):
    """A problem the user can fix; printed as one message, exit code 1."""


def handle_errors(func: F) -> F:
    """Turn expected failures into one clear message and a non-zero exit, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (UserError, CatalogError, RulesError, FileNotFoundError) as exc:
            # The message may quote a file name or a cell: data, never markup.
            err.print(f"[bold red]Error:[/] {escape(str(exc))}", markup=True, highlight=False)
            raise typer.Exit(1) from None
        except OperationalError as exc:
            url = safe_url(runtime().settings.database_url)
            err.print(
                f"[bold red]Error:[/] cannot use the database {escape(url)}: "
                f"{escape(str(exc.orig))}. "
                "Check IKU_DATABASE_URL and that the server is running.",
                highlight=False,
            )
            raise typer.Exit(1) from None
        except SQLAlchemyError as exc:
            err.print(f"[bold red]Database error:[/] {escape(str(exc))}", highlight=False)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def require_schema() -> None:
    """Stop with a clear message when the database has not been migrated."""
    from iku import migrate

    rt = runtime()
    if not migrate.is_up_to_date(rt.engine):
        raise UserError(
            f"the database {safe_url(rt.settings.database_url)} is not at the latest schema; "
            "run `iku db upgrade` first"
        )
