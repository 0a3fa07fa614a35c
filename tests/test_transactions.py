"""Read and write sessions: every route declares its intent, nothing guesses it from the
HTTP method (app/db.py's module text describes the pattern).

The SQLite tests hold the database write lock on a second connection, the way another API
process's writer would, and look at which requests wait for it.
"""

import sqlite3
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from fastapi import BackgroundTasks, FastAPI
from fastapi.routing import APIRoute, iter_route_contexts
from fastapi.testclient import TestClient
from sqlalchemy import column, func, insert, select, table, text
from sqlmodel import Session

from app import clock
from app.db import (
    ReadSession,
    ReadSessionWrite,
    RequestSession,
    WriteSession,
    check_session_intents,
    get_engine,
    route_session_intent,
)
from app.models import Notification
from app.security import CurrentUser
from tests.conftest import API, mutual_match
from tests.utils import relogin

# Routes that use no request session at all: the hot paths (their own session or the async
# pool), the live stream (sessions of its own), password reset (work after the answer), files.
SESSIONLESS = {
    ("POST", "/api/v1/swipes"),
    ("GET", "/api/v1/feed"),
    ("POST", "/api/v1/auth/password-reset"),
    ("GET", "/api/v1/vocabulary"),
    ("GET", "/api/v1/events"),
    ("GET", "/api/v1/push/public-key"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/media/{name}"),
    ("GET", "/app"),
    ("GET", "/app/"),
    ("GET", "/app/{path:path}"),
    ("GET", "/docs"),
    ("GET", "/docs/oauth2-redirect"),
}


def _routes(app: FastAPI) -> Iterator[tuple[str, str, APIRoute]]:
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            method = sorted(set(context.methods or ()) - {"HEAD"})[0]
            yield method, str(context.path), route


def _calls(route: APIRoute) -> set[Any]:
    calls, todo = set(), [route.dependant]
    while todo:
        dependant = todo.pop()
        calls.add(dependant.call)
        todo.extend(dependant.dependencies)
    return calls


def _dependency(annotation: Any) -> Any:
    return annotation.__metadata__[0].dependency


def test_every_route_declares_exactly_one_intent_or_uses_no_session(app):
    read, write = _dependency(ReadSession), _dependency(WriteSession)
    request_session = _dependency(RequestSession)
    seen = []
    for method, path, route in _routes(app):
        calls = _calls(route)
        declared = {name for name, call in (("read", read), ("write", write)) if call in calls}
        if (method, path) in SESSIONLESS:
            assert request_session not in calls, f"{method} {path} uses the request session"
            assert declared == set(), f"{method} {path}"
            assert route_session_intent(route) is None
            continue
        assert len(declared) == 1, f"{method} {path} declares {declared or 'neither'}"
        assert route_session_intent(route) == declared.pop()
        seen.append((method, path))
    assert len(seen) > 50
    # The intent is the route's, not the method's: a POST that reads, GETs that read.
    intents = {(m, p): route_session_intent(r) for m, p, r in _routes(app)}
    assert intents[("POST", "/api/v1/coordinator/suggestions")] == "read"
    assert intents[("GET", "/api/v1/notifications")] == "read"  # its rare write: begin_write
    assert intents[("PUT", "/api/v1/me/profile")] == "write"


def test_an_app_with_an_undeclared_or_doubly_declared_route_is_refused():
    undeclared = FastAPI()

    @undeclared.get("/who")
    def who(user: CurrentUser) -> int:  # the session of get_current_user, no intent
        return user.id or 0

    with pytest.raises(RuntimeError, match="declare ReadSession or WriteSession"):
        check_session_intents(undeclared)

    both = FastAPI()

    @both.post("/both")
    def handler(a: ReadSession, b: WriteSession) -> None:
        return None

    with pytest.raises(RuntimeError, match="both"):
        check_session_intents(both)


# --- The two kinds, on a small app of their own -------------------------------------------


@pytest.fixture
def probe() -> Iterator[tuple[TestClient, list[int]]]:
    """A small app whose routes write a row into a scratch table, through either kind."""
    app = FastAPI()
    seen_after_commit: list[int] = []

    def count_other_connection() -> None:
        with Session(get_engine()) as other:
            seen_after_commit.append(other.scalar(text("SELECT count(*) FROM tx_probe")) or 0)

    @app.get("/read-writes")
    def read_writes(session: ReadSession) -> None:
        session.execute(text("SELECT 1"))
        session.execute(_insert())

    @app.get("/write")
    def write(session: WriteSession, tasks: BackgroundTasks) -> None:
        session.execute(_insert())
        tasks.add_task(count_other_connection)  # runs after the answer went out

    @app.post("/write-then-fail")
    def write_then_fail(session: WriteSession) -> None:
        session.execute(_insert())
        raise RuntimeError("rejected after writing")

    check_session_intents(app)
    with get_engine().begin() as connection:
        connection.execute(text("CREATE TABLE IF NOT EXISTS tx_probe (n integer)"))
    try:
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, seen_after_commit
    finally:
        with get_engine().begin() as connection:
            connection.execute(text("DROP TABLE tx_probe"))


def _insert() -> Any:
    return insert(table("tx_probe", column("n"))).values(n=1)


def _probe_rows() -> int:
    with Session(get_engine()) as other:
        return other.scalar(text("SELECT count(*) FROM tx_probe")) or 0


def test_a_read_session_refuses_to_write(probe, server_log):
    client, _ = probe
    with pytest.raises(ReadSessionWrite):
        TestClient(client.app).get("/read-writes")
    server_log.clear()
    assert _probe_rows() == 0


def test_a_write_session_commits_before_the_answer_and_not_after_an_error(probe, server_log):
    client, seen_after_commit = probe
    assert client.get("/write").status_code == 200
    # The background task ran after the response was sent, on another connection: the row
    # was already committed (the write session's exit runs before the response).
    assert seen_after_commit == [1]
    assert client.post("/write-then-fail").status_code == 500
    server_log.clear()
    assert _probe_rows() == 1


# --- SQLite: who waits for the write lock -------------------------------------------------


def _sqlite_path() -> str:
    engine = get_engine()
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's database write lock")
    assert engine.url.database
    return engine.url.database


@contextmanager
def write_lock_held() -> Iterator[sqlite3.Connection]:
    """Another connection holds SQLite's write lock (RESERVED) until the block ends."""
    connection = sqlite3.connect(_sqlite_path(), isolation_level=None, timeout=30)
    try:
        connection.execute("BEGIN IMMEDIATE")
        yield connection
    finally:
        if connection.in_transaction:
            connection.execute("ROLLBACK")
        connection.close()


def test_a_post_that_only_reads_does_not_wait_for_the_write_lock(client, make_staff):
    _sqlite_path()
    staff = make_staff("coordinator", regions=["rotterdam"])
    with ThreadPoolExecutor(1) as pool, write_lock_held():
        pending = pool.submit(
            client.post,
            f"{API}/coordinator/suggestions",
            json={"region": "rotterdam"},
            headers=staff.headers,
        )
        # Had its session been made a write session from the method, it would wait here
        # (busy_timeout, 30 s) until the lock is released below.
        response = pending.result(timeout=10)
    assert response.status_code == 200, response.text


def test_a_post_that_writes_waits_for_the_write_lock(client, make_participant):
    """The counterpart, so that the test above can tell the difference."""
    _sqlite_path()
    who = make_participant("teacher")
    with ThreadPoolExecutor(1) as pool, write_lock_held():
        pending = pool.submit(client.post, f"{API}/notifications/read-all", headers=who.headers)
        time.sleep(0.5)
        assert not pending.done()
    assert pending.result(timeout=30).status_code == 204


def test_a_get_that_writes_works_under_concurrent_writers(client, make_participant):
    """GET /notifications stores the reminders that came due (a read session that writes
    rarely, with begin_write): it waits for another writer instead of failing."""
    _sqlite_path()
    teacher, pro = make_participant("teacher"), make_participant("professional")
    mutual_match(client, teacher, pro)
    clock.advance(timedelta(days=25.1))  # the trial ends in under 5 days: trial_ending is due
    relogin(client, teacher)
    release = threading.Event()

    def other_writer() -> None:
        with write_lock_held() as connection:
            connection.execute("CREATE TABLE IF NOT EXISTS tx_other (n integer)")
            release.wait(10)
            time.sleep(0.3)
            connection.execute("COMMIT")

    with ThreadPoolExecutor(2) as pool:
        writer = pool.submit(other_writer)
        time.sleep(0.2)
        pending = pool.submit(client.get, f"{API}/notifications", headers=teacher.headers)
        release.set()
        response = pending.result(timeout=30)
        writer.result(timeout=30)
    with get_engine().begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS tx_other"))
    assert response.status_code == 200, response.text
    assert [n["type"] for n in response.json()["items"]].count("trial_ending") == 1
    with Session(get_engine()) as db:
        stored = db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.type == "trial_ending", Notification.user_id == teacher.id)
        )
    assert stored == 1


def test_a_read_route_is_not_blocked_by_a_writer(client, make_participant):
    _sqlite_path()
    who = make_participant("teacher")
    with ThreadPoolExecutor(1) as pool, write_lock_held():
        response = pool.submit(client.get, f"{API}/me", headers=who.headers).result(timeout=10)
    assert response.status_code == 200
