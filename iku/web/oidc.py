"""Optional sign-in through an OpenID Connect provider (Keycloak and the like), with Authlib.

The authorization code flow with PKCE (S256), a ``state`` and a ``nonce`` kept in the
browser's server-side session. The ID token's signature is checked against the provider's
published keys (joserfc) and its claims (issuer, audience, expiry, nonce) with Authlib's
``CodeIDToken``. The claim ``oidc_username_claim`` (default ``preferred_username``) must name an
existing, enabled local account: the provider proves who someone is, the local account says
what they may do. Nothing is created automatically.
"""

from __future__ import annotations

import logging
import secrets
import threading
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from iku import audit
from iku.accounts import find_account
from iku.db import now_wib, session_scope
from iku.i18n import _
from iku.settings import Settings
from iku.web import sessions
from iku.web.deps import browser_session, client_address, runtime

log = logging.getLogger("iku.auth")
router = APIRouter(include_in_schema=False)
CALLBACK = "/masuk/sso/kembali"
TIMEOUT_SECONDS = 10


class OidcError(Exception):
    """The provider's answer cannot be trusted or used; the message is for the log."""


class Provider:
    """An OpenID Connect provider: its discovery document and keys, fetched once."""

    def __init__(self, settings: Settings) -> None:
        self.issuer = settings.oidc_issuer.rstrip("/")
        self.client_id = settings.oidc_client_id
        self.client_secret = settings.oidc_client_secret.get_secret_value()
        self.scopes = settings.oidc_scopes
        self.username_claim = settings.oidc_username_claim
        self._metadata: dict[str, Any] | None = None
        self._keys: Any = None
        self._lock = threading.Lock()

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is None:
                import requests

                url = f"{self.issuer}/.well-known/openid-configuration"
                answer = requests.get(url, timeout=TIMEOUT_SECONDS)
                answer.raise_for_status()
                document = answer.json()
                if str(document.get("issuer", "")).rstrip("/") != self.issuer:
                    raise OidcError(f"discovery names issuer {document.get('issuer')!r}")
                self._metadata = document
            return self._metadata

    def keys(self, refresh: bool = False) -> Any:
        from joserfc.jwk import KeySet

        with self._lock:
            if self._keys is None or refresh:
                import requests

                answer = requests.get(self._metadata_url("jwks_uri"), timeout=TIMEOUT_SECONDS)
                answer.raise_for_status()
                self._keys = KeySet.import_key_set(answer.json())
            return self._keys

    def _metadata_url(self, key: str) -> str:
        assert self._metadata is not None
        return str(self._metadata[key])

    def _client(self, redirect_uri: str) -> Any:
        from authlib.integrations.requests_client import OAuth2Session

        return OAuth2Session(
            client_id=self.client_id,
            client_secret=self.client_secret,
            scope=self.scopes,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_basic",
        )

    def start(self, redirect_uri: str) -> tuple[str, dict[str, str]]:
        """The provider's authorization URL and what the callback must find again."""
        from authlib.common.security import generate_token

        metadata = self.metadata()
        state = generate_token(32)
        nonce = generate_token(32)
        verifier = generate_token(64)
        with self._client(redirect_uri) as client:
            url, _state = client.create_authorization_url(
                metadata["authorization_endpoint"],
                state=state,
                code_verifier=verifier,
                nonce=nonce,
            )
        return url, {"state": state, "nonce": nonce, "verifier": verifier}

    def finish(self, redirect_uri: str, response_url: str, flow: dict[str, str]) -> dict[str, Any]:
        """Exchange the code, verify the ID token, return its claims."""
        from authlib.oidc.core import CodeIDToken
        from joserfc import jwt
        from joserfc.errors import JoseError

        metadata = self.metadata()
        with self._client(redirect_uri) as client:
            token = client.fetch_token(
                metadata["token_endpoint"],
                authorization_response=response_url,
                state=flow["state"],
                code_verifier=flow["verifier"],
            )
        id_token = token.get("id_token")
        if not id_token:
            raise OidcError("the token answer has no id_token")
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        algorithms = [a for a in algorithms if a != "none"]
        try:
            try:
                decoded = jwt.decode(id_token, self.keys(), algorithms=algorithms)
            except (JoseError, ValueError):
                decoded = jwt.decode(id_token, self.keys(refresh=True), algorithms=algorithms)
        except (JoseError, ValueError) as exc:
            raise OidcError(f"the ID token's signature does not verify: {exc}") from None
        claims = CodeIDToken(
            decoded.claims,
            decoded.header,
            options={
                "iss": {"essential": True, "value": self.issuer},
                "aud": {"essential": True, "value": self.client_id},
                "sub": {"essential": True},
                "exp": {"essential": True},
            },
            params={"nonce": flow["nonce"], "client_id": self.client_id},
        )
        try:
            claims.validate(now=int(now_wib().timestamp()), leeway=60)
        except JoseError as exc:
            raise OidcError(f"the ID token's claims are not valid: {exc}") from None
        if claims.get("nonce") != flow["nonce"]:
            raise OidcError("the ID token's nonce does not match")
        return dict(claims)


def provider(request: Request) -> Provider:
    state = request.app.state
    with _providers_lock:
        if getattr(state, "oidc_provider", None) is None:
            state.oidc_provider = Provider(runtime(request).settings)
    found: Provider = state.oidc_provider
    return found


_providers_lock = threading.Lock()


def _redirect_uri(request: Request) -> str:
    base = runtime(request).settings.web_public_url.rstrip("/") or str(request.base_url).rstrip("/")
    return base + CALLBACK


def _refuse(request: Request, sentence: str, status: int) -> Response:
    from iku.web.pages import _sign_in_page

    return _sign_in_page(request, next_path=None, message=sentence, status=status)


@router.get("/masuk/sso")
def oidc_start(request: Request, next: Annotated[str | None, Query()] = None) -> Response:
    from iku.web.pages import _safe_next, set_session_cookie

    rt = runtime(request)
    try:
        url, flow = provider(request).start(_redirect_uri(request))
    except Exception:
        log.exception("OpenID Connect: the provider %s cannot be reached", rt.settings.oidc_issuer)
        return _refuse(
            request,
            _(
                "Sign-in through %(provider)s is not available right now; sign in with your "
                "password, or try again later.",
                provider=rt.settings.oidc_label,
            ),
            503,
        )
    flow["next"] = _safe_next(next) or ""
    found = browser_session(request)
    with session_scope(rt.engine) as db:
        if found is None:
            found = sessions.create(
                db,
                rt.settings,
                account=None,
                address=client_address(request),
                data={"oidc": flow},
            )
        else:
            sessions.save_data(db, found.key, {**found.data, "oidc": flow})
    response = RedirectResponse(url, status_code=303)
    if found.cookie_value:
        set_session_cookie(request, response, found.cookie_value)
    return response


@router.get(CALLBACK)
def oidc_callback(
    request: Request,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    from iku.web.pages import _home, _safe_next, set_session_cookie

    rt = runtime(request)
    found = browser_session(request)
    flow = (found.data.get("oidc") if found is not None else None) or {}
    again = _("Start the sign-in again from the sign-in page.")
    if error:
        log.warning("OpenID Connect: the provider answered error=%s", error)
        return _refuse(request, _("The provider refused the sign-in.") + " " + again, 400)
    if (
        found is None
        or not flow
        or not state
        or not secrets.compare_digest(str(flow.get("state", "")), state)
    ):
        log.warning(
            "OpenID Connect: callback without a matching state from %s", client_address(request)
        )
        return _refuse(
            request, _("This sign-in link is not valid or has expired.") + " " + again, 400
        )
    try:
        claims = provider(request).finish(_redirect_uri(request), str(request.url), flow)
    except Exception as exc:  # any failure of the exchange: nobody is signed in
        log.warning("OpenID Connect: sign-in failed: %s", exc)
        return _refuse(
            request, _("The provider's answer could not be verified.") + " " + again, 400
        )
    username = str(claims.get(provider(request).username_claim) or "")
    address = client_address(request)
    with session_scope(rt.engine) as db:
        account = find_account(db, username) if username else None
        if account is None or not account.is_enabled:
            log.warning(
                "OpenID Connect: no enabled local account for %s=%r (sub=%r) from %s",
                provider(request).username_claim,
                username,
                claims.get("sub"),
                address,
            )
            sessions.save_data(db, found.key, {})
            refused = True
        else:
            refused = False
            account.last_sign_in_at = now_wib()
            fresh = sessions.create(
                db, rt.settings, account=account, address=address, replaces=found.key
            )
            assert fresh.actor is not None
            actor = fresh.actor
            audit.record(
                db,
                actor,
                "session.sign_in",
                target=f"account:{account.username}",
                details={"via": "oidc", "issuer": provider(request).issuer},
            )
    if refused:
        return _refuse(
            request,
            _(
                "Your identity was confirmed, but '%(name)s' has no active account here. Ask "
                "the bureau's administrator to create or enable it.",
                name=username or "?",
            ),
            403,
        )
    log.info("sign-in: user=%r address=%s channel=oidc", actor.username, address)
    response = RedirectResponse(_safe_next(flow.get("next")) or _home(actor), status_code=303)
    assert fresh.cookie_value is not None
    set_session_cookie(request, response, fresh.cookie_value)
    return response
