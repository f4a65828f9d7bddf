"""``iku export``: a period's open data (``capaian.csv``, ``perlu_tindakan.csv``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``iku export`` to the CLI."""
    from iku.cli.common import UserError, console, handle_errors, require_schema, runtime

    @app.command("export")
    @handle_errors
    def export_command(
        period: Annotated[str, typer.Option("--period", "-p", help="Periode YYYY-MM.")],
        out: Annotated[Path, typer.Option("--out", "-o", help="Folder tujuan.")],
    ) -> None:
        """Tulis capaian.csv dan perlu_tindakan.csv sebuah periode (docs/exports.md)."""
        from iku.calendar import Period, PeriodError
        from iku.operations.export import ExportError, export

        try:
            chosen = str(Period.parse(period))
        except PeriodError as exc:
            raise UserError(str(exc)) from None
        require_schema()
        try:
            done = export(runtime(), chosen, out)
        except ExportError as exc:
            raise UserError(str(exc)) from None
        console.print(
            f"{done.capaian} ({done.rows} baris) dan {done.attention} ({done.items} butir "
            "perlu tindakan) ditulis.",
            highlight=False,
        )
