"""Migration 0009 (account lifecycle) on a database with data: accounts from before it count
as verified, and a refresh token in use keeps working (its family becomes a session)."""

from collections.abc import Iterator
from datetime import timedelta

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import text

from app import clock, tokens
from app.cli import alembic_config
from app.db import get_engine
from tests.conftest import API


@pytest.fixture
def before_0009() -> Iterator[None]:
    """The schema as it was before 0009; brought back to head afterwards, whatever happens."""
    get_engine().dispose()
    command.downgrade(alembic_config(), "0008")  # type: ignore[arg-type]
    try:
        yield
    finally:
        get_engine().dispose()
        command.upgrade(alembic_config(), "head")  # type: ignore[arg-type]


def test_existing_accounts_are_verified_and_their_logins_survive(
    before_0009: None, client: TestClient
) -> None:
    refresh, refresh_hash = tokens.new_refresh_token()
    now = clock.now()
    with get_engine().begin() as conn:
        user_id = conn.execute(
            text(
                "INSERT INTO users (email, password_hash, name, role, side, created_at) "
                "VALUES ('oud@example.org', 'x', 'Oud Account', 'participant', 'teacher', :now) "
                "RETURNING id"
            ),
            {"now": now},
        ).scalar_one()
        conn.execute(
            text(
                "INSERT INTO refresh_tokens (token_hash, user_id, family, created_at, expires_at) "
                "VALUES (:hash, :user, 'ffffeeeeddddccccbbbbaaaa99998888', :now, :expires)"
            ),
            {"hash": refresh_hash, "user": user_id, "now": now, "expires": now + timedelta(days=3)},
        )
    get_engine().dispose()
    command.upgrade(alembic_config(), "head")  # type: ignore[arg-type]

    pair = client.post(f"{API}/auth/refresh", json={"refresh_token": refresh})
    assert pair.status_code == 200, pair.text
    headers = {"Authorization": f"Bearer {pair.json()['access_token']}"}
    me = client.get(f"{API}/me", headers=headers).json()
    assert me["id"] == user_id and me["email_verified"] is True
    sessions = client.get(f"{API}/me/sessions", headers=headers).json()["items"]
    assert [s["id"] for s in sessions] == ["ffffeeeeddddccccbbbbaaaa99998888"]
    assert sessions[0]["current"] is True
