"""Conversations across processes: real concurrent HTTP requests against a server with
several worker processes (tests/test_concurrency.py's `server`), on SQLite and PostgreSQL."""

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.db import get_engine
from app.models import Message
from tests.conftest import API
from tests.live import register_participant, run_server
from tests.test_concurrency import _all_at_once, server  # noqa: F401  (the fixture)

pytestmark = pytest.mark.concurrency


def _pair(base: str, tag: str) -> tuple[dict[str, Any], dict[str, Any], int]:
    with httpx.Client(base_url=base, timeout=30) as http:
        teacher = register_participant(http, "teacher", tag)
        pro = register_participant(http, "professional", tag)
        for who, target in ((teacher, pro), (pro, teacher)):
            liked = http.post(
                f"{API}/swipes",
                json={"target_id": target["id"], "decision": "like"},
                headers=who["headers"],
            )
            assert liked.status_code == 201, liked.text
        match = liked.json()["match"]
        assert match is not None
    return teacher, pro, int(match["id"])


def _send(base: str, who: dict[str, Any], match_id: int, body: str, client_id: str) -> Any:
    def call() -> httpx.Response:
        with httpx.Client(base_url=base, timeout=30) as http:
            return http.post(
                f"{API}/matches/{match_id}/messages",
                json={"body": body, "client_id": client_id},
                headers=who["headers"],
            )

    return call


def _stored(match_id: int) -> int:
    with Session(get_engine()) as session:
        query = select(func.count()).select_from(Message).where(Message.match_id == match_id)
        return int(session.scalar(query) or 0)


def test_a_retried_send_racing_itself_on_several_processes_is_stored_once(
    server: str,  # noqa: F811
) -> None:
    teacher, _, match_id = _pair(server, "msg-1")
    calls = [_send(server, teacher, match_id, "Tot donderdag!", "retry-key") for _ in range(8)]
    responses = _all_at_once(calls)
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 7 + [201], [r.text for r in responses]
    assert all(r.json() == responses[0].json() for r in responses)
    assert _stored(match_id) == 1


def _eight_sends_at_once(base: str, tag: str) -> tuple[list[httpx.Response], int]:
    """Both partners of a new pair send four messages each, all at once, each its own key."""
    teacher, pro, match_id = _pair(base, tag)
    calls = [
        _send(base, who, match_id, f"bericht {n}", f"{tag}-{n}")
        for n, who in enumerate([teacher, pro] * 4)
    ]
    return _all_at_once(calls), match_id


def test_simultaneous_sends_with_their_own_keys_are_all_stored(server: str) -> None:  # noqa: F811
    responses, match_id = _eight_sends_at_once(server, "msg-2")
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 8
    assert _stored(match_id) == 8


def test_one_key_with_different_bodies_at_once_keeps_one_and_refuses_the_rest(
    server: str,  # noqa: F811
) -> None:
    teacher, _, match_id = _pair(server, "msg-3")
    calls = [_send(server, teacher, match_id, f"versie {n}", "same-key") for n in range(6)]
    responses = _all_at_once(calls)
    codes = sorted(r.status_code for r in responses)
    assert codes == [201] + [409] * 5, [r.text for r in responses]
    assert _stored(match_id) == 1


def test_a_burst_of_sends_larger_than_the_pool_never_starves_it(tmp_path: Any) -> None:
    """Each send holds a connection of the main pool while its rate-limit counter commits on
    its own: with the counter on the same pool, a burst of sends (each holding one connection
    and waiting for a second) starved a small pool into 503s after the pool's timeout.
    One worker with a pool of 1 (+1 overflow), eight sends at once: every one is stored."""
    with run_server(tmp_path / "server.log", workers=1, env={"DB_POOL_SIZE": "1"}) as base:
        responses, match_id = _eight_sends_at_once(base, "msg-pool")
    assert [r.status_code for r in responses] == [201] * 8, [r.text for r in responses]
    assert _stored(match_id) == 8
