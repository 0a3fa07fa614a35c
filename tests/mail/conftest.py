"""Fixtures for the mail tests: a loopback SMTP server and settings that point at it."""

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete
from sqlmodel import col

from app.config import get_settings
from app.db import new_session
from app.models import OutboxMail
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


@pytest.fixture
def make_participant(make_participant):  # type: ignore[no-untyped-def]
    """The suite's `make_participant`, without the verification mail it leaves in the outbox
    (the participant is verified through it): these tests look at the notification mails."""

    def _make(*args: Any, **kwargs: Any) -> Any:
        person = make_participant(*args, **kwargs)
        with new_session(write=True) as session:
            session.execute(
                delete(OutboxMail).where(
                    col(OutboxMail.user_id) == person.id,
                    col(OutboxMail.template) == "verify_email",
                )
            )
            session.commit()
        return person

    return _make
