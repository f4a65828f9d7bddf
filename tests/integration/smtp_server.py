"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 that keeps, refuses or defers mail, and
misbehaves on request: it can keep a message and then drop the connection before answering,
or keep a message and hold its answer until the test releases it (a slow relay)."""

from __future__ import annotations

import asyncio
import email
import socket
import threading
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any

from iku.settings import Settings


class Mailbox:
    """An aiosmtpd handler that keeps what it receives and can refuse or defer recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []
        self.refuse: set[str] = set()
        self.defer: dict[str, int] = {}  # address -> how many more times to answer 451
        #: Addresses whose message is kept, then the connection dropped before the answer.
        self.drop_after_data: set[str] = set()
        #: Addresses whose message is kept, then the answer held until ``release`` is set.
        self.hold: set[str] = set()
        self.holding = threading.Event()  # a held message has arrived
        self.release = threading.Event()

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        if self.defer.get(address.lower(), 0) > 0:
            self.defer[address.lower()] -= 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=default_policy)
        assert isinstance(message, EmailMessage)
        # Kept first, as a relay that queued the message to disk before answering.
        self.messages.append((list(envelope.rcpt_tos), message))
        addresses = {address.lower() for address in envelope.rcpt_tos}
        if addresses & self.hold:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        if addresses & self.drop_after_data:
            server.transport.abort()
        return "250 Message accepted for delivery"

    def copies(self, address: str) -> list[EmailMessage]:
        """The messages received for ``address``."""
        return [m for tos, m in self.messages if address.lower() in {a.lower() for a in tos}]

    def recipients(self) -> list[str]:
        return sorted(address.lower() for tos, _ in self.messages for address in tos)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def smtp_settings(port: int, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_backoff_seconds": 0.0,
        "smtp_timeout_seconds": 5.0,
        **extra,
    }
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]
