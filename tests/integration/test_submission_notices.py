"""Notices that reach the agency: a rejected file and a held row send an e-mail (real SMTP on
aiosmtpd) with what to fix and the portal's link; without SMTP an .eml file; the portal shows
them too (tests/web/test_submissions.py)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from sqlalchemy import Engine

from iku import calendar
from iku.access import Actor, Role
from iku.db import now_wib
from iku.operations.submissions import SubmissionDesk, SubmissionError
from iku.runtime import Runtime
from tests.conftest import CATALOG_DIR, RULES_FILE
from tests.integration.smtp_server import Mailbox, smtp_settings

OFFICER = Actor("opd_dinkes", Role.AGENCY, frozenset({"DINKES"}))


def _desk(engine: Engine, tmp_path: Path, **settings: object) -> SubmissionDesk:
    from iku.settings import Settings

    values = {
        "database_url": str(engine.url.render_as_string(hide_password=False)),
        "archive_dir": tmp_path / "archive",
        "output_dir": tmp_path / "out",
        "inbox_dir": tmp_path / "inbox",
        "catalog_dir": CATALOG_DIR,
        "rules_file": RULES_FILE,
        "web_base_url": "https://iku.lampungprov.example/",
        **settings,
    }
    return SubmissionDesk(Runtime(Settings(_env_file=None, **values), engine=engine))  # type: ignore[call-arg]


def _wait(condition: object, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.1)
    raise AssertionError("timed out")


def test_held_row_and_rejected_file_send_notices(
    loaded: Engine, tmp_path: Path, mailbox: tuple[Mailbox, int]
) -> None:
    handler, port = mailbox
    smtp = smtp_settings(port)
    desk = _desk(
        loaded,
        tmp_path,
        smtp_host=smtp.smtp_host,
        smtp_port=port,
        smtp_starttls=False,
        smtp_backoff_seconds=0.0,
        smtp_timeout_seconds=5.0,
    )
    period = calendar.previous_period(now_wib())
    try:
        body = {
            "agency_code": "DINKES",
            "period": period,
            "rows": [
                {"indicator_code": "DINKES-02", "realisasi": 90, "evidence_url": "https://b.id/1"},
                {
                    "indicator_code": "DINKES-05",
                    "realisasi": "abc",
                    "evidence_url": "https://b.id/2",
                },
            ],
        }
        result = desk.submit(OFFICER, json.dumps(body).encode(), "laporan.json")
        assert result.rows_held == 1
        _wait(lambda: len(handler.messages) == 1)
        _tos, message = handler.messages[0]
        assert "ada baris yang ditahan" in str(message["Subject"])
        text = message.get_body().get_content()  # type: ignore[union-attr]
        assert "DINKES-05" in text and "kirim ulang" in text
        assert f"https://iku.lampungprov.example/portal?period={period}" in text

        other = {**body, "agency_code": "DISDIKBUD"}
        with pytest.raises(SubmissionError) as refused:
            desk.submit(OFFICER, json.dumps(other).encode(), "salah.json")
        assert refused.value.code == "agency_mismatch"
        _wait(lambda: len(handler.messages) == 2)
        _tos, second = handler.messages[1]
        assert "ditolak" in str(second["Subject"])
        assert "DITOLAK" in second.get_body().get_content()  # type: ignore[union-attr]
        assert handler.messages[1][0] == handler.messages[0][0]  # the agency's own officers
    finally:
        desk.close()
    assert [channel for _id, channel, _e in desk.notices] == ["smtp", "smtp"]
    assert all(error is None for _id, _c, error in desk.notices)


def test_without_smtp_the_notice_is_an_eml_file(loaded: Engine, tmp_path: Path) -> None:
    desk = _desk(loaded, tmp_path)
    period = calendar.previous_period(now_wib())
    try:
        body = {
            "agency_code": "DINKES",
            "period": period,
            "rows": [
                {"indicator_code": "DINKES-01", "realisasi": "x", "evidence_url": "https://b.id/3"}
            ],
        }
        desk.submit(OFFICER, json.dumps(body).encode(), "laporan.json")
        _wait(lambda: bool(desk.notices))
    finally:
        desk.close()
    files = list((tmp_path / "out" / "notices" / "DINKES").glob("*.eml"))
    assert len(files) == 1 and b"DINKES-01" in files[0].read_bytes()
