"""Errors people see: one sentence saying what is wrong and what to do, never a traceback.

The API answers JSON ``{"detail": "<Indonesian sentence>"}`` (English with ``?lang=en`` or
``Accept-Language``); the pages answer the error page. 401: no valid token or session; 403:
outside the actor's role or agency scope; 404: does not exist; 409: the state forbids it
(already decided; a locked period; a transition the period's state does not allow); 422:
bad input; 429: sign-in throttled. An unexpected error is logged with its traceback and
answered with the 500 sentence.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from iku.access import AccessDenied
from iku.i18n import _
from iku.periods import PeriodInputError, PeriodStateError
from iku.web.templating import render

log = logging.getLogger("iku.web")


class WebError(Exception):
    """An answer with a status and a sentence for the person (already translated)."""

    def __init__(self, status: int, detail: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}


class SignInRequired(Exception):
    """A page needs a signed-in account: the browser goes to the sign-in page."""

    def __init__(self, expired: bool = False) -> None:
        super().__init__("sign-in required")
        self.expired = expired


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def not_found() -> WebError:
    return WebError(404, _("This page or item does not exist. Check the address or go back."))


def forbidden() -> WebError:
    return WebError(
        403,
        _(
            "Your account may not see or do this: it is outside your role or your agency. "
            "Ask the bureau's administrator if you need access."
        ),
    )


def unauthorized() -> WebError:
    return WebError(
        401,
        _("Sign in first: send a valid bearer token (POST /api/v1/token gives one)."),
        headers={"WWW-Authenticate": "Bearer"},
    )


_STATUS_SENTENCES = {
    404: not_found,
    405: lambda: WebError(405, _("This address does not accept this kind of request.")),
}


def error_response(request: Request, error: WebError) -> Response:
    if is_api(request):
        return JSONResponse({"detail": error.detail}, error.status, headers=error.headers)
    actor = getattr(request.state, "actor", None)
    html = render(
        "error.html",
        {
            "status": error.status,
            "message": error.detail,
            "actor": actor,
            "csrf_token": getattr(request.state, "csrf_token", ""),
            "nav": None,
        },
    )
    return HTMLResponse(html, error.status, headers=error.headers)


def _fields(errors: list[dict[str, Any]]) -> list[str]:
    names: list[str] = []
    for error in errors:
        loc = [str(p) for p in error.get("loc", ()) if p not in ("body", "query", "path", "form")]
        name = ".".join(loc) or "body"
        if name not in names:
            names.append(name)
    return names


def install(app: FastAPI) -> None:
    @app.exception_handler(WebError)
    async def _web_error(request: Request, exc: WebError) -> Response:
        return error_response(request, exc)

    @app.exception_handler(AccessDenied)
    async def _denied(request: Request, exc: AccessDenied) -> Response:
        return error_response(request, forbidden())

    @app.exception_handler(PeriodInputError)
    async def _period_input(request: Request, exc: PeriodInputError) -> Response:
        return error_response(request, WebError(422, str(exc)))

    @app.exception_handler(PeriodStateError)
    async def _period_state(request: Request, exc: PeriodStateError) -> Response:
        # A locked period, or a transition its state does not allow: nothing was changed.
        return error_response(request, WebError(409, str(exc)))

    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        if is_api(request):
            return error_response(request, unauthorized())
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        location = f"/masuk?next={quote(target, safe='')}" + ("&expired=1" if exc.expired else "")
        if request.headers.get("HX-Request"):
            return Response(status_code=200, headers={"HX-Redirect": location})
        return RedirectResponse(location, status_code=303)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = _fields(list(exc.errors()))
        detail = _(
            "The request is not valid (%(fields)s). Check those values and send it again.",
            fields=", ".join(fields),
        )
        if is_api(request):
            return JSONResponse({"detail": detail, "fields": fields}, 422)
        return error_response(request, WebError(422, detail))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        make = _STATUS_SENTENCES.get(exc.status_code)
        error = (
            make()
            if make is not None
            else WebError(exc.status_code, _("The request could not be carried out."))
        )
        return error_response(request, error)


def unexpected(request: Request, exc: BaseException) -> Response:
    """The answer to an error nobody expected: logged with its traceback, one sentence shown
    (the web middleware calls this, so no traceback ever reaches a person)."""
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(
        request,
        WebError(
            500,
            _(
                "Something went wrong on the server; the error has been recorded. Try "
                "again in a moment, and tell the bureau's administrator if it happens again."
            ),
        ),
    )
