"""The ``iku`` app: database, catalog, rules, setup and demo commands; features register here.

Only Typer is imported at module level (and by the feature modules): every other library loads
inside the command that needs it, so ``iku --help`` starts in a fraction of a second.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

from iku.cli.common import (
    IkuGroup,
    console,
    require_schema,
    runtime,
    safe_url,
    start_process,
    status_label,
)
from iku.i18n import N_, _

if TYPE_CHECKING:
    from iku.catalog import LoadReport

# --- user-facing text: English msgids (N_), translated through iku/locale when shown -----------
HELP_APP: Final = N_(
    "IKU Lampung: the monthly evaluation of the key performance indicators (IKU) of the "
    "agencies of Lampung Province."
)
HELP_DB: Final = N_("The database schema (Alembic migrations).")
HELP_CATALOG: Final = N_("Master data: agencies, indicators, targets.")
HELP_RULES: Final = N_("The rules file (the evaluation's policies).")
HELP_DB_UPGRADE: Final = N_("Upgrade the database schema (default: to the latest revision).")
HELP_DB_DOWNGRADE: Final = N_(
    "Downgrade the database schema (default: one revision; 'base' removes every table)."
)
HELP_DB_CURRENT: Final = N_("Show the database schema's revision.")
HELP_DB_GRANT: Final = N_(
    "PostgreSQL: give the application's role the rights it needs and no more (run as the "
    "schema owner, after every upgrade); the decision log only SELECT and INSERT."
)
HELP_ROLE: Final = N_("The PostgreSQL role the application connects as.")
MSG_GRANTED: Final = N_(
    "The role %(role)s can use the application; the decision log can still only be appended to."
)
HELP_REVISION: Final = N_("An Alembic revision, for example head, base, -1 or its code.")
HELP_CATALOG_LOAD: Final = N_(
    "Check the catalog, then load it in one transaction (nothing changes when it has problems)."
)
HELP_CATALOG_CHECK: Final = N_("Check the catalog files without touching the database.")
HELP_CATALOG_DIR: Final = N_("The catalog folder (default: IKU_CATALOG_DIR).")
HELP_RULES_CHECK: Final = N_("Check the rules file and show its version.")
HELP_RULES_FILE: Final = N_("The rules file (default: IKU_RULES_FILE).")
HELP_SETUP: Final = N_(
    "Create or migrate the database and load the catalog (what the first run needs)."
)
HELP_DEMO: Final = N_(
    "Set up the embedded database, simulate the submissions from January to last month, run "
    "every monthly cycle, then show where the bulletins are."
)
HELP_DEMO_MONTHS: Final = N_(
    "Only the first N months (January onwards); default: up to last month. For quick tests."
)
MSG_DB_AT: Final = N_("Database %(url)s at revision %(revision)s.")
MSG_DB_EMPTY: Final = N_("base (empty)")
MSG_DB_CURRENT: Final = N_("%(url)s: %(revision)s (%(state)s).")
MSG_DB_UP_TO_DATE: Final = N_("up to date")
MSG_DB_BEHIND: Final = N_("behind the latest revision %(heads)s")
MSG_CATALOG_VALID: Final = N_(
    "The catalog is valid: %(agencies)s agencies, %(indicators)s indicators, %(targets)s "
    "targets, %(names)s former names."
)
MSG_RULES_VALID: Final = N_("Rules version %(version)s are valid. Predikat: %(bands)s.")
MSG_RULES_FILE: Final = N_("Rules file %(path)s (version %(version)s).")
TITLE_LOAD: Final = N_("Catalog loaded")
COLUMNS_LOAD: Final = (
    N_("table"),
    N_("rows"),
    N_("added"),
    N_("changed"),
    N_("unchanged"),
    N_("removed"),
)
MSG_DEMO_STARTING: Final = N_("Starting")
MSG_DEMO_SIMULATED: Final = N_("%(files)s agency files simulated for %(first)s .. %(last)s.")
MSG_DEMO_CYCLES: Final = N_("Cycles: %(statuses)s")
MSG_DEMO_PDF: Final = N_("Province bulletin (PDF): %(path)s")
MSG_DEMO_INDEX: Final = N_("List of all bulletins:  %(path)s")
MSG_DEMO_REVIEW: Final = N_("Data review page: %(path)s")
MSG_DEMO_ISSUES: Final = N_("Open data quality issues: %(count)s (`iku review list`)")

app = typer.Typer(
    cls=IkuGroup,
    help=HELP_APP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def start() -> None:
    """Every invocation starts from the environment as it is now."""
    start_process()


db_app = typer.Typer(help=HELP_DB, no_args_is_help=True)
catalog_app = typer.Typer(help=HELP_CATALOG, no_args_is_help=True)
rules_app = typer.Typer(help=HELP_RULES, no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(catalog_app, name="catalog")
app.add_typer(rules_app, name="rules")


def print_load_report(report: LoadReport) -> None:
    from rich.table import Table

    table = Table(title=_(TITLE_LOAD))
    for index, column in enumerate(COLUMNS_LOAD):
        table.add_column(_(column), justify="left" if index == 0 else "right")
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


@db_app.command("upgrade", help=HELP_DB_UPGRADE)
def db_upgrade(revision: Annotated[str, typer.Argument(help=HELP_REVISION)] = "head") -> None:
    """Migrate the database schema up (to the latest revision by default)."""
    from iku.operations.setup import upgrade_schema

    rt = runtime()
    at = upgrade_schema(rt, revision)
    console.print(_(MSG_DB_AT, url=safe_url(rt.settings.database_url), revision=at))


@db_app.command("downgrade", help=HELP_DB_DOWNGRADE)
def db_downgrade(revision: Annotated[str, typer.Argument(help=HELP_REVISION)] = "-1") -> None:
    """Migrate the database schema down (one revision by default; 'base' removes all tables)."""
    from iku import migrate

    rt = runtime()
    migrate.downgrade(rt.engine, revision=revision)
    at = migrate.current_revision(rt.engine) or _(MSG_DB_EMPTY)
    console.print(_(MSG_DB_AT, url=safe_url(rt.settings.database_url), revision=at))


@db_app.command("grant", help=HELP_DB_GRANT)
def db_grant(role: Annotated[str, typer.Argument(help=HELP_ROLE)]) -> None:
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
    console.print(_(MSG_GRANTED, role=role), highlight=False, markup=False)


@db_app.command("current", help=HELP_DB_CURRENT)
def db_current() -> None:
    """Show the database's schema revision."""
    from iku import migrate

    rt = runtime()
    current = migrate.current_revision(rt.engine)
    state = (
        _(MSG_DB_UP_TO_DATE)
        if migrate.is_up_to_date(rt.engine)
        else _(MSG_DB_BEHIND, heads=", ".join(migrate.heads()))
    )
    console.print(
        _(
            MSG_DB_CURRENT,
            url=safe_url(rt.settings.database_url),
            revision=current or _(MSG_DB_EMPTY),
            state=state,
        )
    )


@catalog_app.command("load", help=HELP_CATALOG_LOAD)
def catalog_load(
    directory: Annotated[Path | None, typer.Argument(help=HELP_CATALOG_DIR)] = None,
) -> None:
    """Check the catalog and upsert it in one transaction (nothing changes if it has problems)."""
    from iku.operations.setup import load

    require_schema()
    print_load_report(load(runtime(), directory))


@catalog_app.command("check", help=HELP_CATALOG_CHECK)
def catalog_check(
    directory: Annotated[Path | None, typer.Argument(help=HELP_CATALOG_DIR)] = None,
) -> None:
    """Check the catalog files without touching the database."""
    from iku.catalog import read_catalog

    rt = runtime()
    catalog = read_catalog(directory or rt.paths.catalog, rt.rules)
    console.print(
        _(
            MSG_CATALOG_VALID,
            agencies=len(catalog.agencies),
            indicators=len(catalog.indicators),
            targets=len(catalog.targets),
            names=len(catalog.names),
        )
    )


@rules_app.command("check", help=HELP_RULES_CHECK)
def rules_check(
    path: Annotated[Path | None, typer.Argument(help=HELP_RULES_FILE)] = None,
) -> None:
    """Validate the rules file and print its version."""
    from iku.rules import load_rules

    rules = load_rules(path) if path is not None else runtime().rules
    bands = ", ".join(f"{b.code} {b.label}" for b in rules.predikat.bands)
    console.print(_(MSG_RULES_VALID, version=rules.version, bands=bands))


@app.command("setup", help=HELP_SETUP)
def setup() -> None:
    """Create or migrate the database and load the catalog (what the first run needs)."""
    from iku.operations.setup import setup as set_up

    rt = runtime()
    rules = rt.rules
    revision, report = set_up(rt)
    console.print(_(MSG_DB_AT, url=safe_url(rt.settings.database_url), revision=revision))
    console.print(_(MSG_RULES_FILE, path=rt.paths.rules_file, version=rules.version))
    print_load_report(report)


@app.command("demo", help=HELP_DEMO)
def demo(
    months: Annotated[
        int | None, typer.Option("--months", min=1, max=12, help=HELP_DEMO_MONTHS)
    ] = None,
) -> None:
    """Set up the embedded database, simulate January to last month, run every monthly cycle,
    and say where the bulletins are."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from flows.environment import apply_prefect_defaults
    from iku.processes import reap_descendants_at_exit

    rt = runtime()
    apply_prefect_defaults(rt.settings.state_dir)
    reap_descendants_at_exit()  # Prefect's local server and the render workers end with us
    from iku.cli.demo import run_demo  # imports Prefect: after its defaults are in place

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TimeElapsedColumn(),
        console=console.real,
    ) as bar:
        job = bar.add_task(_(MSG_DEMO_STARTING), total=1)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(job, description=label, completed=done, total=total)

        result = run_demo(rt, progress, months=months)
    statuses = ", ".join(f"{c['period']} {status_label(c['status'])}" for c in result.cycles)
    console.print(_(MSG_DEMO_SIMULATED, files=result.files, first=result.first, last=result.last))
    console.print(_(MSG_DEMO_CYCLES, statuses=statuses))
    console.print(_(MSG_DEMO_PDF, path=result.province_pdf))
    console.print(_(MSG_DEMO_INDEX, path=result.index_html))
    console.print(_(MSG_DEMO_REVIEW, path=result.review_html))
    console.print(_(MSG_DEMO_ISSUES, count=result.open_issues))


#: Feature command modules of :mod:`iku.cli`; each defines ``register(app)``.
FEATURES: tuple[str, ...] = (
    "review",
    "capaian",
    "ingest",
    "render",
    "cycle",
    "users",
    "web",
    "export",
    "period",
)

for _name in FEATURES:
    import_module(f"iku.cli.{_name}").register(app)
