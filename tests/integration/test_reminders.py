"""Submission reminders: who is reminded, when, at most once a day, by e-mail or outbox."""

from __future__ import annotations

import email
from datetime import date, datetime
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path

from sqlalchemy import Engine, func, select

from iku import models as m
from iku.db import session_scope
from iku.delivery.reminders import due, send_reminders, window
from iku.rules import load_rules
from iku.runtime import process_runtime
from iku.settings import TIMEZONE, Settings
from tests.conftest import RULES_FILE
from tests.integration.smtp_server import Mailbox, smtp_settings

DAY = date(2026, 11, 3)  # deadline day 5 in the rules file: reminders from the 2nd


def _submit(engine: Engine, agency: str, period: str) -> None:
    with session_scope(engine) as session:
        agency_id = session.scalar(select(m.Agency.id).where(m.Agency.code == agency))
        session.add(
            m.Submission(
                agency_id=agency_id,
                period=period,
                file_name="x.xlsx",
                file_format="xlsx",
                sha256=f"{agency}{period}".ljust(64, "0"),
                size_bytes=1,
                archive_path="/a",
                received_at=datetime(2026, 11, 2, 9, tzinfo=TIMEZONE),
                status="staged",
            )
        )


def test_window_follows_the_rules_file() -> None:
    rules = load_rules(RULES_FILE)
    assert window(date(2026, 11, 1), rules) is None
    assert window(date(2026, 11, 2), rules) == ("2026-10", date(2026, 11, 5))
    assert window(date(2026, 11, 5), rules) == ("2026-10", date(2026, 11, 5))
    assert window(date(2026, 11, 6), rules) is None


def test_only_agencies_without_a_submission_are_due(loaded: Engine) -> None:
    _submit(loaded, "DINKES", "2026-10")
    with session_scope(loaded) as session:
        entries = due(session, DAY, load_rules(RULES_FILE))
    codes = {e.agency_code for e in entries}
    assert "DINKES" not in codes and "RSUDAM" in codes
    rsudam = next(e for e in entries if e.agency_code == "RSUDAM")
    assert ("RSUDAM-01", "Waktu Tunggu Pelayanan Rawat Jalan") in rsudam.missing
    # October is not a quarter month: quarterly IKU are not asked for.
    assert all(not code.startswith("DPMPTSP-01") for e in entries for code, _ in e.missing)


def test_outbox_reminders_at_most_once_a_day(loaded: Engine, tmp_path: Path) -> None:
    settings = process_runtime().settings
    first = send_reminders(DAY, load_rules(RULES_FILE), settings, loaded)
    assert first.sent and not first.failed
    files = sorted((settings.output_dir / "reminders" / DAY.isoformat()).glob("*.eml"))
    assert len(files) == len(first.sent)
    parsed = email.message_from_bytes(files[0].read_bytes(), policy=default_policy)
    assert isinstance(parsed, EmailMessage)
    body = parsed.get_body()
    assert body is not None
    text = body.get_content()
    assert "belum menerima laporan realisasi IKU periode Oktober 2026" in text
    assert "Kamis, 5 November 2026 pukul 23.59 WIB" in text
    assert "/portal?period=2026-10" in text  # the portal's link
    attached = list(parsed.iter_attachments())
    assert len(attached) == 1
    name = attached[0].get_filename()
    assert name is not None and name.startswith("Realisasi_IKU_") and name.endswith("_2026-10.xlsx")
    import io

    import openpyxl

    workbook = openpyxl.load_workbook(io.BytesIO(attached[0].get_content()))
    assert workbook["_iku"]["B4"].value == "2026-10"  # the period's pre-filled template
    second = send_reminders(DAY, load_rules(RULES_FILE), settings, loaded)
    assert second.sent == [] and sorted(second.skipped) == sorted(first.sent)
    with session_scope(loaded) as session:
        assert session.scalar(select(func.count()).select_from(m.Reminder)) == len(first.sent)
    outside = send_reminders(date(2026, 11, 20), load_rules(RULES_FILE), settings, loaded)
    assert not outside.in_window and outside.sent == []


def test_smtp_reminders_reach_the_agency_heads(
    loaded: Engine,
    mailbox: tuple[Mailbox, int],
) -> None:
    handler, port = mailbox
    settings: Settings = smtp_settings(port, catalog_dir=process_runtime().settings.catalog_dir)
    report = send_reminders(DAY, load_rules(RULES_FILE), settings, loaded)
    assert report.sent and not report.failed
    subjects = {str(message["Subject"]) for _, message in handler.messages}
    assert subjects == {"Pengingat: laporan realisasi IKU Oktober 2026 belum diterima"}
    assert len(handler.messages) == len(report.sent)
    assert all(isinstance(message, EmailMessage) for _, message in handler.messages)
