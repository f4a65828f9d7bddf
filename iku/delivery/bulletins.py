"""Delivery of rendered bulletins by e-mail: recipients, .eml outbox or SMTP, and the log.

Without ``IKU_SMTP_HOST`` every message is written to ``out/<period>/outbox/`` as an .eml file
(channel ``eml``); with it, messages go out through SMTP (channel ``smtp``), the PDF attached.
Every delivery, sent or failed, is a ``delivery`` row written as soon as it happens, so a run
that stops half-way resumes without sending anything twice. A bulletin already sent to an
address over a channel is skipped unless ``resend`` is asked; a partial unique index on the
table backs that up. Transient SMTP errors (4xx, lost connections) are retried with a doubling
delay; permanent ones (5xx) fail at once. One recipient failing never stops the others.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError

from iku import models as m
from iku.cycles import cycle_of
from iku.db import now_wib, session_scope
from iku.delivery.mail import (
    DeliveryError,
    Recipient,
    SmtpSender,
    check_smtp_settings,
    read_recipients,
    recipients_for,
    send_with_retries,
)
from iku.formatting import periode, waktu
from iku.settings import Settings

log = logging.getLogger(__name__)
OUTBOX_DIR: Final = "outbox"
_SAFE = re.compile(r"[^A-Za-z0-9._@-]+")


@dataclass(frozen=True)
class BulletinToSend:
    id: int
    audience: str
    subject_key: str
    subject_name: str
    file_path: Path
    sha256: str | None
    #: 1 for the first issue; a later revision replaced an issue whose figures changed.
    revision: int = 1
    changes: tuple[str, ...] = ()


#: At most this many changes are listed in the e-mail of a revision (the bulletin has them).
CHANGES_IN_MAIL: Final = 10


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one bulletin for one recipient."""

    audience: str
    subject_key: str
    email: str
    channel: str
    status: str  # sent | failed | skipped (already sent)
    attempts: int = 0
    error: str | None = None


@dataclass
class DeliveryReport:
    period: str
    channel: str
    outcomes: list[DeliveryOutcome] = field(default_factory=list)

    def _count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def sent(self) -> int:
        return self._count("sent")

    @property
    def failed(self) -> int:
        return self._count("failed")

    @property
    def skipped(self) -> int:
        return self._count("skipped")

    @property
    def failures(self) -> list[DeliveryOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def _title(bulletin: BulletinToSend, period: str) -> str:
    mark = f"[Revisi {bulletin.revision}] " if bulletin.revision > 1 else ""
    if bulletin.audience == "province":
        return f"{mark}Buletin Evaluasi IKU Provinsi Lampung – {periode(period)}"
    if bulletin.audience == "steward":
        return f"{mark}Tinjauan Kualitas Data IKU – {periode(period)}"
    return f"{mark}Buletin Evaluasi IKU {periode(period)} – {bulletin.subject_name}"


def _revision_text(bulletin: BulletinToSend) -> str:
    """The paragraph of a revision's e-mail: it replaces the earlier one, and what changed."""
    if bulletin.revision <= 1:
        return ""
    listed = [f"- {change}" for change in bulletin.changes[:CHANGES_IN_MAIL]]
    if len(bulletin.changes) > CHANGES_IN_MAIL:
        listed.append(f"- dan {len(bulletin.changes) - CHANGES_IN_MAIL} perubahan lain")
    return (
        f"Ini revisi ke-{bulletin.revision}: angka buletin berubah setelah terbitan sebelumnya "
        "dikirim, dan buletin terlampir menggantikannya. Yang berubah:\n"
        + "\n".join(listed or ["- (lihat buletin)"])
        + "\n\n"
    )


def build_message(
    bulletin: BulletinToSend,
    recipient: Recipient,
    period: str,
    payload: bytes,
    sender: str,
) -> EmailMessage:
    """The e-mail for one recipient: a short Indonesian body and the bulletin attached."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((recipient.name, recipient.email))
    message["Subject"] = _title(bulletin, period)
    now = now_wib()
    message["Date"] = format_datetime(now)
    domain = parseaddr(sender)[1].partition("@")[2] or "lampungprov.example"
    message["Message-ID"] = make_msgid(domain=domain)
    message.set_content(
        f"Yth. {recipient.name},\n\n"
        f"Terlampir {_title(bulletin, period)}, dibuat pada {waktu(now)}.\n\n"
        + _revision_text(bulletin)
        + "Buletin memuat capaian setiap IKU, predikat, capaian sampai dengan bulan ini, tren,\n"
        "catatan, dan isu data yang masih terbuka.\n\n"
        "Pertanyaan tentang data dapat disampaikan kepada pengelola data kinerja\n"
        "(Biro Organisasi dan Bappeda Provinsi Lampung).\n\n"
        "Hormat kami,\n"
        "Sistem Evaluasi IKU Pemerintah Provinsi Lampung\n"
    )
    suffix = bulletin.file_path.suffix.lower()
    maintype, subtype = ("application", "pdf") if suffix == ".pdf" else ("text", "html")
    message.add_attachment(
        payload,
        maintype=maintype,
        subtype=subtype,
        filename=f"buletin-iku-{period}-{bulletin.subject_key.lower()}{_revision_suffix(bulletin)}"
        f"{suffix}",
    )
    return message


def _revision_suffix(bulletin: BulletinToSend) -> str:
    return f"-revisi-{bulletin.revision}" if bulletin.revision > 1 else ""


def _outbox_path(outbox: Path, bulletin: BulletinToSend, email: str) -> Path:
    name = (
        f"{bulletin.audience}-{bulletin.subject_key}{_revision_suffix(bulletin)}-"
        f"{_SAFE.sub('_', email.lower())}.eml"
    )
    return outbox / name


def _bulletins(engine: Engine, period: str) -> tuple[int, list[BulletinToSend]]:
    with session_scope(engine) as session:
        cycle = cycle_of(session, period)
        if cycle is None:
            raise DeliveryError(
                f"Belum ada siklus evaluasi untuk {period}; jalankan dulu "
                f"`iku render --period {period}`."
            )
        rows = session.execute(
            select(m.Bulletin, m.Agency.name)
            .outerjoin(m.Agency, m.Agency.id == m.Bulletin.agency_id)
            .where(
                m.Bulletin.cycle_id == cycle.id,
                m.Bulletin.audience != "index",
                m.Bulletin.superseded_at.is_(None),  # the current revision of each
            )
            .order_by(m.Bulletin.audience, m.Bulletin.subject_key)
        ).all()
        bulletins = []
        for bulletin, agency_name in rows:
            path = bulletin.pdf_path or bulletin.html_path
            if path is None:
                continue  # its render failed: nothing to send
            bulletins.append(
                BulletinToSend(
                    id=bulletin.id,
                    audience=bulletin.audience,
                    subject_key=bulletin.subject_key,
                    subject_name=agency_name or "Provinsi Lampung",
                    file_path=Path(path),
                    sha256=bulletin.sha256,
                    revision=bulletin.revision,
                    changes=tuple(bulletin.changes or ()),
                )
            )
        return cycle.id, bulletins


def _already_sent(engine: Engine, bulletin_ids: list[int], channel: str) -> set[tuple[int, str]]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(m.Delivery.bulletin_id, m.Delivery.email).where(
                m.Delivery.bulletin_id.in_(bulletin_ids),
                m.Delivery.channel == channel,
                m.Delivery.status == "sent",
            )
        )
        return {(bulletin_id, email.lower()) for bulletin_id, email in rows}


def _log(
    engine: Engine,
    bulletin: BulletinToSend,
    recipient: Recipient,
    *,
    channel: str,
    status: str,
    attempts: int,
    error: str | None,
    is_resend: bool,
    sha256: str | None,
    eml_path: Path | None,
) -> None:
    sent_at = now_wib() if status == "sent" else None
    try:
        with session_scope(engine) as session:
            session.add(
                m.Delivery(
                    bulletin_id=bulletin.id,
                    bulletin_sha256=sha256,
                    recipient_name=recipient.name,
                    email=recipient.email.lower(),
                    channel=channel,
                    status=status,
                    is_resend=is_resend,
                    attempts=attempts,
                    error=error,
                    eml_path=None if eml_path is None else str(eml_path),
                    sent_at=sent_at,
                )
            )
            if sent_at is not None:
                row = session.get(m.Bulletin, bulletin.id)
                if row is not None and row.sent_at is None:
                    row.sent_at = sent_at
    except IntegrityError:
        # Another run logged the same first delivery at the same moment: keep theirs.
        log.warning(
            "delivery of %s to %s was already logged", bulletin.subject_key, recipient.email
        )


def deliver_period(
    period: str,
    engine: Engine,
    *,
    settings: Settings,
    resend: bool = False,
    recipients_file: Path | None = None,
    output_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DeliveryReport:
    """Deliver every rendered bulletin of a period to its recipients, once (or again on resend)."""
    recipients = read_recipients(recipients_file or settings.catalog_dir / "recipients.csv")
    channel = "smtp" if settings.smtp_host else "eml"
    if channel == "smtp":
        check_smtp_settings(settings)
    _, bulletins = _bulletins(engine, period)
    # Sent before over this channel: skipped, or with resend sent again and marked as a resend.
    done = _already_sent(engine, [b.id for b in bulletins], channel)
    outbox = (output_dir or settings.output_dir) / period / OUTBOX_DIR
    report = DeliveryReport(period, channel)
    with SmtpSender(settings) as sender:
        for bulletin in bulletins:
            targets = recipients_for(bulletin.audience, bulletin.subject_key, recipients)
            if not targets:
                log.info("no recipients for %s %s", bulletin.audience, bulletin.subject_key)
            for recipient in targets:
                outcome = _deliver_one(
                    engine,
                    bulletin,
                    recipient,
                    period=period,
                    channel=channel,
                    settings=settings,
                    sender=sender,
                    outbox=outbox,
                    skip=not resend and (bulletin.id, recipient.email.lower()) in done,
                    is_resend=resend and (bulletin.id, recipient.email.lower()) in done,
                    sleep=sleep,
                )
                report.outcomes.append(outcome)
    if report.failed:
        log.warning(
            "%s: %d delivery(ies) failed: %s",
            period,
            report.failed,
            ", ".join(f"{o.subject_key} -> {o.email}" for o in report.failures),
        )
    return report


def _deliver_one(
    engine: Engine,
    bulletin: BulletinToSend,
    recipient: Recipient,
    *,
    period: str,
    channel: str,
    settings: Settings,
    sender: SmtpSender,
    outbox: Path,
    skip: bool,
    is_resend: bool,
    sleep: Callable[[float], None],
) -> DeliveryOutcome:
    def outcome(status: str, attempts: int = 0, error: str | None = None) -> DeliveryOutcome:
        return DeliveryOutcome(
            bulletin.audience,
            bulletin.subject_key,
            recipient.email.lower(),
            channel,
            status,
            attempts,
            error,
        )

    if skip:
        return outcome("skipped")
    eml_path: Path | None = None
    sha256: str | None = None
    attempts: int
    error: str | None
    try:
        payload = bulletin.file_path.read_bytes()
        sha256 = hashlib.sha256(payload).hexdigest()
        message = build_message(bulletin, recipient, period, payload, settings.smtp_from)
    except OSError as exc:
        attempts, error = 0, f"cannot read {bulletin.file_path}: {exc.strerror or exc}"
    else:
        if channel == "eml":
            eml_path = _outbox_path(outbox, bulletin, recipient.email)
            try:
                eml_path.parent.mkdir(parents=True, exist_ok=True)
                eml_path.write_bytes(message.as_bytes())
                attempts, error = 1, None
            except OSError as exc:
                attempts, error = 1, f"cannot write {eml_path}: {exc.strerror or exc}"
        else:
            attempts, error = send_with_retries(
                sender,
                message,
                retries=settings.smtp_retries,
                backoff_seconds=settings.smtp_backoff_seconds,
                sleep=sleep,
            )
    status = "sent" if error is None else "failed"
    _log(
        engine,
        bulletin,
        recipient,
        channel=channel,
        status=status,
        attempts=attempts,
        error=error,
        is_resend=is_resend,
        sha256=sha256,
        eml_path=eml_path,
    )
    return outcome(status, attempts, error)
