"""Re-issue (issue 13, item 8) on both databases, delivered against a real SMTP server: a
delivered bulletin whose figures change is issued again as "Revisi 2" with what changed,
delivered once, and the earlier issue keeps its row, its files and its deliveries."""

from __future__ import annotations

import email
import re
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, update

from iku import models as m
from iku.bulletins.jobs import RenderResult, render_period
from iku.bulletins.revisions import ARCHIVE_DIR, changes
from iku.db import session_scope
from iku.delivery.bulletins import deliver_period
from iku.rules import Rules
from tests.integration.bulletin_fixtures import GENERATED_AT, PERIOD
from tests.integration.smtp_server import Mailbox, smtp_settings

SUBJECTS = ("province", "DINKES", "BKD")
DINKES_TO = "kepala.dinkes@lampungprov.example"
CORRECTED = "DINKES-02"


def _render(engine: Engine, out: Path, rules: Rules) -> RenderResult:
    result = render_period(
        PERIOD, engine, output_dir=out, rules=rules, generated_at=GENERATED_AT, subjects=SUBJECTS
    )
    assert result.ok, result.failures
    return result


def _correct(engine: Engine) -> tuple[str, str]:
    """A steward's correction of DINKES-02 as the engine would store it: the IKU's realisasi
    and capaian, the agency's and the province's figures. Returns the realisasi before/after."""
    with session_scope(engine) as session:
        cycle_id = session.scalars(
            select(m.EvaluationCycle.id).where(m.EvaluationCycle.period == PERIOD)
        ).one()
        row = session.scalars(
            select(m.Achievement).where(
                m.Achievement.cycle_id == cycle_id,
                m.Achievement.subject_key == f"indicator:{CORRECTED}",
            )
        ).one()
        before = row.realisasi
        row.realisasi, row.capaian_raw, row.capaian_scored = 92.15, 97.0, 97.0
        row.ytd_capaian, row.predikat, row.tercapai = 97.0, "ST", True
        for key, value in (("agency:DINKES", 81.25), ("province", 75.5)):
            session.execute(
                update(m.Achievement)
                .where(m.Achievement.cycle_id == cycle_id, m.Achievement.subject_key == key)
                .values(capaian_scored=value, ytd_capaian=value, predikat="T")
            )
    assert before is not None
    return f"{before:.2f}".replace(".", ","), "92,15"


def _bulletins(engine: Engine) -> list[m.Bulletin]:
    with session_scope(engine) as session:
        return list(
            session.scalars(
                select(m.Bulletin).order_by(
                    m.Bulletin.audience, m.Bulletin.subject_key, m.Bulletin.revision
                )
            )
        )


def test_a_changed_delivered_bulletin_is_reissued_once_and_the_earlier_one_kept(
    seeded: Engine, rules: Rules, tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    settings = smtp_settings(port)
    out = tmp_path / "out"
    first = _render(seeded, out, rules)
    assert first.reissued == [] and first.kept == []
    delivered = deliver_period(PERIOD, seeded, settings=settings, output_dir=out)
    assert delivered.sent == 5 and delivered.failed == 0
    dinkes_v1 = (out / PERIOD / "opd" / "DINKES.pdf").read_bytes()

    # Nothing changed: the delivered bulletins stay as their readers got them.
    again = _render(seeded, out, rules)
    assert {b.subject_key for b in again.kept} == set(SUBJECTS)
    assert (out / PERIOD / "opd" / "DINKES.pdf").read_bytes() == dinkes_v1
    assert deliver_period(PERIOD, seeded, settings=settings, output_dir=out).sent == 0

    old, new = _correct(seeded)
    third = _render(seeded, out, rules)
    assert sorted((b.subject_key, b.decision.revision) for b in third.reissued if b.decision) == [
        ("DINKES", 2),
        ("province", 2),
    ]
    assert [b.subject_key for b in third.kept] == ["BKD"]

    rows = _bulletins(seeded)
    dinkes = [b for b in rows if b.subject_key == "DINKES"]
    assert [(b.revision, b.superseded_at is None) for b in dinkes] == [(1, False), (2, True)]
    earlier, current = dinkes
    # The earlier issue's files moved to the archive, unchanged; the current one is in place.
    assert earlier.pdf_path is not None and ARCHIVE_DIR in Path(earlier.pdf_path).parts
    assert Path(earlier.pdf_path).read_bytes() == dinkes_v1
    assert current.pdf_path == str(out / PERIOD / "opd" / "DINKES.pdf")
    assert f"{CORRECTED} realisasi: {old} → {new}" in (current.changes or [])
    html = (out / PERIOD / "opd" / "DINKES.html").read_text(encoding="utf-8")
    assert "Revisi 2" in html and "menggantikan terbitan" in html
    assert f"{CORRECTED} realisasi: {old} → {new}" in html
    index = (out / PERIOD / "index.html").read_text(encoding="utf-8")
    assert "Revisi 2" in index

    # Delivered once: the two revisions to their recipients, nothing else; a rerun sends none.
    before = len(server.messages)
    report = deliver_period(PERIOD, seeded, settings=settings, output_dir=out)
    assert (report.sent, report.failed, report.skipped) == (4, 0, 1)  # province x3, DINKES x1
    revised = [message for _, message in server.messages[before:]]
    assert all(str(message["Subject"]).startswith("[Revisi 2] ") for message in revised)
    to_dinkes = next(
        email.message_from_bytes(message.as_bytes(), policy=default_policy)
        for tos, message in server.messages[before:]
        if tos[0].lower() == DINKES_TO
    )
    body = to_dinkes.get_body(("plain",))
    assert body is not None and f"{CORRECTED} realisasi: {old} → {new}" in body.get_content()
    assert deliver_period(PERIOD, seeded, settings=settings, output_dir=out).sent == 0

    # The delivery log shows both issues of DINKES's bulletin.
    with session_scope(seeded) as session:
        log = session.execute(
            select(m.Bulletin.revision, m.Delivery.email, m.Delivery.status)
            .join(m.Bulletin, m.Bulletin.id == m.Delivery.bulletin_id)
            .where(m.Bulletin.subject_key == "DINKES")
            .order_by(m.Bulletin.revision)
        ).all()
    assert [tuple(row) for row in log] == [(1, DINKES_TO, "sent"), (2, DINKES_TO, "sent")]


def test_before_delivery_a_changed_bulletin_is_rendered_again_in_place(
    seeded: Engine, rules: Rules, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    _render(seeded, out, rules)
    _correct(seeded)
    result = _render(seeded, out, rules)
    assert result.reissued == [] and result.kept == []
    assert {(b.subject_key, b.revision) for b in _bulletins(seeded)} == {
        ("province", 1),
        ("DINKES", 1),
        ("BKD", 1),
        ("index", 1),
    }
    html = (out / PERIOD / "opd" / "DINKES.html").read_text(encoding="utf-8")
    assert "Revisi" not in html and "92,15" in html
    assert not (out / PERIOD / ARCHIVE_DIR).exists()


@pytest.mark.parametrize(
    ("before", "after", "expected"),
    [
        ({"a": "1"}, {"a": "1"}, []),
        ({"a": "1"}, {"a": "2"}, ["a: 1 → 2"]),
        ({"a": "1"}, {}, ["a: 1 → –"]),  # no longer shown
        ({}, {"b": "3"}, ["b: – → 3"]),  # newly shown
        ({"a": "1", "b": "2"}, {"b": "9", "a": "1"}, ["b: 2 → 9"]),
    ],
)
def test_changes_are_said_in_the_bulletins_words(
    before: dict[str, str], after: dict[str, str], expected: list[str]
) -> None:
    assert changes(before, after) == expected


def test_a_change_below_the_printed_precision_is_no_change(
    seeded: Engine, rules: Rules, tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    _server, port = mailbox
    out = tmp_path / "out"
    _render(seeded, out, rules)
    deliver_period(PERIOD, seeded, settings=smtp_settings(port), output_dir=out)
    with session_scope(seeded) as session:
        row = session.scalars(
            select(m.Achievement)
            .where(m.Achievement.subject_key == f"indicator:{CORRECTED}")
            .order_by(m.Achievement.cycle_id.desc())
        ).first()
        assert row is not None and row.realisasi is not None
        row.realisasi += 0.0001  # prints the same: "75,03"
    result = _render(seeded, out, rules)
    assert result.reissued == []
    assert not re.search(r"Revisi \d", (out / PERIOD / "opd" / "DINKES.html").read_text())
