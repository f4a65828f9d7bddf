"""Validation on a real database: routing, reconciliation, the review queue and its audit."""

from __future__ import annotations

import hashlib
import itertools
import re
from datetime import datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iku import models as m
from iku.db import session_scope
from iku.formatting import persen
from iku.rules import load_rules
from iku.settings import TIMEZONE
from quality.completeness import completeness
from quality.review import ReviewError, accept_issue, get_issue, list_issues, reject_issue
from quality.validate import validate_period
from tests.conftest import RULES_FILE

_counter = itertools.count(1)


def _submission(
    session: Session, agency: str, period: str, status: str, received: datetime, **extra: Any
) -> m.Submission:
    agency_row = session.scalars(select(m.Agency).where(m.Agency.code == agency)).one()
    n = next(_counter)
    submission = m.Submission(
        agency_id=agency_row.id,
        period=period,
        file_name=f"{agency.lower()}_{period}_{n}.csv",
        file_format="csv",
        sha256=hashlib.sha256(f"{agency}{period}{n}".encode()).hexdigest(),
        size_bytes=100,
        archive_path=f"/archive/{n}",
        received_at=received,
        status=status,
        **extra,
    )
    session.add(submission)
    session.flush()
    return submission


def _indicator(session: Session, code: str) -> m.Indicator:
    return session.scalars(select(m.Indicator).where(m.Indicator.code == code)).one()


def _history(session: Session) -> None:
    """DINKES Jan-Sep 2026: validated submissions with plausible values."""
    series = {"DINKES-01": 30.0, "DINKES-02": 70.0, "DINKES-05": 97.0}
    for month in range(1, 10):
        period = f"2026-{month:02d}"
        sub = _submission(
            session, "DINKES", period, "validated", datetime(2026, month + 1, 2, 9, tzinfo=TIMEZONE)
        )
        for code, base in series.items():
            value = base + month * (1.0 if code != "DINKES-05" else 0.05)
            session.add(
                m.Realisation(
                    submission_id=sub.id,
                    indicator_id=_indicator(session, code).id,
                    period=period,
                    value=value,
                    state="angka",
                    source_row=2,
                )
            )


def _staged(
    submission: m.Submission, row: int, code: str, raw: str | None, **kw: Any
) -> m.StagedRow:
    values: dict[str, Any] = {
        "submission_id": submission.id,
        "source_file": submission.file_name,
        "source_row": row,
        "agency_code": "DINKES",
        "indicator_code": code,
        "period": submission.period,
        "raw_value": raw,
        "value": None,
        "state": "angka",
        "parse_status": "ok",
        "evidence_url": "https://bukti.example/x",
    }
    values.update(kw)
    return m.StagedRow(**values)


def _october(session: Session, received: datetime | None = None, **extra: Any) -> m.Submission:
    sub = _submission(
        session,
        "DINKES",
        "2026-10",
        "staged",
        received or datetime(2026, 11, 3, 10, tzinfo=TIMEZONE),
        **extra,
    )
    session.add_all(
        [
            _staged(sub, 2, "DINKES-02", "80", value=80.0),
            _staged(sub, 3, "DINKES-05", "97,5", value=97.5, evidence_url=None),
            _staged(sub, 4, "DINKES-04", "abc", state=None, parse_status="invalid"),
            _staged(sub, 5, "DINKES-03", "belum tersedia", state="belum_tersedia"),
            _staged(sub, 6, "DINKES-99", "12", value=12.0),
            _staged(sub, 7, "DINKES-01", "40,5", value=40.5, evidence_url=""),
        ]
    )
    session.flush()
    return sub


@pytest.fixture
def validated(loaded: Engine) -> Engine:
    with session_scope(loaded) as session:
        _history(session)
        _october(session)
    with session_scope(loaded) as session:
        validate_period(session, "2026-10", load_rules(RULES_FILE))
    return loaded


def _issues(engine: Engine, status: str | None = "open") -> set[tuple[str, int | None, str]]:
    with session_scope(engine) as session:
        return {
            (i.rule, i.source_row, i.severity)
            for i in list_issues(session, period="2026-10", status=status)
        }


def test_rows_are_routed_and_counts_reconcile(validated: Engine) -> None:
    assert _issues(validated) == {
        ("not_a_number", 4, "error"),
        ("state_without_reason", 5, "error"),
        ("unknown_indicator", 6, "error"),
        ("missing_evidence", 7, "warning"),
    }
    with session_scope(validated) as session:
        sub = session.scalars(select(m.Submission).where(m.Submission.period == "2026-10")).one()
        assert sub.status == "validated"
        assert (sub.accepted_rows, sub.quarantined_rows) == (3, 3)
        loaded = {
            (r.source_row, r.value, tuple(r.flags))
            for r in session.scalars(
                select(m.Realisation).where(m.Realisation.submission_id == sub.id)
            )
        }
    assert loaded == {(2, 80.0, ()), (3, 97.5, ()), (7, 40.5, ("missing_evidence",))}


def test_a_second_run_changes_nothing(validated: Engine) -> None:
    before = _issues(validated, None)
    with session_scope(validated) as session:
        outcome = validate_period(session, "2026-10", load_rules(RULES_FILE))
        assert outcome.routing.rows_in == 0
        count = session.scalar(select(sa.func.count()).select_from(m.Realisation))
    assert _issues(validated, None) == before
    assert count == 9 * 3 + 3


def test_accept_override_enters_realisation_and_is_audited(validated: Engine) -> None:
    with session_scope(validated) as session:
        (issue,) = [i for i in list_issues(session) if i.rule == "not_a_number"]
        with pytest.raises(ReviewError, match="berikan nilai yang benar dengan --value"):
            accept_issue(
                session,
                issue.id,
                rules=load_rules(RULES_FILE),
                by="Rina (Biro Organisasi)",
                note="dikonfirmasi",
            )
    with session_scope(validated) as session:
        accept_issue(
            session,
            issue.id,
            rules=load_rules(RULES_FILE),
            by="Rina",
            note="dikonfirmasi via telepon",
            value=7.0,  # maternal deaths in a month: plausible against 95/12 (check_override)
        )
    with session_scope(validated) as session:
        detail = get_issue(session, issue.id)
        assert detail.issue.status == "accepted" and detail.issue.steward == "Rina"
        assert [(d.decision, d.decided_by, d.value) for d in detail.decisions] == [
            ("accept", "Rina", 7.0)
        ]
        realisation = session.scalars(
            select(m.Realisation).where(m.Realisation.source_row == 4)
        ).one()
        assert (realisation.value, realisation.accepted_by) == (7.0, "Rina")
        sub = session.get(m.Submission, realisation.submission_id)
        assert sub is not None and (sub.accepted_rows, sub.quarantined_rows) == (4, 2)
    with (
        session_scope(validated) as session,
        pytest.raises(ReviewError, match="keputusan bersifat final"),
    ):
        reject_issue(session, issue.id, by="Budi", note="berubah pikiran")


def test_decisions_cannot_be_edited_or_deleted(validated: Engine) -> None:
    with session_scope(validated) as session:
        (issue,) = [i for i in list_issues(session) if i.rule == "unknown_indicator"]
        reject_issue(session, issue.id, by="Rina", note="kode salah, minta kirim ulang")
    for statement in (
        sa.text("UPDATE review_decision SET note = 'diubah diam-diam'"),
        sa.text("DELETE FROM review_decision"),
    ):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"), validated.begin() as conn:
            conn.execute(statement)
    with session_scope(validated) as session:
        assert get_issue(session, issue.id).decisions[0].note == "kode salah, minta kirim ulang"


def test_unknown_indicator_cannot_be_accepted(validated: Engine) -> None:
    with session_scope(validated) as session:
        (issue,) = [i for i in list_issues(session) if i.rule == "unknown_indicator"]
        with pytest.raises(ReviewError, match="bukan indikator aktif"):
            accept_issue(session, issue.id, rules=load_rules(RULES_FILE), by="Rina", note="coba")


def test_rejecting_a_warning_withdraws_the_value(validated: Engine) -> None:
    with session_scope(validated) as session:
        (issue,) = [i for i in list_issues(session) if i.rule == "missing_evidence"]
        reject_issue(session, issue.id, by="Rina", note="tanpa bukti, tidak dipakai")
    with session_scope(validated) as session:
        rows = session.scalars(select(m.Realisation).where(m.Realisation.source_row == 7)).all()
        assert rows == []
        sub = session.scalars(select(m.Submission).where(m.Submission.period == "2026-10")).one()
        assert (sub.accepted_rows, sub.quarantined_rows) == (2, 4)


def test_a_fixing_resubmission_resolves_the_open_issues(validated: Engine) -> None:
    with session_scope(validated) as session:
        old = session.scalars(select(m.Submission).where(m.Submission.period == "2026-10")).one()
        old.status = "superseded"
        new = _submission(
            session,
            "DINKES",
            "2026-10",
            "staged",
            datetime(2026, 11, 4, 8, tzinfo=TIMEZONE),
            supersedes_id=old.id,
        )
        session.add_all(
            [
                _staged(new, 2, "DINKES-02", "80", value=80.0),
                _staged(new, 3, "DINKES-04", "7", value=7.0),  # fixed: was "abc"
                _staged(
                    new,
                    4,
                    "DINKES-03",
                    "belum tersedia",
                    state="belum_tersedia",
                    state_reason="rilis BPS Desember",
                ),
            ]
        )
    with session_scope(validated) as session:
        outcome = validate_period(session, "2026-10", load_rules(RULES_FILE))
        assert outcome.routing.auto_resolved == 4
    with session_scope(validated) as session:
        resolved = list_issues(session, period="2026-10", status="resolved")
        notes = {i.indicator_code: i.decision_note or "" for i in resolved}
        assert "Diselesaikan otomatis" in notes["DINKES-04"]
        assert "Diselesaikan otomatis" in notes["DINKES-03"]
        assert "Ditutup otomatis" in notes["DINKES-99"]
        assert all(i.steward == "sistem" for i in resolved)
        assert list_issues(session, period="2026-10") == []


def test_late_submission_is_flagged_not_dropped(loaded: Engine) -> None:
    with session_scope(loaded) as session:
        _history(session)
        _october(session, received=datetime(2026, 11, 9, 8, tzinfo=TIMEZONE))
    with session_scope(loaded) as session:
        validate_period(session, "2026-10", load_rules(RULES_FILE))
    assert ("late_submission", None, "warning") in _issues(loaded)
    with session_scope(loaded) as session:
        flags = session.scalars(
            select(m.Realisation.flags).where(m.Realisation.period == "2026-10")
        ).all()
    assert flags and all("late_submission" in f for f in flags)


def test_review_page_renders_the_queue(validated: Engine, tmp_path: Any) -> None:
    from iku.bulletins.review_page import render_review_page

    with session_scope(validated) as session:
        path = render_review_page(session, "2026-10", load_rules(RULES_FILE), tmp_path / "2026-10")
    html = path.read_text(encoding="utf-8")
    assert "{{" not in html and "{%" not in html
    assert "Tinjauan Kualitas Data" in html and "Oktober 2026" in html
    assert "DINKES" in html and "Realisasi bukan angka" in html
    assert "Kode IKU tidak dikenal" in html and "iku review show" in html
    with session_scope(validated) as session:
        rates = completeness(session, "2026-10", load_rules(RULES_FILE))
    dinkes = next(a for a in rates.agencies if a.agency_code == "DINKES")
    assert (dinkes.received_reports, dinkes.on_time_reports) == (1, 1)
    assert rates.reporting_rate == pytest.approx(100 / rates.expected_reports)
    assert f"Tingkat pelaporan {persen(rates.reporting_rate)}" in html
    assert (tmp_path / "2026-10" / "static" / "bulletin.css").is_file()
    # What was checked (the project's page instead of GX Data Docs): every suite and rule, by
    # its Indonesian title, with no rule code and nothing loaded from the internet.
    assert "Pemeriksaan yang dijalankan" in html and "Ketepatan waktu" in html
    assert "Pengiriman terlambat" in html and "late_submission" not in html
    assert not re.search(r"(src|href)=\"https?://", html)  # nothing from the internet
    assert not (tmp_path / "2026-10" / "data_docs").exists()


def test_review_page_renders_an_empty_queue(loaded: Engine, tmp_path: Any) -> None:
    from iku.bulletins.review_page import render_review_page

    with session_scope(loaded) as session:
        path = render_review_page(session, "2026-10", load_rules(RULES_FILE), tmp_path / "2026-10")
    html = path.read_text(encoding="utf-8")
    assert "Tidak ada isu terbuka sampai periode ini." in html
    assert "Tingkat pelaporan 0,00%" in html
    assert "{{" not in html


def test_notes_with_markup_are_escaped_on_the_review_page(loaded: Engine, tmp_path: Any) -> None:
    from iku.bulletins.review_page import render_review_page

    with session_scope(loaded) as session:
        sub = _submission(
            session, "DINKES", "2026-10", "staged", datetime(2026, 11, 2, 9, tzinfo=TIMEZONE)
        )
        session.add(
            _staged(
                sub, 2, "DINKES-02", "<script>alert(1)</script>", state=None, parse_status="invalid"
            )
        )
    with session_scope(loaded) as session:
        validate_period(session, "2026-10", load_rules(RULES_FILE))
        path = render_review_page(session, "2026-10", load_rules(RULES_FILE), tmp_path / "out")
    html = path.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_review_page_keeps_earlier_open_issues_in_view(validated: Engine, tmp_path: Any) -> None:
    from iku.bulletins.review_page import render_review_page

    with session_scope(validated) as session:
        later = render_review_page(session, "2026-11", load_rules(RULES_FILE), tmp_path / "2026-11")
        earlier = render_review_page(
            session, "2026-09", load_rules(RULES_FILE), tmp_path / "2026-09"
        )
    assert "Realisasi bukan angka" in later.read_text(encoding="utf-8")  # October's, still open
    assert "Tidak ada isu terbuka sampai periode ini." in earlier.read_text(encoding="utf-8")
