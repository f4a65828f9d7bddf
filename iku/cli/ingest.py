"""``iku ingest``, ``iku template`` and ``iku simulate``: getting agency submissions in.

The ingestion, template and simulator modules load openpyxl and friends only when a command
runs, so ``iku --help`` stays quick. ``iku ingest`` calls the plain functions (no Prefect); the
``ingest_inbox`` Prefect flow is for schedules.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

if TYPE_CHECKING:
    from iku.ingest.service import IngestSummary, Receipt

_STATUS_STYLE = {
    "staged": "green",
    "superseded": "cyan",
    "rejected": "bold red",
    "duplicate": "yellow",
    "ignored": "dim",
    "refused": "bold magenta",
    "skipped": "yellow",
}
#: The longest name ``--by`` may give (the column that records it).
_MAX_BY = 120


def plain(value: object) -> Text:
    """Agency-controlled text (file names, reasons quoting a cell) as data, never markup:
    ``[/link]`` or ``[red]97,5`` in a cell is shown as written."""
    return Text("" if value is None else str(value))


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
        if outcome.held:
            detail += f", {outcome.held} held"
        if outcome.identical_to:
            detail += ", identical to " + ", ".join(outcome.identical_to)
        table.add_row(
            plain(Path(outcome.file).name),
            plain(outcome.agency or "-"),
            plain(outcome.period or "-"),
            plain(outcome.reader or outcome.file_format or "-"),
            Text(outcome.status, style=_STATUS_STYLE.get(outcome.status, "")),
            str(outcome.rows),
            plain(detail),
        )
    console.print(table)
    for outcome in [*summary.rejected, *summary.refused, *summary.skipped]:
        line = Text.assemble(
            (outcome.status.capitalize(), _STATUS_STYLE.get(outcome.status, "")),
            " ",
            plain(outcome.file),
            f" ({outcome.rule})" if outcome.rule else "",
            ": ",
            plain(outcome.reason),
            plain(f" Notice: {outcome.notice}" if outcome.notice else ""),
        )
        console.print(line, highlight=False)
    console.print(
        f"{summary.files_seen} file(s) seen, {summary.submissions_created} submission(s) "
        f"created, {summary.duplicates} duplicate(s), {summary.superseded} superseded, "
        f"{len(summary.rejected)} rejected, {len(summary.refused)} refused, "
        f"{len(summary.skipped)} skipped until the next scan, {summary.rows_staged} row(s) "
        f"staged ({summary.rows_held} held for the stewards).",
        highlight=False,
    )


def parse_received_at(text: str, now: datetime) -> datetime:
    """``--received-at``: an ISO 8601 time; without a zone it is WIB. Never in the future."""
    from iku.cli.common import UserError
    from iku.settings import TIMEZONE

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(
            f"--received-at {text!r} is not a time; write e.g. 2026-10-03T09:15+07:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TIMEZONE)
    if moment > now:
        raise UserError(f"--received-at {text} is in the future; state when the file arrived")
    return moment


def stated_by(by: str | None, option: str) -> str:
    """``--by``: who states a receipt time (recorded with it)."""
    from iku.cli.common import UserError

    name = " ".join((by or "").split())
    if not name:
        raise UserError(f"{option} needs --by NAME: who states when the files arrived")
    if len(name) > _MAX_BY:
        raise UserError(f"--by is at most {_MAX_BY} characters")
    return name


def _receipt(received_at: str | None, by: str | None, now: datetime) -> Receipt | None:
    from iku.cli.common import UserError
    from iku.ingest.service import Receipt

    if received_at is None:
        if by is not None:
            raise UserError("--by goes with --received-at (or --manifest)")
        return None
    return Receipt(parse_received_at(received_at, now), stated_by(by, "--received-at"))


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
        received_at: Annotated[
            str | None,
            typer.Option(
                "--received-at",
                help="When files that came through another channel (e-mail, a flash drive) "
                "were received, e.g. 2026-10-03T09:15+07:00 (default: now). Needs --by.",
            ),
        ] = None,
        by: Annotated[
            str | None,
            typer.Option("--by", help="Who states --received-at (recorded with the files)."),
        ] = None,
        manifest: Annotated[
            Path | None,
            typer.Option(
                "--manifest",
                help="A simulation's manifest (DIR/.simulation/manifest.json): ingest its "
                "files with the receipt times it states. Needs --by.",
            ),
        ] = None,
    ) -> None:
        """Archive, read and stage agency submissions; reject bad files with a notice."""
        from iku.db import now_wib
        from iku.ingest.service import UnknownAgencyError, ingest_paths, ingest_stated
        from iku.operations.ingest import load_context

        require_schema()
        receipt = _receipt(received_at, by, now_wib()) if manifest is None else None
        if manifest is not None:
            from iku.simulate import stated_receipts

            if paths or received_at is not None:
                raise UserError("--manifest names the files itself; give no PATH or --received-at")
            who = stated_by(by, "--manifest")
            try:
                stated = stated_receipts(manifest)
            except (OSError, ValueError, KeyError) as exc:
                raise UserError(f"{manifest} is not a simulation manifest ({exc})") from None
        rt = runtime()
        targets = list(paths or [rt.paths.inbox])
        for path in targets if manifest is None else []:
            if not path.exists() and not path.is_symlink():
                raise UserError(f"{path} does not exist; give a file or a folder to ingest")
        context = load_context(rt)
        try:
            if not context.agencies:
                raise UserError("the catalog is empty; run `iku catalog load` first")
            if manifest is not None:
                summary = ingest_stated(stated, context, by=who)
            else:
                summary = ingest_paths(targets, agency=agency, context=context, receipt=receipt)
        except UnknownAgencyError as exc:
            raise UserError(str(exc)) from None
        finally:
            context.close()
        if as_json:
            typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_summary(summary)

    archive_app = typer.Typer(help="The archive of received files.", no_args_is_help=True)
    app.add_typer(archive_app, name="archive")

    @archive_app.command("verify")
    @handle_errors
    def archive_verify() -> None:
        """Check every archived file against the sha256 in its name; exit 1 if any differs."""
        from iku.ingest.archive import verify_archive

        folder = runtime().paths.archive
        checked, problems = verify_archive(folder)
        for problem in problems:
            console.print(
                Text.assemble(
                    ("Corrupted ", "bold red"), plain(problem.path), ": ", problem.problem
                ),
                highlight=False,
            )
        console.print(
            f"{checked} archived file(s) checked in {folder}; {len(problems)} problem(s)."
        )
        if problems:
            raise typer.Exit(1)

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
