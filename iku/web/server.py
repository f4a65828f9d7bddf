"""Serving the application with uvicorn (``iku web``)."""

from __future__ import annotations

import logging
import sys

from iku.runtime import Runtime

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging() -> None:
    """Our own access log (no query strings with secrets, no cookies) and errors to stderr;
    uvicorn's access log is off, since it would log every query string."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for name in ("iku", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers[:] = [handler]
        logger.setLevel(logging.INFO)
        logger.propagate = False


def uvicorn_config(rt: Runtime, host: str, port: int) -> object:
    import uvicorn

    from iku.web.app import create_app

    return uvicorn.Config(
        create_app(rt),
        host=host,
        port=port,
        access_log=False,
        log_config=None,
        proxy_headers=True,
        forwarded_allow_ips=rt.settings.web_trusted_proxies,
        server_header=False,
        timeout_graceful_shutdown=10,
    )


def serve(rt: Runtime, host: str, port: int) -> None:
    import uvicorn

    configure_logging()
    config = uvicorn_config(rt, host, port)
    assert isinstance(config, uvicorn.Config)
    uvicorn.Server(config).run()
