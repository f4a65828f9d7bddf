"""The bureau is e-mailed when a monthly cycle ends partial or failed (real SMTP server).

Partial: one agency head's mail server refuses the bulletin, so the cycle ends ``partial`` and
the flow itself alerts the bureau. Failed: the output folder cannot be created (it lies under a
file), the flow fails, and its ``on_failure`` hook alerts the bureau. Both through the flow as
the CLI and a deployment run it, against the aiosmtpd server of tests/integration/smtp_server.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from iku import migrate
from iku.catalog import load_catalog, read_catalog
from iku.delivery.alerts import CycleAlert, bureau, send_alert
from iku.delivery.mail import read_recipients
from iku.rules import load_rules
from iku.runtime import process_runtime, reset_process_runtime
from iku.simulate import simulate
from tests.conftest import CATALOG_DIR, RULES_FILE
from tests.integration.smtp_server import Mailbox

pytestmark = pytest.mark.slow
PERIOD = "2026-10"
BUREAU = sorted(r.email.lower() for r in bureau(read_recipients(CATALOG_DIR / "recipients.csv")))


def _smtp(monkeypatch: pytest.MonkeyPatch, port: int) -> None:
    for name, value in {
        "IKU_SMTP_HOST": "127.0.0.1",
        "IKU_SMTP_PORT": str(port),
        "IKU_SMTP_STARTTLS": "false",
        "IKU_SMTP_RETRIES": "0",
        "IKU_SMTP_BACKOFF_SECONDS": "0",
        "IKU_SMTP_TIMEOUT_SECONDS": "5",
    }.items():
        monkeypatch.setenv(name, value)
    reset_process_runtime()


def _prepare() -> None:
    engine = process_runtime().engine
    migrate.upgrade(engine)
    load_catalog(CATALOG_DIR, engine)
    simulate(
        read_catalog(CATALOG_DIR),
        load_rules(RULES_FILE),
        period=PERIOD,
        out_dir=process_runtime().settings.inbox_dir,
        months=1,
        agencies=["DINKES", "RSUDAM"],
        seed=77,
    )


def _alerts(box: Mailbox) -> list[tuple[list[str], str, str]]:
    return [
        (sorted(a.lower() for a in tos), str(message["Subject"]), message.get_content())
        for tos, message in box.messages
        if str(message["Subject"]).startswith("[IKU] Siklus evaluasi")
    ]


def test_a_partial_cycle_alerts_the_bureau(
    prefect_harness: None, mailbox: tuple[Mailbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    box, port = mailbox
    _smtp(monkeypatch, port)
    _prepare()
    box.refuse = {"kepala.dinkes@lampungprov.example"}
    from flows.monthly_evaluation import evaluate

    summary = evaluate(process_runtime(), PERIOD)
    assert summary["status"] == "partial"
    alerts = _alerts(box)
    assert len(alerts) == 1, [s for _, s, _ in alerts]
    recipients, subject, body = alerts[0]
    assert recipients == BUREAU
    assert (
        subject
        == "[IKU] Siklus evaluasi Oktober 2026: SEBAGIAN (ada buletin atau pengiriman yang gagal)"
    )
    assert "kepala.dinkes@lampungprov.example" in body and "iku run --period 2026-10" in body


def test_a_failed_cycle_alerts_the_bureau_from_the_hook(
    prefect_harness: None,
    mailbox: tuple[Mailbox, int],
    monkeypatch: pytest.MonkeyPatch,
    isolated_settings: Path,
) -> None:
    box, port = mailbox
    _smtp(monkeypatch, port)
    _prepare()
    blocker = isolated_settings / "berkas-biasa"
    blocker.write_text("bukan folder", encoding="utf-8")
    monkeypatch.setenv("IKU_OUTPUT_DIR", str(blocker / "out"))
    reset_process_runtime()
    from flows.monthly_evaluation import evaluate

    with pytest.raises(NotADirectoryError):
        evaluate(process_runtime(), PERIOD)
    alerts = _alerts(box)
    assert len(alerts) == 1, [s for _, s, _ in alerts]
    recipients, subject, body = alerts[0]
    assert recipients == BUREAU
    assert subject == "[IKU] Siklus evaluasi Oktober 2026: GAGAL"
    assert "NotADirectoryError" in body


def test_without_smtp_the_alert_is_an_eml_file(isolated_settings: Path) -> None:
    rt = process_runtime()
    sent = send_alert(
        CycleAlert(PERIOD, "crashed", error="proses dihentikan"), rt.settings, rt.paths.output
    )
    assert sent.channel == "eml" and sent.error is None and sent.path is not None
    assert sent.path.parent == isolated_settings / "out" / "alerts" / PERIOD
    text = sent.path.read_text(encoding="utf-8")
    assert "TERHENTI" in text and "proses dihentikan" in text
