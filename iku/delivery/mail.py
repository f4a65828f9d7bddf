"""Outgoing mail: recipients of the catalog, an SMTP sender with retries, and its settings."""

from __future__ import annotations

import csv
import logging
import re
import smtplib
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import TYPE_CHECKING, Final, NamedTuple

from iku.i18n import _
from iku.settings import Settings

if TYPE_CHECKING:
    from typing_extensions import Buffer

log = logging.getLogger(__name__)

RECIPIENT_COLUMNS: Final = ("audience", "agency_code", "name", "email")
#: province, agency and steward receive bulletins; bureau receives the cycle alerts.
RECIPIENT_AUDIENCES: Final = ("province", "agency", "steward", "bureau")
_EMAIL = re.compile(r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$")


class DeliveryError(ValueError):
    """Delivery cannot start: a bad recipients file, a missing secret, no cycle."""


@dataclass(frozen=True)
class Recipient:
    audience: str
    agency_code: str | None
    name: str
    email: str


def read_recipients(path: Path) -> list[Recipient]:
    """Read and check ``recipients.csv``; every problem is reported as ``file:line``."""
    if not path.is_file():
        raise DeliveryError(
            _("The recipients file %(path)s does not exist; set IKU_CATALOG_DIR.", path=path)
        )
    problems: list[str] = []
    recipients: list[Recipient] = []
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        if tuple(reader.fieldnames or ()) != RECIPIENT_COLUMNS:
            raise DeliveryError(
                _(
                    "%(file)s:1: the columns must be %(wanted)s, not %(found)s; fix its header "
                    "row.",
                    file=path.name,
                    wanted=",".join(RECIPIENT_COLUMNS),
                    found=",".join(reader.fieldnames or ()),
                )
            )
        for record in reader:
            line = reader.line_num
            values = {k: (v or "").strip() for k, v in record.items() if k is not None}
            audience, code = values["audience"], values["agency_code"]
            if audience not in RECIPIENT_AUDIENCES:
                problems.append(
                    f"{path.name}:{line}: audience '{audience}' is not one of "
                    f"{', '.join(RECIPIENT_AUDIENCES)}"
                )
            if audience in ("agency", "steward") and not code:
                problems.append(f"{path.name}:{line}: agency_code is required for {audience}")
            if not _EMAIL.match(values["email"]):
                problems.append(f"{path.name}:{line}: '{values['email']}' is not an e-mail address")
            if not values["name"]:
                problems.append(f"{path.name}:{line}: name is empty")
            recipients.append(Recipient(audience, code or None, values["name"], values["email"]))
    if problems:
        raise DeliveryError(
            _(
                "The recipients file has %(count)s problems; fix them, then run again:\n"
                "%(problems)s",
                count=len(problems),
                problems="\n".join(problems),
            )
        )
    return recipients


def recipients_for(
    bulletin_audience: str, subject_key: str, recipients: list[Recipient]
) -> list[Recipient]:
    """Who receives a bulletin: the province list, the agency's own heads, or the stewards."""
    if bulletin_audience == "province":
        chosen = [r for r in recipients if r.audience == "province"]
    elif bulletin_audience == "agency":
        chosen = [r for r in recipients if r.audience == "agency" and r.agency_code == subject_key]
    elif bulletin_audience == "steward":
        chosen = [r for r in recipients if r.audience == "steward"]
    else:
        chosen = []
    unique: dict[str, Recipient] = {}
    for recipient in chosen:
        unique.setdefault(recipient.email.lower(), recipient)
    return list(unique.values())


class _PhaseTrackingSMTP(smtplib.SMTP):
    """``smtplib.SMTP`` that records whether the end of a message's DATA (the final ``.``)
    went out. After that point a lost connection or a timeout leaves the outcome unknown: the
    relay may have accepted the message (RFC 5321 4.1.1.4) and must not get it again blindly.
    Before it, the relay cannot have accepted anything."""

    data_sent = False
    _in_data = False

    def data(self, msg: Buffer | str) -> tuple[int, bytes]:
        self._in_data, self.data_sent = True, False
        try:
            return super().data(msg)
        finally:
            self._in_data = False

    def send(self, s: Buffer | str) -> None:
        super().send(s)
        if self._in_data and isinstance(s, bytes) and s.endswith(b"\r\n.\r\n"):
            self.data_sent = True


class SmtpSender:
    """One SMTP connection, opened when first needed and reopened after an error."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: _PhaseTrackingSMTP | None = None
        #: Whether the last :meth:`send` got as far as the end of the message's data.
        self.data_sent = False

    def _connect(self) -> _PhaseTrackingSMTP:
        s = self._settings
        client = _PhaseTrackingSMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
        try:
            if s.smtp_starttls:
                client.starttls(context=ssl.create_default_context())
            if s.smtp_user:
                client.login(s.smtp_user, s.smtp_password.get_secret_value())
        except BaseException:
            client.close()
            raise
        return client

    def send(self, message: EmailMessage) -> None:
        self.data_sent = False
        if self._client is None:
            self._client = self._connect()
        client = self._client
        client.data_sent = False
        try:
            client.send_message(message)
        finally:
            self.data_sent = client.data_sent

    def reset(self) -> None:
        """Drop the connection (after an error its state is unknown)."""
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def __enter__(self) -> SmtpSender:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.reset()


def _decode(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else value


class SendResult(NamedTuple):
    """How sending one message ended: attempts made, the error (None: the relay accepted it)
    and whether the outcome is unknown (the data went out, the relay's answer never came)."""

    attempts: int
    error: str | None
    uncertain: bool = False


def send_with_retries(
    sender: SmtpSender,
    message: EmailMessage,
    *,
    retries: int,
    backoff_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
) -> SendResult:
    """Send one message. 4xx answers and connections lost before the end of the data are
    retried with a doubling delay; 5xx answers fail at once. A connection lost (or a timeout)
    after the end of the data is never retried: the relay may have the message, so the result
    is ``uncertain`` and the caller decides (the delivery log marks it ``unknown``)."""
    attempts = 0
    while True:
        attempts += 1
        try:
            sender.send(message)
            return SendResult(attempts, None)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            transient = bool(codes) and all(400 <= code < 500 for code in codes)
            error = "; ".join(
                f"{address}: {code} {_decode(text)}"
                for address, (code, text) in exc.recipients.items()
            )
        except smtplib.SMTPResponseException as exc:
            # The relay answered: whatever it said, it did not take the message.
            transient = 400 <= exc.smtp_code < 500
            error = f"{exc.smtp_code} {_decode(exc.smtp_error)}"
            sender.reset()
        except (smtplib.SMTPException, OSError) as exc:
            error = f"{type(exc).__name__}: {exc}"
            sent = sender.data_sent
            sender.reset()
            if sent:
                log.warning("SMTP: no answer after the message's data (%s); not resent", error)
                return SendResult(
                    attempts, f"no answer from the relay after the data: {error}", True
                )
            transient = True  # connection refused, reset or timed out before the data's end
        if not transient or attempts > retries:
            return SendResult(attempts, error)
        delay = backoff_seconds * 2 ** (attempts - 1)
        log.info("SMTP attempt %d failed (%s); retrying in %.1f s", attempts, error, delay)
        sleep(delay)


def check_smtp_settings(settings: Settings) -> None:
    """Fail before sending anything when the SMTP settings cannot work."""
    if settings.smtp_user and not settings.smtp_password.get_secret_value():
        raise DeliveryError(
            _(
                "IKU_SMTP_USER is set but IKU_SMTP_PASSWORD is empty; set the password (the "
                "environment or .env) or empty IKU_SMTP_USER."
            )
        )
    if not parseaddr(settings.smtp_from)[1]:
        raise DeliveryError(
            _(
                "IKU_SMTP_FROM '%(value)s' holds no e-mail address; fix the setting.",
                value=settings.smtp_from,
            )
        )
