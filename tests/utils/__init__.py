"""Helpers shared by the API tests: what a client does (swipe, block, log in again) and what
a test checks (a problem+json answer, rows in a table). One definition each, so that a change
to the contract (say, a new field of every problem) is made once."""

import contextlib
from collections.abc import AsyncIterator
from typing import Any

from fastapi.testclient import TestClient
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import event, func, select
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine, libpq_url
from tests.conftest import API, Person, login

PROBLEM = "application/problem+json"


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    """A problem+json answer with this status: type, title and detail set (and, for 422, the
    errors that say which field); → the body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    body: dict[str, Any] = response.json()
    assert body["status"] == status, body
    assert all(isinstance(body.get(k), str) and body[k] for k in ("type", "title", "detail")), body
    if status == 422:
        assert body.get("errors"), body
    return body


def count_rows(db: Session, model: Any, *where: Any) -> int:
    """Rows in the table now (a fresh transaction, so it sees what the requests committed)."""
    db.rollback()
    return int(db.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def relogin(client: TestClient, *people: Person) -> None:
    """Fresh access tokens, e.g. after the clock moved past the old ones' expiry."""
    for person in people:
        tokens = login(client, person.email)
        person.headers = {"Authorization": f"Bearer {tokens['access_token']}"}


def post_swipe(client: TestClient, who: Person, target_id: int, decision: str = "like") -> Any:
    return client.post(
        f"{API}/swipes", json={"target_id": target_id, "decision": decision}, headers=who.headers
    )


def swipe(client: TestClient, who: Person, target: Person, decision: str = "like") -> None:
    """A first swipe (201)."""
    response = post_swipe(client, who, target.id, decision)
    assert response.status_code == 201, response.text


def block(client: TestClient, who: Person, target: Person) -> None:
    """A new block (201)."""
    response = client.post(f"{API}/blocks", json={"user_id": target.id}, headers=who.headers)
    assert response.status_code == 201, response.text


def feed_ids(client: TestClient, who: Person) -> list[int]:
    """Every profile id in my feed, walking all pages."""
    ids: list[int] = []
    cursor: str | None = None
    for _ in range(50):
        params: dict[str, Any] = {"limit": 100}
        if cursor:
            params["cursor"] = cursor
        response = client.get(f"{API}/feed", params=params, headers=who.headers)
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [item["profile"]["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids
    raise AssertionError("the feed never ended")


class Statements:
    """Counts the SQL statements the app's engine sends while it is active (`with`)."""

    def __init__(self) -> None:
        self.count = 0

    def _on_execute(self, *_args: Any) -> None:
        self.count += 1

    def __enter__(self) -> "Statements":
        self.count = 0
        event.listen(get_engine(), "before_cursor_execute", self._on_execute)
        return self

    def __exit__(self, *_exc: object) -> None:
        event.remove(get_engine(), "before_cursor_execute", self._on_execute)


@contextlib.asynccontextmanager
async def hot_path_pool() -> AsyncIterator["AsyncConnectionPool[AsyncConnection]"]:
    """A pool as the app's lifespan opens it (autocommit), of one connection."""
    conninfo = libpq_url(get_settings().database_url)
    assert conninfo is not None
    pool: AsyncConnectionPool[AsyncConnection] = AsyncConnectionPool(
        conninfo, min_size=1, max_size=1, kwargs={"autocommit": True}, open=False
    )
    await pool.open()
    try:
        yield pool
    finally:
        await pool.close()
