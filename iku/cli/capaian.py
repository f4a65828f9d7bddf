"""``iku capaian``: the capaian calculator for planners (see :mod:`iku.calculator`).

The calculator module (numpy) is imported when the command runs, so ``iku --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

from iku.i18n import N_, _

# --- user-facing text (Bahasa Indonesia) ------------------------------------------------------
HELP_CAPAIAN: Final = N_(
    "Compute capaian, predikat and catatan for every row of a CSV (the planners' "
    "calculator); numbers are written by the file's convention (decimal comma in a semicolon "
    "file)."
)
HELP_INPUT: Final = N_(
    "A CSV with the columns polarity, target, realisasi and (optionally) formula."
)
HELP_OUTPUT: Final = N_("The result file (default: the screen); its folder must exist.")
MSG_SUMMARY: Final = N_(
    "Rules version %(version)s (%(path)s); %(rows)s rows, %(computed)s with a capaian."
)
MSG_WRITTEN: Final = N_("Written to %(path)s")
MSG_CANNOT_WRITE: Final = N_(
    "%(path)s cannot be written (%(reason)s); check the folder and its permissions."
)


def register(app: typer.Typer) -> None:
    """Add ``iku capaian`` to the CLI."""
    from iku.cli.common import UserError, err, existing_parent, runtime

    @app.command("capaian", help=HELP_CAPAIAN)
    def capaian_command(
        input_file: Annotated[Path, typer.Option("--input", "-i", help=HELP_INPUT)],
        output_file: Annotated[
            Path | None, typer.Option("--output", "-o", help=HELP_OUTPUT)
        ] = None,
    ) -> None:
        """Compute capaian, predikat and catatan for every row of a CSV (a planner's calculator)."""
        target = existing_parent(output_file, "--output") if output_file is not None else None
        from iku.calculator import OUTPUT_COLUMNS, calculate, read_table, render

        rt = runtime()
        rules = rt.rules
        table = read_table(input_file)
        rows = calculate(table, rules)
        text = render(rows, table.delimiter)
        first = -len(OUTPUT_COLUMNS)  # capaian_pct
        computed = sum(1 for r in rows[1:] if r[first])
        err.print(
            _(
                MSG_SUMMARY,
                version=rules.version,
                path=rt.paths.rules_file,
                rows=len(rows) - 1,
                computed=computed,
            ),
            highlight=False,
        )
        if target is None:
            typer.echo(text, nl=False)
            return
        encoding = "utf-8-sig" if table.had_bom else "utf-8"
        try:
            target.write_text(text, encoding=encoding)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise UserError(_(MSG_CANNOT_WRITE, path=target, reason=reason)) from None
        err.print(_(MSG_WRITTEN, path=target), highlight=False)
