"""``iku render``: the bulletins of a period (HTML, PDF, index, manifest) and their delivery.

Runs the plain functions directly (no Prefect start-up); the monthly flow runs the same steps
as tasks. WeasyPrint loads inside the command, so ``iku --help`` stays quick. The period's
cycle lock is held throughout: never beside a running cycle (or another render) of the period.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Final

import typer

if TYPE_CHECKING:
    from iku.locks import CycleHold
    from iku.runtime import Runtime

# --- user-facing text (Bahasa Indonesia) ------------------------------------------------------
HELP_RENDER: Final = (
    "Buat buletin satu periode lalu kirimkan (masing-masing sekali, kecuali dengan --resend)."
)
HELP_PERIOD: Final = "Periode YYYY-MM."
HELP_RESEND: Final = "Kirim lagi buletin yang sudah terkirim."
HELP_RESEND_UNKNOWN: Final = (
    "Kirim lagi hanya pengiriman yang hasilnya tidak diketahui (server surel atau proses ini "
    "berhenti di tengah pengiriman), dengan Message-ID yang tercatat."
)
HELP_DELIVER: Final = "Kirim e-mail (atau tulis .eml) setelah buletin dibuat."
HELP_WORKERS: Final = "Jumlah proses pembuat buletin [bawaan: jumlah CPU]."
MSG_RENDERING: Final = "Membuat buletin {period}..."
TITLE_BULLETINS: Final = "Buletin {period}"
COLUMNS_BULLETINS: Final = ("sasaran", "buletin")
AUDIENCE_WORDS: Final = {"province": "provinsi", "agency": "perangkat daerah", "index": "indeks"}
MSG_INDEX: Final = "Indeks: {path}"
MSG_MANIFEST: Final = "Manifes: {path}"
MSG_REISSUED: Final = (
    "Diterbitkan ulang karena angkanya berubah setelah dikirim: {subjects} (terbitan sebelumnya "
    "disimpan di {archive})."
)
MSG_KEPT: Final = (
    "{count} buletin yang sudah dikirim tidak berubah angkanya dan dibiarkan apa adanya."
)
MSG_FAILED: Final = "[red]Gagal[/] {subject}: {error}"
MSG_DELIVERY: Final = (
    "Pengiriman ({where}): {sent} terkirim, {skipped} sudah terkirim sebelumnya, {failed} gagal, "
    "{unknown} belum pasti."
)
MSG_NOT_DELIVERED: Final = (
    "[red]Tidak terkirim[/] {subject} -> {email} setelah {attempts} percobaan: {error}"
)
MSG_UNKNOWN: Final = (
    "[yellow]Belum pasti[/] {subject} -> {email} (Message-ID {message_id}) mungkin sudah "
    "sampai: {error}"
)
MSG_SOME_FAILED: Final = (
    "{rendered} buletin gagal dibuat dan {delivered} pengiriman gagal (tercantum di atas); "
    "perbaiki penyebabnya lalu jalankan perintah yang sama lagi: yang sudah berhasil tidak "
    "dikirim dua kali."
)
MSG_SOME_UNKNOWN: Final = (
    "{count} pengiriman belum pasti sampai atau tidak (tercantum di atas) dan tidak dikirim "
    "lagi dengan sendirinya; tanyakan kepada penerima atau pengelola server surel (menurut "
    "Message-ID), lalu bila perlu jalankan lagi dengan --resend-unknown."
)


def register(app: typer.Typer) -> None:
    """Add ``iku render`` to the CLI."""
    from iku.cli.common import UserError, console, err, require_schema, runtime

    @app.command("render", help=HELP_RENDER)
    def render_command(
        period: Annotated[str, typer.Option("--period", "-p", help=HELP_PERIOD)],
        resend: Annotated[bool, typer.Option("--resend", help=HELP_RESEND)] = False,
        resend_unknown: Annotated[
            bool, typer.Option("--resend-unknown", help=HELP_RESEND_UNKNOWN)
        ] = False,
        deliver: Annotated[bool, typer.Option("--deliver/--no-deliver", help=HELP_DELIVER)] = True,
        workers: Annotated[
            int | None, typer.Option("--workers", "-w", min=1, help=HELP_WORKERS)
        ] = None,
    ) -> None:
        """Render the bulletins of a period and deliver them (once each unless --resend)."""
        from iku.calendar import Period
        from iku.locks import CycleBusyError, CycleLockLostError
        from iku.operations.cycle import hold
        from iku.processes import reap_descendants_at_exit

        Period.parse(period)
        require_schema()
        rt = runtime()
        reap_descendants_at_exit()  # the render workers end with this process
        try:
            # The period's cycle lock: never beside a running cycle (or a second render) of
            # the same period, so a bulletin is never rendered or delivered by two at once.
            with hold(rt, period) as held:
                _render_and_deliver(rt, held, period, workers, deliver, resend, resend_unknown)
        except (CycleBusyError, CycleLockLostError) as exc:
            raise UserError(str(exc)) from None

    def _render_and_deliver(
        rt: Runtime,
        held: CycleHold,
        period: str,
        workers: int | None,
        deliver: bool,
        resend: bool,
        resend_unknown: bool,
    ) -> None:
        from rich.markup import escape
        from rich.table import Table

        from iku.bulletins.revisions import ARCHIVE_DIR
        from iku.operations.deliver import deliver as deliver_bulletins
        from iku.operations.render import render

        with console.status(MSG_RENDERING.format(period=period)):
            result = render(rt, period, workers=workers or os.cpu_count() or 1, fence=held.fence)

        table = Table(title=TITLE_BULLETINS.format(period=period))
        table.add_column(COLUMNS_BULLETINS[0])
        table.add_column(COLUMNS_BULLETINS[1], justify="right")
        for audience in ("province", "agency", "index"):
            count = sum(1 for b in result.bulletins if b.audience == audience)
            table.add_row(AUDIENCE_WORDS[audience], str(count))
        console.print(table)
        console.print(MSG_INDEX.format(path=result.index_path), markup=False)
        console.print(MSG_MANIFEST.format(path=result.manifest_path), markup=False)
        if result.reissued:
            subjects = ", ".join(
                f"{b.subject_key} (Revisi {b.decision.revision})"
                for b in result.reissued
                if b.decision is not None
            )
            archive = result.output_dir / ARCHIVE_DIR
            console.print(MSG_REISSUED.format(subjects=subjects, archive=archive), markup=False)
        if result.kept:
            console.print(MSG_KEPT.format(count=len(result.kept)))
        for failure in result.failures:
            err.print(
                MSG_FAILED.format(
                    subject=escape(failure.subject_key), error=escape(str(failure.error))
                ),
                highlight=False,
            )

        failed_deliveries = unknown_deliveries = 0
        if deliver:
            held.ensure()
            report = deliver_bulletins(
                rt, period, resend=resend, resend_unknown=resend_unknown, fence=held.fence
            )
            where = "SMTP" if report.channel == "smtp" else f"{result.output_dir / 'outbox'}"
            console.print(
                MSG_DELIVERY.format(
                    where=where,
                    sent=report.sent,
                    skipped=report.skipped,
                    failed=report.failed,
                    unknown=report.unknown,
                ),
                markup=False,
            )
            for outcome in report.failures:
                err.print(
                    MSG_NOT_DELIVERED.format(
                        subject=escape(outcome.subject_key),
                        email=escape(outcome.email),
                        attempts=outcome.attempts,
                        error=escape(str(outcome.error)),
                    ),
                    highlight=False,
                )
            for outcome in report.uncertain:
                err.print(
                    MSG_UNKNOWN.format(
                        subject=escape(outcome.subject_key),
                        email=escape(outcome.email),
                        message_id=escape(str(outcome.message_id)),
                        error=escape(str(outcome.error)),
                    ),
                    highlight=False,
                )
            failed_deliveries, unknown_deliveries = report.failed, report.unknown

        if result.failures or failed_deliveries:
            raise UserError(
                MSG_SOME_FAILED.format(rendered=len(result.failures), delivered=failed_deliveries)
            )
        if unknown_deliveries:
            raise UserError(MSG_SOME_UNKNOWN.format(count=unknown_deliveries))
