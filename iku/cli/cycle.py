"""`iku run`, `iku remind` and `iku schedule`: the monthly cycle and its schedules."""

from __future__ import annotations

import json
from typing import Annotated, Final

import typer
from rich.markup import escape

# --- user-facing text (Bahasa Indonesia) ------------------------------------------------------
HELP_SCHEDULE: Final = "Jadwal deployment di prefect.yaml yang mengikuti berkas aturan."
HELP_RUN: Final = (
    "Jalankan flow evaluasi bulanan untuk satu periode: terima, validasi, hitung, buat buletin, "
    "kirim."
)
HELP_PERIOD: Final = "Periode YYYY-MM [bawaan: bulan lalu, WIB]."
HELP_RESEND: Final = "Kirim lagi buletin yang sudah terkirim."
HELP_WAIT: Final = "Antre di belakang siklus periode yang sama yang sedang berjalan."
HELP_JSON: Final = "Cetak ringkasan sebagai JSON."
HELP_REMIND: Final = (
    "Ingatkan perangkat daerah yang belum mengirim (hanya pada hari pengingat, sekali sehari)."
)
HELP_DAY: Final = "Hari YYYY-MM-DD [bawaan: hari ini, WIB]."
HELP_SCHEDULE_CHECK: Final = "Periksa bahwa jadwal di prefect.yaml mengikuti berkas aturan."
HELP_SCHEDULE_SYNC: Final = (
    "Tulis ulang jadwal prefect.yaml dari berkas aturan; lalu deploy lagi dengan "
    "`prefect deploy --all`."
)
MSG_EVALUATING: Final = "Mengevaluasi {period}..."
MSG_CYCLE: Final = "Siklus {period}: {status}."
MSG_ROWS: Final = (
    "Baris: {rows_in} masuk, {accepted} diterima, {quarantined} ditahan; isu terbuka {issues}."
)
MSG_BULLETINS: Final = "Buletin: {path}"
MSG_BULLETIN_FAILED: Final = "[red]Buletin gagal[/] {subject}: {error}"
MSG_BAD_DAY: Final = "Hari '{day}' bukan tanggal seperti 2026-11-03; tulis --day YYYY-MM-DD."
MSG_NOT_REMINDER_DAY: Final = "{day} bukan hari pengingat; tidak ada yang dikirim."
MSG_REMINDERS: Final = (
    "Pengingat untuk {period}: {sent} terkirim, {skipped} sudah diingatkan hari ini, "
    "{failed} gagal."
)
MSG_NOT_REMINDED: Final = "[red]Tidak terkirim[/] {agency}: {error}"
MSG_SCHEDULE_DRIFT: Final = (
    "Jadwal prefect.yaml tidak mengikuti berkas aturan ({problems}); jalankan `iku schedule sync`."
)
MSG_SCHEDULE_OK: Final = "Jadwal prefect.yaml mengikuti berkas aturan."
MSG_SCHEDULE_SET: Final = "diatur: {change}"

schedule_app = typer.Typer(help=HELP_SCHEDULE, no_args_is_help=True)


def register(app: typer.Typer) -> None:
    from iku.cli.common import STATUS_LABELS, UserError, console, err, require_schema, runtime

    app.add_typer(schedule_app, name="schedule")

    @app.command("run", help=HELP_RUN)
    def run_command(
        period: Annotated[str | None, typer.Option(help=HELP_PERIOD)] = None,
        resend: Annotated[bool, typer.Option("--resend", help=HELP_RESEND)] = False,
        wait: Annotated[bool, typer.Option("--wait", help=HELP_WAIT)] = False,
        json_output: Annotated[bool, typer.Option("--json", help=HELP_JSON)] = False,
    ) -> None:
        """Run the monthly evaluation flow for a period: ingest, validate, compute, render,
        deliver."""
        from iku.calendar import Period, previous_period
        from iku.locks import CycleBusyError, CycleLockLostError, busy_message
        from iku.processes import reap_descendants_at_exit

        chosen = str(Period.parse(period)) if period else previous_period()
        require_schema()
        from iku.operations.cycle import is_busy

        rt = runtime()
        if not wait and is_busy(rt, chosen):
            raise UserError(busy_message(chosen))
        from flows.environment import apply_prefect_defaults

        apply_prefect_defaults(rt.settings.state_dir)
        from flows.monthly_evaluation import evaluate  # Prefect: after its defaults

        # Whatever ends this process (even kill -9), Prefect's local server, Dask's local
        # cluster and the render workers end with it.
        reap_descendants_at_exit()
        try:
            with console.status(MSG_EVALUATING.format(period=chosen)):
                summary = evaluate(rt, chosen, resend=resend, wait=wait)
        except (CycleBusyError, CycleLockLostError) as exc:
            raise UserError(str(exc)) from None
        if json_output:
            print(json.dumps(summary, indent=2, default=str, ensure_ascii=False))
            return
        counts = summary["counts"]
        status = STATUS_LABELS.get(summary["status"], summary["status"])
        console.print(MSG_CYCLE.format(period=chosen, status=status))
        console.print(
            MSG_ROWS.format(
                rows_in=counts["rows_in"],
                accepted=counts["rows_accepted"],
                quarantined=counts["rows_quarantined"],
                issues=counts["open_issues"],
            )
        )
        render = counts["steps"].get("render") or {}
        if render.get("index"):
            console.print(MSG_BULLETINS.format(path=render["index"]))
        for failure in render.get("failures", []):
            err.print(
                MSG_BULLETIN_FAILED.format(
                    subject=escape(str(failure["subject"])), error=escape(str(failure["error"]))
                )
            )

    @app.command("remind", help=HELP_REMIND)
    def remind_command(
        day: Annotated[str | None, typer.Option(help=HELP_DAY)] = None,
    ) -> None:
        """Remind agencies that have not submitted (only on reminder days, once a day)."""
        from datetime import date

        from iku.delivery.reminders import today_wib
        from iku.operations.deliver import remind

        try:
            chosen = date.fromisoformat(day) if day else today_wib()
        except ValueError:
            raise UserError(MSG_BAD_DAY.format(day=day)) from None
        require_schema()
        report = remind(runtime(), chosen)
        if not report.in_window:
            console.print(MSG_NOT_REMINDER_DAY.format(day=chosen))
            return
        console.print(
            MSG_REMINDERS.format(
                period=report.period,
                sent=len(report.sent),
                skipped=len(report.skipped),
                failed=len(report.failed),
            )
        )
        for agency, error in report.failed:
            err.print(MSG_NOT_REMINDED.format(agency=escape(str(agency)), error=escape(str(error))))

    @schedule_app.command("check", help=HELP_SCHEDULE_CHECK)
    def schedule_check() -> None:
        """Check that prefect.yaml's schedules follow the rules file."""
        from iku.schedule import drift

        problems = drift(runtime().rules)
        if problems:
            raise UserError(MSG_SCHEDULE_DRIFT.format(problems="; ".join(problems)))
        console.print(MSG_SCHEDULE_OK)

    @schedule_app.command("sync", help=HELP_SCHEDULE_SYNC)
    def schedule_sync() -> None:
        """Rewrite prefect.yaml's rules-driven schedules."""
        from iku.schedule import sync

        for change in sync(runtime().rules):
            console.print(MSG_SCHEDULE_SET.format(change=change))
