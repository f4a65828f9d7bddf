"""``iku export``: a period's open data (``capaian.csv``, ``perlu_tindakan.csv``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

from iku.i18n import N_, _

# --- user-facing text (Bahasa Indonesia) ------------------------------------------------------
HELP_EXPORT: Final = N_(
    "Write a period's capaian.csv and perlu_tindakan.csv: open data (docs/exports.md)."
)
HELP_PERIOD: Final = N_("The period, YYYY-MM.")
HELP_OUT: Final = N_("The target folder (its parent folder must exist).")
MSG_WRITTEN: Final = N_(
    "%(capaian)s (%(rows)s rows) and %(attention)s (%(items)s items needing action) written."
)


def register(app: typer.Typer) -> None:
    """Add ``iku export`` to the CLI."""
    from iku.cli.common import UserError, console, existing_parent, require_schema, runtime

    @app.command("export", help=HELP_EXPORT)
    def export_command(
        period: Annotated[str, typer.Option("--period", "-p", help=HELP_PERIOD)],
        out: Annotated[Path, typer.Option("--out", "-o", help=HELP_OUT)],
    ) -> None:
        """Write a period's capaian.csv and perlu_tindakan.csv (docs/exports.md)."""
        from iku.calendar import Period, PeriodError
        from iku.operations.export import ExportError, export

        try:
            chosen = str(Period.parse(period))
        except PeriodError as exc:
            raise UserError(str(exc)) from None
        out = existing_parent(out, "--out")  # the folder itself is created; nothing above it
        require_schema()
        try:
            done = export(runtime(), chosen, out)
        except ExportError as exc:
            raise UserError(str(exc)) from None
        console.print(
            _(
                MSG_WRITTEN,
                capaian=done.capaian,
                rows=done.rows,
                attention=done.attention,
                items=done.items,
            ),
            highlight=False,
            markup=False,
        )
