"""``python -m iku.cli``: the ``iku`` command (what the console script runs)."""

from iku.cli import app

app()
