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
    STATUS_LABELS,
    IkuGroup,
    console,
    require_schema,
    runtime,
    safe_url,
    start_process,
)

if TYPE_CHECKING:
    from iku.catalog import LoadReport

# --- user-facing text (Bahasa Indonesia) ------------------------------------------------------
HELP_APP: Final = (
    "IKU Lampung: evaluasi bulanan Indikator Kinerja Utama perangkat daerah Provinsi Lampung."
)
HELP_DB: Final = "Skema basis data (migrasi Alembic)."
HELP_CATALOG: Final = "Data induk: perangkat daerah, indikator, target."
HELP_RULES: Final = "Berkas aturan (kebijakan evaluasi)."
HELP_DB_UPGRADE: Final = "Naikkan skema basis data (bawaan: ke revisi terbaru)."
HELP_DB_DOWNGRADE: Final = (
    "Turunkan skema basis data (bawaan: satu revisi; 'base' menghapus semua tabel)."
)
HELP_DB_CURRENT: Final = "Tampilkan revisi skema basis data."
HELP_DB_GRANT: Final = (
    "PostgreSQL: beri peran aplikasi hak yang diperlukan dan tidak lebih (jalankan sebagai "
    "pemilik skema, setelah setiap upgrade); log keputusan hanya SELECT dan INSERT."
)
HELP_ROLE: Final = "Peran (role) PostgreSQL yang dipakai aplikasi untuk terhubung."
MSG_GRANTED: Final = (
    "Peran {role} dapat memakai aplikasi; log keputusan tetap hanya dapat ditambah."
)
HELP_REVISION: Final = "Revisi Alembic, misalnya head, base, -1 atau kodenya."
HELP_CATALOG_LOAD: Final = (
    "Periksa katalog lalu muat dalam satu transaksi (tidak ada yang berubah bila bermasalah)."
)
HELP_CATALOG_CHECK: Final = "Periksa berkas katalog tanpa menyentuh basis data."
HELP_CATALOG_DIR: Final = "Folder katalog (bawaan: IKU_CATALOG_DIR)."
HELP_RULES_CHECK: Final = "Periksa berkas aturan dan tampilkan versinya."
HELP_RULES_FILE: Final = "Berkas aturan (bawaan: IKU_RULES_FILE)."
HELP_SETUP: Final = (
    "Buat atau migrasikan basis data dan muat katalog (yang diperlukan run pertama)."
)
HELP_DEMO: Final = (
    "Siapkan basis data bawaan, simulasikan kiriman Januari sampai bulan lalu, jalankan setiap "
    "siklus bulanan, lalu tunjukkan letak buletinnya."
)
HELP_DEMO_MONTHS: Final = (
    "Hanya N bulan pertama (Januari dst.); bawaan: sampai bulan lalu. Untuk uji cepat."
)
MSG_DB_AT: Final = "Basis data {url} pada revisi {revision}."
MSG_DB_EMPTY: Final = "base (kosong)"
MSG_DB_CURRENT: Final = "{url}: {revision} ({state})."
MSG_DB_UP_TO_DATE: Final = "mutakhir"
MSG_DB_BEHIND: Final = "tertinggal dari revisi terbaru {heads}"
MSG_CATALOG_VALID: Final = (
    "Katalog sah: {agencies} perangkat daerah, {indicators} indikator, {targets} target, "
    "{names} nama lama."
)
MSG_RULES_VALID: Final = "Aturan versi {version} sah. Predikat: {bands}."
MSG_RULES_FILE: Final = "Berkas aturan {path} (versi {version})."
TITLE_LOAD: Final = "Katalog dimuat"
COLUMNS_LOAD: Final = ("tabel", "baris", "ditambah", "diubah", "tetap", "dihapus")
MSG_DEMO_STARTING: Final = "Memulai"
MSG_DEMO_SIMULATED: Final = "{files} berkas perangkat daerah disimulasikan untuk {first} .. {last}."
MSG_DEMO_CYCLES: Final = "Siklus: {statuses}"
MSG_DEMO_PDF: Final = "Buletin provinsi (PDF): {path}"
MSG_DEMO_INDEX: Final = "Daftar semua buletin:  {path}"
MSG_DEMO_REVIEW: Final = "Halaman tinjauan data: {path}"
MSG_DEMO_ISSUES: Final = "Isu kualitas data terbuka: {count} (`iku review list`)"

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

    table = Table(title=TITLE_LOAD)
    for index, column in enumerate(COLUMNS_LOAD):
        table.add_column(column, justify="left" if index == 0 else "right")
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
    console.print(MSG_DB_AT.format(url=safe_url(rt.settings.database_url), revision=at))


@db_app.command("downgrade", help=HELP_DB_DOWNGRADE)
def db_downgrade(revision: Annotated[str, typer.Argument(help=HELP_REVISION)] = "-1") -> None:
    """Migrate the database schema down (one revision by default; 'base' removes all tables)."""
    from iku import migrate

    rt = runtime()
    migrate.downgrade(rt.engine, revision=revision)
    at = migrate.current_revision(rt.engine) or MSG_DB_EMPTY
    console.print(MSG_DB_AT.format(url=safe_url(rt.settings.database_url), revision=at))


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
    console.print(MSG_GRANTED.format(role=role), highlight=False, markup=False)


@db_app.command("current", help=HELP_DB_CURRENT)
def db_current() -> None:
    """Show the database's schema revision."""
    from iku import migrate

    rt = runtime()
    current = migrate.current_revision(rt.engine)
    state = (
        MSG_DB_UP_TO_DATE
        if migrate.is_up_to_date(rt.engine)
        else MSG_DB_BEHIND.format(heads=", ".join(migrate.heads()))
    )
    console.print(
        MSG_DB_CURRENT.format(
            url=safe_url(rt.settings.database_url), revision=current or MSG_DB_EMPTY, state=state
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
        MSG_CATALOG_VALID.format(
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
    console.print(MSG_RULES_VALID.format(version=rules.version, bands=bands))


@app.command("setup", help=HELP_SETUP)
def setup() -> None:
    """Create or migrate the database and load the catalog (what the first run needs)."""
    from iku.operations.setup import setup as set_up

    rt = runtime()
    rules = rt.rules
    revision, report = set_up(rt)
    console.print(MSG_DB_AT.format(url=safe_url(rt.settings.database_url), revision=revision))
    console.print(MSG_RULES_FILE.format(path=rt.paths.rules_file, version=rules.version))
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
        job = bar.add_task(MSG_DEMO_STARTING, total=1)

        def progress(label: str, done: int, total: int) -> None:
            bar.update(job, description=label, completed=done, total=total)

        result = run_demo(rt, progress, months=months)
    statuses = ", ".join(
        f"{c['period']} {STATUS_LABELS.get(c['status'], c['status'])}" for c in result.cycles
    )
    console.print(
        MSG_DEMO_SIMULATED.format(files=result.files, first=result.first, last=result.last)
    )
    console.print(MSG_DEMO_CYCLES.format(statuses=statuses))
    console.print(MSG_DEMO_PDF.format(path=result.province_pdf))
    console.print(MSG_DEMO_INDEX.format(path=result.index_html))
    console.print(MSG_DEMO_REVIEW.format(path=result.review_html))
    console.print(MSG_DEMO_ISSUES.format(count=result.open_issues))


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
)

for _name in FEATURES:
    import_module(f"iku.cli.{_name}").register(app)
