"""Sign-in through a real OpenID Connect provider on loopback (tests/web/oidc_provider.py):
the whole authorization code flow with PKCE over HTTP, on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iku.runtime import Runtime
from tests.web.conftest import LiveApp, LiveServer, WebDatabase
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    idp = Provider()
    with LiveApp(idp.app) as live:
        idp.issuer = live.url
        yield idp


@pytest.fixture(scope="module")
def sso_server(web_db: WebDatabase, provider: Provider) -> Iterator[LiveServer]:
    settings = web_db.settings(
        oidc_issuer=provider.issuer,
        oidc_client_id=CLIENT_ID,
        oidc_client_secret=CLIENT_SECRET,
        oidc_label="SSO Pemprov",
    )
    with LiveServer(Runtime(settings, engine=web_db.engine)) as live:
        yield live


def test_sign_in_through_the_provider_maps_to_the_local_account(
    sso_server: LiveServer, provider: Provider
) -> None:
    provider.login_as = {"sub": "kc-0001", "preferred_username": "rina", "email": "r@x.example"}
    with sso_server.client(follow_redirects=True) as browser:
        form = browser.get("/masuk")
        assert "Masuk dengan SSO Pemprov" in form.text
        landed = browser.get("/masuk/sso?next=/antrean%3Fagency%3DDINKES")
        assert landed.status_code == 200, landed.text
        assert str(landed.url).endswith("/antrean?agency=DINKES")
        assert "rina" in landed.text and "Antrean tinjauan" in landed.text
        hops = [str(r.url) for r in landed.history]
        assert any(h.startswith(f"{provider.issuer}/authorize?") for h in hops)
        assert any("/masuk/sso/kembali?code=" in h for h in hops)
        audit = browser.get("/api/v1/me")  # the API never takes the session cookie
        assert audit.status_code == 401


def test_an_unknown_identity_is_not_signed_in(sso_server: LiveServer, provider: Provider) -> None:
    provider.login_as = {"sub": "kc-0999", "preferred_username": "orang_asing"}
    with sso_server.client(follow_redirects=True) as browser:
        answer = browser.get("/masuk/sso")
        assert answer.status_code == 403
        assert "tidak memiliki akun aktif" in answer.text
        assert browser.get("/antrean", follow_redirects=False).status_code == 303


def test_a_forged_callback_or_a_wrong_nonce_is_refused(
    sso_server: LiveServer, provider: Provider
) -> None:
    provider.login_as = {"sub": "kc-0001", "preferred_username": "rina"}
    with sso_server.client() as browser:
        browser.get("/masuk")
        forged = browser.get("/masuk/sso/kembali?code=abc&state=tebakan")
        assert forged.status_code == 400 and "tidak sah" in forged.text
    provider.tamper_nonce = True
    try:
        with sso_server.client(follow_redirects=True) as browser:
            answer = browser.get("/masuk/sso")
            assert answer.status_code == 400
            assert "tidak dapat diverifikasi" in answer.text
            assert browser.get("/antrean", follow_redirects=False).status_code == 303
    finally:
        provider.tamper_nonce = False
