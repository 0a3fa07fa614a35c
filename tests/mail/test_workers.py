"""The delivery loop as it runs: two `jobtinder worker` processes on one outbox, and the
API process's own background loop (the embedded default)."""

import os
import subprocess
import sys
import time
from collections.abc import Callable

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine
from app.mail.links import app_link
from app.main import create_app
from app.models import OutboxMail
from app.services.outbox import enqueue_mail
from tests.conftest import API, PASSWORD
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.concurrency


def wait_for(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def _enqueue_many(count: int) -> None:
    with Session(get_engine()) as session:
        for i in range(count):
            enqueue_mail(
                session,
                template="verify_email",
                to=f"user{i}@example.org",
                language="nl",
                context={"name": f"User {i}", "link": app_link("verify-email", token=str(i))},
            )
        session.commit()


def _sent() -> int:
    with Session(get_engine()) as session:
        query = select(func.count()).select_from(OutboxMail).where(OutboxMail.status == "sent")
        return int(session.scalar(query) or 0)


def test_two_worker_processes_send_each_mail_once(smtp: SmtpServer) -> None:
    count = 60
    _enqueue_many(count)
    env = os.environ | {"MAIL_POLL_SECONDS": "0.05"}
    code = "from app.cli import main; main(['worker'])"
    workers = [subprocess.Popen([sys.executable, "-c", code], env=env) for _ in range(2)]
    try:
        wait_for(lambda: _sent() == count)
        time.sleep(0.5)  # anything sent twice would have arrived by now
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            assert worker.wait(timeout=30) == 0  # SIGTERM: a clean stop
    recipients = sorted(r.rcpt_tos[0] for r in smtp.inbox.received)
    assert recipients == sorted(f"user{i}@example.org" for i in range(count))


def test_the_api_process_delivers_in_the_background_without_blocking(
    smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAIL_WORKER_IN_PROCESS", "true")
    monkeypatch.setenv("MAIL_POLL_SECONDS", "0.05")
    get_settings.cache_clear()
    from fastapi.testclient import TestClient

    with TestClient(create_app()) as client:
        register = client.post(
            f"{API}/auth/register",
            json={"email": "t@example.org", "password": PASSWORD, "name": "T", "side": "teacher"},
        )
        assert register.status_code == 201
        _enqueue_many(5)
        wait_for(lambda: len(smtp.inbox.received) == 5, seconds=30)
        assert client.get("/healthz").status_code == 200
    # Once the app has stopped, its loop is gone: nothing is delivered any more.
    _enqueue_many(1)
    time.sleep(0.5)
    assert len(smtp.inbox.received) == 5


def test_the_background_loop_is_off_when_a_separate_worker_is_configured(
    smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAIL_WORKER_IN_PROCESS", "false")
    monkeypatch.setenv("MAIL_POLL_SECONDS", "0.05")
    get_settings.cache_clear()
    from fastapi.testclient import TestClient

    with TestClient(create_app()) as client:
        _enqueue_many(1)
        time.sleep(0.5)
        assert client.get("/healthz").status_code == 200
    assert smtp.inbox.received == []


def test_in_process_default_follows_the_database(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.config import Settings

    monkeypatch.delenv("MAIL_WORKER_IN_PROCESS")
    sqlite = Settings(environment="test", database_url="sqlite:///x.db")
    pg = Settings(environment="test", database_url="postgresql+psycopg://h/db")
    assert sqlite.runs_mail_worker_in_process is True
    assert pg.runs_mail_worker_in_process is False
    dev = Settings(
        environment="development",
        database_url="postgresql://h/db",
        password_hash_profile="production",
    )
    assert dev.runs_mail_worker_in_process is True
    explicit = Settings(
        environment="test", database_url="sqlite:///x.db", mail_worker_in_process=False
    )
    assert explicit.runs_mail_worker_in_process is False
