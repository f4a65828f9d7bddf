"""A real SMTP server for tests: aiosmtpd on 127.0.0.1 that keeps, refuses or defers mail."""

from __future__ import annotations

import email
import socket
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
        self.messages.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

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
