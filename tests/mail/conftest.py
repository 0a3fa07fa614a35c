"""Fixtures for the mail tests: a loopback SMTP server and settings that point at it."""

from collections.abc import Iterator

import pytest

from app.config import get_settings
from tests.smtp_server import SmtpServer, smtp_server


@pytest.fixture
def smtp(monkeypatch: pytest.MonkeyPatch) -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1; the app's settings send to it (no STARTTLS)."""
    with smtp_server() as server:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(server.port))
        monkeypatch.setenv("SMTP_STARTTLS", "false")
        monkeypatch.setenv("MAIL_FROM", "Job Tinder <noreply@jobtinder.example>")
        monkeypatch.setenv("PUBLIC_APP_URL", "https://jobtinder.example")
        get_settings.cache_clear()
        yield server
    get_settings.cache_clear()
