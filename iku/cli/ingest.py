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

if TYPE_CHECKING:
    from iku.ingest.service import IngestSummary, Receipt

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
HELP_RECEIVED_AT: Final = (
    "Kapan berkas yang datang lewat jalur lain (surel, diska lepas) diterima, misalnya "
    "2026-10-03T09:15+07:00 (bawaan: sekarang). Wajib dengan --by."
)
HELP_BY: Final = "Siapa yang menyatakan --received-at (dicatat bersama berkasnya)."
HELP_MANIFEST: Final = (
    "Manifes simulasi (DIR/.simulation/manifest.json): terima berkasnya dengan waktu terima "
    "yang dinyatakannya. Wajib dengan --by."
)
HELP_ARCHIVE: Final = "Arsip berkas yang diterima."
HELP_ARCHIVE_VERIFY: Final = (
    "Periksa setiap berkas arsip terhadap sha256 pada namanya; keluar dengan kode 1 bila ada "
    "yang berbeda."
)
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
MSG_AUDIT: Final = "Catatan audit: {notes}"
MSG_NOT_A_TIME: Final = "--received-at {text!r} bukan waktu; tulis misalnya 2026-10-03T09:15+07:00."
MSG_IN_FUTURE: Final = (
    "--received-at {text} ada di masa depan; nyatakan kapan berkasnya benar-benar tiba."
)
MSG_NEEDS_BY: Final = "{option} wajib disertai --by NAMA: siapa yang menyatakan kapan berkas tiba."
MSG_BY_TOO_LONG: Final = "--by paling banyak {limit} karakter."
MSG_BY_ALONE: Final = "--by hanya dipakai bersama --received-at (atau --manifest)."
MSG_MANIFEST_AND_PATHS: Final = (
    "--manifest sudah menyebut berkasnya sendiri; jangan beri PATH atau --received-at."
)
MSG_NOT_A_MANIFEST: Final = "{path} bukan manifes simulasi ({problem})."
MSG_CORRUPTED: Final = "Rusak"
MSG_ARCHIVE_CHECKED: Final = "{checked} berkas arsip diperiksa di {folder}; {problems} masalah."
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
    "refused": "tidak diterima",
    "skipped": "ditunda",
}
MSG_DUPLICATE_OF: Final = "bita sama dengan kiriman #{id}"
MSG_SUPERSEDES: Final = "#{id}, menggantikan #{old}"
MSG_HELD: Final = ", {count} ditahan"
MSG_IDENTICAL_TO: Final = ", sama dengan kiriman {agencies}"
MSG_NOTICE: Final = " Pemberitahuan: {notice}"
MSG_INGEST_SUMMARY: Final = (
    "{seen} berkas dilihat, {created} kiriman dibuat, {duplicates} ganda, {superseded} "
    "menggantikan, {rejected} ditolak, {refused} tidak diterima, {skipped} ditunda sampai "
    "pemindaian berikutnya, {rows} baris ditampung ({held} ditahan untuk pengelola data)."
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
        raise UserError(MSG_BAD_PERIOD.format(period=period))
    return period


def _word(status: str) -> Any:
    from rich.text import Text

    return Text(OUTCOME_WORDS.get(status, status), style=_STATUS_STYLE.get(status, ""))


def _print_summary(summary: IngestSummary) -> None:
    from rich.table import Table
    from rich.text import Text

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
        if outcome.held:
            detail += MSG_HELD.format(count=outcome.held)
        if outcome.identical_to:
            detail += MSG_IDENTICAL_TO.format(agencies=", ".join(outcome.identical_to))
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
            plain(MSG_NOTICE.format(notice=outcome.notice) if outcome.notice else ""),
        )
        console.print(line, highlight=False)
    console.print(
        MSG_INGEST_SUMMARY.format(
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
        raise UserError(MSG_NOT_A_TIME.format(text=text)) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=TIMEZONE)
    if moment > now:
        raise UserError(MSG_IN_FUTURE.format(text=text))
    return moment


def stated_by(by: str | None, option: str) -> str:
    """``--by``: who states a receipt time (recorded with it)."""
    from iku.cli.common import UserError

    name = " ".join((by or "").split())
    if not name:
        raise UserError(MSG_NEEDS_BY.format(option=option))
    if len(name) > _MAX_BY:
        raise UserError(MSG_BY_TOO_LONG.format(limit=_MAX_BY))
    return name


def _receipt(received_at: str | None, by: str | None, now: datetime) -> Receipt | None:
    from iku.cli.common import UserError
    from iku.ingest.service import Receipt

    if received_at is None:
        if by is not None:
            raise UserError(MSG_BY_ALONE)
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
                raise UserError(MSG_MANIFEST_AND_PATHS)
            who = stated_by(by, "--manifest")
            try:
                stated = stated_receipts(manifest)
            except (OSError, ValueError, KeyError) as exc:
                raise UserError(MSG_NOT_A_MANIFEST.format(path=manifest, problem=exc)) from None
        rt = runtime()
        targets = list(paths or [rt.paths.inbox])
        for path in targets if manifest is None else []:
            if not path.exists() and not path.is_symlink():
                raise UserError(MSG_PATH_MISSING.format(path=path))
        code = require_agency(agency)
        context = load_context(rt)
        try:
            if not context.agencies:
                raise UserError(MSG_EMPTY_CATALOG)
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
                    (MSG_CORRUPTED + " ", "bold red"), plain(problem.path), ": ", problem.problem
                ),
                highlight=False,
            )
        console.print(
            MSG_ARCHIVE_CHECKED.format(checked=checked, folder=folder, problems=len(problems)),
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
            markup=False,
        )
        if result.audit:
            console.print(MSG_AUDIT.format(notes="; ".join(result.audit)), markup=False)
