"""Reminders to agencies that have not submitted, during the submission window.

The period being collected is the previous month; submissions are due on the rules file's
``deadline_day``. From ``reminder_days_before_deadline`` days before the deadline until the
deadline itself, every agency with IKU due that month and no submission yet receives one
reminder a day listing its missing IKU and the deadline, with the portal's link
(``IKU_WEB_BASE_URL``) and its pre-filled template attached: by e-mail when SMTP is configured,
otherwise as an .eml file in ``<output>/reminders/<day>/``. A reminder row per agency, period and
day (unique) makes a second run the same day send nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from iku import models as m
from iku.calendar import Period, frequencies_due
from iku.db import now_wib, session_scope
from iku.delivery.mail import Recipient, SmtpSender, read_recipients, send_with_retries
from iku.formatting import periode, tanggal
from iku.ingest.context import IngestContext
from iku.rules import Rules
from iku.settings import TIMEZONE, Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Due:
    """An agency that should be reminded today."""

    agency_id: int
    agency_code: str
    agency_name: str
    period: str
    deadline: date
    missing: list[tuple[str, str]]  # (IKU code, name)


@dataclass
class ReminderReport:
    day: date
    period: str | None
    in_window: bool
    sent: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "day": self.day.isoformat(),
            "period": self.period,
            "in_window": self.in_window,
            "sent": self.sent,
            "skipped_already_reminded": self.skipped,
            "failed": [{"agency": a, "error": e} for a, e in self.failed],
        }


def window(day: date, rules: Rules) -> tuple[str, date] | None:
    """The period collected on ``day`` and its deadline, if ``day`` is a reminder day."""
    deadline = day.replace(day=rules.submission.deadline_day)
    first = deadline.day - rules.submission.reminder_days_before_deadline
    if not first <= day.day <= deadline.day:
        return None
    return str(Period.of(day).shift(-1)), deadline


def due(session: Session, day: date, rules: Rules) -> list[Due]:
    """Agencies with IKU due for the collected period and no submission yet."""
    current = window(day, rules)
    if current is None:
        return []
    period, deadline = current
    month = int(period[5:7])
    submitted = set(
        session.scalars(
            select(m.Submission.agency_id).where(
                m.Submission.period == period,
                m.Submission.status.in_(("staged", "validated", "superseded")),
            )
        )
    )
    rows = session.execute(
        select(m.Agency.id, m.Agency.code, m.Agency.name, m.Indicator.code, m.Indicator.name)
        .join(m.Indicator, m.Indicator.agency_id == m.Agency.id)
        .where(m.Indicator.is_active.is_(True), m.Agency.is_active.is_(True))
        .where(m.Indicator.frequency.in_(frequencies_due(month)))
        .order_by(m.Agency.code, m.Indicator.code)
    ).all()
    grouped: dict[int, Due] = {}
    for agency_id, code, name, iku_code, iku_name in rows:
        if agency_id in submitted:
            continue
        entry = grouped.setdefault(agency_id, Due(agency_id, code, name, period, deadline, []))
        entry.missing.append((iku_code, iku_name))
    return list(grouped.values())


TEMPLATE_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def template_name(entry: Due) -> str:
    return f"Realisasi_IKU_{entry.agency_code}_{entry.period}.xlsx"


def build_message(
    entry: Due,
    recipients: list[Recipient],
    sender: str,
    *,
    portal: str = "/portal",
    template: bytes | None = None,
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(formataddr((r.name, r.email)) for r in recipients)
    message["Subject"] = f"Pengingat: laporan realisasi IKU {periode(entry.period)} belum diterima"
    message["Date"] = format_datetime(now_wib())
    domain = parseaddr(sender)[1].partition("@")[2] or "lampungprov.example"
    message["Message-ID"] = make_msgid(domain=domain)
    lines = "\n".join(f"  - {code}: {name}" for code, name in entry.missing)
    message.set_content(
        f"Yth. Kepala {entry.agency_name},\n\n"
        f"Sampai hari ini kami belum menerima laporan realisasi IKU periode "
        f"{periode(entry.period)}. Batas waktu pengiriman adalah "
        f"{tanggal(entry.deadline, with_day=True)} pukul 23.59 WIB.\n\n"
        f"IKU yang perlu dilaporkan:\n{lines}\n\n"
        f"Isi formulir periode ini di portal perangkat daerah: {portal}\n"
        + (
            f"atau isi templat terlampir ({template_name(entry)}) dan unggah di portal, "
            f"atau kirimkan ke folder {entry.agency_code} pada kotak masuk.\n\n"
            if template is not None
            else f"atau isi templat (iku template --agency {entry.agency_code} --period "
            f"{entry.period}) dan kirimkan ke folder {entry.agency_code} pada kotak masuk.\n\n"
        )
        + "Hormat kami,\nSistem Evaluasi IKU Pemerintah Provinsi Lampung\n"
    )
    if template is not None:
        message.add_attachment(
            template,
            maintype=TEMPLATE_TYPE[0],
            subtype=TEMPLATE_TYPE[1],
            filename=template_name(entry),
        )
    return message


def prefilled_template(context: IngestContext, entry: Due) -> bytes | None:
    """The agency's pre-filled template of the period (None, logged, when it cannot be made:
    the reminder goes without it)."""
    import tempfile

    from iku.ingest.template import spec_for_agency, write_template

    try:
        spec = spec_for_agency(context, entry.agency_code, entry.period, now_wib())
        with tempfile.TemporaryDirectory(prefix="iku-templat-") as folder:
            return write_template(spec, Path(folder) / template_name(entry)).read_bytes()
    except Exception:
        log.exception("the template of %s %s could not be made", entry.agency_code, entry.period)
        return None


def send_reminders(day: date, rules: Rules, settings: Settings, engine: Engine) -> ReminderReport:
    """Remind every agency due today (see the module docstring)."""
    current = window(day, rules)
    report = ReminderReport(day, current[0] if current else None, current is not None)
    if current is None:
        return report
    recipients = read_recipients(settings.catalog_dir / "recipients.csv")
    with session_scope(engine) as session:
        entries = due(session, day, rules)
        already = {
            agency_id
            for (agency_id,) in session.execute(
                select(m.Reminder.agency_id).where(
                    m.Reminder.period == current[0], m.Reminder.sent_on == day
                )
            )
        }
    outbox = settings.output_dir / "reminders" / day.isoformat()
    from iku.delivery.submission_notices import portal_link

    context: IngestContext | None = None
    with SmtpSender(settings) as sender:
        for entry in entries:
            if entry.agency_id in already:
                report.skipped.append(entry.agency_code)
                continue
            to = [
                r
                for r in recipients
                if r.audience == "agency" and r.agency_code == entry.agency_code
            ]
            if not to:
                report.failed.append((entry.agency_code, "tidak ada penerima di recipients.csv"))
                continue
            if context is None:
                context = IngestContext.load(
                    engine, rules, archive_dir=settings.archive_dir, output_dir=settings.output_dir
                )
            message = build_message(
                entry,
                to,
                settings.smtp_from,
                portal=portal_link(settings, entry.period),
                template=prefilled_template(context, entry),
            )
            channel, error = _send(message, entry, outbox, sender, settings)
            try:
                with session_scope(engine) as session:
                    session.add(
                        m.Reminder(
                            agency_id=entry.agency_id,
                            period=entry.period,
                            sent_on=day,
                            channel=channel,
                            status="failed" if error else "sent",
                            recipients=", ".join(r.email for r in to),
                            missing_iku=[code for code, _ in entry.missing],
                            error=error,
                        )
                    )
            except IntegrityError:
                report.skipped.append(entry.agency_code)  # a concurrent run reminded it
                continue
            if error:
                report.failed.append((entry.agency_code, error))
            else:
                report.sent.append(entry.agency_code)
    return report


def _send(
    message: EmailMessage, entry: Due, outbox: Path, sender: SmtpSender, settings: Settings
) -> tuple[str, str | None]:
    if not settings.smtp_host:
        outbox.mkdir(parents=True, exist_ok=True)
        path = outbox / f"pengingat-{entry.agency_code}-{entry.period}.eml"
        path.write_bytes(bytes(message))
        return "eml", None
    result = send_with_retries(
        sender,
        message,
        retries=settings.smtp_retries,
        backoff_seconds=settings.smtp_backoff_seconds,
    )
    return "smtp", result.error


def today_wib(now: datetime | None = None) -> date:
    return (now or datetime.now(TIMEZONE)).astimezone(TIMEZONE).date()
