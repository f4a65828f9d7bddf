"""``iku render``: the bulletins of a period (HTML, PDF, index, manifest) and their delivery.

Runs the plain functions directly (no Prefect start-up); the monthly flow runs the same steps
as tasks. The PDF engine (Typst) loads inside the command, so ``iku --help`` stays quick. The
period's cycle lock is held throughout: never beside a running cycle (or another render) of the
period.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated, Final

import typer

from iku.i18n import N_, _

if TYPE_CHECKING:
    from iku.locks import CycleHold
    from iku.runtime import Runtime

# --- user-facing text: English msgids (N_), translated through iku/locale when shown -----------
HELP_RENDER: Final = N_(
    "Make the bulletins of one period, then deliver them (each once, unless --resend)."
)
HELP_PERIOD: Final = N_("The period, YYYY-MM.")
HELP_RESEND: Final = N_("Send bulletins that were already delivered again.")
HELP_RESEND_UNKNOWN: Final = N_(
    "Send again only the deliveries whose outcome is unknown (the mail server or this "
    "process stopped in the middle of sending), with the recorded Message-ID."
)
HELP_DELIVER: Final = N_("Send the e-mails (or write .eml files) after the bulletins are made.")
HELP_WORKERS: Final = N_("How many bulletin-making processes [default: the number of CPUs].")
MSG_RENDERING: Final = N_("Making the bulletins of %(period)s...")
TITLE_BULLETINS: Final = N_("Bulletins %(period)s")
COLUMNS_BULLETINS: Final = (N_("audience"), N_("bulletin"))
AUDIENCE_WORDS: Final = {
    "province": N_("province"),
    "agency": N_("agency"),
    "index": N_("index"),
}
MSG_INDEX: Final = N_("Index: %(path)s")
MSG_MANIFEST: Final = N_("Manifest: %(path)s")
MSG_REISSUED: Final = N_(
    "Issued again because their figures changed after delivery: %(subjects)s (the earlier "
    "issues are kept in %(archive)s)."
)
MSG_KEPT: Final = N_(
    "%(count)s bulletins already delivered have unchanged figures and are left as they are."
)
MSG_UNCHANGED: Final = N_(
    "%(count)s bulletins are unchanged (the same data, templates and engine) and were not made "
    "again."
)
MSG_FAILED: Final = N_("[red]Failed[/] %(subject)s: %(error)s")
MSG_DELIVERY: Final = N_(
    "Delivery (%(where)s): %(sent)s sent, %(skipped)s already sent before, %(failed)s "
    "failed, %(unknown)s uncertain."
)
MSG_NOT_DELIVERED: Final = N_(
    "[red]Not sent[/] %(subject)s -> %(email)s after %(attempts)s attempts: %(error)s"
)
MSG_UNKNOWN: Final = N_(
    "[yellow]Uncertain[/] %(subject)s -> %(email)s (Message-ID %(message_id)s) may have "
    "arrived: %(error)s"
)
MSG_SOME_FAILED: Final = N_(
    "%(rendered)s bulletins could not be made and %(delivered)s deliveries failed (listed "
    "above); fix the cause, then run the same command again: what succeeded is not sent "
    "twice."
)
MSG_SOME_UNKNOWN: Final = N_(
    "%(count)s deliveries may or may not have arrived (listed above) and are not sent again "
    "by themselves; ask the recipients or the mail server's administrator (by Message-ID), "
    "then if needed run again with --resend-unknown."
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

        with console.status(_(MSG_RENDERING, period=period)):
            result = render(rt, period, workers=workers or os.cpu_count() or 1, fence=held.fence)

        table = Table(title=_(TITLE_BULLETINS, period=period))
        table.add_column(_(COLUMNS_BULLETINS[0]))
        table.add_column(_(COLUMNS_BULLETINS[1]), justify="right")
        for audience in ("province", "agency", "index"):
            count = sum(1 for b in result.bulletins if b.audience == audience)
            table.add_row(_(AUDIENCE_WORDS[audience]), str(count))
        console.print(table)
        console.print(_(MSG_INDEX, path=result.index_path), markup=False)
        console.print(_(MSG_MANIFEST, path=result.manifest_path), markup=False)
        if result.reissued:
            subjects = ", ".join(
                f"{b.subject_key} (Revisi {b.decision.revision})"
                for b in result.reissued
                if b.decision is not None
            )
            archive = result.output_dir / ARCHIVE_DIR
            console.print(_(MSG_REISSUED, subjects=subjects, archive=archive), markup=False)
        if result.kept:
            console.print(_(MSG_KEPT, count=len(result.kept)))
        if result.unchanged:
            console.print(_(MSG_UNCHANGED, count=len(result.unchanged)))
        for failure in result.failures:
            err.print(
                _(
                    MSG_FAILED,
                    subject=escape(failure.subject_key),
                    error=escape(str(failure.error)),
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
                _(
                    MSG_DELIVERY,
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
                    _(
                        MSG_NOT_DELIVERED,
                        subject=escape(outcome.subject_key),
                        email=escape(outcome.email),
                        attempts=outcome.attempts,
                        error=escape(str(outcome.error)),
                    ),
                    highlight=False,
                )
            for outcome in report.uncertain:
                err.print(
                    _(
                        MSG_UNKNOWN,
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
                _(MSG_SOME_FAILED, rendered=len(result.failures), delivered=failed_deliveries)
            )
        if unknown_deliveries:
            raise UserError(_(MSG_SOME_UNKNOWN, count=unknown_deliveries))
