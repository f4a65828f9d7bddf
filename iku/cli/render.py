"""``iku render``: the bulletins of a period (HTML, PDF, index, manifest) and their delivery.

Runs the plain functions directly (no Prefect start-up); the monthly flow runs the same steps
as tasks. WeasyPrint loads inside the command, so ``iku --help`` stays quick.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from iku.locks import CycleHold
    from iku.runtime import Runtime


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
        resend_unknown: Annotated[
            bool,
            typer.Option(
                "--resend-unknown",
                help="Send again only deliveries whose outcome is unknown (the relay or this "
                "process died mid-send), with their recorded Message-ID.",
            ),
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
        from iku.calendar import Period, PeriodError
        from iku.locks import CycleBusyError, CycleLockLostError
        from iku.operations.cycle import hold
        from iku.processes import reap_descendants_at_exit

        try:
            Period.parse(period)
        except PeriodError as exc:
            raise UserError(str(exc)) from None
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
        from rich.table import Table

        from iku.bulletins.readmodel import RenderError
        from iku.delivery.mail import DeliveryError
        from iku.operations.deliver import deliver as deliver_bulletins
        from iku.operations.render import render

        try:
            with console.status(f"Rendering the bulletins of {period}..."):
                result = render(
                    rt, period, workers=workers or os.cpu_count() or 1, fence=held.fence
                )
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
            err.print(f"[red]Failed[/] {failure.subject_key}: {failure.error}", highlight=False)

        failed_deliveries = unknown_deliveries = 0
        if deliver:
            held.ensure()
            try:
                report = deliver_bulletins(
                    rt, period, resend=resend, resend_unknown=resend_unknown, fence=held.fence
                )
            except DeliveryError as exc:
                raise UserError(str(exc)) from None
            where = "SMTP" if report.channel == "smtp" else f"{result.output_dir / 'outbox'}"
            console.print(
                f"Delivery ({where}): {report.sent} sent, {report.skipped} already sent, "
                f"{report.failed} failed, {report.unknown} unknown."
            )
            for outcome in report.failures:
                err.print(
                    f"[red]Not delivered[/] {outcome.subject_key} -> {outcome.email} "
                    f"after {outcome.attempts} attempt(s): {outcome.error}",
                    highlight=False,
                    markup=False,
                )
            for outcome in report.uncertain:
                err.print(
                    f"Unknown: {outcome.subject_key} -> {outcome.email} (Message-ID "
                    f"{outcome.message_id}) may have arrived: {outcome.error}",
                    highlight=False,
                    markup=False,
                )
            failed_deliveries, unknown_deliveries = report.failed, report.unknown

        if result.failures or failed_deliveries:
            raise UserError(
                f"{len(result.failures)} bulletin(s) failed to render and {failed_deliveries} "
                "delivery(ies) failed (listed above); fix the cause and run the same command "
                "again: what succeeded is not sent twice"
            )
        if unknown_deliveries:
            raise UserError(
                f"{unknown_deliveries} delivery(ies) may or may not have arrived (listed "
                "above); they are not sent again by themselves. Ask the recipients or the "
                "mail relay (by Message-ID), then run with --resend-unknown if needed"
            )
