"""Every role x every endpoint over real HTTP, on both databases: allowed, 401, 403, 404.

The expected answer of each (endpoint, role) is written out below; ``ALL`` rows list the roles
that may, and every other role must get 403 (a missing token: 401). An agency user never sees
another agency's items, figures or files, including by guessing ids.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from tests.web.conftest import ACCOUNTS, PERIOD, LiveServer, Tokens, WebDatabase, sign_in

ROLES = tuple(u for u in ACCOUNTS if u != "terkunci")
EVERY_READER = {
    "biro",
    "rina",
    "steward_dinkes",
    "opd_dinkes",
    "kadis_dinkes",
    "opd_disdik",
    "pimpinan",
}
SEES_ALL = {"biro", "rina", "pimpinan"}
SEES_DINKES = SEES_ALL | {"steward_dinkes", "opd_dinkes", "kadis_dinkes"}
SEES_DISDIK = SEES_ALL | {"opd_disdik"}


@dataclass(frozen=True)
class Case:
    name: str
    path: Callable[[WebDatabase], str]
    allowed: frozenset[str]
    ok: int = 200
    others: int = 403


def _issue(agency: str, index: int = -1) -> Callable[[WebDatabase], str]:
    return lambda db: f"/api/v1/review/issues/{db.ids['issues'][agency][index]}"


API_CASES = [
    Case("me", lambda db: "/api/v1/me", frozenset(ROLES)),
    Case("issues", lambda db: "/api/v1/review/issues", frozenset(EVERY_READER)),
    Case(
        "issues of DINKES", lambda db: "/api/v1/review/issues?agency=DINKES", frozenset(SEES_DINKES)
    ),
    Case(
        "issues of DISDIKBUD",
        lambda db: "/api/v1/review/issues?agency=DISDIKBUD&status=all",
        frozenset(SEES_DISDIK),
    ),
    Case("a DINKES issue", _issue("DINKES"), frozenset(SEES_DINKES)),
    Case("a DISDIKBUD issue", _issue("DISDIKBUD"), frozenset(SEES_DISDIK)),
    Case(
        "an issue that does not exist",
        lambda db: "/api/v1/review/issues/999999",
        frozenset(EVERY_READER),
        ok=404,
    ),
    Case(
        "achievements", lambda db: f"/api/v1/achievements?period={PERIOD}", frozenset(EVERY_READER)
    ),
    Case(
        "achievements of DISDIKBUD",
        lambda db: f"/api/v1/achievements?period={PERIOD}&agency=DISDIKBUD",
        frozenset(SEES_DISDIK),
    ),
    Case("submissions", lambda db: "/api/v1/submissions", frozenset(EVERY_READER)),
    Case(
        "a DINKES submission",
        lambda db: f"/api/v1/submissions/{db.ids['submission_dinkes']}",
        frozenset(SEES_DINKES),
    ),
    Case(
        "a DISDIKBUD submission",
        lambda db: f"/api/v1/submissions/{db.ids['submission_disdik']}",
        frozenset(SEES_DISDIK),
    ),
    Case(
        "DINKES archived file",
        lambda db: f"/api/v1/submissions/{db.ids['submission_dinkes']}/file",
        frozenset(SEES_DINKES),
    ),
    Case(
        "DISDIKBUD archived file",
        lambda db: f"/api/v1/submissions/{db.ids['submission_disdik']}/file",
        frozenset(SEES_DISDIK),
    ),
    Case(
        "a file that does not exist",
        lambda db: "/api/v1/submissions/999999/file",
        frozenset(EVERY_READER),
        ok=404,
    ),
    Case("bulletins", lambda db: f"/api/v1/bulletins?period={PERIOD}", frozenset(EVERY_READER)),
    Case(
        "DINKES bulletin",
        lambda db: f"/api/v1/bulletins/{db.ids['bulletin_DINKES']}/file",
        frozenset(SEES_DINKES),
    ),
    Case(
        "province bulletin",
        lambda db: f"/api/v1/bulletins/{db.ids['bulletin_province']}/file",
        frozenset(SEES_ALL),
    ),
    Case("audit log", lambda db: "/api/v1/audit", frozenset({"admin", "biro"})),
    Case("accounts", lambda db: "/api/v1/accounts", frozenset({"admin"})),
    Case(
        "period status",
        lambda db: f"/api/v1/periods/{PERIOD}",
        frozenset({"biro", "pimpinan", "opd_dinkes", "kadis_dinkes", "opd_disdik"}),
    ),
]

MATRIX = [
    pytest.param(case, role, id=f"{case.name}-{role}")
    for case in API_CASES
    for role in (*ROLES, "anonymous")
]


@pytest.mark.parametrize(("case", "role"), MATRIX)
def test_api_matrix(
    server: LiveServer, web_db: WebDatabase, tokens: Tokens, case: Case, role: str
) -> None:
    headers = tokens(role) if role != "anonymous" else {}
    with server.client() as client:
        answer = client.get(case.path(web_db), headers=headers)
    expected = 401 if role == "anonymous" else case.ok if role in case.allowed else case.others
    assert answer.status_code == expected, answer.text
    if answer.headers["content-type"].startswith("application/json") and expected >= 400:
        detail = answer.json()["detail"]
        assert isinstance(detail, str) and detail.endswith(".")


DECIDERS = [
    # (role, agency of the item, expected)
    ("rina", "DINKES", 200),
    ("steward_dinkes", "DINKES", 200),
    ("rina", "DISDIKBUD", 200),
    ("steward_dinkes", "DISDIKBUD", 403),
    ("biro", "DINKES", 403),
    ("pimpinan", "DINKES", 403),
    ("opd_dinkes", "DINKES", 403),
    ("kadis_dinkes", "DINKES", 403),
    ("opd_disdik", "DISDIKBUD", 403),
    ("admin", "DINKES", 403),
    ("anonymous", "DINKES", 401),
]


@pytest.mark.parametrize(("role", "agency", "expected"), DECIDERS)
def test_decision_matrix(
    server: LiveServer, web_db: WebDatabase, tokens: Tokens, role: str, agency: str, expected: int
) -> None:
    # Items 0..2 of each agency are decided by the allowed cases, in order; the refused cases
    # all aim at the last item, which stays open.
    allowed = [r for r, a, e in DECIDERS if a == agency and e == 200]
    index = allowed.index(role) if expected == 200 else -1
    issue_id = web_db.ids["issues"][agency][index]
    headers = tokens(role) if role != "anonymous" else {}
    with server.client() as client:
        answer = client.post(
            f"/api/v1/review/issues/{issue_id}/decision",
            json={"decision": "reject", "note": "kode IKU tidak dikenal, minta kirim ulang"},
            headers=headers,
        )
        assert answer.status_code == expected, answer.text
        if expected == 200:
            body = answer.json()
            assert body["status"] == "rejected"
            assert body["decided_by"] == role and body["decided_at"]
            assert PERIOD in body["recomputed"]
            again = client.post(
                f"/api/v1/review/issues/{issue_id}/decision",
                json={"decision": "accept", "note": "berubah pikiran"},
                headers=headers,
            )
            assert again.status_code == 409
            assert "final" in again.json()["detail"]
        else:
            with server.client() as reader:
                still = reader.get(f"/api/v1/review/issues/{issue_id}", headers=tokens("biro"))
            assert still.json()["status"] == "open"


def test_an_agency_user_sees_only_its_own_agency(
    server: LiveServer, web_db: WebDatabase, tokens: Tokens
) -> None:
    mine = tokens("opd_dinkes")
    with server.client() as client:
        items = client.get("/api/v1/review/issues?status=all", headers=mine).json()
        assert items and {i["agency_code"] for i in items} == {"DINKES"}
        rows = client.get(f"/api/v1/achievements?period={PERIOD}", headers=mine).json()
        assert rows and {r["agency_code"] for r in rows} == {"DINKES"}
        assert {r["level"] for r in rows} == {"indicator", "agency"}
        bulletins = client.get("/api/v1/bulletins", headers=mine).json()
        assert [b["agency_code"] for b in bulletins] == ["DINKES"]
        # Guessing ids: every other agency's item, file and bulletin is refused.
        for issue_id in web_db.ids["issues"]["DISDIKBUD"]:
            assert client.get(f"/api/v1/review/issues/{issue_id}", headers=mine).status_code == 403
        for path in (
            f"/api/v1/submissions/{web_db.ids['submission_disdik']}/file",
            f"/api/v1/bulletins/{web_db.ids['bulletin_DISDIKBUD']}/file",
            f"/api/v1/bulletins/{web_db.ids['bulletin_province']}/file",
        ):
            assert client.get(path, headers=mine).status_code == 403, path
        own = client.get(
            f"/api/v1/submissions/{web_db.ids['submission_dinkes']}/file", headers=mine
        )
        assert own.status_code == 200 and own.content.startswith(b"Kode OPD;")
        everything = client.get(f"/api/v1/achievements?period={PERIOD}", headers=tokens("biro"))
        assert {r["level"] for r in everything.json()} == {
            "indicator",
            "agency",
            "sector",
            "province",
        }


def test_me_and_the_issue_shape(server: LiveServer, web_db: WebDatabase, tokens: Tokens) -> None:
    with server.client() as client:
        me = client.get("/api/v1/me", headers=tokens("steward_dinkes")).json()
        assert me == {
            "username": "steward_dinkes",
            "role": "steward",
            "agencies": ["DINKES"],
            "all_agencies": False,
        }
        listed = client.get(
            f"/api/v1/review/issues?period={PERIOD}&agency=DINKES&status=all",
            headers=tokens("rina"),
        ).json()
        for key in (
            "id",
            "agency_code",
            "period",
            "indicator_code",
            "rule",
            "severity",
            "status",
            "message",
            "source_row",
        ):
            assert key in listed[0], key
        one = client.get(f"/api/v1/review/issues/{listed[0]['id']}", headers=tokens("rina"))
        assert one.json()["row"]["source_file"]
        schema = client.get("/openapi.json").json()
        assert "/api/v1/review/issues/{issue_id}/decision" in schema["paths"]


def test_bad_input_is_422_with_an_indonesian_sentence(server: LiveServer, tokens: Tokens) -> None:
    with server.client() as client:
        for path in (
            "/api/v1/achievements",  # period missing
            "/api/v1/achievements?period=2026-13",
            "/api/v1/review/issues?status=maybe",
        ):
            answer = client.get(path, headers=tokens("biro"))
            assert answer.status_code == 422, path
            assert "tidak sah" in answer.json()["detail"]
        english = client.get(
            "/api/v1/achievements?period=oktober",
            headers={**tokens("biro"), "Accept-Language": "en-US,en;q=0.8"},
        )
        assert english.status_code == 422 and "is not valid" in english.json()["detail"]


PAGE_CASES: list[tuple[str, Callable[[WebDatabase], str], set[str]]] = [
    ("queue", lambda db: "/antrean", EVERY_READER),
    ("queue of DISDIKBUD", lambda db: "/antrean?agency=DISDIKBUD", SEES_DISDIK),
    ("a DINKES item", lambda db: f"/antrean/{db.ids['issues']['DINKES'][-1]}", SEES_DINKES),
    ("a DISDIKBUD item", lambda db: f"/antrean/{db.ids['issues']['DISDIKBUD'][-1]}", SEES_DISDIK),
    ("DINKES file", lambda db: f"/berkas/{db.ids['submission_dinkes']}", SEES_DINKES),
    ("DISDIKBUD file", lambda db: f"/berkas/{db.ids['submission_disdik']}", SEES_DISDIK),
    ("province bulletin", lambda db: f"/buletin/{db.ids['bulletin_province']}", SEES_ALL),
    ("DINKES bulletin", lambda db: f"/buletin/{db.ids['bulletin_DINKES']}", SEES_DINKES),
    ("audit page", lambda db: "/audit", {"admin", "biro"}),
    ("accounts page", lambda db: "/akun", {"admin"}),
    ("agency portal", lambda db: "/portal", {"opd_dinkes", "opd_disdik"}),
    (
        "periods page",
        lambda db: f"/periode?period={PERIOD}",
        {"biro", "pimpinan", "opd_dinkes", "kadis_dinkes", "opd_disdik"},
    ),
]


@pytest.fixture(scope="module")
def browsers(server: LiveServer) -> dict[str, Any]:
    clients = {role: sign_in(server, role) for role in ROLES}
    yield clients
    for client in clients.values():
        client.close()


@pytest.mark.parametrize(
    ("name", "path", "allowed"), [pytest.param(*c, id=c[0]) for c in PAGE_CASES]
)
def test_page_matrix(
    server: LiveServer,
    web_db: WebDatabase,
    browsers: dict[str, Any],
    name: str,
    path: Callable[[WebDatabase], str],
    allowed: set[str],
) -> None:
    target = path(web_db)
    for role in ROLES:
        answer = browsers[role].get(target)
        expected = 200 if role in allowed else 403
        assert answer.status_code == expected, (role, answer.text[:300])
        if expected == 403:
            assert "tidak berwenang" in answer.text  # the sentence, in Indonesian
    with server.client() as anonymous:
        answer = anonymous.get(target)
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/masuk?next=")


def test_missing_pages_are_404_in_indonesian(browsers: dict[str, Any]) -> None:
    for path in ("/antrean/999999", "/berkas/999999", "/buletin/999999", "/tidak-ada"):
        answer = browsers["rina"].get(path)
        assert answer.status_code == 404, path
        assert "tidak ada" in answer.text.lower()


@pytest.mark.parametrize("role", [*ROLES, "anonymous"])
def test_api_tokens_are_issued_and_revoked_by_admins_only(
    server: LiveServer, tokens: Tokens, role: str
) -> None:
    headers = tokens(role) if role != "anonymous" else {}
    with server.client() as client:
        issued = client.post(
            "/api/v1/tokens", json={"username": "pimpinan", "name": f"uji {role}"}, headers=headers
        )
        expected = 401 if role == "anonymous" else 201 if role == "admin" else 403
        assert issued.status_code == expected, issued.text
        if expected != 201:
            return
        token = issued.json()["token"]
        me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
        assert me.json()["username"] == "pimpinan"
        for other in ROLES:
            if other != "admin":
                refused = client.delete(
                    f"/api/v1/tokens/{issued.json()['id']}", headers=tokens(other)
                )
                assert refused.status_code == 403
        assert (
            client.delete(f"/api/v1/tokens/{issued.json()['id']}", headers=headers).status_code
            == 204
        )
        assert (
            client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"}).status_code
            == 401
        )


def test_account_forms_are_for_admins_only(browsers: dict[str, Any]) -> None:
    from tests.web.conftest import csrf_of

    for role, client in browsers.items():
        token = csrf_of(client.get("/antrean" if role != "admin" else "/akun").text)
        answer = client.post(
            "/akun",
            data={
                "csrf_token": token,
                "username": f"baru_{role}",
                "role": "leader",
                "password": "kuda-lumping-makan-sambal",
                "password_again": "kuda-lumping-makan-sambal",
            },
        )
        assert answer.status_code == (200 if role == "admin" else 403), (role, answer.text[:200])
        if role == "admin":
            assert "Akun baru_admin dibuat" in answer.text
