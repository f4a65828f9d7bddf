"""``iku render``: the bulletins of a period (HTML, PDF, index, manifest) and their delivery.

Runs the plain functions directly (no Prefect start-up); the monthly flow runs the same steps
as tasks. WeasyPrint loads inside the command, so ``iku --help`` stays quick.
"""

from __future__ import annotations

import os
from typing import Annotated

import typer
from rich.markup import escape


def register(app: typer.Typer) -> None:
    """Add ``iku render`` to the CLI."""
    from iku.cli.common import UserError, console, err, handle_errors, require_schema, runtime

    @app.command("render")
    @handle_errors
    def render_command(
        period: Annotated[str, typer.Option("--period", "-p", help="Period YYYY-MM.")],
        resend: Annotated[
            bool,
            typer.Option("--resend", help="Send again bulletins already delivered."),
        ] = False,
        deliver: Annotated[
            bool,
            typer.Option("--deliver/--no-deliver", help="E-mail (or write .eml) after rendering."),
        ] = True,
        workers: Annotated[
            int | None,
            typer.Option("--workers", "-w", min=1, help="Render processes [default: CPU count]."),
        ] = None,
    ) -> None:
        """Render the bulletins of a period and deliver them (once each unless --resend)."""
        from rich.table import Table

        from iku.bulletins.readmodel import RenderError
        from iku.calendar import Period, PeriodError
        from iku.delivery.mail import DeliveryError
        from iku.operations.deliver import deliver as deliver_bulletins
        from iku.operations.render import render

        try:
            Period.parse(period)
        except PeriodError as exc:
            raise UserError(str(exc)) from None
        require_schema()
        rt = runtime()
        try:
            with console.status(f"Rendering the bulletins of {period}..."):
                result = render(rt, period, workers=workers or os.cpu_count() or 1)
        except RenderError as exc:
            raise UserError(str(exc)) from None

        table = Table(title=f"Bulletins {period}")
        table.add_column("audience")
        table.add_column("bulletins", justify="right")
        for audience in ("province", "agency", "index"):
            count = sum(1 for b in result.bulletins if b.audience == audience)
            table.add_row(audience, str(count))
        console.print(table)
        console.print(f"Index: {result.index_path}")
        console.print(f"Manifest: {result.manifest_path}")
        for failure in result.failures:
            err.print(
                f"[red]Failed[/] {escape(failure.subject_key)}: {escape(str(failure.error))}",
                highlight=False,
            )

        failed_deliveries = 0
        if deliver:
            try:
                report = deliver_bulletins(rt, period, resend=resend)
            except DeliveryError as exc:
                raise UserError(str(exc)) from None
            where = "SMTP" if report.channel == "smtp" else f"{result.output_dir / 'outbox'}"
            console.print(
                f"Delivery ({where}): {report.sent} sent, {report.skipped} already sent, "
                f"{report.failed} failed."
            )
            for outcome in report.failures:
                err.print(
                    f"[red]Not delivered[/] {escape(outcome.subject_key)} -> "
                    f"{escape(outcome.email)} after {outcome.attempts} attempt(s): "
                    f"{escape(str(outcome.error))}",
                    highlight=False,
                )
            failed_deliveries = report.failed

        if result.failures or failed_deliveries:
            raise UserError(
                f"{len(result.failures)} bulletin(s) failed to render and {failed_deliveries} "
                "delivery(ies) failed (listed above); fix the cause and run the same command "
                "again: what succeeded is not sent twice"
            )
