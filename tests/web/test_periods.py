"""Approval, verification, locking, reopening and publishing over real HTTP, on both databases
(issue 17 item 5, issue 18 item 3): an approval under the approver's identity, 409 for a
locked period (decisions, submissions with ``raise_if_locked``, approvals) with nothing stored,
reopen audited in ``period_event`` and the audit log, publish 409 unless locked, every public
URL 404 unless published, and the public CSV equal to ``iku export`` byte for byte.

The tests of this module run in order on one seeded database: each step builds on the last.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from iku import models as m
from iku.cli import app
from iku.db import session_scope
from iku.ingest.service import ingest_file
from iku.periods import PeriodLockedError
from iku.reports.capaian import CAPAIAN_COLUMNS
from iku.runtime import reset_process_runtime
from tests.integration.ingest_helpers import csv_text, make_context, put
from tests.web.conftest import (
    ACCOUNTS,
    PERIOD,
    LiveServer,
    Tokens,
    WebDatabase,
    csrf_of,
    sign_in,
)

ROLES = tuple(u for u in ACCOUNTS if u != "terkunci")
READERS = {"biro", "pimpinan", "opd_dinkes", "kadis_dinkes", "opd_disdik"}
PUBLIC_URLS = (
    "/publik/{p}/",
    "/publik/{p}",
    "/publik/{p}/capaian.csv",
    "/publik/{p}/capaian.json",
)


@pytest.fixture(scope="module")
def api(server: LiveServer) -> Iterator[httpx.Client]:
    with server.client() as client:
        yield client


def _count(db: WebDatabase, model: type[m.Base]) -> int:
    with session_scope(db.engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


def _events(db: WebDatabase) -> list[m.PeriodEvent]:
    with session_scope(db.engine) as session:
        rows = list(session.scalars(select(m.PeriodEvent).order_by(m.PeriodEvent.id)))
        session.expunge_all()
    return rows


def _audit(db: WebDatabase, action: str) -> list[m.AuditEvent]:
    with session_scope(db.engine) as session:
        rows = list(session.scalars(select(m.AuditEvent).where(m.AuditEvent.action == action)))
        session.expunge_all()
    return rows


def _assert_not_public(api: httpx.Client, period: str) -> None:
    for template in PUBLIC_URLS:
        url = template.format(p=period)
        answer = api.get(url)
        assert answer.status_code == 404, (url, answer.status_code)
        assert "2026" not in answer.text or "tidak ada" in answer.text.lower(), url


def test_nothing_is_public_before_publication(api: httpx.Client) -> None:
    for period in (PERIOD, "2030-01", "2026-13", "abc"):
        _assert_not_public(api, period)
    listing = api.get("/publik/")
    assert listing.status_code == 200
    assert f"/publik/{PERIOD}/" not in listing.text


def test_status_per_role(api: httpx.Client, tokens: Tokens) -> None:
    for role in ROLES:
        answer = api.get(f"/api/v1/periods/{PERIOD}", headers=tokens(role))
        expected = 200 if role in READERS else 403
        assert answer.status_code == expected, (role, answer.text)
        if expected == 200:
            body = answer.json()
            codes = {a["agency_code"] for a in body["agencies"]}
            assert body["locked"] is False and body["published"] is False
            if role in ("opd_dinkes", "kadis_dinkes"):
                assert codes == {"DINKES"}
            elif role == "opd_disdik":
                assert codes == {"DISDIKBUD"}
            else:
                assert {"DINKES", "DISDIKBUD"} <= codes
    assert api.get(f"/api/v1/periods/{PERIOD}").status_code == 401
    assert api.get("/api/v1/periods/2026-13", headers=tokens("biro")).status_code == 422


def test_only_the_right_roles_may_act(
    api: httpx.Client, tokens: Tokens, web_db: WebDatabase
) -> None:
    before = _count(web_db, m.PeriodEvent)
    base = f"/api/v1/periods/{PERIOD}"
    for role in ROLES:
        if role != "kadis_dinkes":
            assert api.post(f"{base}/approval", headers=tokens(role)).status_code == 403, role
        if role != "biro":
            for path, body in (
                ("verification", {"agency_code": "DINKES"}),
                ("lock", None),
                ("reopen", {"reason": "uji"}),
                ("publish", None),
            ):
                answer = api.post(f"{base}/{path}", headers=tokens(role), json=body)
                assert answer.status_code == 403, (role, path, answer.text)
    # The agency head approves its own agency only.
    answer = api.post(
        f"{base}/approval", headers=tokens("kadis_dinkes"), json={"agency_code": "DISDIKBUD"}
    )
    assert answer.status_code == 403
    assert api.post(f"{base}/lock").status_code == 401
    unknown = api.post(f"{base}/verification", headers=tokens("biro"), json={"agency_code": "XYZ"})
    assert unknown.status_code == 422 and "XYZ" in unknown.json()["detail"]
    assert _count(web_db, m.PeriodEvent) == before


def test_approval_under_the_approvers_identity(
    api: httpx.Client, tokens: Tokens, web_db: WebDatabase
) -> None:
    base = f"/api/v1/periods/{PERIOD}"
    early = api.post(f"{base}/verification", headers=tokens("biro"), json={"agency_code": "DINKES"})
    assert early.status_code == 409, early.text
    assert "disetujui" in early.json()["detail"]
    answer = api.post(f"{base}/approval", headers=tokens("kadis_dinkes"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    (dinkes,) = body["agencies"]
    assert dinkes["state"] == "approved"
    assert dinkes["approved_by"] == "kadis_dinkes"
    assert body["event"]["actor"] == "kadis_dinkes"
    again = api.post(f"{base}/approval", headers=tokens("kadis_dinkes"))
    assert again.status_code == 409
    (event,) = [e for e in _events(web_db) if e.action == "approve"]
    assert (event.actor, event.role, event.agency_code) == ("kadis_dinkes", "agency_head", "DINKES")
    (audited,) = _audit(web_db, "period.approve")
    assert audited.actor == "kadis_dinkes" and audited.agency_code == "DINKES"
    verified = api.post(
        f"{base}/verification", headers=tokens("biro"), json={"agency_code": "DINKES"}
    )
    assert verified.status_code == 200, verified.text
    states = {a["agency_code"]: a for a in verified.json()["agencies"]}
    assert states["DINKES"]["state"] == "verified"
    assert states["DINKES"]["verified_by"] == "biro"
    assert states["DISDIKBUD"]["state"] == "submitted"


def test_publish_needs_a_locked_period(
    api: httpx.Client, tokens: Tokens, web_db: WebDatabase
) -> None:
    answer = api.post(f"/api/v1/periods/{PERIOD}/publish", headers=tokens("biro"))
    assert answer.status_code == 409, answer.text
    assert "dikunci" in answer.json()["detail"]
    not_computed = api.post("/api/v1/periods/2030-01/lock", headers=tokens("biro"))
    assert not_computed.status_code == 409
    _assert_not_public(api, PERIOD)


def test_lock(api: httpx.Client, tokens: Tokens) -> None:
    answer = api.post(f"/api/v1/periods/{PERIOD}/lock", headers=tokens("biro"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["locked"] is True
    assert api.post(f"/api/v1/periods/{PERIOD}/lock", headers=tokens("biro")).status_code == 409
    _assert_not_public(api, PERIOD)  # locked is not published


def test_a_locked_period_refuses_decisions_and_stores_nothing(
    api: httpx.Client, tokens: Tokens, web_db: WebDatabase, server: LiveServer
) -> None:
    issue = web_db.ids["issues"]["DINKES"][0]
    decisions, audits = _count(web_db, m.ReviewDecision), _count(web_db, m.AuditEvent)
    answer = api.post(
        f"/api/v1/review/issues/{issue}/decision",
        headers=tokens("rina"),
        json={"decision": "reject", "note": "uji periode terkunci"},
    )
    assert answer.status_code == 409, answer.text
    assert "dikunci" in answer.json()["detail"]
    assert _count(web_db, m.ReviewDecision) == decisions
    assert _count(web_db, m.AuditEvent) == audits
    with session_scope(web_db.engine) as session:
        assert session.get(m.ValidationIssue, issue).status == "open"
    # The console shows no decision form for it, and a posted one is refused (409).
    steward = sign_in(server, "rina")
    shown = steward.get(f"/antrean/{issue}")
    assert shown.status_code == 200
    assert "sudah dikunci" in shown.text and f"/antrean/{issue}/keputusan" not in shown.text
    posted = steward.post(
        f"/antrean/{issue}/keputusan",
        data={"csrf_token": csrf_of(shown.text), "decision": "reject", "note": "uji"},
    )
    assert posted.status_code == 409 and "dikunci" in posted.text
    steward.close()
    assert _count(web_db, m.ReviewDecision) == decisions
    approval = api.post(
        f"/api/v1/periods/{PERIOD}/verification",
        headers=tokens("biro"),
        json={"agency_code": "DISDIKBUD"},
    )
    assert approval.status_code == 409


def test_a_locked_period_refuses_submissions(web_db: WebDatabase, tmp_path: Path) -> None:
    context = make_context(web_db.engine, tmp_path)
    submissions, rows = _count(web_db, m.Submission), _count(web_db, m.StagedRow)
    upload = put(
        tmp_path / "upload" / "DINKES" / "laporan.csv",
        csv_text(f"DINKES;{PERIOD};DINKES-01;41;;https://bukti.example/a;"),
    )
    with pytest.raises(PeriodLockedError) as caught:
        ingest_file(upload, context, agency_hint="DINKES", raise_if_locked=True)
    assert "dikunci" in str(caught.value)
    assert _count(web_db, m.Submission) == submissions
    assert _count(web_db, m.StagedRow) == rows
    # The inbox path: archived, rejected with a readable reason, no row staged.
    again = put(
        tmp_path / "inbox" / "DINKES" / "laporan2.csv",
        csv_text(f"DINKES;{PERIOD};DINKES-01;42;;https://bukti.example/b;"),
    )
    outcome = ingest_file(again, context)
    assert outcome.status == "rejected"
    assert outcome.rule == "period_locked"
    assert "dikunci" in (outcome.reason or "")
    assert _count(web_db, m.StagedRow) == rows
    context.close()


def test_publish_and_the_public_pages(
    api: httpx.Client,
    tokens: Tokens,
    web_db: WebDatabase,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answer = api.post(f"/api/v1/periods/{PERIOD}/publish", headers=tokens("biro"))
    assert answer.status_code == 200, answer.text
    assert answer.json()["published"] is True
    assert api.post(f"/api/v1/periods/{PERIOD}/publish", headers=tokens("biro")).status_code == 409

    listing = api.get("/publik/")
    assert f"/publik/{PERIOD}/" in listing.text
    page = api.get(f"/publik/{PERIOD}/")
    assert page.status_code == 200
    assert "Provinsi" in page.text and "2026.2" in page.text
    assert "Yang tidak dihitung" in page.text
    assert "diverifikasi Biro" in page.text  # DINKES's approval status
    assert api.get(f"/publik/{PERIOD}").status_code == 308

    # `iku export` on the same database, as an operator runs it.
    monkeypatch.setenv("IKU_DATABASE_URL", web_db.url)
    reset_process_runtime()
    try:
        result = CliRunner().invoke(
            app, ["export", "--period", PERIOD, "--out", str(tmp_path / "ekspor")]
        )
    finally:
        reset_process_runtime()
    assert result.exit_code == 0, result.output
    exported = (tmp_path / "ekspor" / "capaian.csv").read_bytes()
    served = api.get(f"/publik/{PERIOD}/capaian.csv")
    assert served.status_code == 200
    assert served.headers["content-type"].startswith("text/csv")
    assert served.content == exported
    records = api.get(f"/publik/{PERIOD}/capaian.json").json()
    rows = list(csv.DictReader(io.StringIO(exported.decode("utf-8"))))
    assert len(records) == len(rows) > 0
    assert all(list(r) == list(CAPAIAN_COLUMNS) for r in records)
    assert [r["agency_code"] for r in records] == [r["agency_code"] for r in rows]
    json.dumps(records)  # plain JSON


def test_reopen_is_audited_and_unpublishes(
    api: httpx.Client, tokens: Tokens, web_db: WebDatabase
) -> None:
    base = f"/api/v1/periods/{PERIOD}"
    missing = api.post(f"{base}/reopen", headers=tokens("biro"), json={"reason": ""})
    assert missing.status_code == 422
    reason = "Koreksi realisasi DINKES-01 atas surat Kepala Dinas"
    answer = api.post(f"{base}/reopen", headers=tokens("biro"), json={"reason": reason})
    assert answer.status_code == 200, answer.text
    assert answer.json()["locked"] is False and answer.json()["published"] is False
    event = _events(web_db)[-1]
    assert (event.action, event.actor, event.reason) == ("reopen", "biro", reason)
    (audited,) = _audit(web_db, "period.reopen")
    assert audited.actor == "biro" and audited.details["reason"] == reason
    _assert_not_public(api, PERIOD)
    again = api.post(f"{base}/reopen", headers=tokens("biro"), json={"reason": reason})
    assert again.status_code == 409
    # The period_event log is append-only.
    from sqlalchemy import text
    from sqlalchemy.exc import DatabaseError

    with pytest.raises(DatabaseError), web_db.engine.begin() as connection:
        connection.execute(text("DELETE FROM period_event"))


def test_the_periods_page(server: LiveServer, web_db: WebDatabase) -> None:
    biro = sign_in(server, "biro")
    page = biro.get(f"/periode?period={PERIOD}")
    assert page.status_code == 200
    assert "/periode/2026-10/kunci" in page.text  # reopened: the bureau may lock again
    locked = biro.post(f"/periode/{PERIOD}/kunci", data={"csrf_token": csrf_of(page.text)})
    assert locked.status_code == 303
    page = biro.get(locked.headers["location"])
    assert "/periode/2026-10/buka" in page.text and "/periode/2026-10/terbitkan" in page.text
    twice = biro.post(f"/periode/{PERIOD}/kunci", data={"csrf_token": csrf_of(page.text)})
    assert twice.status_code == 409
    assert "sudah dikunci" in twice.text
    no_csrf = biro.post(f"/periode/{PERIOD}/terbitkan", data={})
    assert no_csrf.status_code == 403
    head = sign_in(server, "kadis_dinkes")
    seen = head.get(f"/periode?period={PERIOD}")
    assert seen.status_code == 200 and "DINKES" in seen.text and "DISDIKBUD" not in seen.text
    refused = head.post(f"/periode/{PERIOD}/kunci", data={"csrf_token": csrf_of(seen.text)})
    assert refused.status_code == 403
    steward = sign_in(server, "rina")
    assert steward.get("/periode").status_code == 403
    with server.client() as anonymous:
        assert anonymous.get("/periode").status_code == 303
    for client in (biro, head, steward):
        client.close()
