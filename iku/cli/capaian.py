"""``iku capaian``: the capaian calculator for planners (see :mod:`iku.calculator`).

The calculator module (numpy) is imported when the command runs, so ``iku --help`` stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Final

import typer

# --- user-facing text (Bahasa Indonesia) ------------------------------------------------------
HELP_CAPAIAN: Final = (
    "Hitung capaian, predikat dan catatan untuk setiap baris CSV (kalkulator perencana); angka "
    "ditulis menurut konvensi berkasnya (koma desimal di berkas titik koma)."
)
HELP_INPUT: Final = "CSV dengan kolom polarity, target, realisasi dan (boleh) formula."
HELP_OUTPUT: Final = "Berkas hasil (bawaan: layar); foldernya harus ada."
MSG_SUMMARY: Final = "Aturan versi {version} ({path}); {rows} baris, {computed} dengan capaian."
MSG_WRITTEN: Final = "Ditulis ke {path}"
MSG_CANNOT_WRITE: Final = "{path} tidak dapat ditulis ({reason}); periksa folder dan hak aksesnya."


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
            MSG_SUMMARY.format(
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
            raise UserError(MSG_CANNOT_WRITE.format(path=target, reason=reason)) from None
        err.print(MSG_WRITTEN.format(path=target), highlight=False)
