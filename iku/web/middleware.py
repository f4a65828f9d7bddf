"""ASGI middleware: the language of the request, security headers, and the access log.

Plain ASGI (not ``BaseHTTPMiddleware``), so the language set here is the context every handler
of the request sees, and streaming responses pass through untouched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode

from iku import i18n
from iku.settings import Settings

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

access_log = logging.getLogger("iku.web.access")

LANGUAGE_COOKIE: Final = "iku_lang"
#: Query parameters the access log keeps; every other value is replaced (tokens, codes,
#: states of an OpenID Connect round trip never reach a log).
LOGGED_PARAMETERS: Final = frozenset(
    {"period", "agency", "status", "rule", "severity", "age", "lang", "page", "expired"}
)

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return str(value.decode("latin-1"))
    return None


def request_language(scope: Scope, default: str = i18n.DEFAULT_LANGUAGE) -> tuple[str, str | None]:
    """The language of a request and, when ``?lang=`` chose it, the value to remember;
    ``default`` (the ``IKU_LANGUAGE`` setting) when the request chooses none."""
    chosen = None
    for key, value in parse_qsl(scope.get("query_string", b"").decode("latin-1")):
        if key == "lang":
            chosen = i18n.normalise(value)
    if chosen:
        return chosen, chosen
    cookie_header = _header(scope, b"cookie")
    if cookie_header:
        cookies: SimpleCookie = SimpleCookie()
        try:
            cookies.load(cookie_header)
        except Exception:  # a malformed cookie header is ignored, not an error
            cookies = SimpleCookie()
        morsel = cookies.get(LANGUAGE_COOKIE)
        if morsel is not None and i18n.normalise(morsel.value):
            return str(i18n.normalise(morsel.value)), None
    return i18n.accept_language(_header(scope, b"accept-language")) or default, None


def safe_query(query_string: bytes) -> str:
    pairs = [
        (k, v if k in LOGGED_PARAMETERS else "[redacted]")
        for k, v in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True)
    ]
    return urlencode(pairs)


class WebMiddleware:
    """Language, security headers, cache policy and the access log, for every HTTP request."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.secure = settings.web_secure_cookies
        self.language = i18n.normalise(settings.language) or i18n.DEFAULT_LANGUAGE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        language, remember = request_language(scope, self.language)
        i18n.activate(language)
        scope.setdefault("state", {})["language"] = language
        path: str = scope.get("path", "")
        static = path.startswith("/static/")
        versioned = static and b"v=" in scope.get("query_string", b"")
        started = time.perf_counter()
        status_holder = {"status": 500}

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                status_holder["status"] = message["status"]
                status_holder["started"] = 1
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _v in headers}

                def add(name: str, value: str) -> None:
                    if name.encode() not in present:
                        headers.append((name.encode(), value.encode("latin-1")))

                add("content-security-policy", CSP)
                add("x-frame-options", "DENY")
                add("x-content-type-options", "nosniff")
                add("referrer-policy", "same-origin")
                add("cross-origin-opener-policy", "same-origin")
                add("permissions-policy", "camera=(), microphone=(), geolocation=()")
                if self.secure:
                    add("strict-transport-security", "max-age=31536000; includeSubDomains")
                if versioned:
                    add("cache-control", "public, max-age=31536000, immutable")
                elif static:
                    add("cache-control", "public, max-age=3600")
                else:
                    # Pages and API answers carry one account's data: never stored by caches.
                    add("cache-control", "no-store")
                add("content-language", language)
                if remember:
                    secure = "; Secure" if self.secure else ""
                    cookie = (
                        f"{LANGUAGE_COOKIE}={remember}; Path=/; Max-Age=31536000; "
                        f"SameSite=Lax{secure}"
                    )
                    headers.append((b"set-cookie", cookie.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            if status_holder.get("started"):
                raise  # too late for an error page; uvicorn closes the connection
            from starlette.requests import Request

            from iku.web.errors import unexpected

            response = unexpected(Request(scope, receive), exc)
            await response(scope, receive, send_with_headers)
        finally:
            if not static:
                client = scope.get("client") or ("-", 0)
                query = scope.get("query_string", b"")
                state = scope.get("state", {})
                access_log.info(
                    '%s %s "%s %s%s" %s %.0fms',
                    client[0],
                    state.get("username", "-"),
                    scope.get("method", "-"),
                    path,
                    f"?{safe_query(query)}" if query else "",
                    status_holder["status"],
                    (time.perf_counter() - started) * 1000,
                )
