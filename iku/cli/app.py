"""The ``iku`` app: database, catalog, rules, setup and demo commands; features register here."""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from iku.catalog import LoadReport, read_catalog
from iku.cli.common import console, handle_errors, require_schema, runtime, safe_url
from iku.rules import load_rules

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
    from iku.operations.setup import upgrade_schema

    rt = runtime()
    at = upgrade_schema(rt, revision)
    console.print(f"Database {safe_url(rt.settings.database_url)} at revision {at}")


@db_app.command("downgrade")
@handle_errors
def db_downgrade(revision: Annotated[str, typer.Argument()] = "-1") -> None:
    """Migrate the database schema down (one revision by default; 'base' removes all tables)."""
    from iku import migrate

    engine = runtime().engine
    migrate.downgrade(engine, revision=revision)
    console.print(f"Database at revision {migrate.current_revision(engine) or 'base (empty)'}")


@db_app.command("grant")
@handle_errors
def db_grant(
    role: Annotated[str, typer.Argument(help="The role the application connects as.")],
) -> None:
    """PostgreSQL: give the application's role what it needs and no more (run as the schema
    owner, after every upgrade): the decision log only SELECT and INSERT."""
    from iku import migrate
    from iku.cli.common import UserError

    try:
        statements = migrate.grant_application_role(runtime().engine, role)
    except migrate.RoleError as exc:
        raise UserError(str(exc)) from None
    for statement in statements:
        console.print(statement, highlight=False, markup=False)
    console.print(f"Role {role} can use the application; the decision log stays append-only.")


@db_app.command("current")
@handle_errors
def db_current() -> None:
    """Show the database's schema revision."""
    from iku import migrate

    rt = runtime()
    current = migrate.current_revision(rt.engine)
    state = "up to date" if migrate.is_up_to_date(rt.engine) else f"behind head {migrate.heads()}"
    console.print(f"{safe_url(rt.settings.database_url)}: {current or 'empty'} ({state})")


@catalog_app.command("load")
@handle_errors
def catalog_load(
    directory: Annotated[
        Path | None, typer.Argument(help="Catalog folder (default: IKU_CATALOG_DIR).")
    ] = None,
) -> None:
    """Check the catalog and upsert it in one transaction (nothing changes if it has problems)."""
    from iku.operations.setup import load

    require_schema()
    print_load_report(load(runtime(), directory))


@catalog_app.command("check")
@handle_errors
def catalog_check(
    directory: Annotated[
        Path | None, typer.Argument(help="Catalog folder (default: IKU_CATALOG_DIR).")
    ] = None,
) -> None:
    """Check the catalog files without touching the database."""
    catalog = read_catalog(directory or runtime().paths.catalog)
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
    rules = load_rules(path) if path is not None else runtime().rules
    bands = ", ".join(f"{b.code} {b.label}" for b in rules.predikat.bands)
    console.print(f"Rules version {rules.version} is valid. Predikat bands: {bands}.")


@app.command("setup")
@handle_errors
def setup() -> None:
    """Create or migrate the database and load the catalog (what the first run needs)."""
    from iku.operations.setup import setup as set_up

    rt = runtime()
    rules = rt.rules
    revision, report = set_up(rt)
    console.print(f"Database {safe_url(rt.settings.database_url)} at revision {revision}")
    console.print(f"Rules file {rt.paths.rules_file} (version {rules.version})")
    print_load_report(report)


@app.command("demo")
@handle_errors
def demo() -> None:
    """Set up the embedded database, simulate January to last month, run every monthly cycle,
    and say where the bulletins are."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from iku.cli.demo import prepare_prefect, run_demo
    from iku.processes import reap_descendants_at_exit

    rt = runtime()
    prepare_prefect(Path.cwd())
    reap_descendants_at_exit()  # Prefect's local server and the render workers end with us
    with Progress(
        TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=console
    ) as bar:
        job = bar.add_task("Starting", total=1)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(job, description=label, completed=done, total=total)

        result = run_demo(rt, progress)
    statuses = ", ".join(f"{c['period']} {c['status']}" for c in result.cycles)
    console.print(f"Simulated {result.files} agency files for {result.first} .. {result.last}.")
    console.print(f"Cycles: {statuses}")
    console.print(f"Province bulletin (PDF): {result.province_pdf}")
    console.print(f"Index of all bulletins:  {result.index_html}")
    console.print(f"Steward review page:     {result.review_html}")
    console.print(f"Open data-quality issues: {result.open_issues} (`iku review list`)")


#: Feature command modules of :mod:`iku.cli`; each defines ``register(app)``.
FEATURES: tuple[str, ...] = ("review", "capaian", "ingest", "render", "cycle")

for _name in FEATURES:
    import_module(f"iku.cli.{_name}").register(app)
