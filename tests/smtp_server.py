"""A real SMTP server on loopback (aiosmtpd) that keeps what arrives, for the mail tests."""

import email
import email.policy
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult

from tests.live import free_port


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        assert body is not None, f"no text/{subtype} part"
        assert body.get_content_type() == f"text/{subtype}"
        return str(body.get_content())


@dataclass
class Inbox:
    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook name)
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 Message accepted"

    def to(self, address: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if address in r.rcpt_tos]


class SmtpServer:
    def __init__(self, port: int | None = None, login: tuple[str, str] | None = None) -> None:
        self.port = port or free_port()
        self.inbox = Inbox()
        self.login = login  # (user, password) required when set (AUTH over plain loopback)
        self.controller: Controller | None = None

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
    ) -> AuthResult:
        assert self.login is not None
        given = (auth_data.login.decode(), auth_data.password.decode())
        return AuthResult(success=given == self.login, handled=False)

    def start(self) -> None:
        extra: dict[str, Any] = {}
        if self.login is not None:
            extra = {  # a loopback test server: AUTH without TLS is fine here
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, **extra)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@contextmanager
def smtp_server(*, started: bool = True) -> Iterator[SmtpServer]:
    server = SmtpServer()
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()
