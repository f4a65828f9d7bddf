"""`iku web`: the web application (sign-in, stewards' console, audit log, REST API)."""

from __future__ import annotations

from typing import Annotated

import typer

from iku.cli.common import console, require_schema, runtime
from iku.i18n import N_, _

HELP_WEB = N_(
    "Serve the web application with uvicorn until stopped (Ctrl+C); behind a reverse proxy in "
    "production: see docs/web.md."
)


def register(app: typer.Typer) -> None:
    app.command("web", help=HELP_WEB)(web)


def web(
    host: Annotated[
        str | None, typer.Option(help=N_("Address to listen on (default IKU_WEB_HOST, 127.0.0.1)."))
    ] = None,
    port: Annotated[
        int | None, typer.Option(help=N_("Port (default IKU_WEB_PORT, 8000)."), min=1, max=65535)
    ] = None,
) -> None:
    """Serve the web application with uvicorn until stopped (Ctrl+C). Behind a reverse proxy
    in production: see docs/web.md."""
    from iku.web.server import serve

    rt = runtime()
    require_schema()
    chosen_host = host or rt.settings.web_host
    chosen_port = port or rt.settings.web_port
    console.print(
        _(
            "IKU Lampung web application at http://%(host)s:%(port)s/ (Ctrl+C stops it).",
            host=chosen_host,
            port=chosen_port,
        ),
        highlight=False,
    )
    serve(rt, chosen_host, chosen_port)
