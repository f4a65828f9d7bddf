"""The ``iku`` command line: one module per feature, registered on the app in :mod:`iku.cli.app`.

Heavy libraries (pandas, Great Expectations, Prefect, WeasyPrint) load inside the commands
that need them, so ``iku --help`` stays quick.
"""

from iku.cli.app import app

__all__ = ["app"]
