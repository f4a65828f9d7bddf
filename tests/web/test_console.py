"""The stewards' console and the security of the pages, over real HTTP on both databases:
CSRF, escaping, throttling, sessions, headers, the access log, languages, the 500 page."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from iku import models as m
from iku.db import now_wib, session_scope
from iku.runtime import Runtime
from tests.web.conftest import PASSWORD, PERIOD, LiveServer, WebDatabase, csrf_of, sign_in


def _open_item(server: LiveServer, web_db: WebDatabase, agency: str = "DINKES") -> int:
    with session_scope(web_db.engine) as session:
        ids = [
            i
            for i in web_db.ids["issues"][agency]
            if session.get(m.ValidationIssue, i).status == "open"  # type: ignore[union-attr]
        ]
    assert ids, "the seed ran out of open items"
    return ids[0]


def test_a_form_post_without_the_csrf_token_is_refused(
    server: LiveServer, web_db: WebDatabase
) -> None:
    client = sign_in(server, "rina")
    issue_id = _open_item(server, web_db)
    for data in (
        {"decision": "reject", "note": "tanpa token"},
        {"decision": "reject", "note": "token palsu", "csrf_token": "palsu"},
    ):
        answer = client.post(f"/antrean/{issue_id}/keputusan", data=data)
        assert answer.status_code == 403
        assert "Muat ulang halaman" in answer.text
    assert client.get(f"/api/v1/review/issues/{issue_id}").status_code == 401  # no cookie auth
    with session_scope(web_db.engine) as session:
        assert session.get(m.ValidationIssue, issue_id).status == "open"  # type: ignore[union-attr]
    # The sign-in and sign-out forms are protected too.
    with server.client() as stranger:
        refused = stranger.post("/masuk", data={"username": "rina", "password": PASSWORD})
        assert refused.status_code == 403
    assert client.post("/keluar").status_code == 403
    assert client.get("/antrean").status_code == 200  # still signed in


def test_a_decision_in_the_console_is_recorded_and_a_script_note_is_escaped(
    server: LiveServer, web_db: WebDatabase
) -> None:
    client = sign_in(server, "rina")
    issue_id = _open_item(server, web_db)
    before = client.get("/antrean")
    assert f'href="/antrean/{issue_id}"' in before.text
    page = client.get(f"/antrean/{issue_id}")
    note = '<script>alert("x")</script> nilai tidak wajar'
    answer = client.post(
        f"/antrean/{issue_id}/keputusan",
        data={"csrf_token": csrf_of(page.text), "decision": "reject", "note": note},
    )
    assert answer.status_code == 303
    shown = client.get(answer.headers["location"])
    assert shown.status_code == 200
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; nilai tidak wajar" in shown.text
    assert "<script>alert" not in shown.text
    assert "Keputusan tercatat" in shown.text
    after = client.get("/antrean")
    assert f'href="/antrean/{issue_id}"' not in after.text
    with session_scope(web_db.engine) as session:
        decision = session.scalars(
            sa.select(m.ReviewDecision).where(m.ReviewDecision.issue_id == issue_id)
        ).one()
        assert (decision.decided_by, decision.note) == ("rina", note)
        event = session.scalars(
            sa.select(m.AuditEvent).where(m.AuditEvent.target == f"validation_issue:{issue_id}")
        ).one()
        assert (event.actor, event.role, event.client_address) == ("rina", "steward", "127.0.0.1")
        assert event.details["decision"] == "reject" and PERIOD in event.details["recomputed"]
    audit = sign_in(server, "biro").get("/audit")
    assert f"validation_issue:{issue_id}" in audit.text and "<script>alert" not in audit.text


def test_an_invalid_decision_is_explained_and_changes_nothing(
    server: LiveServer, web_db: WebDatabase
) -> None:
    client = sign_in(server, "rina")
    issue_id = _open_item(server, web_db)
    page = client.get(f"/antrean/{issue_id}")
    token = csrf_of(page.text)
    for data, status, sentence in (
        ({"decision": "accept_value", "value": "1.234.5", "note": "koreksi"}, 422, "85,24"),
        ({"decision": "reject", "note": "  "}, 422, "alasan"),
        ({"decision": "", "note": "x"}, 422, "Pilih keputusan"),
    ):
        answer = client.post(f"/antrean/{issue_id}/keputusan", data={"csrf_token": token, **data})
        assert answer.status_code == status, answer.text
        assert sentence in answer.text
    with session_scope(web_db.engine) as session:
        assert session.get(m.ValidationIssue, issue_id).status == "open"  # type: ignore[union-attr]


def test_twenty_wrong_passwords_are_throttled_and_logged(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    wrong = "salah-sekali-1234"
    caplog.set_level(logging.INFO, logger="iku")
    statuses = []
    with server.client(headers={"X-Forwarded-For": "198.51.100.23"}) as client:
        for _attempt in range(20):
            answer = client.post("/api/v1/token", data={"username": "terkunci", "password": wrong})
            statuses.append(answer.status_code)
        # Four failures are answered 401; the fifth locks the account (and says so): 429.
        assert statuses[:4] == [401] * 4
        assert statuses[4:] == [429] * 16
        assert int(answer.headers["retry-after"]) > 0
        assert "coba lagi" in answer.json()["detail"]
        # Locked means locked: the right password is refused too, until the window passes.
        right = client.post("/api/v1/token", data={"username": "terkunci", "password": PASSWORD})
        assert right.status_code == 429
        # The page says it in a sentence, with 429.
        form = client.get("/masuk")
        page = client.post(
            "/masuk",
            data={"csrf_token": csrf_of(form.text), "username": "terkunci", "password": PASSWORD},
        )
        assert page.status_code == 429 and "dikunci" in page.text
    failures = [r.getMessage() for r in caplog.records if "sign-in failed" in r.getMessage()]
    refused = [r.getMessage() for r in caplog.records if "sign-in refused" in r.getMessage()]
    assert len(failures) == 5 and len(refused) >= 15
    assert all("terkunci" in line and "198.51.100.23" in line for line in failures)
    assert not [r for r in caplog.records if wrong in r.getMessage() or PASSWORD in r.getMessage()]


def test_failures_from_one_address_lock_that_address(server: LiveServer) -> None:
    with server.client(headers={"X-Forwarded-For": "198.51.100.99"}) as client:
        answers = [
            client.post(
                "/api/v1/token", data={"username": f"tebakan{n}", "password": "bukan-ini-123"}
            ).status_code
            for n in range(21)
        ]
        assert answers[:19] == [401] * 19 and answers[19:] == [429, 429]
        blocked = client.post("/api/v1/token", data={"username": "rina", "password": PASSWORD})
        assert blocked.status_code == 429
    with server.client() as other:  # another address still signs in
        assert (
            other.post("/api/v1/token", data={"username": "rina", "password": PASSWORD}).status_code
            == 200
        )


def test_sessions_expire_and_sign_out_ends_them(server: LiveServer, web_db: WebDatabase) -> None:
    client = sign_in(server, "pimpinan")
    cookie = next(iter(client.cookies.jar))
    assert cookie.name == "iku_session" and cookie.has_nonstandard_attr("HttpOnly")
    with session_scope(web_db.engine) as session:
        # The table holds the cookie's hash, never the cookie.
        assert session.get(m.WebSession, cookie.value) is None
        rows = session.scalars(sa.select(m.WebSession).where(m.WebSession.account_id.is_not(None)))
        for row in rows:
            if row.last_seen_at > now_wib() - timedelta(minutes=5):
                row.last_seen_at = now_wib() - timedelta(hours=2)  # idle for two hours
    answer = client.get("/antrean")
    assert answer.status_code == 303 and "expired=1" in answer.headers["location"]
    assert "Sesi Anda telah berakhir" in client.get(answer.headers["location"]).text
    again = sign_in(server, "pimpinan")
    page = again.get("/antrean")
    out = again.post("/keluar", data={"csrf_token": csrf_of(page.text)})
    assert out.status_code == 303 and out.headers["location"] == "/masuk?out=1"
    assert again.get("/antrean").status_code == 303


def test_security_headers_and_cache_policy(server: LiveServer) -> None:
    with server.client() as client:
        page = client.get("/masuk")
        assert "script-src 'self'" in page.headers["content-security-policy"]
        assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
        assert page.headers["x-frame-options"] == "DENY"
        assert page.headers["x-content-type-options"] == "nosniff"
        assert page.headers["referrer-policy"] == "same-origin"
        assert page.headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in page.headers
        assert "<script>" not in page.text and " on" not in page.text.split("<body")[1][:0]
        assert "samesite=lax" in page.headers["set-cookie"].lower()
        static = client.get("/static/htmx.min.js?v=1")
        assert static.status_code == 200
        assert "immutable" in static.headers["cache-control"]


def test_secure_cookies_and_hsts_in_production(web_db: WebDatabase) -> None:
    rt = Runtime(web_db.settings(web_secure_cookies=True), engine=web_db.engine)
    with LiveServer(rt) as live, live.client() as client:
        page = client.get("/masuk")
        assert page.headers["strict-transport-security"].startswith("max-age=")
        cookie = page.headers["set-cookie"]
        assert cookie.startswith("__Host-iku_session=") and "Secure" in cookie
        assert "HttpOnly" in cookie


def test_the_access_log_has_no_secrets(
    server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="iku.web.access")
    with server.client() as client:
        token = client.post(
            "/api/v1/token", data={"username": "biro", "password": PASSWORD}
        ).json()["access_token"]
        client.get(
            f"/api/v1/me?access_token={token}&period=2026-10",
            headers={"Authorization": f"Bearer {token}"},
        )
        client.get("/masuk?next=/antrean&code=rahasia-kode&state=rahasia-state")
    lines = [r.getMessage() for r in caplog.records if r.name == "iku.web.access"]
    assert any("/api/v1/me?access_token=%5Bredacted%5D&period=2026-10" in x for x in lines)
    assert any('biro "GET /api/v1/me' in x for x in lines)
    text = "\n".join(lines)
    for secret in (token, PASSWORD, "rahasia-kode", "rahasia-state"):
        assert secret not in text


def test_pages_in_english_on_request(server: LiveServer) -> None:
    with server.client() as client:
        assert "Masuk" in client.get("/masuk").text
        english = client.get("/masuk?lang=en")
        assert '<html lang="en">' in english.text and "Sign in" in english.text
        assert "Sign in" in client.get("/masuk").text  # remembered in a cookie
    with server.client(headers={"Accept-Language": "en-GB,en;q=0.9,id;q=0.5"}) as client:
        assert "Username" in client.get("/masuk").text


def test_an_unexpected_error_is_one_indonesian_sentence(
    tmp_path: object, web_db: WebDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    from pathlib import Path

    from iku.db import make_engine

    empty = make_engine(f"sqlite:///{Path(str(tmp_path)) / 'kosong.db'}")  # no tables at all
    rt = Runtime(web_db.settings(database_url=str(empty.url)), engine=empty)
    with LiveServer(rt) as live, live.client() as client:
        page = client.get("/masuk")
        api = client.get("/api/v1/me", headers={"Authorization": "Bearer ikuat_x"})
    empty.dispose()
    assert page.status_code == 500 and "Terjadi kesalahan di server" in page.text
    assert "Traceback" not in page.text and "sqlite" not in page.text.lower()
    assert api.status_code == 500 and api.json()["detail"].startswith("Terjadi kesalahan")
    assert any(r.exc_info for r in caplog.records if r.name == "iku.web")
