"""``iku ingest``, ``iku template`` and ``iku simulate``: getting agency submissions in.

The ingestion, template and simulator modules load openpyxl and friends only when a command
runs, so ``iku --help`` stays quick. ``iku ingest`` calls the plain functions (no Prefect); the
``ingest_inbox`` Prefect flow is for schedules.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Final

import typer

if TYPE_CHECKING:
    from iku.ingest.service import IngestSummary

# --- user-facing text (Bahasa Indonesia) ------------------------------------------------------
HELP_INGEST: Final = (
    "Arsipkan, baca dan tampung kiriman perangkat daerah; tolak berkas yang buruk dengan "
    "pemberitahuan."
)
HELP_PATHS: Final = "Berkas atau folder (bawaan: kotak masuk, IKU_INBOX_DIR)."
HELP_INGEST_AGENCY: Final = (
    "Kode perangkat daerah untuk berkas yang tidak berada di folder <KODE>/."
)
HELP_INGEST_JSON: Final = "Cetak ringkasan untuk mesin (JSON)."
HELP_TEMPLATE: Final = "Tulis templat .xlsx terisi milik satu perangkat daerah untuk satu periode."
HELP_TEMPLATE_AGENCY: Final = "Kode perangkat daerah, misalnya DINKES."
HELP_TEMPLATE_PERIOD: Final = "Periode laporan YYYY-MM."
HELP_TEMPLATE_OUT: Final = (
    "Berkas .xlsx keluaran (bawaan: <keluaran>/templates/...); foldernya harus ada."
)
HELP_SIMULATE: Final = (
    "Tulis kiriman simulasi yang realistis (dengan cacat yang ditanam dan manifes)."
)
HELP_SIM_PERIOD: Final = "Periode simulasi terakhir, YYYY-MM."
HELP_SIM_OUT: Final = "Folder tujuan DIR/<KODE>/... (folder induknya harus ada)."
HELP_SIM_MONTHS: Final = "Berapa bulan sampai --period."
HELP_SIM_AGENCIES: Final = "'all' atau kode perangkat daerah dipisah koma."
HELP_SIM_DEFECTS: Final = "Berapa cacat yang ditanam."
HELP_SIM_SEED: Final = "Benih acak."
MSG_BAD_PERIOD: Final = "Periode {period!r} bukan YYYY-MM; tulis misalnya --period 2026-10."
MSG_PATH_MISSING: Final = "{path} tidak ada; berikan berkas atau folder yang akan diterima."
MSG_EMPTY_CATALOG: Final = "Katalog masih kosong; jalankan `iku catalog load` dulu."
MSG_NO_ACTIVE_IKU: Final = "Perangkat daerah {code} tidak memiliki IKU aktif; periksa katalog."
MSG_NOT_XLSX: Final = "{path} harus berakhiran .xlsx."
MSG_TEMPLATE: Final = "Templat {code} {period} ({count} IKU): {path}"
MSG_SIMULATED: Final = (
    "{files} berkas disimulasikan, {rows} baris data, {defects} cacat ditanam (dari {asked} "
    "yang diminta) di {out}. Manifes: {manifest}"
)
MSG_AUDIT: Final = "[yellow]Catatan audit:[/] {notes}"
TITLE_INGEST: Final = "Penerimaan"
COLUMNS_INGEST: Final = (
    "berkas",
    "perangkat daerah",
    "periode",
    "format",
    "hasil",
    "baris",
    "rincian",
)
OUTCOME_WORDS: Final = {
    "staged": "ditampung",
    "superseded": "menggantikan",
    "rejected": "ditolak",
    "duplicate": "ganda",
    "ignored": "diabaikan",
}
MSG_DUPLICATE_OF: Final = "bita sama dengan kiriman #{id}"
MSG_SUPERSEDES: Final = "#{id}, menggantikan #{old}"
MSG_REJECTED: Final = "[bold red]Ditolak[/] {file} ({rule}): {reason}"
MSG_NOTICE: Final = " Pemberitahuan: {notice}"
MSG_INGEST_SUMMARY: Final = (
    "{seen} berkas dilihat, {created} kiriman dibuat, {duplicates} ganda, {superseded} "
    "menggantikan, {rejected} ditolak, {rows} baris ditampung."
)

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
        raise UserError(MSG_BAD_PERIOD.format(period=period))
    return period


def _print_summary(summary: IngestSummary) -> None:
    from rich.table import Table

    from iku.cli.common import console

    table = Table(title=TITLE_INGEST, show_lines=False)
    for index, column in enumerate(COLUMNS_INGEST):
        table.add_column(
            column,
            justify="right" if index == 5 else "left",
            overflow="fold",
            no_wrap=index in (1, 2, 3, 4, 5),
        )
    for outcome in summary.files:
        if outcome.status == "rejected":
            detail = outcome.rule or ""
        elif outcome.status == "duplicate":
            detail = MSG_DUPLICATE_OF.format(id=outcome.duplicate_of)
        elif outcome.supersedes_id is not None:
            detail = MSG_SUPERSEDES.format(id=outcome.submission_id, old=outcome.supersedes_id)
        elif outcome.submission_id is not None:
            detail = f"#{outcome.submission_id}"
        else:
            detail = outcome.reason or ""
        style = _STATUS_STYLE.get(outcome.status, "")
        word = OUTCOME_WORDS.get(outcome.status, outcome.status)
        table.add_row(
            Path(outcome.file).name,
            outcome.agency or "-",
            outcome.period or "-",
            outcome.reader or outcome.file_format or "-",
            f"[{style}]{word}[/]" if style else word,
            str(outcome.rows),
            detail,
        )
    console.print(table)
    for outcome in summary.rejected:
        console.print(
            MSG_REJECTED.format(file=outcome.file, rule=outcome.rule, reason=outcome.reason)
            + (MSG_NOTICE.format(notice=outcome.notice) if outcome.notice else ""),
            highlight=False,
        )
    console.print(
        MSG_INGEST_SUMMARY.format(
            seen=summary.files_seen,
            created=summary.submissions_created,
            duplicates=summary.duplicates,
            superseded=summary.superseded,
            rejected=len(summary.rejected),
            rows=summary.rows_staged,
        ),
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``iku ingest``, ``iku template`` and ``iku simulate`` to the CLI."""
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
    ) -> None:
        """Archive, read and stage agency submissions; reject bad files with a notice."""
        from iku.operations.ingest import ingest, load_context

        require_schema()
        rt = runtime()
        targets = list(paths or [rt.paths.inbox])
        for path in targets:
            if not path.exists():
                raise UserError(MSG_PATH_MISSING.format(path=path))
        code = require_agency(agency)
        context = load_context(rt)
        if not context.agencies:
            raise UserError(MSG_EMPTY_CATALOG)
        summary = ingest(rt, targets, agency=code, context=context)
        if as_json:
            typer.echo(json.dumps(summary.to_dict(), ensure_ascii=False, indent=2))
        else:
            _print_summary(summary)

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
                raise UserError(MSG_NOT_XLSX.format(path=out))
            out = existing_parent(out, "--out")
        require_schema()
        code = require_agency(agency)
        assert code is not None
        from iku.operations.template import default_path, template_spec, write

        rt = runtime()
        spec = template_spec(rt, code, period)
        if not spec.rows:
            raise UserError(MSG_NO_ACTIVE_IKU.format(code=spec.agency_code))
        target = out or default_path(rt, spec)
        write(spec, target)
        console.print(
            MSG_TEMPLATE.format(
                code=spec.agency_code, period=period, count=len(spec.rows), path=target
            )
        )

    @app.command("simulate", help=HELP_SIMULATE)
    def simulate_command(
        period: Annotated[str, typer.Option("--period", help=HELP_SIM_PERIOD)],
        out: Annotated[Path, typer.Option("--out", help=HELP_SIM_OUT)],
        months: Annotated[int, typer.Option("--months", min=1, max=36, help=HELP_SIM_MONTHS)] = 3,
        agencies: Annotated[str, typer.Option("--agencies", help=HELP_SIM_AGENCIES)] = "all",
        defects: Annotated[int, typer.Option("--defects", min=0, help=HELP_SIM_DEFECTS)] = 0,
        seed: Annotated[int, typer.Option("--seed", help=HELP_SIM_SEED)] = 2026,
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
            read_catalog(rt.paths.catalog),
            rt.rules,
            period=period,
            out_dir=out,
            months=months,
            agencies=chosen,
            defects=defects,
            seed=seed,
        )
        console.print(
            MSG_SIMULATED.format(
                files=len(result.files),
                rows=result.rows,
                defects=len(result.defects),
                asked=defects,
                out=out,
                manifest=result.manifest_path,
            ),
            highlight=False,
        )
        if result.audit:
            console.print(MSG_AUDIT.format(notes="; ".join(result.audit)))
