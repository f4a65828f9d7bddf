"""FastAPI dependencies: the runtime, who is asking, and the one authorisation check.

Every route declares :func:`page_user` (pages: a session cookie) or :func:`api_user` (the API: a
bearer token) with the :class:`~iku.access.Action` it performs; both check the role through
:mod:`iku.access`, and routes check an object's agency with :func:`iku.access.require` before
answering with it. Form posts also pass :func:`csrf_protect`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from fastapi import Depends, Request

from iku.access import Action, Actor, visible_agencies
from iku.accounts import actor_for_token
from iku.db import session_scope
from iku.operations.submissions import SubmissionDesk
from iku.runtime import Runtime
from iku.web import sessions
from iku.web.errors import SignInRequired, WebError, unauthorized

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def runtime(request: Request) -> Runtime:
    rt: Runtime = request.app.state.runtime
    return rt


def submission_desk(request: Request) -> SubmissionDesk:
    """The web process's submission desk (warm ingestion context, figure worker)."""
    desk: SubmissionDesk = request.app.state.submission_desk
    return desk


def client_address(request: Request) -> str:
    """The client's address (the reverse proxy's X-Forwarded-For when it is trusted)."""
    return request.client.host if request.client else "-"


def browser_session(request: Request) -> sessions.BrowserSession | None:
    """The request's live session (None without one); cached on the request."""
    if getattr(request.state, "browser_session_loaded", False):
        return cast(sessions.BrowserSession | None, request.state.browser_session)
    rt = runtime(request)
    cookie = request.cookies.get(sessions.cookie_name(rt.settings))
    with session_scope(rt.engine) as db:
        found, ended = sessions.load(db, cookie, rt.settings, client_address(request))
    request.state.browser_session = found
    request.state.browser_session_loaded = True
    request.state.session_ended = ended
    if found is not None:
        request.state.csrf_token = found.csrf_token
        if found.actor is not None:
            request.state.actor = found.actor
            request.state.username = found.actor.username
    return found


@dataclass(frozen=True)
class PageUser:
    """A signed-in person on a page: who, and the session's CSRF token for the forms."""

    actor: Actor
    session: sessions.BrowserSession

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token


def page_user(action: Action | None = None) -> Callable[[Request], PageUser]:
    """A page's dependency: a signed-in account whose role has ``action`` (None: any role)."""

    def dependency(request: Request) -> PageUser:
        found = browser_session(request)
        if found is None or found.actor is None:
            raise SignInRequired(expired=bool(getattr(request.state, "session_ended", False)))
        if action is not None:
            visible_agencies(found.actor, action)  # AccessDenied (403) when the role lacks it
        return PageUser(found.actor, found)

    return dependency


def api_user(action: Action | None = None) -> Callable[[Request], Actor]:
    """An API route's dependency: the bearer token's account, whose role has ``action``."""

    def dependency(request: Request) -> Actor:
        header = request.headers.get("authorization", "")
        scheme, _sep, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise unauthorized()
        rt = runtime(request)
        with session_scope(rt.engine) as db:
            actor = actor_for_token(db, token.strip(), client_address(request))
        if actor is None:
            raise unauthorized()
        request.state.actor = actor
        request.state.username = actor.username
        if action is not None:
            visible_agencies(actor, action)
        return actor

    return dependency


async def csrf_protect(request: Request) -> None:
    """Refuse an unsafe request whose form (or ``X-CSRF-Token`` header) does not carry the
    session's CSRF token (403, with a sentence saying what to do)."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        token = value if isinstance(value, str) else None
    found = await _session_async(request)
    if found is None or not found.csrf_ok(token):
        from iku.i18n import _

        raise WebError(
            403,
            _(
                "This form has expired or did not come from this site, so nothing was "
                "changed. Reload the page and send the form again."
            ),
        )


async def _session_async(request: Request) -> sessions.BrowserSession | None:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(browser_session, request)


CsrfChecked = Depends(csrf_protect)
