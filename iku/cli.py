"""The ``iku`` command line. Heavy libraries (Prefect, Great Expectations) load inside commands."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from iku.catalog import CatalogError, LoadReport, load_catalog, read_catalog
from iku.rules import RulesError, get_rules
from iku.settings import get_settings

app = typer.Typer(
    help="IKU Lampung: monthly evaluation of the provincial agencies' key performance indicators.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema (Alembic migrations).", no_args_is_help=True)
catalog_app = typer.Typer(help="Master data: agencies, indicators, targets.", no_args_is_help=True)
rules_app = typer.Typer(help="The rules file (policies).", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(rules_app, name="rules")

console = Console()
err = Console(stderr=True, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])


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
            url = safe_url(get_settings().database_url)
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


def print_load_report(report: LoadReport) -> None:
    table = Table(title="Catalog loaded")
    for column in ("table", "rows", "inserted", "updated", "unchanged", "removed"):
        table.add_column(column, justify="left" if column == "table" else "right")
    for name, counts in report.tables.items():
        table.add_row(
            name,
            str(counts.total),
            str(counts.inserted),
            str(counts.updated),
            str(counts.unchanged),
            str(counts.removed),
        )
    console.print(table)


@db_app.command("upgrade")
@handle_errors
def db_upgrade(revision: Annotated[str, typer.Argument()] = "head") -> None:
    """Migrate the database schema up (to the latest revision by default)."""
    from iku import migrate

    migrate.upgrade(revision=revision)
    console.print(
        f"Database {safe_url(get_settings().database_url)} at revision {migrate.current_revision()}"
    )


@db_app.command("downgrade")
@handle_errors
def db_downgrade(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Migrate the database schema down (one revision by default; 'base' removes all tables)."""
    from iku import migrate

    migrate.downgrade(revision=revision)
    console.print(f"Database at revision {migrate.current_revision() or 'base (empty)'}")


@db_app.command("current")
@handle_errors
def db_current() -> None:
    """Show the database's schema revision."""
    from iku import migrate

    current = migrate.current_revision()
    state = "up to date" if migrate.is_up_to_date() else f"behind head {migrate.heads()}"
    console.print(f"{safe_url(get_settings().database_url)}: {current or 'empty'} ({state})")


def require_schema() -> None:
    """Stop with a clear message when the database has not been migrated."""
    from iku import migrate

    if not migrate.is_up_to_date():
        raise UserError(
            f"the database {safe_url(get_settings().database_url)} is not at the latest schema; "
            "run `iku db upgrade` first"
        )


@catalog_app.command("load")
@handle_errors
def catalog_load(
    directory: Annotated[
        Path | None, typer.Argument(help="Catalog folder (default: IKU_CATALOG_DIR).")
    ] = None,
) -> None:
    """Check the catalog and upsert it in one transaction (nothing changes if it has problems)."""
    require_schema()
    report = load_catalog(directory or get_settings().catalog_dir)
    print_load_report(report)


@catalog_app.command("check")
@handle_errors
def catalog_check(
    directory: Annotated[
        Path | None, typer.Argument(help="Catalog folder (default: IKU_CATALOG_DIR).")
    ] = None,
) -> None:
    """Check the catalog files without touching the database."""
    catalog = read_catalog(directory or get_settings().catalog_dir)
    console.print(
        f"Catalog is valid: {len(catalog.agencies)} agencies, {len(catalog.indicators)} "
        f"indicators, {len(catalog.targets)} targets, {len(catalog.names)} earlier names."
    )


@rules_app.command("check")
@handle_errors
def rules_check(
    path: Annotated[
        Path | None, typer.Argument(help="Rules file (default: IKU_RULES_FILE).")
    ] = None,
) -> None:
    """Validate the rules file and print its version."""
    rules = get_rules(path)
    bands = ", ".join(f"{b.code} {b.label}" for b in rules.predikat.bands)
    console.print(f"Rules version {rules.version} is valid. Predikat bands: {bands}.")


@app.command("setup")
@handle_errors
def setup() -> None:
    """Create or migrate the database and load the catalog (what the first run needs)."""
    from iku import migrate

    settings = get_settings()
    rules = get_rules()
    migrate.upgrade()
    console.print(
        f"Database {safe_url(settings.database_url)} at revision {migrate.current_revision()}"
    )
    console.print(f"Rules file {settings.rules_file} (version {rules.version})")
    print_load_report(load_catalog(settings.catalog_dir))


@app.command("demo")
@handle_errors
def demo() -> None:
    """Set up the embedded database, simulate January to last month, run every monthly cycle,
    and say where the bulletins are."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from iku.demo import prepare_prefect, run_demo

    settings = get_settings()
    prepare_prefect(Path.cwd())
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        job = bar.add_task("Starting", total=1)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(job, description=label, completed=done, total=total)

        result = run_demo(settings, progress)
    statuses = ", ".join(f"{c['period']} {c['status']}" for c in result.cycles)
    console.print(f"Simulated {result.files} agency files for {result.first} .. {result.last}.")
    console.print(f"Cycles: {statuses}")
    console.print(f"Province bulletin (PDF): {result.province_pdf}")
    console.print(f"Index of all bulletins:  {result.index_html}")
    console.print(f"Steward review page:     {result.review_html}")
    console.print(f"Open data-quality issues: {result.open_issues} (`iku review list`)")


# Feature commands register themselves on `app` when their module is imported.
from iku.commands import register_all  # noqa: E402

register_all(app)
