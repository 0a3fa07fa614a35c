"""The outbox end to end: enqueue in a transaction, deliver to a real SMTP server (or the
development folder), retries, failures, and two workers."""

import email
import email.policy
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.config import get_settings
from app.db import get_engine
from app.mail.links import app_link
from app.models import OutboxMail
from app.services.outbox import deliver_all, deliver_due, enqueue_mail
from tests.smtp_server import SmtpServer


def _enqueue(to: str, *, name: str = "Anna", language: str = "nl", commit: bool = True) -> None:
    with Session(get_engine()) as session:
        enqueue_mail(
            session,
            template="password_reset",
            to=to,
            language=language,
            context={"name": name, "link": app_link("reset-password", token="t0k3n")},
        )
        if commit:
            session.commit()


def _rows() -> list[OutboxMail]:
    with Session(get_engine()) as session:
        return list(session.scalars(select(OutboxMail).order_by(OutboxMail.id)))  # type: ignore[arg-type]


def test_a_queued_mail_arrives_over_smtp_with_both_parts(smtp: SmtpServer) -> None:
    _enqueue("anna@example.org", name="Anna <b>de</b> Vries")

    report = deliver_all()

    assert report.sent == 1
    [got] = smtp.inbox.received
    assert got.rcpt_tos == ["anna@example.org"]
    assert got.message["To"] == "anna@example.org"
    assert got.message["From"] == "Job Tinder <noreply@jobtinder.example>"
    assert got.message["Subject"] == "Nieuw wachtwoord instellen voor Job Tinder"
    assert got.message["Message-ID"].endswith("@jobtinder.example>")
    assert got.message["List-Unsubscribe"] is None  # essential: no unsubscribe
    text, html = got.part("plain"), got.part("html")
    link = "https://jobtinder.example/app/reset-password?token=t0k3n"
    assert link in text and "Hallo Anna <b>de</b> Vries" in text
    assert f'href="{link}"' in html
    assert "Anna &lt;b&gt;de&lt;/b&gt; Vries" in html and "<b>de</b>" not in html
    [row] = _rows()
    assert row.status == "sent" and row.sent_at is not None
    assert row.context == {}  # the one-time link is not kept once sent


def test_english_when_asked(smtp: SmtpServer) -> None:
    _enqueue("ben@example.org", name="Ben", language="en")
    deliver_all()
    [got] = smtp.inbox.received
    assert got.message["Subject"] == "Set a new password for Job Tinder"
    assert "Hello Ben" in got.part("plain")
    assert '<html lang="en">' in got.part("html")


def test_a_rolled_back_transaction_sends_nothing(smtp: SmtpServer) -> None:
    _enqueue("nobody@example.org", commit=False)
    assert deliver_all().sent == 0
    assert smtp.inbox.received == []
    assert _rows() == []


def test_a_missing_placeholder_fails_at_enqueue_not_in_the_worker() -> None:
    with Session(get_engine()) as session, pytest.raises(ValueError, match="link"):
        enqueue_mail(
            session, template="password_reset", to="a@example.org", language="nl", context={}
        )
    with Session(get_engine()) as session, pytest.raises(ValueError, match="template"):
        enqueue_mail(session, template="nope", to="a@example.org", language="nl", context={})


def test_without_smtp_each_mail_is_an_eml_file_in_the_mail_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAIL_DIR", str(tmp_path / "mail"))
    get_settings.cache_clear()
    _enqueue("anna@example.org")
    _enqueue("ben@example.org", language="en")

    assert deliver_all().sent == 2

    files = sorted((tmp_path / "mail").glob("*.eml"))
    assert len(files) == 2
    messages = [
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files
    ]
    assert {m["To"] for m in messages} == {"anna@example.org", "ben@example.org"}
    for message in messages:
        assert message.get_body(preferencelist=("plain",)) is not None
        assert message.get_body(preferencelist=("html",)) is not None
    for f in files:  # the link can be copied from the file as it is
        assert b"/app/reset-password?token=t0k3n\n" in f.read_bytes()
    assert not list((tmp_path / "mail").glob(".tmp-*"))


def test_smtp_down_then_back_every_mail_is_delivered(monkeypatch: pytest.MonkeyPatch) -> None:
    server = SmtpServer()  # not started: nothing listens on its port
    monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMTP_PORT", str(server.port))
    monkeypatch.setenv("SMTP_STARTTLS", "false")
    monkeypatch.setenv("MAIL_MAX_ATTEMPTS", "2")
    get_settings.cache_clear()
    for i in range(3):
        _enqueue(f"user{i}@example.org")

    for round_ in range(4):  # down for longer than MAIL_MAX_ATTEMPTS tries: still not failed
        if round_:
            clock.advance(timedelta(hours=1))
        report = deliver_due()
        assert report.sent == 0 and report.failed == 0 and report.retried == 3
    rows = _rows()
    assert {r.status for r in rows} == {"pending"}
    assert all(r.attempts == 4 and r.last_error for r in rows)

    server.start()
    try:
        # Not yet due (backoff): nothing is tried before its time.
        assert deliver_due().sent == 0
        clock.advance(timedelta(seconds=get_settings().mail_retry_max_seconds))
        assert deliver_all().sent == 3
        assert sorted(r.rcpt_tos[0] for r in server.inbox.received) == [
            "user0@example.org",
            "user1@example.org",
            "user2@example.org",
        ]
        assert {r.status for r in _rows()} == {"sent"}
    finally:
        server.stop()


def test_a_mail_the_server_keeps_refusing_is_failed_and_kept(
    smtp: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAIL_MAX_ATTEMPTS", "3")
    get_settings.cache_clear()
    smtp.inbox.refuse.add("gone@example.org")
    _enqueue("gone@example.org")
    _enqueue("fine@example.org")

    report = deliver_all()
    assert report.sent == 1 and report.retried == 1
    for _ in range(2):
        clock.advance(timedelta(hours=1))
        deliver_all()

    gone, fine = _rows()
    assert fine.status == "sent"
    assert gone.status == "failed" and gone.rejections == 3
    assert "550" in (gone.last_error or "")
    assert gone.context  # kept, so it can be looked into (and requeued)
    assert [r.rcpt_tos for r in smtp.inbox.received] == [["fine@example.org"]]
    clock.advance(timedelta(days=1))
    assert deliver_all().handled == 0  # failed stays failed


def test_two_concurrent_workers_send_each_mail_once(smtp: SmtpServer) -> None:
    count = 40
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
    start = threading.Barrier(2)
    errors: list[BaseException] = []

    def work() -> None:
        try:
            start.wait()
            while deliver_due(limit=1).handled:
                pass
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    workers = [threading.Thread(target=work) for _ in range(2)]
    for w in workers:
        w.start()
    for w in workers:
        w.join(timeout=120)

    assert errors == []
    recipients = [r.rcpt_tos[0] for r in smtp.inbox.received]
    assert sorted(recipients) == sorted(f"user{i}@example.org" for i in range(count))
    assert {r.status for r in _rows()} == {"sent"}


def test_a_recipient_that_is_not_one_plain_address_is_refused_at_enqueue() -> None:
    for bad in ("no-at-sign", "a@example.org\r\nBcc: x@evil.example", "a@x.org, b@y.org"):
        with Session(get_engine()) as session, pytest.raises(ValueError, match="address"):
            enqueue_mail(
                session,
                template="verify_email",
                to=bad,
                language="nl",
                context={"name": "A", "link": "https://x/app/verify-email"},
            )


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_smtp_login_with_the_configured_credentials_which_never_reach_the_outbox(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    server = SmtpServer(login=("mailer", "s3cret-smtp-pass"))
    server.start()
    try:
        monkeypatch.setenv("SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("SMTP_PORT", str(server.port))
        monkeypatch.setenv("SMTP_STARTTLS", "false")
        monkeypatch.setenv("SMTP_USERNAME", "mailer")
        monkeypatch.setenv("SMTP_PASSWORD", "wrong-password")
        get_settings.cache_clear()
        _enqueue("anna@example.org")
        assert deliver_all().sent == 0
        [row] = _rows()
        assert row.status == "pending" and "SMTPAuthenticationError" in (row.last_error or "")
        assert "wrong-password" not in (row.last_error or "") + caplog.text

        monkeypatch.setenv("SMTP_PASSWORD", "s3cret-smtp-pass")
        get_settings.cache_clear()
        clock.advance(timedelta(hours=1))
        assert deliver_all().sent == 1
        assert [r.rcpt_tos for r in server.inbox.received] == [["anna@example.org"]]
        assert "s3cret-smtp-pass" not in caplog.text
    finally:
        server.stop()
