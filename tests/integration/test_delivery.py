"""Delivery against a real SMTP server (aiosmtpd on 127.0.0.1) and to the .eml outbox."""

from __future__ import annotations

import email
import hashlib
import logging
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from iku import models as m
from iku.bulletins.jobs import render_period
from iku.db import session_scope
from iku.delivery.bulletins import deliver_period
from iku.delivery.mail import DeliveryError, read_recipients
from iku.rules import load_rules
from iku.settings import Settings
from tests.conftest import RULES_FILE
from tests.integration.bulletin_fixtures import GENERATED_AT, PERIOD, seed_period
from tests.integration.smtp_server import Mailbox, free_port, smtp_settings

SUBJECTS = ("province", "DINKES", "BKD")
PROVINCE_TO = {
    "gubernur@lampungprov.example",
    "sekda@lampungprov.example",
    "kepala.bappeda@lampungprov.example",
}
DINKES_TO = "kepala.dinkes@lampungprov.example"
BKD_TO = "kepala.bkd@lampungprov.example"
EVERYONE = PROVINCE_TO | {DINKES_TO, BKD_TO}
PASSWORD = "s3cret-Pa55word"


@pytest.fixture
def rendered(loaded: Engine, tmp_path: Path) -> Engine:
    seed_period(loaded, load_rules(RULES_FILE))
    result = render_period(
        PERIOD,
        loaded,
        output_dir=tmp_path / "out",
        rules=load_rules(RULES_FILE),
        generated_at=GENERATED_AT,
        subjects=SUBJECTS,
    )
    assert result.ok, result.failures
    return loaded


def _deliveries(engine: Engine) -> list[m.Delivery]:
    with session_scope(engine) as session:
        return list(session.scalars(select(m.Delivery).order_by(m.Delivery.id)))


def _attachment(message: EmailMessage) -> tuple[str, bytes]:
    parts = list(message.iter_attachments())
    assert len(parts) == 1
    payload = parts[0].get_payload(decode=True)
    assert isinstance(payload, bytes)
    return parts[0].get_filename() or "", payload


def test_smtp_delivery_attaches_the_pdf_and_a_rerun_sends_nothing_new(
    rendered: Engine, mailbox: tuple[Mailbox, int], tmp_path: Path
) -> None:
    server, port = mailbox
    settings = smtp_settings(port)
    report = deliver_period(PERIOD, rendered, settings=settings)
    assert report.channel == "smtp"
    assert (report.sent, report.failed, report.skipped) == (5, 0, 0)
    assert server.recipients() == sorted(EVERYONE)

    by_recipient = {tos[0].lower(): message for tos, message in server.messages}
    dinkes = by_recipient[DINKES_TO]
    assert dinkes["Subject"] == (
        "Buletin Evaluasi IKU Oktober 2026 – Dinas Kesehatan Provinsi Lampung"
    )
    body = dinkes.get_body(preferencelist=("plain",))
    assert body is not None and "Yth. Kepala Dinas Kesehatan" in body.get_content()
    name, payload = _attachment(dinkes)
    assert name == "buletin-iku-2026-10-dinkes.pdf"
    on_disk = (tmp_path / "out" / PERIOD / "opd" / "DINKES.pdf").read_bytes()
    assert payload == on_disk  # the attachment arrives intact
    assert _attachment(by_recipient["gubernur@lampungprov.example"])[1].startswith(b"%PDF")

    rows = _deliveries(rendered)
    assert len(rows) == 5 and {r.status for r in rows} == {"sent"}
    assert all(r.channel == "smtp" and r.attempts == 1 and not r.is_resend for r in rows)
    assert {r.bulletin_sha256 for r in rows if r.email == DINKES_TO} == {
        hashlib.sha256(on_disk).hexdigest()
    }
    with session_scope(rendered) as session:
        assert all(
            b.sent_at is not None
            for b in session.scalars(select(m.Bulletin))
            if b.audience != "index"
        )

    again = deliver_period(PERIOD, rendered, settings=settings)
    assert (again.sent, again.failed, again.skipped) == (0, 0, 5)
    assert len(server.messages) == 5
    assert len(_deliveries(rendered)) == 5

    resent = deliver_period(PERIOD, rendered, settings=settings, resend=True)
    assert resent.sent == 5
    assert len(server.messages) == 10
    assert sum(1 for r in _deliveries(rendered) if r.is_resend) == 5


def test_a_refused_recipient_is_reported_while_the_others_succeed(
    rendered: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    server.refuse.add(DINKES_TO)
    settings = smtp_settings(port, smtp_retries=3)
    report = deliver_period(PERIOD, rendered, settings=settings)
    assert (report.sent, report.failed) == (4, 1)
    [failure] = report.failures
    assert (failure.subject_key, failure.email) == ("DINKES", DINKES_TO)
    assert failure.error is not None and "550" in failure.error
    assert failure.attempts == 1  # a permanent refusal is not retried
    assert server.recipients() == sorted(EVERYONE - {DINKES_TO})
    failed = [r for r in _deliveries(rendered) if r.status == "failed"]
    assert [(r.email, r.attempts) for r in failed] == [(DINKES_TO, 1)]

    # Once the mailbox works again, a rerun delivers only what has not been delivered.
    server.refuse.clear()
    rerun = deliver_period(PERIOD, rendered, settings=settings)
    assert (rerun.sent, rerun.skipped, rerun.failed) == (1, 4, 0)
    assert server.recipients() == sorted(EVERYONE)


def test_transient_refusals_are_retried_with_a_doubling_delay(
    rendered: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    server.defer[BKD_TO] = 2
    delays: list[float] = []
    settings = smtp_settings(port, smtp_retries=3, smtp_backoff_seconds=0.5)
    report = deliver_period(PERIOD, rendered, settings=settings, sleep=delays.append)
    assert report.failed == 0
    bkd = next(o for o in report.outcomes if o.email == BKD_TO)
    assert (bkd.status, bkd.attempts) == ("sent", 3)
    assert delays == [0.5, 1.0]

    server.defer[DINKES_TO] = 99
    delays.clear()
    report = deliver_period(PERIOD, rendered, settings=settings, sleep=delays.append, resend=True)
    dinkes = next(o for o in report.outcomes if o.email == DINKES_TO)
    assert (dinkes.status, dinkes.attempts) == ("failed", 4)  # 1 + 3 retries
    assert dinkes.error is not None and "451" in dinkes.error
    assert delays == [0.5, 1.0, 2.0]
    assert report.sent == 4


def test_an_unreachable_server_fails_each_recipient_without_leaking_the_password(
    rendered: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = smtp_settings(free_port(), smtp_retries=1, smtp_user="iku", smtp_password=PASSWORD)
    report = deliver_period(PERIOD, rendered, settings=settings, sleep=lambda _: None)
    assert (report.sent, report.failed) == (0, 5)
    assert all(o.attempts == 2 for o in report.outcomes)
    assert all(PASSWORD not in (o.error or "") for o in report.outcomes)
    assert PASSWORD not in caplog.text
    assert PASSWORD not in repr(settings)


def test_without_smtp_messages_go_to_the_outbox_once(rendered: Engine, tmp_path: Path) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.smtp_host == ""
    report = deliver_period(PERIOD, rendered, settings=settings)
    assert (report.channel, report.sent) == ("eml", 5)
    outbox = tmp_path / "out" / PERIOD / "outbox"
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 5
    message = email.message_from_bytes(
        (outbox / "agency-DINKES-kepala.dinkes@lampungprov.example.eml").read_bytes(),
        policy=default_policy,
    )
    assert isinstance(message, EmailMessage)
    assert message["To"].addresses[0].addr_spec == DINKES_TO
    assert _attachment(message)[1].startswith(b"%PDF")
    rows = _deliveries(rendered)
    assert {(r.channel, r.status) for r in rows} == {("eml", "sent")}
    assert all(r.eml_path and Path(r.eml_path).is_file() for r in rows)

    before = {f: f.stat().st_mtime_ns for f in files}
    again = deliver_period(PERIOD, rendered, settings=settings)
    assert (again.sent, again.skipped) == (0, 5)
    assert {f: f.stat().st_mtime_ns for f in files} == before
    assert len(_deliveries(rendered)) == 5


def test_missing_password_fails_before_anything_is_sent(
    rendered: Engine, mailbox: tuple[Mailbox, int]
) -> None:
    server, port = mailbox
    with pytest.raises(DeliveryError, match="IKU_SMTP_PASSWORD"):
        deliver_period(PERIOD, rendered, settings=smtp_settings(port, smtp_user="iku"))
    assert server.messages == []
    assert _deliveries(rendered) == []


def test_the_database_allows_one_first_delivery_per_address(rendered: Engine) -> None:
    with session_scope(rendered) as session:
        bulletin_id = session.scalars(
            select(m.Bulletin.id).where(m.Bulletin.subject_key == "DINKES")
        ).one()
    row = {
        "bulletin_id": bulletin_id,
        "recipient_name": "Kepala",
        "email": DINKES_TO,
        "channel": "smtp",
        "status": "sent",
        "attempts": 1,
    }
    with session_scope(rendered) as session:
        session.add(m.Delivery(**row))
        session.add(m.Delivery(**{**row, "status": "failed"}))  # failures may repeat
        session.add(m.Delivery(**{**row, "is_resend": True}))  # so may resends
    with pytest.raises(IntegrityError), session_scope(rendered) as session:
        session.add(m.Delivery(**row))


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("bupati,,Bupati,bupati@x.example", "audience 'bupati'"),
        ("agency,,Kepala,kepala@x.example", "agency_code is required"),
        ("province,,Gubernur,gubernur-at-example", "'gubernur-at-example' is not an e-mail"),
        ("province,,,gubernur@x.example", "name is empty"),
    ],
)
def test_recipient_file_problems_name_the_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "recipients.csv"
    path.write_text(
        f"audience,agency_code,name,email\nprovince,,Sekda,sekda@x.example\n{line}\n",
        encoding="utf-8",
    )
    with pytest.raises(DeliveryError, match=f"recipients.csv:3: {message}"):
        read_recipients(path)


def test_the_catalog_recipients_file_is_valid() -> None:
    from tests.conftest import CATALOG_DIR

    recipients = read_recipients(CATALOG_DIR / "recipients.csv")
    assert {r.audience for r in recipients} == {"province", "agency", "steward", "bureau"}
