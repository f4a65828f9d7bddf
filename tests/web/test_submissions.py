"""Submissions over real HTTP, on both databases: the API (multipart and JSON) answers with the
row outcomes; the receipt time is the server's; an agency cannot submit for another agency;
duplicates, size limit and roles; 50 concurrent submissions from 20 agencies reconcile."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from email.utils import format_datetime
from typing import Any

import pytest
from sqlalchemy import func, select

from iku import calendar
from iku import models as m
from iku.accounts import create_account, issue_token
from iku.db import now_wib, session_scope
from tests.web.conftest import LiveServer, Tokens, WebDatabase

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def due_period() -> str:
    """The month that has just ended (always inside the open window)."""
    return calendar.previous_period(now_wib())


def rows_json(agency: str, period: str, rows: list[dict[str, Any]]) -> bytes:
    return json.dumps({"agency_code": agency, "period": period, "rows": rows}).encode()


def _count(web_db: WebDatabase, agency: str, period: str) -> int:
    with session_scope(web_db.engine) as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(m.Submission)
                .join(m.Agency, m.Agency.id == m.Submission.agency_id)
                .where(m.Agency.code == agency, m.Submission.period == period)
            )
            or 0
        )


def test_json_submission_answers_with_row_outcomes(server: LiveServer, tokens: Tokens) -> None:
    period = due_period()
    body = rows_json(
        "DINKES",
        period,
        [
            {"indicator_code": "DINKES-02", "realisasi": "85,5", "evidence_url": "https://b.id/1"},
            {"indicator_code": "DINKES-05", "realisasi": "abc", "evidence_url": "https://b.id/2"},
        ],
    )
    before = now_wib()
    with server.client() as client:
        answer = client.post(
            "/api/v1/submissions",
            content=body,
            headers={**tokens("opd_dinkes"), "Content-Type": "application/json"},
        )
    after = now_wib()
    assert answer.status_code == 201, answer.text
    got = answer.json()
    assert {"id", "status", "received_at", "rows_in", "rows_accepted", "rows_held", "issues"} <= (
        set(got)
    )
    assert got["status"] == "validated" and got["rows_in"] == 2
    assert got["rows_accepted"] == 1 and got["rows_held"] == 1
    assert before <= datetime.fromisoformat(got["received_at"]) <= after
    held = [r for r in got["rows"] if r["outcome"] == "held"]
    assert [r["indicator_code"] for r in held] == ["DINKES-05"]
    assert held[0]["messages"] and all(isinstance(t, str) for t in held[0]["messages"])
    assert any(i["indicator_code"] == "DINKES-05" for i in got["issues"])
    # the same answer later, and in the list of the period
    with server.client() as client:
        again = client.get(f"/api/v1/submissions/{got['id']}", headers=tokens("opd_dinkes"))
        listed = client.get(f"/api/v1/submissions?period={period}", headers=tokens("opd_dinkes"))
        other = client.get(f"/api/v1/submissions/{got['id']}", headers=tokens("opd_disdik"))
        missing = client.get("/api/v1/submissions/999999", headers=tokens("opd_dinkes"))
    assert again.status_code == 200 and again.json()["rows_held"] == 1
    assert got["id"] in [s["id"] for s in listed.json()]
    assert {s["agency"] for s in listed.json()} == {"DINKES"}
    assert other.status_code == 403 and missing.status_code == 404


def test_back_dated_upload_is_received_at_server_time(
    server: LiveServer, tokens: Tokens, web_db: WebDatabase
) -> None:
    period = due_period()
    csv = f"Kode OPD;Periode;Kode IKU;Realisasi;Link Bukti\nDISDIKBUD;{period};DISDIKBUD-02;91,2;https://b.id/x\n"
    old = datetime(2020, 1, 5, 8, 0, tzinfo=now_wib().tzinfo)
    stamp = format_datetime(old, usegmt=False)
    before = now_wib()
    with server.client() as client:
        answer = client.post(
            "/api/v1/submissions",
            files={
                "file": (
                    "laporan.csv",
                    csv.encode(),
                    "text/csv",
                    {"Last-Modified": stamp, "Date": stamp},
                )
            },
            data={"received_at": old.isoformat(), "modified": old.isoformat()},
            headers={**tokens("opd_disdik"), "Date": stamp, "Last-Modified": stamp},
        )
    after = now_wib()
    assert answer.status_code == 201, answer.text
    got = answer.json()
    received = datetime.fromisoformat(got["received_at"])
    assert before <= received <= after
    with session_scope(web_db.engine) as session:
        stored = session.get(m.Submission, got["id"])
        assert stored is not None
        assert before <= stored.received_at <= after
        assert stored.receipt_stated_by is None
    assert got["rows_accepted"] == 1


def test_agency_cannot_submit_for_another_agency(
    server: LiveServer, tokens: Tokens, web_db: WebDatabase
) -> None:
    period = due_period()
    before = _count(web_db, "DISDIKBUD", period)
    body = rows_json("DISDIKBUD", period, [{"indicator_code": "DISDIKBUD-02", "realisasi": 90}])
    with server.client() as client:
        answer = client.post(
            "/api/v1/submissions",
            content=body,
            headers={**tokens("opd_dinkes"), "Content-Type": "application/json"},
        )
        steward = client.post(
            "/api/v1/submissions",
            content=body,
            headers={**tokens("rina"), "Content-Type": "application/json"},
        )
        anonymous = client.post(
            "/api/v1/submissions", content=body, headers={"Content-Type": "application/json"}
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["code"] == "agency_mismatch"
    assert "DISDIKBUD" in answer.json()["detail"]
    assert _count(web_db, "DISDIKBUD", period) == before  # nothing stored for that agency
    with session_scope(web_db.engine) as session:
        kept = session.get(m.Submission, answer.json()["id"])
        assert kept is not None and kept.status == "rejected"  # the evidence, for DINKES
        assert kept.rejection_rule == "agency_mismatch"
    assert steward.status_code == 403 and anonymous.status_code == 401


def test_duplicate_size_limit_and_bad_requests(server: LiveServer, tokens: Tokens) -> None:
    period = due_period()
    body = rows_json("DINKES", period, [{"indicator_code": "DINKES-01", "realisasi": 41.25}])
    headers = {**tokens("opd_dinkes"), "Content-Type": "application/json"}
    with server.client() as client:
        first = client.post("/api/v1/submissions", content=body, headers=headers)
        second = client.post("/api/v1/submissions", content=body, headers=headers)
        huge = client.post(
            "/api/v1/submissions",
            files={"file": ("besar.csv", b"x" * (5 * 1024 * 1024 + 10), "text/csv")},
            headers=tokens("opd_dinkes"),
        )
        no_file = client.post(
            "/api/v1/submissions",
            files={"lampiran": ("a.csv", b"x", "text/csv")},
            headers=tokens("opd_dinkes"),
        )
        form = client.post("/api/v1/submissions", data={"x": "1"}, headers=tokens("opd_dinkes"))
        broken = client.post("/api/v1/submissions", content=b"{not json", headers=headers)
    assert first.status_code == 201, first.text
    assert second.status_code == 200 and second.json()["id"] == first.json()["id"]
    assert second.json()["duplicate"] is True
    assert huge.status_code == 413 and huge.json()["code"] == "file_too_large"
    assert no_file.status_code == 422 and no_file.json()["code"] == "missing_file"
    assert form.status_code == 422 and form.json()["code"] == "unsupported_media_type"
    assert broken.status_code == 422 and broken.json()["code"] == "file_unreadable"
    assert "Traceback" not in broken.text


AGENCIES = 20
SUBMISSIONS = 50


def test_fifty_concurrent_submissions_from_twenty_agencies_reconcile(
    server: LiveServer, web_db: WebDatabase
) -> None:
    period = due_period()
    with session_scope(web_db.engine) as session:
        found = session.execute(
            select(m.Agency.code, m.Indicator.code, m.Indicator.min_value, m.Indicator.max_value)
            .join(m.Indicator, m.Indicator.agency_id == m.Agency.id)
            .where(m.Indicator.is_active, m.Agency.code.notin_(["DINKES", "DISDIKBUD"]))
            .order_by(m.Agency.code, m.Indicator.code)
        ).all()
        by_agency: dict[str, list[tuple[str, float | None, float | None]]] = {}
        for agency, code, low, high in found:
            by_agency.setdefault(agency, []).append((code, low, high))
        # agencies without IKU of their own send codes the catalog does not know (held rows)
        others = session.scalars(
            select(m.Agency.code)
            .where(m.Agency.code.notin_([*by_agency, "DINKES", "DISDIKBUD"]))
            .order_by(m.Agency.code)
        ).all()
        for agency in others[: max(0, AGENCIES - len(by_agency))]:
            by_agency[agency] = [(f"{agency}-01", 0, 100), (f"{agency}-02", 0, 100)]
        chosen = sorted(by_agency)[:AGENCIES]
        assert len(chosen) == AGENCIES
        headers: dict[str, dict[str, str]] = {}
        for agency in chosen:
            account = create_account(
                session, f"opd_{agency.lower()}", role="agency", password=None, agencies=[agency]
            )
            token, _row = issue_token(session, account, kind="api", name="uji")
            headers[agency] = {"Authorization": f"Bearer {token}"}
    jobs = []
    for n in range(SUBMISSIONS):
        agency = chosen[n % AGENCIES]
        rows = []
        for i, (code, low, high) in enumerate(by_agency[agency]):
            base = (low or 0) + ((high or 100) - (low or 0)) * 0.5
            rows.append(
                {
                    "indicator_code": code,
                    # every third submission holds its first row (not a number)
                    "realisasi": "x" if (n % 3 == 0 and i == 0) else base + n * 0.001,
                    "evidence_url": f"https://b.id/{n}/{i}",
                    "note": f"kiriman {n}",
                }
            )
        jobs.append((agency, rows_json(agency, period, rows), len(rows)))

    def send(job: tuple[str, bytes, int]) -> tuple[str, int, int, dict[str, Any]]:
        agency, body, n_rows = job
        with server.client() as client:
            answer = client.post(
                "/api/v1/submissions",
                content=body,
                headers={**headers[agency], "Content-Type": "application/json"},
            )
        return agency, n_rows, answer.status_code, answer.json()

    with ThreadPoolExecutor(SUBMISSIONS) as pool:
        answers = list(pool.map(send, jobs))
    assert all(status == 201 for _a, _n, status, _b in answers), [
        (a, s, b.get("detail")) for a, _n, s, b in answers if s != 201
    ]
    ids = [body["id"] for _a, _n, _s, body in answers]
    assert len(set(ids)) == SUBMISSIONS  # nothing doubled, nothing merged
    for _agency, n_rows, _status, body in answers:
        assert body["rows_in"] == n_rows
        # a version that arrived earlier but was stored after a later one is history at once
        assert body["status"] in ("validated", "superseded")
        assert (
            body["rows_accepted"] + body["rows_held"] + body["rows_superseded"] == (body["rows_in"])
        )
    with session_scope(web_db.engine) as session:
        for _agency, _n, _s, body in answers:
            stored = session.get(m.Submission, body["id"])
            assert stored is not None and stored.period == period
            staged = session.scalar(
                select(func.count()).where(m.StagedRow.submission_id == stored.id)
            )
            loaded = session.scalar(
                select(func.count()).where(m.Realisation.submission_id == stored.id)
            )
            assert staged == body["rows_in"] and loaded == body["rows_accepted"]
            assert (stored.accepted_rows or 0) == body["rows_accepted"]
        for agency in chosen:
            sent = sum(1 for a, *_ in answers if a == agency)
            assert _count(web_db, agency, period) == sent  # nothing lost
            current = session.scalar(
                select(func.count())
                .select_from(m.Submission)
                .join(m.Agency, m.Agency.id == m.Submission.agency_id)
                .where(
                    m.Agency.code == agency,
                    m.Submission.period == period,
                    m.Submission.status.in_(["staged", "validated"]),
                )
            )
            assert current == 1  # one current version per agency


def test_figures_follow_a_submission(server: LiveServer, tokens: Tokens) -> None:
    """An accepted value reaches the agency's figures without a monthly cycle."""
    import time

    period = due_period()
    value = 77.125
    body = rows_json(
        "DINKES",
        period,
        [{"indicator_code": "DINKES-05", "realisasi": value, "evidence_url": "https://b.id/f"}],
    )
    with server.client() as client:
        answer = client.post(
            "/api/v1/submissions",
            content=body,
            headers={**tokens("opd_dinkes"), "Content-Type": "application/json"},
        )
        assert answer.status_code == 201, answer.text
        deadline = time.monotonic() + 120
        seen: list[Any] = []
        while time.monotonic() < deadline:
            figures = client.get(
                f"/api/v1/achievements?period={period}&agency=DINKES",
                headers=tokens("opd_dinkes"),
            )
            assert figures.status_code == 200, figures.text
            seen = [
                row.get("realisasi")
                for row in figures.json()
                if row.get("indicator_code") == "DINKES-05"
            ]
            if value in seen:
                break
            time.sleep(0.2)
    assert value in seen, seen


def test_portal_form_and_upload_answer_with_row_outcomes(
    server: LiveServer, web_db: WebDatabase
) -> None:
    from tests.web.conftest import csrf_of, sign_in

    period = due_period()
    client = sign_in(server, "opd_disdik")
    try:
        home = client.get("/")
        assert home.headers.get("location") in ("/portal", None)
        form = client.get(f"/portal?period={period}")
        assert form.status_code == 200, form.text
        assert 'name="realisasi__DISDIKBUD-02"' in form.text
        assert "Target yang berlaku" in form.text  # the line's target in force, in Indonesian
        token = csrf_of(form.text)
        before = _count(web_db, "DISDIKBUD", period)
        sent = client.post(
            "/portal/formulir",
            data={
                "csrf_token": token,
                "period": period,
                "realisasi__DISDIKBUD-02": "92,5",
                "bukti__DISDIKBUD-02": "https://b.id/p",
                "realisasi__DISDIKBUD-01": "sembilan puluh",
                "bukti__DISDIKBUD-01": "https://b.id/q",
            },
        )
        assert sent.status_code == 200, sent.text
        assert 'id="hasil-DISDIKBUD-01"' in sent.text and 'id="hasil-DISDIKBUD-02"' in sent.text
        assert "1 baris diterima" in sent.text and "1 baris ditahan" in sent.text
        assert _count(web_db, "DISDIKBUD", period) == before + 1
        csv = f"Kode IKU;Realisasi;Periode;Link Bukti\nDISDIKBUD-02;93;{period};https://b.id/r\n"
        uploaded = client.post(
            "/portal/unggah",
            data={"csrf_token": token, "period": period},
            files={"file": ("perbaikan.csv", csv.encode(), "text/csv")},
        )
        assert uploaded.status_code == 200, uploaded.text
        assert "1 baris diterima" in uploaded.text
        forged = client.post(
            "/portal/formulir", data={"period": period, "realisasi__DISDIKBUD-02": "1"}
        )
        assert forged.status_code == 403
    finally:
        client.close()
    steward = sign_in(server, "rina")
    try:
        assert steward.get("/portal").status_code == 403
    finally:
        steward.close()


def test_a_locked_period_answers_409_and_stores_nothing(
    server: LiveServer, tokens: Tokens, web_db: WebDatabase
) -> None:
    from tests.web.conftest import PERIOD, csrf_of, sign_in

    with server.client() as client:
        locked = client.post(f"/api/v1/periods/{PERIOD}/lock", headers=tokens("biro"))
        assert locked.status_code == 200, locked.text
        try:
            before = _count(web_db, "DINKES", PERIOD)
            body = rows_json("DINKES", PERIOD, [{"indicator_code": "DINKES-02", "realisasi": 99.5}])
            answer = client.post(
                "/api/v1/submissions",
                content=body,
                headers={**tokens("opd_dinkes"), "Content-Type": "application/json"},
            )
            assert answer.status_code == 409, answer.text
            assert answer.json()["code"] == "period_locked"
            assert PERIOD in answer.json()["detail"] or "dikunci" in answer.json()["detail"]
            csv = f"Kode IKU;Realisasi;Periode\nDINKES-02;99,6;{PERIOD}\n"
            upload = client.post(
                "/api/v1/submissions",
                files={"file": ("okt.csv", csv.encode(), "text/csv")},
                headers=tokens("opd_dinkes"),
            )
            assert upload.status_code == 409, upload.text
            browser = sign_in(server, "opd_dinkes")
            try:
                form = browser.get(f"/portal?period={PERIOD}")
                portal = browser.post(
                    "/portal/unggah",
                    data={"csrf_token": csrf_of(form.text), "period": PERIOD},
                    files={"file": ("okt2.csv", csv.replace("99,6", "99,7").encode(), "text/csv")},
                )
                assert portal.status_code == 409 and "Kiriman tidak diterima" in portal.text
            finally:
                browser.close()
            assert _count(web_db, "DINKES", PERIOD) == before  # nothing stored
        finally:
            reopened = client.post(
                f"/api/v1/periods/{PERIOD}/reopen",
                json={"reason": "uji kiriman pada periode terkunci"},
                headers=tokens("biro"),
            )
            assert reopened.status_code == 200, reopened.text
