"""Where mails go: an SMTP server (stdlib smtplib, run in a thread by the async loop) or, in
development without SMTP_HOST, a folder with one `.eml` file per mail."""

import os
import smtplib
import ssl
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

from app import clock
from app.config import Settings


class TransportDown(Exception):
    """The server cannot be reached or dropped the connection: every mail must wait."""


class MailRejected(Exception):
    """The server refused this one mail (it is retried, and failed after too many tries)."""


class Connection(Protocol):
    def send(self, message: EmailMessage, *, mail_id: int) -> None: ...


class FolderConnection:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def send(self, message: EmailMessage, *, mail_id: int) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp = clock.now().strftime("%Y%m%dT%H%M%S")
            final = self.folder / f"{stamp}-{mail_id:06d}.eml"
            # Written whole, then renamed: a reader never sees half a mail.
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-", suffix=".eml")
            with os.fdopen(fd, "wb") as handle:
                handle.write(message.as_bytes())
            os.replace(tmp, final)
        except OSError as exc:
            raise TransportDown(f"mail folder: {type(exc).__name__}") from exc


class SmtpConnection:
    """One SMTP session for a batch, opened at the first mail (a batch may send none)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def _open(self) -> smtplib.SMTP:
        s = self.settings
        assert s.smtp_host is not None
        try:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout_seconds)
            if s.smtp_starttls:
                smtp.starttls(context=ssl.create_default_context())
            if s.smtp_username:
                password = s.smtp_password.get_secret_value() if s.smtp_password else ""
                smtp.login(s.smtp_username, password)
        except (OSError, smtplib.SMTPException) as exc:
            raise TransportDown(f"SMTP {s.smtp_host}:{s.smtp_port}: {type(exc).__name__}") from exc
        return smtp

    def send(self, message: EmailMessage, *, mail_id: int) -> None:
        if self.smtp is None:
            self.smtp = self._open()
        try:
            self.smtp.send_message(message)
        except smtplib.SMTPServerDisconnected as exc:
            self.smtp = None
            raise TransportDown("SMTP server disconnected") from exc
        except smtplib.SMTPRecipientsRefused as exc:
            codes = sorted({code for code, _ in exc.recipients.values()})
            raise MailRejected(f"recipient refused ({', '.join(map(str, codes))})") from exc
        except smtplib.SMTPResponseException as exc:
            raise MailRejected(f"SMTP {exc.smtp_code}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            self.smtp = None
            raise TransportDown(f"SMTP: {type(exc).__name__}") from exc

    def close(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (OSError, smtplib.SMTPException):
                self.smtp.close()
            self.smtp = None


@contextmanager
def connect(settings: Settings) -> Iterator[Connection]:
    """A connection for one batch, to SMTP_HOST if set, else to the MAIL_DIR folder."""
    if not settings.smtp_host:
        yield FolderConnection(Path(settings.mail_dir))
        return
    connection = SmtpConnection(settings)
    try:
        yield connection
    finally:
        connection.close()
