"""Live events over real servers: two independent server processes (two workers each) on the
test database; what happens through one reaches a stream held open on the other."""

import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.db import get_engine
from app.models import Event
from app.services import events
from tests.conftest import API, TEST_DATABASE_URL
from tests.live import SseReader, register_participant, run_server

pytestmark = pytest.mark.concurrency

FAST = {"EVENTS_HEARTBEAT_SECONDS": "0.5", "EVENTS_SLOW_CLIENT_SECONDS": "1"}


@pytest.fixture(scope="module")
def servers(tmp_path_factory) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    logs = tmp_path_factory.mktemp("servers")
    with (
        run_server(logs / "a.log", env=FAST) as a,
        run_server(logs / "b.log", env=FAST) as b,
    ):
        yield a, b


def _ticket(base: str, person: dict[str, Any]) -> str:
    response = httpx.post(f"{base}{API}/events/ticket", headers=person["headers"], timeout=10)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["expires_in"] == 60 and body["url"].endswith(body["ticket"])
    return str(body["ticket"])


def _like(base: str, who: dict[str, Any], target: dict[str, Any]) -> dict[str, Any]:
    response = httpx.post(
        f"{base}{API}/swipes",
        json={"target_id": target["id"], "decision": "like"},
        headers=who["headers"],
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


def _stored(user_id: int) -> list[tuple[int, str]]:
    with Session(get_engine()) as session:
        rows = session.execute(
            select(Event.seq, Event.type).where(Event.user_id == user_id).order_by(Event.seq)
        ).all()
    return [(int(seq), str(type_)) for seq, type_ in rows]


def _people(base: str, tag: str) -> tuple[dict[str, Any], dict[str, Any]]:
    with httpx.Client(base_url=base, timeout=30) as http:
        return (
            register_participant(http, "teacher", tag),
            register_participant(http, "professional", tag),
        )


def test_a_match_made_on_one_server_reaches_a_stream_on_the_other(servers) -> None:  # type: ignore[no-untyped-def]
    a, b = servers
    teacher, pro = _people(a, "live-1")
    # The ticket comes from A and is claimed by B: tickets work across processes.
    stream = SseReader(f"{b}{API}/events?ticket={_ticket(a, teacher)}")
    try:
        assert stream.status == 200
        _like(a, pro, teacher)
        match = _like(a, teacher, pro)["match"]
        got = stream.take(3)
    finally:
        stream.close()
    assert [(e.id, e.event) for e in got] == [
        (1, "notification"),
        (2, "unread"),
        (3, "match_updated"),
    ]
    note = got[0].data
    assert note["id"] == 1 and note["type"] == "notification"
    assert note["data"]["type"] == "match_created"
    assert note["data"]["data"]["match_id"] == match["id"]
    assert note["data"]["data"]["partner_id"] == pro["id"]
    assert got[1].data["data"] == {"messages": 0, "notifications": 1, "matches": []}
    assert got[2].data["data"] == {
        "match_id": match["id"],
        "status": "trial",
        "confirmed_by_me": False,
        "confirmed_by_partner": False,
    }
    assert _stored(teacher["id"]) == [(1, "notification"), (2, "unread"), (3, "match_updated")]


def test_reconnecting_with_the_last_id_replays_exactly_what_was_missed(servers) -> None:  # type: ignore[no-untyped-def]
    a, b = servers
    teacher, pro = _people(a, "live-2")
    stream = SseReader(f"{b}{API}/events", headers=teacher["headers"])  # a bearer token works too
    try:
        _like(a, pro, teacher)
        match = _like(a, teacher, pro)["match"]
        last = stream.take(3)[-1].id
    finally:
        stream.close()
    assert last == 3
    # While disconnected: the partner confirms, then reads nothing; the teacher reads a note.
    confirm = httpx.post(
        f"{a}{API}/matches/{match['id']}/confirm", headers=pro["headers"], timeout=10
    )
    assert confirm.status_code == 200, confirm.text
    read = httpx.post(f"{a}{API}/notifications/1/read", headers=teacher["headers"], timeout=10)
    assert read.status_code == 204
    missed = [e for e in _stored(teacher["id"]) if e[0] > last]
    assert [t for _, t in missed] == ["notification", "unread", "match_updated", "unread"]

    again = SseReader(
        f"{b}{API}/events?ticket={_ticket(b, teacher)}", headers={"Last-Event-ID": str(last)}
    )
    try:
        replayed = again.take(len(missed))
        # Then something new arrives live, exactly once, after the replay.
        exit_ = httpx.post(
            f"{a}{API}/matches/{match['id']}/exit", json={}, headers=pro["headers"], timeout=10
        )
        assert exit_.status_code == 200, exit_.text
        live = again.take(3)
        with pytest.raises(AssertionError):
            again.take(1, timeout=1.5)  # nothing more: no duplicates
    finally:
        again.close()
    assert [(e.id, e.event) for e in replayed] == missed
    assert replayed[0].data["data"]["type"] == "partner_confirmed"
    assert replayed[2].data["data"]["confirmed_by_partner"] is True
    assert replayed[3].data["data"] == {"messages": 0, "notifications": 1, "matches": []}
    assert [e.id for e in live] == [missed[-1][0] + 1, missed[-1][0] + 2, missed[-1][0] + 3]
    assert [e.event for e in live] == ["notification", "unread", "match_updated"]
    assert live[0].data["data"]["type"] == "match_ended"
    assert "reason" not in live[0].data["data"]["data"]
    assert live[2].data["data"]["status"] == "ended"


def test_a_ticket_works_once_across_servers(servers) -> None:  # type: ignore[no-untyped-def]
    a, b = servers
    teacher, _ = _people(a, "live-3")
    ticket = _ticket(a, teacher)
    first = SseReader(f"{a}{API}/events?ticket={ticket}")
    try:
        assert first.status == 200
        second = httpx.get(f"{b}{API}/events?ticket={ticket}", timeout=10)
    finally:
        first.close()
    assert second.status_code == 401
    assert second.headers["content-type"].startswith("application/problem+json")


def test_heartbeats_keep_an_idle_stream_alive(servers) -> None:  # type: ignore[no-untyped-def]
    a, _ = servers
    teacher, _ = _people(a, "live-4")
    stream = SseReader(f"{a}{API}/events", headers=teacher["headers"])
    try:
        deadline = clock.now() + timedelta(seconds=10)
        while len(stream.comments) < 2 and clock.now() < deadline:
            stream.opened.wait(0.1)
    finally:
        stream.close()
    assert stream.comments[:2] == [": ping", ": ping"]


@pytest.mark.skipif(not TEST_DATABASE_URL.startswith("sqlite"), reason="SQLite only")
def test_redis_carries_the_wake_up_between_servers_on_one_sqlite_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # Heartbeats far apart: only a Redis wake-up can deliver within the test's timeout.
    env = {"REDIS_URL": "redis://127.0.0.1:6379/0", "EVENTS_HEARTBEAT_SECONDS": "60"}
    with (
        run_server(tmp_path / "a.log", env=env) as a,
        run_server(tmp_path / "b.log", env=env) as b,
    ):
        teacher, pro = _people(a, "live-5")
        stream = SseReader(f"{b}{API}/events?ticket={_ticket(a, teacher)}")
        try:
            _like(a, pro, teacher)
            _like(a, teacher, pro)
            got = stream.take(3, timeout=5)
        finally:
            stream.close()
    assert [e.event for e in got] == ["notification", "unread", "match_updated"]


def test_a_client_that_stops_reading_is_dropped(servers) -> None:  # type: ignore[no-untyped-def]
    a, _ = servers
    teacher, _ = _people(a, "live-6")
    host, port = a.removeprefix("http://").split(":")
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # a tiny window, never read
    sock.connect((host, int(port)))
    request = (
        f"GET {API}/events HTTP/1.1\r\nHost: {host}\r\n"
        f"Authorization: {teacher['headers']['Authorization']}\r\n\r\n"
    )
    sock.sendall(request.encode())
    time.sleep(1)
    padding = "x" * 4000
    with Session(get_engine()) as session:  # far more than any socket buffer holds
        for n in range(2000):
            events.emit(
                session, user_id=teacher["id"], type="unread", data={"n": n, "pad": padding}
            )
        session.commit()
    time.sleep(4)  # the server is blocked on us for longer than EVENTS_SLOW_CLIENT_SECONDS
    sock.settimeout(2)
    received, closed = 0, False
    deadline = time.monotonic() + 15
    try:
        while time.monotonic() < deadline:  # what was buffered, then the server's close
            try:
                chunk = sock.recv(1 << 20)
            except TimeoutError:
                break
            if not chunk:
                closed = True
                break
            received += len(chunk)
    finally:
        sock.close()
    assert closed, f"the server kept the stream open ({received} bytes read)"
    assert 0 < received < 2000 * 4000  # dropped part-way, not streamed to the end
