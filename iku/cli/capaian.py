"""``iku capaian``: the capaian calculator for planners (see :mod:`iku.calculator`).

The calculator module (numpy, pandas) is imported when the command runs, so ``iku --help``
stays quick.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add ``iku capaian`` to the CLI."""
    from iku.cli.common import UserError, err, handle_errors, runtime

    @app.command("capaian")
    @handle_errors
    def capaian_command(
        input_file: Annotated[
            Path,
            typer.Option(
                "--input",
                "-i",
                help="CSV with polarity, target, realisasi and optional formula columns.",
            ),
        ],
        output_file: Annotated[
            Path | None,
            typer.Option("--output", "-o", help="Where to write the result (default: stdout)."),
        ] = None,
    ) -> None:
        """Compute capaian, predikat and catatan for every row of a CSV (a planner's calculator)."""
        from iku.calculator import CalculatorInputError, calculate, read_table, render

        rt = runtime()
        rules = rt.rules
        try:
            table = read_table(input_file)
            rows = calculate(table, rules)
        except CalculatorInputError as exc:
            raise UserError(str(exc)) from None
        text = render(rows, table.delimiter)
        computed = sum(1 for r in rows[1:] if r[-3])
        err.print(
            f"Rules version {rules.version} ({rt.paths.rules_file}); "
            f"{len(rows) - 1} row(s), {computed} with a capaian.",
            highlight=False,
        )
        if output_file is None:
            typer.echo(text, nl=False)
            return
        encoding = "utf-8-sig" if table.had_bom else "utf-8"
        try:
            output_file.write_text(text, encoding=encoding)
        except OSError as exc:
            raise UserError(
                f"cannot write {output_file}: {exc.strerror}; check that the folder exists"
            ) from None
        err.print(f"Written to {output_file}", highlight=False)
