"""POST /auth/password-reset answers before any work that depends on the account: the same
answer, as fast, for a known and an unknown address (no enumeration by timing)."""

import time

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from app.db import get_engine
from app.models import AccountToken
from tests.conftest import API
from tests.live import register_participant, serve

pytestmark = [
    pytest.mark.concurrency,
    pytest.mark.skipif(
        get_engine().dialect.name != "postgresql",
        reason="needs a row lock that blocks only the account's own writes (PostgreSQL); on "
        "SQLite any write lock blocks the request's rate-limit counter too",
    ),
]


def _tokens() -> int:
    with Session(get_engine()) as db:
        return int(db.scalar(select(func.count()).select_from(AccountToken)) or 0)


def test_the_answer_does_not_wait_for_the_accounts_mail() -> None:
    with serve(1) as base, httpx.Client(base_url=base, timeout=30) as http:
        person = register_participant(http, "teacher", "live-reset")
        email = "live-reset-teacher@example.org"
        before = _tokens()
        # Hold the account's row: storing its reset token (a row referencing it) must wait.
        with get_engine().connect() as conn:
            conn.execute(
                text("SELECT id FROM users WHERE id = :id FOR UPDATE"), {"id": person["id"]}
            )
            started = time.monotonic()
            known = http.post(f"{API}/auth/password-reset", json={"email": email}, timeout=5)
            took = time.monotonic() - started
            unknown = http.post(f"{API}/auth/password-reset", json={"email": "nobody@example.org"})
            assert known.status_code == unknown.status_code == 202
            assert known.json() == unknown.json()
            assert took < 2, took  # answered while the account's work is still waiting
            assert _tokens() == before
            conn.rollback()  # let the mail's work go on
        deadline = time.monotonic() + 10
        while _tokens() == before and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _tokens() == before + 1
