"""The application factory: one FastAPI app around one :class:`~iku.runtime.Runtime`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from iku.operations.submissions import SubmissionDesk
from iku.runtime import Runtime
from iku.web import api, dashboard, errors, pages, periods, portal, public
from iku.web.middleware import WebMiddleware
from iku.web.templating import STATIC_DIR

DESCRIPTION = (
    "REST API of IKU Lampung. Sign in with the OAuth2 password flow at `POST /api/v1/token` "
    "(or an API token an administrator issued) and send `Authorization: Bearer <token>`. "
    "Answers are limited to the account's role and agencies: 401 without a valid token, 403 "
    "outside the scope, 404 for what does not exist, 422 for bad input, 429 when sign-in is "
    "throttled. Error details are sentences in Bahasa Indonesia (`?lang=en` or "
    "`Accept-Language: en` for English)."
)


def create_app(rt: Runtime) -> FastAPI:
    """The web application for ``rt`` (its settings, engine, rules and folders)."""
    desk = SubmissionDesk(rt)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            desk.close()

    app = FastAPI(
        lifespan=lifespan,
        title="IKU Lampung",
        version="1",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        # Swagger UI and ReDoc load their scripts from a CDN: not on this site.
        docs_url=None,
        redoc_url=None,
    )
    app.state.runtime = rt
    app.state.submission_desk = desk
    errors.install(app)
    app.include_router(pages.router)
    app.include_router(dashboard.router)
    app.include_router(portal.router)
    app.include_router(periods.router)
    app.include_router(public.router)
    app.include_router(api.router)
    if rt.settings.oidc_issuer:
        from iku.web import oidc

        app.include_router(oidc.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(WebMiddleware, settings=rt.settings)
    return app
