"""Notices that reach the agency when the system does not take its data as sent.

A rejected file, or a submission with rows held by validation, sends one e-mail in Bahasa
Indonesia to the agency's recipients (``recipients.csv``, audience ``agency``): which file,
when it was received, what is wrong row by row and what to correct, and the portal's link
(``IKU_WEB_BASE_URL``). By SMTP when it is configured, otherwise an .eml file in
``<output>/notices/<AGENCY>/``. The portal shows the same facts (the answer, the open items,
the rejection notices of ``outbox/<AGENCY>/``). A notice that cannot be sent is logged, never
raised: the submission is stored either way.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Final

from iku.db import now_wib
from iku.delivery.mail import (
    DeliveryError,
    Recipient,
    SmtpSender,
    read_recipients,
    send_with_retries,
)
from iku.formatting import periode, waktu
from iku.settings import Settings

log = logging.getLogger(__name__)

NOTICES_DIR: Final = "notices"


@dataclass(frozen=True)
class HeldRow:
    source_row: int | None
    indicator_code: str | None
    message: str


@dataclass(frozen=True)
class SubmissionNotice:
    """What the agency is told about one submission."""

    agency_code: str
    agency_name: str
    submission_id: int | None
    file_name: str
    period: str | None
    received_at: datetime
    rejection: str | None = None  # the whole file was rejected: why
    held: list[HeldRow] = field(default_factory=list)
    rows_in: int = 0
    rows_accepted: int = 0


def portal_link(settings: Settings, period: str | None) -> str:
    """The portal's address (relative when ``IKU_WEB_BASE_URL`` is not set)."""
    base = settings.web_base_url.strip().rstrip("/")
    path = "/portal" + (f"?period={period}" if period else "")
    return f"{base}{path}" if base else path


def build_notice(
    notice: SubmissionNotice, recipients: list[Recipient], sender: str, link: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(formataddr((r.name, r.email)) for r in recipients)
    what = "ditolak" if notice.rejection else "ada baris yang ditahan"
    when = periode(notice.period) if notice.period else "tanpa periode"
    message["Subject"] = f"[IKU] Kiriman {notice.agency_code} {when}: {what}"
    message["Date"] = format_datetime(now_wib())
    domain = parseaddr(sender)[1].partition("@")[2] or "lampungprov.example"
    message["Message-ID"] = make_msgid(domain=domain)
    lines = [
        f"Yth. {notice.agency_name},",
        "",
        f"Kiriman berkas '{notice.file_name}'"
        + (f" (kiriman #{notice.submission_id})" if notice.submission_id else "")
        + f" diterima sistem pada {waktu(notice.received_at)}.",
        "",
    ]
    if notice.rejection:
        lines += [
            "Berkas ini DITOLAK seluruhnya, sehingga tidak ada data yang dipakai:",
            f"  {notice.rejection}",
            "",
            "Yang perlu dilakukan: perbaiki berkasnya sesuai keterangan di atas, lalu kirim ulang.",
        ]
    else:
        lines += [
            f"Dari {notice.rows_in} baris, {notice.rows_accepted} diterima dan "
            f"{len(notice.held)} ditahan untuk diperbaiki:",
            *(
                f"  - baris {h.source_row or '-'} ({h.indicator_code or '-'}): {h.message}"
                for h in notice.held
            ),
            "",
            "Yang perlu dilakukan: perbaiki baris yang ditahan lalu kirim ulang laporan periode "
            "ini; versi baru menggantikan versi sebelumnya.",
        ]
    lines += [
        f"Portal perangkat daerah: {link}",
        "",
        "Pesan ini dikirim otomatis oleh Sistem Evaluasi IKU Pemerintah Provinsi Lampung.",
    ]
    message.set_content("\n".join(lines) + "\n")
    return message


def send_notice(
    notice: SubmissionNotice, settings: Settings
) -> tuple[str, Path | None, str | None]:
    """Send ``notice`` to the agency: (channel smtp|eml|none, the .eml path, the error)."""
    try:
        recipients = [
            r
            for r in read_recipients(settings.catalog_dir / "recipients.csv")
            if r.audience == "agency" and r.agency_code == notice.agency_code
        ]
    except DeliveryError as exc:
        log.error("notice to %s not sent: %s", notice.agency_code, exc)
        return "none", None, str(exc)
    if not recipients:
        log.warning("notice to %s not sent: no recipient in recipients.csv", notice.agency_code)
        return "none", None, "tidak ada penerima di recipients.csv"
    message = build_notice(
        notice, recipients, settings.smtp_from, portal_link(settings, notice.period)
    )
    if not settings.smtp_host:
        folder = settings.output_dir / NOTICES_DIR / notice.agency_code
        folder.mkdir(parents=True, exist_ok=True)
        stamp = notice.received_at.strftime("%Y%m%d-%H%M%S")
        path = folder / f"kiriman-{notice.submission_id or 'x'}-{stamp}.eml"
        path.write_bytes(bytes(message))
        return "eml", path, None
    try:
        with SmtpSender(settings) as sender:
            result = send_with_retries(
                sender,
                message,
                retries=settings.smtp_retries,
                backoff_seconds=settings.smtp_backoff_seconds,
            )
    except Exception as exc:  # a notice never breaks a submission
        log.error("notice to %s not sent: %s", notice.agency_code, exc)
        return "smtp", None, str(exc)
    if result.error:
        log.error("notice to %s not sent: %s", notice.agency_code, result.error)
    return "smtp", None, result.error
