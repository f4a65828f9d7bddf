"""The demo's steward correction (issue 13, item 11) on SQLite, through the real demo operation
(:func:`iku.cli.demo.run_demo`, the Prefect flow for every month) against a real SMTP server:
after the last month's bulletins were delivered, ``pengelola.demo`` accepts the simulated
per-mille slip with its true value (the review operation); the last month is run again and
the bulletins whose figures changed are issued again as "Revisi 2" and delivered once each;
the earlier issue keeps its row, its archived files and its deliveries; the delivery log shows
both. The demo's summary counts what each section shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from iku import models as m
from iku.bulletins.revisions import ARCHIVE_DIR
from iku.db import session_scope
from iku.runtime import process_runtime
from tests.integration.smtp_server import Mailbox
from tests.integration.test_cycle_alerts import _smtp

pytestmark = pytest.mark.slow


def test_the_demo_corrects_the_slip_and_issues_the_changed_bulletins_again_once(
    prefect_harness: None, mailbox: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, port = mailbox
    _smtp(monkeypatch, port)
    from iku.cli.demo import DEMO_STEWARD, run_demo

    result = run_demo(process_runtime(), months=2)
    last = result.last
    assert last == "2026-02"
    assert [c["period"] for c in result.cycles] == ["2026-01", "2026-02", "2026-02"]
    shown = result.showcase
    assert shown is not None and shown.corrected is not None
    assert shown.corrected.startswith("RSUDAM-04 ")

    engine = process_runtime().engine
    with session_scope(engine) as session:
        decision = session.execute(
            select(m.ReviewDecision.decided_by, m.ValidationIssue.rule, m.ValidationIssue.status)
            .join(m.ValidationIssue, m.ValidationIssue.id == m.ReviewDecision.issue_id)
            .where(m.ValidationIssue.indicator_code == "RSUDAM-04")
        ).one()
        bulletins = session.execute(
            select(
                m.Bulletin.id,
                m.Bulletin.subject_key,
                m.Bulletin.revision,
                m.Bulletin.superseded_at,
                m.Bulletin.pdf_path,
                m.Bulletin.changes,
            )
            .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Bulletin.cycle_id)
            .where(m.EvaluationCycle.period == last, m.Bulletin.audience != "index")
            .order_by(m.Bulletin.subject_key, m.Bulletin.revision)
        ).all()
        log = session.execute(
            select(m.Bulletin.subject_key, m.Bulletin.revision, m.Delivery.email, m.Delivery.status)
            .join(m.Bulletin, m.Bulletin.id == m.Delivery.bulletin_id)
            .join(m.EvaluationCycle, m.EvaluationCycle.id == m.Bulletin.cycle_id)
            .where(m.EvaluationCycle.period == last)
        ).all()
    assert tuple(decision) == (DEMO_STEWARD, "capaian_over_150", "accepted")

    # RSUDAM's bulletin (and the province's, whose ranking holds RSUDAM) issued again.
    revised = {b.subject_key for b in bulletins if b.revision == 2}
    assert "RSUDAM" in revised
    assert {s for s, _ in shown.reissued} == revised
    for subject in revised:
        first, second = [b for b in bulletins if b.subject_key == subject]
        assert (first.revision, second.revision) == (1, 2)
        assert first.superseded_at is not None and second.superseded_at is None
        assert first.pdf_path and ARCHIVE_DIR in Path(first.pdf_path).parts
        assert Path(first.pdf_path).is_file()  # the earlier issue is kept as its readers got it
        assert second.changes
    (rsudam,) = [b for b in bulletins if b.subject_key == "RSUDAM" and b.revision == 2]
    assert any(c.startswith("RSUDAM-04 realisasi: 2,") for c in rsudam.changes or [])
    unchanged = {b.subject_key for b in bulletins} - revised
    assert unchanged and all(
        [b.revision for b in bulletins if b.subject_key == s] == [1] for s in unchanged
    )

    # Delivered once: every recipient of a revised bulletin got revision 2 exactly once, and
    # the log keeps revision 1's deliveries beside it.
    for subject in revised:
        first_to = sorted(e for s, r, e, _ in log if s == subject and r == 1)
        second_to = sorted(e for s, r, e, _ in log if s == subject and r == 2)
        assert first_to and second_to == first_to
    assert shown.redelivered == sum(1 for s, r, _, _ in log if r == 2)
    assert {status for *_, status in log} == {"sent"}
    revised_mail = [msg for _, msg in box.messages if str(msg["Subject"]).startswith("[Revisi 2]")]
    assert len(revised_mail) == shown.redelivered

    # The summary counts what the sections show (every reason: test_realistic_year.py).
    assert shown.attention.get("belum_melapor") and shown.attention.get("tidak_tercapai")
