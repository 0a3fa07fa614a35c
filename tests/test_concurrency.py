"""Invariants across processes: real concurrent HTTP requests against a server with several
worker processes sharing the test database (SQLite file or PostgreSQL)."""

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from threading import Barrier
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from app.db import get_engine
from app.models import Match, Swipe
from tests.conftest import API
from tests.live import register_participant, run_server

pytestmark = pytest.mark.concurrency
WORKERS = 3


@pytest.fixture
def server(tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    # The server's own log: an unhandled exception in any worker fails the test.
    with run_server(tmp_path / "server.log", workers=WORKERS) as base:
        yield base


def _all_at_once(calls: list[Any]) -> list[httpx.Response]:
    """Run the calls in parallel threads, released together by a barrier."""
    barrier = Barrier(len(calls))

    def run(call: Any) -> httpx.Response:
        barrier.wait()
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _like(base: str, who: dict[str, Any], target: dict[str, Any]) -> Any:
    def call() -> httpx.Response:
        with httpx.Client(base_url=base, timeout=30) as http:
            return http.post(
                f"{API}/swipes",
                json={"target_id": target["id"], "decision": "like"},
                headers=who["headers"],
            )

    return call


def _count(query: Any) -> int:
    with Session(get_engine()) as session:
        return int(session.scalar(query) or 0)


def test_simultaneous_mutual_likes_make_exactly_one_match_per_pair(server: str) -> None:
    pairs = 8
    with httpx.Client(base_url=server, timeout=30) as http:
        people = [
            (
                register_participant(http, "teacher", f"conc-{n}"),
                register_participant(http, "professional", f"conc-{n}"),
            )
            for n in range(pairs)
        ]
    calls = []
    for teacher, pro in people:
        calls += [_like(server, teacher, pro), _like(server, pro, teacher)]
    responses = _all_at_once(calls)
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    for teacher, pro in people:
        pair = (Match.teacher_id == teacher["id"]) & (Match.professional_id == pro["id"])
        assert _count(select(func.count()).select_from(Match).where(pair)) == 1
    # Every pair's match was reported to exactly one of the two likes.
    assert sum(1 for r in responses if r.json()["match"] is not None) == pairs


def test_ongoing_match_limit_holds_under_simultaneous_likes(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as http:
        teacher = register_participant(http, "teacher", "conc-100")
        pros = [register_participant(http, "professional", f"conc-{100 + n}") for n in range(6)]
        for pro in pros:  # everyone already likes the teacher
            assert (
                http.post(
                    f"{API}/swipes",
                    json={"target_id": teacher["id"], "decision": "like"},
                    headers=pro["headers"],
                ).status_code
                == 201
            )
    responses = _all_at_once([_like(server, teacher, pro) for pro in pros])
    assert all(r.status_code == 201 for r in responses), [r.text for r in responses]
    assert sum(1 for r in responses if r.json()["match"] is not None) == 1
    teacher_matches = (
        select(func.count()).select_from(Match).where(Match.teacher_id == teacher["id"])
    )
    assert _count(teacher_matches) == 1  # MAX_ONGOING_MATCHES defaults to 1
    likes = select(func.count()).select_from(Swipe).where(Swipe.swiper_id == teacher["id"])
    assert _count(likes) == len(pros)  # the other likes stayed likes


def test_retried_swipe_is_stored_once(server: str) -> None:
    with httpx.Client(base_url=server, timeout=30) as http:
        teacher = register_participant(http, "teacher", "conc-200")
        pro = register_participant(http, "professional", "conc-200")
    responses = _all_at_once([_like(server, teacher, pro) for _ in range(6)])
    codes = sorted(r.status_code for r in responses)
    assert codes == [200] * 5 + [201], [r.text for r in responses]
    assert all(r.json() == responses[0].json() for r in responses)
    stored = select(func.count()).select_from(Swipe).where(Swipe.swiper_id == teacher["id"])
    assert _count(stored) == 1


def test_feeds_of_every_process_see_a_profile_change_at_once(server: str) -> None:
    """Each worker keeps ranking features in memory; none may serve a stale feed."""
    with httpx.Client(base_url=server, timeout=30) as http:
        teacher = register_participant(http, "teacher", "conc-300")
        pros = [register_participant(http, "professional", f"conc-{300 + n}") for n in range(3)]

        def feed_ids() -> set[int]:
            response = http.get(f"{API}/feed", headers=teacher["headers"])
            assert response.status_code == 200, response.text
            return {item["profile"]["id"] for item in response.json()["items"]}

        for _ in range(3 * WORKERS):  # warm every worker's features
            assert feed_ids() == {p["id"] for p in pros}
        paused = http.patch(
            f"{API}/me/profile", json={"discoverable": False}, headers=pros[0]["headers"]
        )
        assert paused.status_code == 200
        moved = http.patch(
            f"{API}/me/profile", json={"place": "groningen"}, headers=pros[1]["headers"]
        )
        assert moved.status_code == 200
        for _ in range(3 * WORKERS):  # whichever worker answers
            assert feed_ids() == {pros[2]["id"]}
