"""`iku run`, `iku remind` and `iku schedule`: the monthly cycle and its schedules."""

from __future__ import annotations

import json
from typing import Annotated, Final

import typer
from rich.markup import escape

from iku.i18n import N_, _

# --- user-facing text: English msgids (N_), translated through iku/locale when shown -----------
HELP_SCHEDULE: Final = N_("The deployment schedules in prefect.yaml that follow the rules file.")
HELP_RUN: Final = N_(
    "Run the monthly evaluation flow for one period: take in, validate, compute, make the "
    "bulletins, deliver."
)
HELP_PERIOD: Final = N_("The period YYYY-MM [default: last month, WIB].")
HELP_RESEND: Final = N_("Send bulletins that were already delivered again.")
HELP_WAIT: Final = N_("Queue behind a running cycle of the same period.")
HELP_JSON: Final = N_("Print the summary as JSON.")
HELP_REMIND: Final = N_(
    "Remind the agencies that have not submitted (only on reminder days, once a day)."
)
HELP_DAY: Final = N_("The day YYYY-MM-DD [default: today, WIB].")
HELP_SCHEDULE_CHECK: Final = N_("Check that the schedules in prefect.yaml follow the rules file.")
HELP_SCHEDULE_SYNC: Final = N_(
    "Rewrite the schedules of prefect.yaml from the rules file; then deploy again with "
    "`prefect deploy --all`."
)
MSG_EVALUATING: Final = N_("Evaluating %(period)s...")
MSG_CYCLE: Final = N_("Cycle %(period)s: %(status)s.")
MSG_ROWS: Final = N_(
    "Rows: %(rows_in)s in, %(accepted)s accepted, %(quarantined)s held; open issues %(issues)s."
)
MSG_BULLETINS: Final = N_("Bulletins: %(path)s")
MSG_BULLETIN_FAILED: Final = N_("[red]Bulletin failed[/] %(subject)s: %(error)s")
MSG_BAD_DAY: Final = N_("The day '%(day)s' is not a date like 2026-11-03; write --day YYYY-MM-DD.")
MSG_NOT_REMINDER_DAY: Final = N_("%(day)s is not a reminder day; nothing was sent.")
MSG_REMINDERS: Final = N_(
    "Reminders for %(period)s: %(sent)s sent, %(skipped)s already reminded today, %(failed)s "
    "failed."
)
MSG_NOT_REMINDED: Final = N_("[red]Not sent[/] %(agency)s: %(error)s")
MSG_SCHEDULE_DRIFT: Final = N_(
    "The schedules of prefect.yaml do not follow the rules file (%(problems)s); run `iku "
    "schedule sync`."
)
MSG_SCHEDULE_OK: Final = N_("The schedules of prefect.yaml follow the rules file.")
MSG_SCHEDULE_SET: Final = N_("set: %(change)s")

schedule_app = typer.Typer(help=HELP_SCHEDULE, no_args_is_help=True)


def register(app: typer.Typer) -> None:
    from iku.cli.common import UserError, console, err, require_schema, runtime, status_label

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
        from iku.operations.cycle import is_busy, locked_message, period_locked

        rt = runtime()
        if period_locked(rt, chosen):
            # Figures frozen: not an error; the run ends cleanly and says why.
            if json_output:
                print(json.dumps({"period": chosen, "status": "locked"}, ensure_ascii=False))
            else:
                console.print(locked_message(chosen), highlight=False, markup=False)
            return
        if not wait and is_busy(rt, chosen):
            raise UserError(busy_message(chosen))
        from flows.environment import apply_prefect_defaults

        apply_prefect_defaults(rt.settings.state_dir)
        from flows.monthly_evaluation import evaluate  # Prefect: after its defaults

        # Whatever ends this process (even kill -9), Prefect's local server, Dask's local
        # cluster and the render workers end with it.
        reap_descendants_at_exit()
        try:
            with console.status(_(MSG_EVALUATING, period=chosen)):
                summary = evaluate(rt, chosen, resend=resend, wait=wait)
        except (CycleBusyError, CycleLockLostError) as exc:
            raise UserError(str(exc)) from None
        if json_output:
            print(json.dumps(summary, indent=2, default=str, ensure_ascii=False))
            return
        counts = summary["counts"]
        status = status_label(summary["status"])
        console.print(_(MSG_CYCLE, period=chosen, status=status))
        console.print(
            _(
                MSG_ROWS,
                rows_in=counts["rows_in"],
                accepted=counts["rows_accepted"],
                quarantined=counts["rows_quarantined"],
                issues=counts["open_issues"],
            )
        )
        render = counts["steps"].get("render") or {}
        if render.get("index"):
            console.print(_(MSG_BULLETINS, path=render["index"]))
        for failure in render.get("failures", []):
            err.print(
                _(
                    MSG_BULLETIN_FAILED,
                    subject=escape(str(failure["subject"])),
                    error=escape(str(failure["error"])),
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
            raise UserError(_(MSG_BAD_DAY, day=day)) from None
        require_schema()
        report = remind(runtime(), chosen)
        if not report.in_window:
            console.print(_(MSG_NOT_REMINDER_DAY, day=chosen))
            return
        console.print(
            _(
                MSG_REMINDERS,
                period=report.period,
                sent=len(report.sent),
                skipped=len(report.skipped),
                failed=len(report.failed),
            )
        )
        for agency, error in report.failed:
            err.print(_(MSG_NOT_REMINDED, agency=escape(str(agency)), error=escape(str(error))))

    @schedule_app.command("check", help=HELP_SCHEDULE_CHECK)
    def schedule_check() -> None:
        """Check that prefect.yaml's schedules follow the rules file."""
        from iku.schedule import drift

        problems = drift(runtime().rules)
        if problems:
            raise UserError(_(MSG_SCHEDULE_DRIFT, problems="; ".join(problems)))
        console.print(_(MSG_SCHEDULE_OK))

    @schedule_app.command("sync", help=HELP_SCHEDULE_SYNC)
    def schedule_sync() -> None:
        """Rewrite prefect.yaml's rules-driven schedules."""
        from iku.schedule import sync

        for change in sync(runtime().rules):
            console.print(_(MSG_SCHEDULE_SET, change=change))
