"""``iku ingest``, ``iku archive verify``, ``iku template`` and ``iku simulate``: getting agency
submissions in.

The ingestion, template and simulator modules load openpyxl and friends only when a command
runs, so ``iku --help`` stays quick. ``iku ingest`` calls the plain functions (no Prefect); the
``ingest_inbox`` Prefect flow is for schedules. Everything an agency wrote (file names, cells
quoted in reasons) is printed as data, never as terminal markup.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Final

import typer

from iku.i18n import N_, _

if TYPE_CHECKING:
    from iku.ingest.service import IngestSummary, Receipt

# --- user-facing text: English msgids (N_), translated through iku/locale when shown -----------
HELP_INGEST: Final = N_(
    "Archive, read and stage the agencies' submissions; reject bad files with a notice."
)
HELP_PATHS: Final = N_("Files or folders (default: the inbox, IKU_INBOX_DIR).")
HELP_INGEST_AGENCY: Final = N_("The agency code for files that are not in a <CODE>/ folder.")
HELP_INGEST_JSON: Final = N_("Print a summary for machines (JSON).")
HELP_RECEIVED_AT: Final = N_(
    "When a file that came through another channel (e-mail, a USB stick) was received, for "
    "example 2026-10-03T09:15+07:00 (default: now). Requires --by."
)
HELP_BY: Final = N_("Who states --received-at (recorded with the file).")
HELP_MANIFEST: Final = N_(
    "A simulation manifest (DIR/.simulation/manifest.json): take its files with the receipt "
    "times it states. Requires --by."
)
HELP_ARCHIVE: Final = N_("The archive of received files.")
HELP_ARCHIVE_VERIFY: Final = N_(
    "Check every archived file against the sha256 in its name; exit with code 1 when any differs."
)
HELP_TEMPLATE: Final = N_("Write the filled .xlsx template of one agency for one period.")
HELP_TEMPLATE_AGENCY: Final = N_("The agency code, for example DINKES.")
HELP_TEMPLATE_PERIOD: Final = N_("The reporting period, YYYY-MM.")
HELP_TEMPLATE_OUT: Final = N_(
    "The .xlsx file to write (default: <output>/templates/...); its folder must exist."
)
HELP_SIMULATE: Final = N_(
    "Write realistic simulated submissions (with planted defects and a manifest)."
)
HELP_SIM_PERIOD: Final = N_("The last simulated period, YYYY-MM.")
HELP_SIM_OUT: Final = N_("The target folder DIR/<CODE>/... (its parent folder must exist).")
HELP_SIM_MONTHS: Final = N_("How many months up to --period.")
HELP_SIM_AGENCIES: Final = N_("'all' or agency codes separated by commas.")
HELP_SIM_DEFECTS: Final = N_("How many defects to plant.")
HELP_SIM_SEED: Final = N_("The random seed.")
HELP_SIM_REALISTIC: Final = N_(
    "Send what real agencies send: a mid-year start, missed and late months, late statistical "
    "releases, unit slips, under-performing agencies."
)
MSG_BAD_PERIOD: Final = N_(
    "The period '%(period)s' is not YYYY-MM; write for example --period 2026-10."
)
MSG_PATH_MISSING: Final = N_("%(path)s does not exist; give the files or folders to take in.")
MSG_EMPTY_CATALOG: Final = N_("The catalog is still empty; run `iku catalog load` first.")
MSG_NO_ACTIVE_IKU: Final = N_("The agency %(code)s has no active IKU; check the catalog.")
MSG_NOT_XLSX: Final = N_("%(path)s must end in .xlsx.")
MSG_TEMPLATE: Final = N_("Template %(code)s %(period)s (%(count)s IKU): %(path)s")
MSG_SIMULATED: Final = N_(
    "%(files)s files simulated, %(rows)s data rows, %(defects)s defects planted (of "
    "%(asked)s asked for) in %(out)s. Manifest: %(manifest)s"
)
MSG_AUDIT: Final = N_("Audit notes: %(notes)s")
MSG_NOT_A_TIME: Final = N_(
    "--received-at '%(text)s' is not a time; write for example 2026-10-03T09:15+07:00."
)
MSG_IN_FUTURE: Final = N_(
    "--received-at %(text)s is in the future; state when the file really arrived."
)
MSG_NEEDS_BY: Final = N_("%(option)s needs --by NAME: who states when the file arrived.")
MSG_BY_TOO_LONG: Final = N_("--by takes at most %(limit)s characters.")
MSG_BY_ALONE: Final = N_("--by is only used with --received-at (or --manifest).")
MSG_MANIFEST_AND_PATHS: Final = N_("--manifest names its own files; give no PATH or --received-at.")
MSG_NOT_A_MANIFEST: Final = N_("%(path)s is not a simulation manifest (%(problem)s).")
MSG_CORRUPTED: Final = N_("Corrupted")
MSG_ARCHIVE_CHECKED: Final = N_(
    "%(checked)s archived files checked in %(folder)s; %(problems)s problems."
)
TITLE_INGEST: Final = N_("Intake")
COLUMNS_INGEST: Final = (
    N_("file"),
    N_("agency"),
    N_("period"),
    N_("format"),
    N_("outcome"),
    N_("rows"),
    N_("details"),
)
OUTCOME_WORDS: Final = {
    "staged": N_("staged"),
    "superseded": N_("superseding"),
    "rejected": N_("rejected"),
    "duplicate": N_("duplicate"),
    "ignored": N_("ignored"),
    "refused": N_("refused"),
    "skipped": N_("deferred"),
}
MSG_DUPLICATE_OF: Final = N_("same bytes as submission #%(id)s")
MSG_SUPERSEDES: Final = N_("#%(id)s, supersedes #%(old)s")
MSG_HELD: Final = N_(", %(count)s held")
MSG_IDENTICAL_TO: Final = N_(", same as the submission of %(agencies)s")
MSG_NOTICE: Final = N_(" Notice: %(notice)s")
MSG_INGEST_SUMMARY: Final = N_(
    "%(seen)s files seen, %(created)s submissions created, %(duplicates)s duplicates, "
    "%(superseded)s superseding, %(rejected)s rejected, %(refused)s refused, %(skipped)s "
    "deferred to the next scan, %(rows)s rows staged (%(held)s held for the data stewards)."
)

_STATUS_STYLE: Final = {
    "staged": "green",
    "superseded": "cyan",
    "rejected": "bold red",
    "duplicate": "yellow",
    "ignored": "dim",
    "refused": "bold magenta",
    "skipped": "yellow",
}
#: The longest name ``--by`` may give (the column that records it).
_MAX_BY: Final = 120


def plain(value: object) -> Any:
    """Agency-controlled text (file names, reasons quoting a cell) as data, never markup:
    ``[/link]`` or ``[red]97,5`` in a cell is shown as written."""
    from rich.text import Text

    return Text("" if value is None else str(value))


def _check_period(period: str) -> str:
    from iku.calendar import is_period
    from iku.cli.common import UserError

    if not is_period(period):
        raise UserError(_(MSG_BAD_PERIOD, period=period))
    return period


def _word(status: str) -> Any:
    from rich.text import Text

    word = OUTCOME_WORDS.get(status)
    return Text(_(word) if word else status, style=_STATUS_STYLE.get(status, ""))


def _print_summary(summary: IngestSummary) -> None:
    from rich.table import Table
    from rich.text import Text

    from iku.cli.common import console

    table = Table(title=_(TITLE_INGEST), show_lines=False)
    for index, column in enumerate(COLUMNS_INGEST):
        table.add_column(
            _(column),
            justify="right" if index == 5 else "left",
            overflow="fold",
            no_wrap=index in (1, 2, 3, 4, 5),
        )
    for outcome in summary.files:
        if outcome.status == "rejected":
            detail = outcome.rule or ""
        elif outcome.status == "duplicate":
            detail = _(MSG_DUPLICATE_OF, id=outcome.duplicate_of)
        elif outcome.supersedes_id is not None:
            detail = _(MSG_SUPERSEDES, id=outcome.submission_id, old=outcome.supersedes_id)
        elif outcome.submission_id is not None:
            detail = f"#{outcome.submission_id}"
        else:
            detail = outcome.reason or ""
        if outcome.held:
            detail += _(MSG_HELD, count=outcome.held)
        if outcome.identical_to:
            detail += _(MSG_IDENTICAL_TO, agencies=", ".join(outcome.identical_to))
        table.add_row(
            plain(Path(outcome.file).name),
            plain(outcome.agency or "-"),
            plain(outcome.period or "-"),
            plain(outcome.reader or outcome.file_format or "-"),
            _word(outcome.status),
            str(outcome.rows),
            plain(detail),
        )
    console.print(table)
    for outcome in [*summary.rejected, *summary.refused, *summary.skipped]:
        line = Text.assemble(
            _word(outcome.status),
            " ",
            plain(outcome.file),
            f" ({outcome.rule})" if outcome.rule else "",
            ": ",
            plain(outcome.reason),
            plain(_(MSG_NOTICE, notice=outcome.notice) if outcome.notice else ""),
        )
        console.print(line, highlight=False)
    console.print(
        _(
            MSG_INGEST_SUMMARY,
            seen=summary.files_seen,
            created=summary.submissions_created,
            duplicates=summary.duplicates,
            superseded=summary.superseded,
            rejected=len(summary.rejected),
            refused=len(summary.refused),
            skipped=len(summary.skipped),
            rows=summary.rows_staged,
            held=summary.rows_held,
        ),
        highlight=False,
    )


def parse_received_at(text: str, now: datetime) -> datetime:
    """``--received-at``: an ISO 8601 time; without a zone it is WIB. Never in the future."""
    from iku.cli.common import UserError
    from iku.settings import TIMEZONE

    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise UserError(_(MSG_NOT_A_TIME, text=text)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TIMEZONE)
    if moment > now:
        raise UserError(_(MSG_IN_FUTURE, text=text))
    return moment


def stated_by(by: str | None, option: str) -> str:
    """``--by``: who states a receipt time (recorded with it)."""
    from iku.cli.common import UserError

    name = " ".join((by or "").split())
    if not name:
        raise UserError(_(MSG_NEEDS_BY, option=option))
    if len(name) > _MAX_BY:
        raise UserError(_(MSG_BY_TOO_LONG, limit=_MAX_BY))
    return name


def _receipt(received_at: str | None, by: str | None, now: datetime) -> Receipt | None:
    from iku.cli.common import UserError
    from iku.ingest.service import Receipt

    if received_at is None:
        if by is not None:
            raise UserError(_(MSG_BY_ALONE))
        return None
    return Receipt(parse_received_at(received_at, now), stated_by(by, "--received-at"))


def register(app: typer.Typer) -> None:
    """Add ``iku ingest``, ``iku archive``, ``iku template`` and ``iku simulate`` to the CLI."""
    from iku.cli.common import (
        UserError,
        console,
        existing_parent,
        require_agency,
        require_schema,
        runtime,
    )

    @app.command("ingest", help=HELP_INGEST)
    def ingest_command(
        paths: Annotated[list[Path] | None, typer.Argument(help=HELP_PATHS)] = None,
        agency: Annotated[str | None, typer.Option("--agency", help=HELP_INGEST_AGENCY)] = None,
        as_json: Annotated[bool, typer.Option("--json", help=HELP_INGEST_JSON)] = False,
        received_at: Annotated[
            str | None, typer.Option("--received-at", help=HELP_RECEIVED_AT)
        ] = None,
        by: Annotated[str | None, typer.Option("--by", help=HELP_BY)] = None,
        manifest: Annotated[Path | None, typer.Option("--manifest", help=HELP_MANIFEST)] = None,
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
                raise UserError(_(MSG_MANIFEST_AND_PATHS))
            who = stated_by(by, "--manifest")
            try:
                stated = stated_receipts(manifest)
            except (OSError, ValueError, KeyError) as exc:
                raise UserError(_(MSG_NOT_A_MANIFEST, path=manifest, problem=exc)) from None
        rt = runtime()
        targets = list(paths or [rt.paths.inbox])
        for path in targets if manifest is None else []:
            if not path.exists() and not path.is_symlink():
                raise UserError(_(MSG_PATH_MISSING, path=path))
        code = require_agency(agency)
        context = load_context(rt)
        try:
            if not context.agencies:
                raise UserError(_(MSG_EMPTY_CATALOG))
            if manifest is not None:
                summary = ingest_stated(stated, context, by=who)
            else:
                summary = ingest_paths(targets, agency=code, context=context, receipt=receipt)
        except UnknownAgencyError as exc:
            raise UserError(str(exc)) from None
        finally:
            context.close()
        if as_json:
            typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_summary(summary)

    archive_app = typer.Typer(help=HELP_ARCHIVE, no_args_is_help=True)
    app.add_typer(archive_app, name="archive")

    @archive_app.command("verify", help=HELP_ARCHIVE_VERIFY)
    def archive_verify() -> None:
        """Check every archived file against the sha256 in its name; exit 1 if any differs."""
        from rich.text import Text

        from iku.ingest.archive import verify_archive

        folder = runtime().paths.archive
        checked, problems = verify_archive(folder)
        for problem in problems:
            console.print(
                Text.assemble(
                    (_(MSG_CORRUPTED) + " ", "bold red"), plain(problem.path), ": ", problem.problem
                ),
                highlight=False,
            )
        console.print(
            _(MSG_ARCHIVE_CHECKED, checked=checked, folder=folder, problems=len(problems)),
            highlight=False,
            markup=False,
        )
        if problems:
            raise typer.Exit(1)

    @app.command("template", help=HELP_TEMPLATE)
    def template_command(
        agency: Annotated[str, typer.Option("--agency", help=HELP_TEMPLATE_AGENCY)],
        period: Annotated[str, typer.Option("--period", help=HELP_TEMPLATE_PERIOD)],
        out: Annotated[Path | None, typer.Option("--out", help=HELP_TEMPLATE_OUT)] = None,
    ) -> None:
        """Write the pre-filled .xlsx submission template of an agency for a period."""
        _check_period(period)
        if out is not None:
            if out.suffix.lower() != ".xlsx":
                raise UserError(_(MSG_NOT_XLSX, path=out))
            out = existing_parent(out, "--out")
        require_schema()
        code = require_agency(agency)
        assert code is not None
        from iku.operations.template import default_path, template_spec, write

        rt = runtime()
        spec = template_spec(rt, code, period)
        if not spec.rows:
            raise UserError(_(MSG_NO_ACTIVE_IKU, code=spec.agency_code))
        target = out or default_path(rt, spec)
        write(spec, target)
        console.print(
            _(
                MSG_TEMPLATE,
                code=spec.agency_code,
                period=period,
                count=len(spec.rows),
                path=target,
            ),
            highlight=False,
            markup=False,
        )

    @app.command("simulate", help=HELP_SIMULATE)
    def simulate_command(
        period: Annotated[str, typer.Option("--period", help=HELP_SIM_PERIOD)],
        out: Annotated[Path, typer.Option("--out", help=HELP_SIM_OUT)],
        months: Annotated[int, typer.Option("--months", min=1, max=36, help=HELP_SIM_MONTHS)] = 3,
        agencies: Annotated[str, typer.Option("--agencies", help=HELP_SIM_AGENCIES)] = "all",
        defects: Annotated[int, typer.Option("--defects", min=0, help=HELP_SIM_DEFECTS)] = 0,
        seed: Annotated[int, typer.Option("--seed", help=HELP_SIM_SEED)] = 2026,
        realistic: Annotated[
            bool, typer.Option("--realistic/--clean", help=HELP_SIM_REALISTIC)
        ] = False,
    ) -> None:
        """Write realistic simulated submissions (with planted defects and a manifest)."""
        _check_period(period)
        out = existing_parent(out, "--out")  # DIR itself is created; nothing above it
        from iku.catalog import read_catalog
        from iku.simulate import simulate

        chosen = None
        if agencies.strip().lower() != "all":
            chosen = [a for a in agencies.split(",") if a.strip()]
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
            realistic=realistic,
        )
        console.print(
            _(
                MSG_SIMULATED,
                files=len(result.files),
                rows=result.rows,
                defects=len(result.defects),
                asked=defects,
                out=out,
                manifest=result.manifest_path,
            ),
            highlight=False,
            markup=False,
        )
        if result.audit:
            console.print(_(MSG_AUDIT, notes="; ".join(result.audit)), markup=False)
