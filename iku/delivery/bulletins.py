"""Delivery of rendered bulletins by e-mail: recipients, .eml outbox or SMTP, and the log.

Without ``IKU_SMTP_HOST`` every message is written to ``out/<period>/outbox/`` as an .eml file
(channel ``eml``); with it, messages go out through SMTP (channel ``smtp``), the PDF attached.

**At most once per recipient and bulletin.** Each delivery is one ``delivery`` row that moves
through its states, keyed by its id:

1. ``pending``: written (and committed) *before* anything is sent, with the Message-ID the
   message will carry. A partial unique index allows one first delivery per bulletin,
   address and channel in ``pending``, ``sent`` or ``unknown``, so two runs can never both
   intend to send it.
2. ``sent`` when the relay answered 250 to the message (or the .eml file was written),
   ``failed`` when it certainly did not take it (it refused, or the connection ended before
   the end of the data; retried in the run, and tried again by a later run), ``unknown`` when
   the data went out and the answer never came (the relay may have it): never retried.
3. A ``pending`` row found by a later run belongs to a process that died mid-send: over SMTP
   it becomes ``unknown`` and is **not** sent again; an .eml is simply written again (the same
   file, replaced atomically: nothing reaches anyone twice).

Over SMTP each delivery has its own two transactions (the intent, then the outcome). The .eml
outbox logs its deliveries in batches (:data:`EML_BATCH`): the batch's intents in one
transaction before any of its files is written, their outcomes in one after; a crash in
between leaves them ``pending``, and the next run writes those files again (step 3).

An ``unknown`` delivery is reported (the run ends ``partial``) and stays unsent until the
bureau decides: ``iku render --resend-unknown`` sends those again with their recorded
Message-ID (mail clients that saw the first copy can recognise the second), marked as
resends. ``--resend`` sends everything again. Transient SMTP errors (4xx, connections lost
before the end of the data) are retried with a doubling delay; permanent ones (5xx) fail at
once. One recipient failing never stops the others.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path
from typing import Final

from sqlalchemy import Engine, bindparam, select, update
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
from iku.i18n import _
from iku.locks import CycleFence
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
    status: str  # sent | failed | unknown (may have arrived) | skipped (already delivered)
    attempts: int = 0
    error: str | None = None
    message_id: str | None = None


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
    def unknown(self) -> int:
        """Deliveries whose outcome this run could not know (see the module docstring)."""
        return self._count("unknown")

    @property
    def uncertain(self) -> list[DeliveryOutcome]:
        return [o for o in self.outcomes if o.status == "unknown"]

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


def new_message_id(sender: str) -> str:
    """A fresh Message-ID in the sender's domain."""
    return make_msgid(domain=parseaddr(sender)[1].partition("@")[2] or "lampungprov.example")


def build_message(
    bulletin: BulletinToSend,
    recipient: Recipient,
    period: str,
    payload: bytes,
    sender: str,
    message_id: str | None = None,
) -> EmailMessage:
    """The e-mail for one recipient: a short Indonesian body and the bulletin attached."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((recipient.name, recipient.email))
    message["Subject"] = _title(bulletin, period)
    now = now_wib()
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id or new_message_id(sender)
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
                _(
                    "There is no evaluation cycle for %(period)s yet; run `iku render --period "
                    "%(period)s` first.",
                    period=period,
                )
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


#: Statuses of a first delivery that is not sent again without being asked.
_DELIVERED_OR_MAYBE: Final = ("pending", "sent", "unknown")


@dataclass(frozen=True)
class _Logged:
    """What the log says of a bulletin and address over a channel."""

    first_status: str | None = None  # pending | sent | unknown (a failed one is retried)
    message_id: str | None = None
    resent: bool = False  # sent again since, on request


#: Why a pending SMTP delivery found by a later run is unknown.
INTERRUPTED: Final = "the sending process stopped before the relay answered; it may have arrived"


def _settle_interrupted(
    engine: Engine, bulletin_ids: list[int], channel: str
) -> set[tuple[int, str]]:
    """Deliveries left ``pending`` by a process that died mid-send (the run holds the period,
    so no live sender owns them): ``unknown`` over SMTP, ``failed`` (written again) for .eml.
    Returns the (bulletin, address) of the SMTP ones, for this run's report."""
    status, error = (
        ("unknown", INTERRUPTED)
        if channel == "smtp"
        else ("failed", "interrupted before the file was recorded; written again")
    )
    with session_scope(engine) as session:
        pending = session.execute(
            select(m.Delivery.id, m.Delivery.bulletin_id, m.Delivery.email).where(
                m.Delivery.bulletin_id.in_(bulletin_ids),
                m.Delivery.channel == channel,
                m.Delivery.status == "pending",
            )
        ).all()
        if pending:
            session.execute(
                update(m.Delivery)
                .where(m.Delivery.id.in_([row.id for row in pending]))
                .values(status=status, error=error)
            )
    if pending:
        log.warning("%d interrupted %s delivery(ies) marked %s", len(pending), channel, status)
    if channel != "smtp":
        return set()
    return {(row.bulletin_id, row.email.lower()) for row in pending}


def _logged(
    engine: Engine, bulletin_ids: list[int], channel: str
) -> dict[tuple[int, str], _Logged]:
    with session_scope(engine) as session:
        rows = session.execute(
            select(
                m.Delivery.bulletin_id,
                m.Delivery.email,
                m.Delivery.status,
                m.Delivery.is_resend,
                m.Delivery.message_id,
            )
            .where(m.Delivery.bulletin_id.in_(bulletin_ids), m.Delivery.channel == channel)
            .order_by(m.Delivery.id)
        ).all()
    state: dict[tuple[int, str], _Logged] = {}
    for bulletin_id, email, status, is_resend, message_id in rows:
        key = (bulletin_id, email.lower())
        known = state.get(key, _Logged())
        if not is_resend and status in _DELIVERED_OR_MAYBE:
            known = _Logged(status, message_id, known.resent)
        elif is_resend and status == "sent":
            known = _Logged(known.first_status, known.message_id, True)
        state[key] = known
    return state


@dataclass(frozen=True)
class _Intent:
    """A delivery about to be attempted: its ``pending`` row."""

    bulletin: BulletinToSend
    recipient: Recipient
    channel: str
    is_resend: bool
    sha256: str
    message_id: str
    eml_path: Path | None

    def row(self) -> m.Delivery:
        return m.Delivery(
            bulletin_id=self.bulletin.id,
            bulletin_sha256=self.sha256,
            recipient_name=self.recipient.name,
            email=self.recipient.email.lower(),
            channel=self.channel,
            status="pending",
            is_resend=self.is_resend,
            attempts=0,
            message_id=self.message_id,
            eml_path=None if self.eml_path is None else str(self.eml_path),
        )


def _record_intent(engine: Engine, intent: _Intent, fence: CycleFence | None) -> int | None:
    """Write the ``pending`` row and commit it before sending; None when another run already
    holds this first delivery (the partial unique index)."""
    try:
        with session_scope(engine) as session:
            if fence is not None:
                fence.verify(session)
            row = intent.row()
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        log.warning(
            "delivery of %s to %s is already logged by another run",
            intent.bulletin.subject_key,
            intent.recipient.email,
        )
        return None


def _record_intents(
    engine: Engine, intents: list[_Intent], fence: CycleFence | None
) -> list[int | None]:
    """:func:`_record_intent` for several deliveries: one transaction, or one each when
    another run already holds one of them (the others are still ours)."""
    if not intents:
        return []
    try:
        with session_scope(engine) as session:
            if fence is not None:
                fence.verify(session)
            rows = [intent.row() for intent in intents]
            session.add_all(rows)
            session.flush()
            return [row.id for row in rows]
    except IntegrityError:
        return [_record_intent(engine, intent, fence) for intent in intents]


def _record_outcome(
    engine: Engine,
    delivery_id: int,
    bulletin_id: int,
    status: str,
    attempts: int,
    error: str | None,
) -> None:
    """Move the delivery row to its outcome (by id: whatever else happened, this is what this
    process saw, so it is recorded even if the run lost its period meanwhile)."""
    _record_outcomes(engine, [_Result(delivery_id, bulletin_id, status, attempts, error)])


@dataclass(frozen=True)
class _Result:
    """What one attempted delivery came to, for its row in the log."""

    delivery_id: int
    bulletin_id: int
    status: str
    attempts: int
    error: str | None


def _record_outcomes(engine: Engine, results: list[_Result]) -> None:
    """:func:`_record_outcome` for several deliveries in one transaction; a bulletin's
    ``sent_at`` is its first delivery's."""
    if not results:
        return
    sent_at = now_wib()
    with engine.begin() as conn:
        conn.execute(
            update(m.Delivery)
            .where(m.Delivery.id == bindparam("d_id"))
            .values(
                status=bindparam("d_status"),
                attempts=bindparam("d_attempts"),
                error=bindparam("d_error"),
                sent_at=bindparam("d_sent_at"),
            ),
            [
                {
                    "d_id": r.delivery_id,
                    "d_status": r.status,
                    "d_attempts": r.attempts,
                    "d_error": r.error,
                    "d_sent_at": sent_at if r.status == "sent" else None,
                }
                for r in results
            ],
        )
        sent = sorted({r.bulletin_id for r in results if r.status == "sent"})
        if sent:
            conn.execute(
                update(m.Bulletin)
                .where(m.Bulletin.id.in_(sent), m.Bulletin.sent_at.is_(None))
                .values(sent_at=sent_at)
            )


def _write_eml(path: Path, payload: bytes) -> None:
    """Write an .eml file whole or not at all (a reader never sees half a message)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(payload)
    temporary.replace(path)


#: How many .eml deliveries share their log transactions (one for the intents, one for the
#: outcomes): an .eml left ``pending`` by a crash is simply written again (the module
#: docstring), so a batch risks nothing; over SMTP each delivery keeps its own two.
EML_BATCH: Final = 64


@dataclass(frozen=True)
class _Planned:
    """One bulletin for one recipient, as the log decides it."""

    bulletin: BulletinToSend
    recipient: Recipient
    skip: bool
    is_resend: bool
    message_id: str | None  # a resend of an unknown delivery keeps its Message-ID


def _outcome(
    planned: _Planned,
    channel: str,
    status: str,
    attempts: int = 0,
    error: str | None = None,
    mid: str | None = None,
) -> DeliveryOutcome:
    return DeliveryOutcome(
        planned.bulletin.audience,
        planned.bulletin.subject_key,
        planned.recipient.email.lower(),
        channel,
        status,
        attempts,
        error,
        mid,
    )


def deliver_period(
    period: str,
    engine: Engine,
    *,
    settings: Settings,
    resend: bool = False,
    resend_unknown: bool = False,
    recipients_file: Path | None = None,
    output_dir: Path | None = None,
    sleep: Callable[[float], None] = time.sleep,
    fence: CycleFence | None = None,
) -> DeliveryReport:
    """Deliver every rendered bulletin of a period to its recipients, at most once each (see
    the module docstring). ``resend``: send everything again; ``resend_unknown``: send again
    only what may not have arrived. Within a cycle run (``fence``), a delivery is only begun
    while the run holds its period."""
    recipients = read_recipients(recipients_file or settings.catalog_dir / "recipients.csv")
    channel = "smtp" if settings.smtp_host else "eml"
    if channel == "smtp":
        check_smtp_settings(settings)
    _, bulletins = _bulletins(engine, period)
    ids = [b.id for b in bulletins]
    interrupted = _settle_interrupted(engine, ids, channel)
    logged = _logged(engine, ids, channel)
    outbox = (output_dir or settings.output_dir) / period / OUTBOX_DIR
    plan: list[_Planned] = []
    for bulletin in bulletins:
        targets = recipients_for(bulletin.audience, bulletin.subject_key, recipients)
        if not targets:
            log.info("no recipients for %s %s", bulletin.audience, bulletin.subject_key)
        for recipient in targets:
            known = logged.get((bulletin.id, recipient.email.lower()), _Logged())
            again = resend or (
                resend_unknown and known.first_status == "unknown" and not known.resent
            )
            plan.append(
                _Planned(
                    bulletin,
                    recipient,
                    skip=known.first_status is not None and not again,
                    is_resend=known.first_status is not None,
                    message_id=known.message_id if known.first_status == "unknown" else None,
                )
            )
    outcomes: list[DeliveryOutcome] = []
    if channel == "eml":
        for first in range(0, len(plan), EML_BATCH):
            batch = plan[first : first + EML_BATCH]
            outcomes += _write_emls(engine, batch, period, settings, outbox, fence)
    else:
        with SmtpSender(settings) as sender:
            for planned in plan:
                outcomes.append(
                    _send_one(engine, planned, period, settings, sender, sleep=sleep, fence=fence)
                )
    report = DeliveryReport(period, channel)
    for planned, outcome in zip(plan, outcomes, strict=True):
        if outcome.status == "skipped" and (planned.bulletin.id, outcome.email) in interrupted:
            # Found by this run: reported once, so the bureau hears of it.
            logged_id = logged.get((planned.bulletin.id, outcome.email), _Logged()).message_id
            outcome = replace(outcome, status="unknown", error=INTERRUPTED, message_id=logged_id)
        report.outcomes.append(outcome)
    if report.failed or report.unknown:
        log.warning(
            "%s: %d delivery(ies) failed, %d unknown: %s",
            period,
            report.failed,
            report.unknown,
            ", ".join(
                f"{o.subject_key} -> {o.email} ({o.status})"
                for o in report.outcomes
                if o.status in ("failed", "unknown")
            ),
        )
    return report


def _prepare(
    planned: _Planned, period: str, settings: Settings, channel: str, outbox: Path
) -> tuple[_Intent, EmailMessage] | DeliveryOutcome:
    """The message and its intent; a failed outcome when the bulletin cannot be read (nothing
    was sent and no intent is recorded, so a later run tries again)."""
    bulletin = planned.bulletin
    try:
        payload = bulletin.file_path.read_bytes()
    except OSError as exc:
        error = f"cannot read {bulletin.file_path}: {exc.strerror or exc}"
        return _outcome(planned, channel, "failed", 0, error)
    mid = planned.message_id or new_message_id(settings.smtp_from)
    message = build_message(bulletin, planned.recipient, period, payload, settings.smtp_from, mid)
    eml_path = _outbox_path(outbox, bulletin, planned.recipient.email) if channel == "eml" else None
    intent = _Intent(
        bulletin,
        planned.recipient,
        channel,
        planned.is_resend,
        hashlib.sha256(payload).hexdigest(),
        mid,
        eml_path,
    )
    return intent, message


def _write_emls(
    engine: Engine,
    batch: list[_Planned],
    period: str,
    settings: Settings,
    outbox: Path,
    fence: CycleFence | None,
) -> list[DeliveryOutcome]:
    """Write a batch of .eml deliveries: their intents in one transaction, the files, their
    outcomes in one transaction."""
    outcomes: list[DeliveryOutcome | None] = [None] * len(batch)
    ready: list[tuple[int, _Intent, EmailMessage]] = []
    for k, planned in enumerate(batch):
        if planned.skip:
            outcomes[k] = _outcome(planned, "eml", "skipped")
            continue
        prepared = _prepare(planned, period, settings, "eml", outbox)
        if isinstance(prepared, DeliveryOutcome):
            outcomes[k] = prepared
        else:
            ready.append((k, *prepared))
    delivery_ids = _record_intents(engine, [intent for _, intent, _ in ready], fence)
    results: list[_Result] = []
    for (k, intent, message), delivery_id in zip(ready, delivery_ids, strict=True):
        planned = batch[k]
        if delivery_id is None:
            outcomes[k] = _outcome(planned, "eml", "skipped")
            continue
        assert intent.eml_path is not None
        error = None
        try:
            _write_eml(intent.eml_path, message.as_bytes())
        except OSError as exc:
            error = f"cannot write {intent.eml_path}: {exc.strerror or exc}"
        status = "sent" if error is None else "failed"
        results.append(_Result(delivery_id, planned.bulletin.id, status, 1, error))
        outcomes[k] = _outcome(planned, "eml", status, 1, error, intent.message_id)
    _record_outcomes(engine, results)
    return [outcome for outcome in outcomes if outcome is not None]


def _send_one(
    engine: Engine,
    planned: _Planned,
    period: str,
    settings: Settings,
    sender: SmtpSender,
    *,
    sleep: Callable[[float], None],
    fence: CycleFence | None,
) -> DeliveryOutcome:
    """Send one delivery over SMTP: its intent committed before the message goes out, its
    outcome after."""
    if planned.skip:
        return _outcome(planned, "smtp", "skipped")
    prepared = _prepare(planned, period, settings, "smtp", Path())
    if isinstance(prepared, DeliveryOutcome):
        return prepared
    intent, message = prepared
    delivery_id = _record_intent(engine, intent, fence)
    if delivery_id is None:
        return _outcome(planned, "smtp", "skipped")
    result = send_with_retries(
        sender,
        message,
        retries=settings.smtp_retries,
        backoff_seconds=settings.smtp_backoff_seconds,
        sleep=sleep,
    )
    attempts, error = result.attempts, result.error
    status = "sent" if error is None else "unknown" if result.uncertain else "failed"
    _record_outcome(engine, delivery_id, planned.bulletin.id, status, attempts, error)
    return _outcome(planned, "smtp", status, attempts, error, intent.message_id)
