"""Feature commands of the ``iku`` CLI, one module per feature, registered on the main app.

Each module defines ``register(app)``; add the module's name to ``MODULES`` to enable it.
Modules import their heavy dependencies inside the commands so ``iku --help`` stays fast.
"""

from __future__ import annotations

from importlib import import_module

import typer

MODULES: tuple[str, ...] = ("review", "capaian", "ingest", "render", "cycle", "users", "web")


def register_all(app: typer.Typer) -> None:
    for name in MODULES:
        import_module(f"iku.commands.{name}").register(app)
