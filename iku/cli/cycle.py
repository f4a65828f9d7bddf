"""`iku run`, `iku remind` and `iku schedule`: the monthly cycle and its schedules."""

from __future__ import annotations

import json
from typing import Annotated

import typer

schedule_app = typer.Typer(
    help="Deployment schedules in prefect.yaml that follow the rules file.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    from iku.cli.common import UserError, console, err, handle_errors, require_schema, runtime

    app.add_typer(schedule_app, name="schedule")

    @app.command("run")
    @handle_errors
    def run_command(
        period: Annotated[
            str | None, typer.Option(help="Period YYYY-MM [default: previous month, WIB].")
        ] = None,
        resend: Annotated[
            bool, typer.Option("--resend", help="Send again bulletins already delivered.")
        ] = False,
        wait: Annotated[
            bool, typer.Option("--wait", help="Queue behind a running cycle of the period.")
        ] = False,
        json_output: Annotated[
            bool, typer.Option("--json", help="Print the summary as JSON.")
        ] = False,
    ) -> None:
        """Run the monthly evaluation flow for a period: ingest, validate, compute, render,
        deliver."""
        from iku.calendar import Period, PeriodError, previous_period
        from iku.locks import CycleBusyError, CycleLockLostError, busy_message
        from iku.processes import reap_descendants_at_exit

        try:
            chosen = str(Period.parse(period)) if period else previous_period()
        except PeriodError as exc:
            raise UserError(str(exc)) from None
        require_schema()
        from iku.operations.cycle import is_busy

        rt = runtime()
        if not wait and is_busy(rt, chosen):
            raise UserError(busy_message(chosen))
        from flows.monthly_evaluation import evaluate

        # Whatever ends this process (even kill -9), Prefect's local server, Dask's local
        # cluster and the render workers end with it.
        reap_descendants_at_exit()
        try:
            with console.status(f"Evaluating {chosen}..."):
                summary = evaluate(rt, chosen, resend=resend, wait=wait)
        except (CycleBusyError, CycleLockLostError) as exc:
            raise UserError(str(exc)) from None
        if json_output:
            print(json.dumps(summary, indent=2, default=str, ensure_ascii=False))
            return
        counts = summary["counts"]
        console.print(f"Cycle {chosen}: {summary['status']}")
        console.print(
            f"Rows: {counts['rows_in']} in, {counts['rows_accepted']} accepted, "
            f"{counts['rows_quarantined']} quarantined; open issues {counts['open_issues']}."
        )
        render = counts["steps"].get("render") or {}
        if render.get("index"):
            console.print(f"Bulletins: {render['index']}")
        for failure in render.get("failures", []):
            err.print(f"[red]Bulletin failed[/] {failure['subject']}: {failure['error']}")

    @app.command("remind")
    @handle_errors
    def remind_command(
        day: Annotated[
            str | None, typer.Option(help="Day YYYY-MM-DD [default: today, WIB].")
        ] = None,
    ) -> None:
        """Remind agencies that have not submitted (only on reminder days, once a day)."""
        from datetime import date

        from iku.delivery.reminders import today_wib
        from iku.operations.deliver import remind

        require_schema()
        try:
            chosen = date.fromisoformat(day) if day else today_wib()
        except ValueError:
            raise UserError(f"day '{day}' is not a date like 2026-11-03") from None
        report = remind(runtime(), chosen)
        if not report.in_window:
            console.print(f"{chosen} is not a reminder day; nothing sent.")
            return
        console.print(
            f"Reminders for {report.period}: {len(report.sent)} sent, "
            f"{len(report.skipped)} already reminded today, {len(report.failed)} failed."
        )
        for agency, error in report.failed:
            err.print(f"[red]Not reminded[/] {agency}: {error}")

    @schedule_app.command("check")
    @handle_errors
    def schedule_check() -> None:
        """Check that prefect.yaml's schedules follow the rules file."""
        from iku.schedule import drift

        problems = drift(runtime().rules)
        if problems:
            raise UserError("; ".join(problems) + ". Run `iku schedule sync`")
        console.print("prefect.yaml schedules follow the rules file.")

    @schedule_app.command("sync")
    @handle_errors
    def schedule_sync() -> None:
        """Rewrite prefect.yaml's rules-driven schedules; redeploy with `prefect deploy --all`."""
        from iku.schedule import sync

        for change in sync(runtime().rules):
            console.print(f"set {change}")
