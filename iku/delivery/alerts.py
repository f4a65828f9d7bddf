"""The bureau's alert when a monthly cycle does not end well (failed, crashed or partial).

One e-mail in Bahasa Indonesia to every ``bureau`` recipient of ``recipients.csv``: which
period, how the run ended, the error or the bulletins and recipients that failed, what the
database counted, and where to look (the Prefect flow run, the log). By SMTP when it is
configured, otherwise an .eml file in ``<output>/alerts/<period>/`` like every other message of
the embedded set-up. An alert that cannot be sent is reported, never raised: it must not hide
the failure it is about.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Any, Final

from iku.db import now_wib
from iku.delivery.mail import (
    DeliveryError,
    Recipient,
    SmtpSender,
    check_smtp_settings,
    read_recipients,
    send_with_retries,
)
from iku.formatting import periode, waktu
from iku.settings import Settings

log = logging.getLogger(__name__)

ALERTS_DIR: Final = "alerts"
#: How an ending reads in the alert.
OUTCOME_WORDS: Final = {
    "failed": "GAGAL",
    "crashed": "TERHENTI (proses mati)",
    "partial": "SEBAGIAN (ada buletin atau pengiriman yang gagal)",
}
MSG_NO_RECIPIENTS: Final = "tidak ada penerima 'bureau' di recipients.csv"


@dataclass(frozen=True)
class CycleAlert:
    """What went wrong with one run of a period's cycle."""

    period: str
    outcome: str  # failed | crashed | partial
    error: str | None = None
    failures: list[str] = field(default_factory=list)  # one line per failed bulletin/recipient
    counts: dict[str, Any] = field(default_factory=dict)
    run_url: str | None = None
    log_file: Path | None = None
    at: datetime = field(default_factory=now_wib)


@dataclass(frozen=True)
class AlertOutcome:
    """How the alert went: the channel, who it was for, where the .eml is, the error."""

    channel: str  # smtp | eml | none
    recipients: list[str]
    path: Path | None = None
    error: str | None = None


def bureau(recipients: list[Recipient]) -> list[Recipient]:
    """The bureau's recipients (each address once)."""
    unique: dict[str, Recipient] = {}
    for recipient in recipients:
        if recipient.audience == "bureau":
            unique.setdefault(recipient.email.lower(), recipient)
    return list(unique.values())


def build_alert(alert: CycleAlert, recipients: list[Recipient], sender: str) -> EmailMessage:
    word = OUTCOME_WORDS.get(alert.outcome, alert.outcome.upper())
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(formataddr((r.name, r.email)) for r in recipients)
    message["Subject"] = f"[IKU] Siklus evaluasi {periode(alert.period)}: {word}"
    message["Date"] = format_datetime(alert.at)
    domain = parseaddr(sender)[1].partition("@")[2] or "lampungprov.example"
    message["Message-ID"] = make_msgid(domain=domain)
    lines = [
        "Yth. Biro Organisasi,",
        "",
        f"Siklus evaluasi bulanan IKU periode {periode(alert.period)} ({alert.period}) berakhir "
        f"{word} pada {waktu(alert.at)}.",
        "",
    ]
    if alert.error:
        lines += ["Kesalahan:", f"  {alert.error}", ""]
    if alert.failures:
        lines += ["Yang gagal:", *(f"  - {item}" for item in alert.failures), ""]
    counts = alert.counts
    if counts:
        lines += [
            "Yang tercatat di basis data untuk periode ini:",
            f"  - baris masuk {counts.get('rows_in', 0)}, diterima "
            f"{counts.get('rows_accepted', 0)}, ditahan {counts.get('rows_quarantined', 0)}",
            f"  - isu kualitas data terbuka {counts.get('open_issues', 0)}",
            "",
        ]
    lines.append("Yang perlu dilakukan:")
    if alert.run_url:
        lines.append(f"  - lihat jalannya flow di Prefect: {alert.run_url}")
    if alert.log_file:
        lines.append(f"  - catatan kesalahan: {alert.log_file}")
    lines += [
        f"  - setelah penyebabnya diperbaiki, jalankan lagi: iku run --period {alert.period}",
        "    (yang sudah berhasil tidak diulang dan tidak dikirim dua kali)",
        "",
        "Pesan ini dikirim otomatis oleh Sistem Evaluasi IKU Pemerintah Provinsi Lampung.",
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def send_alert(alert: CycleAlert, settings: Settings, output_dir: Path) -> AlertOutcome:
    """Send ``alert`` to the bureau (SMTP, or an .eml file without an SMTP host)."""
    try:
        recipients = bureau(read_recipients(settings.catalog_dir / "recipients.csv"))
        if settings.smtp_host:
            check_smtp_settings(settings)
    except DeliveryError as exc:
        log.error("cycle alert for %s not sent: %s", alert.period, exc)
        return AlertOutcome("none", [], error=str(exc))
    if not recipients:
        log.error("cycle alert for %s not sent: no bureau recipient", alert.period)
        return AlertOutcome("none", [], error=MSG_NO_RECIPIENTS)
    message = build_alert(alert, recipients, settings.smtp_from)
    addresses = [r.email for r in recipients]
    if not settings.smtp_host:
        folder = output_dir / ALERTS_DIR / alert.period
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"siklus-{alert.period}-{alert.outcome}-{alert.at:%Y%m%d-%H%M%S}.eml"
        path.write_bytes(bytes(message))
        return AlertOutcome("eml", addresses, path=path)
    with SmtpSender(settings) as sender:
        result = send_with_retries(
            sender,
            message,
            retries=settings.smtp_retries,
            backoff_seconds=settings.smtp_backoff_seconds,
        )
    error = result.error
    if error:
        log.error("cycle alert for %s not sent: %s", alert.period, error)
    return AlertOutcome("smtp", addresses, error=error)
