"""``iku ingest``, ``iku template`` and ``iku simulate``: getting agency submissions in.

The ingestion, template and simulator modules load openpyxl and friends only when a command
runs, so ``iku --help`` stays quick. ``iku ingest`` calls the plain functions (no Prefect); the
``ingest_inbox`` Prefect flow is for schedules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from iku.ingest.service import IngestSummary

_STATUS_STYLE = {
    "staged": "green",
    "superseded": "cyan",
    "rejected": "bold red",
    "duplicate": "yellow",
    "ignored": "dim",
}


def _check_period(period: str) -> str:
    from iku.calendar import is_period
    from iku.cli.common import UserError

    if not is_period(period):
        raise UserError(f"period {period!r} is not YYYY-MM; write e.g. --period 2026-10")
    return period


def _print_summary(summary: IngestSummary) -> None:
    from rich.table import Table

    from iku.cli.common import console

    table = Table(title="Ingestion", show_lines=False)
    for column in ("file", "agency", "period", "format", "outcome", "rows", "detail"):
        table.add_column(
            column,
            justify="right" if column == "rows" else "left",
            overflow="fold",
            no_wrap=column in ("agency", "period", "format", "outcome", "rows"),
        )
    for outcome in summary.files:
        if outcome.status == "rejected":
            detail = outcome.rule or ""
        elif outcome.status == "duplicate":
            detail = f"same bytes as submission #{outcome.duplicate_of}"
        elif outcome.supersedes_id is not None:
            detail = f"#{outcome.submission_id}, supersedes #{outcome.supersedes_id}"
        elif outcome.submission_id is not None:
            detail = f"#{outcome.submission_id}"
        else:
            detail = outcome.reason or ""
        style = _STATUS_STYLE.get(outcome.status, "")
        table.add_row(
            Path(outcome.file).name,
            outcome.agency or "-",
            outcome.period or "-",
            outcome.reader or outcome.file_format or "-",
            f"[{style}]{outcome.status}[/]" if style else outcome.status,
            str(outcome.rows),
            detail,
        )
    console.print(table)
    for outcome in summary.rejected:
        console.print(
            f"[bold red]Rejected[/] {outcome.file} ({outcome.rule}): {outcome.reason}"
            + (f" Notice: {outcome.notice}" if outcome.notice else ""),
            highlight=False,
        )
    console.print(
        f"{summary.files_seen} file(s) seen, {summary.submissions_created} submission(s) "
        f"created, {summary.duplicates} duplicate(s), {summary.superseded} superseded, "
        f"{len(summary.rejected)} rejected, {summary.rows_staged} row(s) staged.",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``iku ingest``, ``iku template`` and ``iku simulate`` to the CLI."""
    from iku.cli.common import UserError, console, handle_errors, require_schema, runtime

    @app.command("ingest")
    @handle_errors
    def ingest_command(
        paths: Annotated[
            list[Path] | None,
            typer.Argument(help="Files or folders (default: the inbox, IKU_INBOX_DIR)."),
        ] = None,
        agency: Annotated[
            str | None,
            typer.Option(
                "--agency", help="Agency code of files that are not in an <AGENCY_CODE>/ folder."
            ),
        ] = None,
        as_json: Annotated[
            bool, typer.Option("--json", help="Print a machine-readable summary.")
        ] = False,
    ) -> None:
        """Archive, read and stage agency submissions; reject bad files with a notice."""
        from iku.ingest.service import UnknownAgencyError
        from iku.operations.ingest import ingest, load_context

        require_schema()
        rt = runtime()
        targets = list(paths or [rt.paths.inbox])
        for path in targets:
            if not path.exists():
                raise UserError(f"{path} does not exist; give a file or a folder to ingest")
        context = load_context(rt)
        if not context.agencies:
            raise UserError("the catalog is empty; run `iku catalog load` first")
        try:
            summary = ingest(rt, targets, agency=agency, context=context)
        except UnknownAgencyError as exc:
            raise UserError(str(exc)) from None
        if as_json:
            typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_summary(summary)

    @app.command("template")
    @handle_errors
    def template_command(
        agency: Annotated[str, typer.Option("--agency", help="Agency code, e.g. DINKES.")],
        period: Annotated[str, typer.Option("--period", help="Reporting period YYYY-MM.")],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Output .xlsx (default: <output>/templates/...)."),
        ] = None,
    ) -> None:
        """Write the pre-filled .xlsx submission template of an agency for a period."""
        from iku.operations.template import default_path, template_spec, write

        require_schema()
        _check_period(period)
        rt = runtime()
        try:
            spec = template_spec(rt, agency, period)
        except KeyError:
            raise UserError(
                f"unknown agency code {agency!r}; see data/catalog/agencies.csv "
                "(and run `iku catalog load`)"
            ) from None
        if not spec.rows:
            raise UserError(f"agency {spec.agency_code} has no active IKU; check the catalog")
        target = out or default_path(rt, spec)
        if target.suffix.lower() != ".xlsx":
            raise UserError(f"{target} must end in .xlsx")
        write(spec, target)
        console.print(f"Template for {spec.agency_code} {period} ({len(spec.rows)} IKU): {target}")

    @app.command("simulate")
    @handle_errors
    def simulate_command(
        period: Annotated[str, typer.Option("--period", help="Last simulated period, YYYY-MM.")],
        out: Annotated[Path, typer.Option("--out", help="Folder to write DIR/<AGENCY>/...")],
        months: Annotated[
            int, typer.Option("--months", min=1, max=36, help="How many months up to --period.")
        ] = 3,
        agencies: Annotated[
            str, typer.Option("--agencies", help="'all' or comma-separated agency codes.")
        ] = "all",
        defects: Annotated[
            int, typer.Option("--defects", min=0, help="How many defects to plant.")
        ] = 0,
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 2026,
    ) -> None:
        """Write realistic simulated submissions (with planted defects and a manifest)."""
        from iku.catalog import read_catalog
        from iku.simulate import SimulationError, simulate

        _check_period(period)
        chosen = None
        if agencies.strip().lower() != "all":
            chosen = [a for a in agencies.split(",") if a.strip()]
        try:
            rt = runtime()
            result = simulate(
                read_catalog(rt.paths.catalog, rt.rules),
                rt.rules,
                period=period,
                out_dir=out,
                months=months,
                agencies=chosen,
                defects=defects,
                seed=seed,
            )
        except SimulationError as exc:
            raise UserError(str(exc)) from None
        console.print(
            f"Simulated {len(result.files)} file(s), {result.rows} data row(s), "
            f"{len(result.defects)} defect(s) planted (of {defects} asked) in {out}. "
            f"Manifest: {result.manifest_path}",
            highlight=False,
        )
        if result.audit:
            console.print(f"[yellow]Audit notes:[/] {'; '.join(result.audit)}")
