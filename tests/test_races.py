"""Races between state changes, with real concurrent requests against a multi-worker server.

Each test repeats one race many times, sweeping the delay between the two requests over a
range of a few tens of milliseconds, so that one request lands inside the other's work at
some point; whatever the order, what the database holds afterwards must be a state that
one order or the other produces. (On SQLite every write request holds the database write lock
from its first statement, so these orders are always clean there; on PostgreSQL they depend
on row locks and on reading after them.)
"""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlmodel import Session

from app.db import get_engine
from app.models import Block, Match, Notification, Profile, Role, User
from app.security import hash_password
from app.services.accounts import create_user
from tests.conftest import API, PASSWORD
from tests.live import register_participant, running_server, staggered

pytestmark = pytest.mark.concurrency

ROUNDS = 16
STEP = 0.002  # seconds between the rounds' delays: 0, 2, 4, ... 30 ms


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with running_server(workers=3) as base:
        yield base


def _call(base: str, method: str, path: str, who: dict[str, Any], body: Any = None) -> Any:
    def call() -> httpx.Response:
        with httpx.Client(base_url=base, timeout=30) as http:
            return http.request(method, f"{API}{path}", json=body, headers=who["headers"])

    return call


def _delays(round_: int) -> list[float]:
    """Alternate which request goes first; the other waits 0, 2, 4, ... ms."""
    delay = (round_ // 2) * STEP
    return [0.0, delay] if round_ % 2 == 0 else [delay, 0.0]


def _coordinator(http: httpx.Client, tag: str) -> dict[str, Any]:
    email = f"{tag}-coordinator@example.org"
    with Session(get_engine()) as session:
        create_user(
            session=session,
            email=email,
            password_hash=hash_password(PASSWORD),
            name=f"Coordinator {tag}",
            role=Role.coordinator,
            regions=["rotterdam"],
        )
    token = http.post(f"{API}/auth/token", data={"username": email, "password": PASSWORD})
    assert token.status_code == 200, token.text
    return {"headers": {"Authorization": f"Bearer {token.json()['access_token']}"}}


def _people(server: str, tag: str, rounds: int) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    with httpx.Client(base_url=server, timeout=30) as http:
        return [
            (
                register_participant(http, "teacher", f"{tag}-{n}"),
                register_participant(http, "professional", f"{tag}-{n}"),
            )
            for n in range(rounds)
        ]


def _match_between(session: Session, teacher_id: int, pro_id: int) -> Match | None:
    return session.scalar(
        select(Match).where(Match.teacher_id == teacher_id, Match.professional_id == pro_id)
    )


def _match_ended_notices(session: Session, user_id: int, match_id: int) -> int:
    notes = session.scalars(
        select(Notification).where(
            Notification.user_id == user_id, Notification.type == "match_ended"
        )
    )
    return sum(1 for n in notes if n.data.get("match_id") == match_id)


def test_erasure_racing_a_blind_match_never_leaves_a_trial_with_a_former_participant(
    server: str,
) -> None:
    people = _people(server, "erase-blind", ROUNDS)
    with httpx.Client(base_url=server, timeout=30) as http:
        coordinator = _coordinator(http, "erase-blind")
    outcomes = []
    for n, (teacher, pro) in enumerate(people):
        erase = _call(server, "DELETE", "/me", teacher)
        pair = {"teacher_id": teacher["id"], "professional_id": pro["id"]}
        blind = _call(server, "POST", "/coordinator/matches", coordinator, pair)
        erased, matched = staggered([erase, blind], _delays(n))
        assert erased.status_code == 204, erased.text
        assert matched.status_code in (201, 404), matched.text
        outcomes.append(matched.status_code)
    with Session(get_engine()) as session:
        for (teacher, pro), code in zip(people, outcomes, strict=True):
            assert session.get(User, teacher["id"]).deleted_at is not None  # type: ignore[union-attr]
            match = _match_between(session, teacher["id"], pro["id"])
            if code == 404:  # the erasure came first: no match at all
                assert match is None
                continue
            # The blind match came first; the erasure then ended it, and the professional's
            # only slot is free again.
            assert match is not None
            assert (match.status, match.exit_reason) == ("ended", "account_deleted")
            assert _match_ended_notices(session, pro["id"], match.id or 0) == 1
    with httpx.Client(base_url=server, timeout=30) as http:
        for _, pro in people:
            mine = http.get(f"{API}/matches", params={"status": "trial"}, headers=pro["headers"])
            assert mine.json()["items"] == []


def test_exit_racing_a_block_keeps_whichever_came_first(server: str) -> None:
    people = _people(server, "exit-block", ROUNDS)
    matches = []
    with httpx.Client(base_url=server, timeout=30) as http:
        for teacher, pro in people:
            for who, other in ((teacher, pro), (pro, teacher)):
                liked = http.post(
                    f"{API}/swipes",
                    json={"target_id": other["id"], "decision": "like"},
                    headers=who["headers"],
                )
                assert liked.status_code == 201, liked.text
            matches.append(liked.json()["match"]["id"])
    answers = []
    for n, ((teacher, pro), match_id) in enumerate(zip(people, matches, strict=True)):
        exit_ = _call(server, "POST", f"/matches/{match_id}/exit", teacher, {"reason": "no_time"})
        block = _call(server, "POST", "/blocks", pro, {"user_id": teacher["id"]})
        exited, blocked = staggered([exit_, block], _delays(n))
        assert blocked.status_code == 201, blocked.text
        assert exited.status_code in (200, 409), exited.text
        answers.append(exited.status_code)
    with Session(get_engine()) as session:
        for (teacher, pro), match_id, code in zip(people, matches, answers, strict=True):
            match = session.get(Match, match_id)
            assert match is not None and match.status == "ended"
            assert session.get(Block, (pro["id"], teacher["id"])) is not None
            if code == 200:  # the exit came first: its record stays, the block adds nothing
                assert (match.ended_by_id, match.exit_reason) == (teacher["id"], "no_time")
                assert _match_ended_notices(session, teacher["id"], match_id) == 0
                assert _match_ended_notices(session, pro["id"], match_id) == 1
            else:  # the block came first; the exit found the match ended (409)
                assert (match.ended_by_id, match.exit_reason) == (pro["id"], "blocked")
                assert _match_ended_notices(session, teacher["id"], match_id) == 1
                assert _match_ended_notices(session, pro["id"], match_id) == 0


def test_erasure_racing_the_partners_exit_keeps_whichever_came_first(server: str) -> None:
    people = _people(server, "erase-exit", ROUNDS)
    matches = []
    with httpx.Client(base_url=server, timeout=30) as http:
        for teacher, pro in people:
            for who, other in ((teacher, pro), (pro, teacher)):
                liked = http.post(
                    f"{API}/swipes",
                    json={"target_id": other["id"], "decision": "like"},
                    headers=who["headers"],
                )
                assert liked.status_code == 201, liked.text
            matches.append(liked.json()["match"]["id"])
    answers = []
    for n, ((teacher, pro), match_id) in enumerate(zip(people, matches, strict=True)):
        exit_ = _call(server, "POST", f"/matches/{match_id}/exit", pro, {"reason": "no_click"})
        erase = _call(server, "DELETE", "/me", teacher)
        exited, erased = staggered([exit_, erase], _delays(n))
        assert erased.status_code == 204, erased.text
        assert exited.status_code in (200, 409), exited.text
        answers.append(exited.status_code)
    with Session(get_engine()) as session:
        for (_, pro), match_id, code in zip(people, matches, answers, strict=True):
            match = session.get(Match, match_id)
            assert match is not None and match.status == "ended"
            if code == 200:  # the exit came first: the erasure found nothing ongoing
                assert (match.ended_by_id, match.exit_reason) == (pro["id"], "no_click")
                assert _match_ended_notices(session, pro["id"], match_id) == 0
            else:
                assert match.exit_reason == "account_deleted"
                assert _match_ended_notices(session, pro["id"], match_id) == 1


def test_a_block_racing_the_like_that_completes_a_match_leaves_no_ongoing_match(
    server: str,
) -> None:
    people = _people(server, "like-block", ROUNDS)
    with httpx.Client(base_url=server, timeout=30) as http:
        for teacher, pro in people:  # the professional already likes the teacher
            liked = http.post(
                f"{API}/swipes",
                json={"target_id": teacher["id"], "decision": "like"},
                headers=pro["headers"],
            )
            assert liked.status_code == 201, liked.text
    for n, (teacher, pro) in enumerate(people):
        like = _call(
            server, "POST", "/swipes", teacher, {"target_id": pro["id"], "decision": "like"}
        )
        block = _call(server, "POST", "/blocks", pro, {"user_id": teacher["id"]})
        liked, blocked = staggered([like, block], _delays(n))
        assert blocked.status_code == 201, blocked.text
        assert liked.status_code in (201, 404), liked.text
    with Session(get_engine()) as session:
        for teacher, pro in people:
            match = _match_between(session, teacher["id"], pro["id"])
            # Either the like came first (its match was then ended by the block) or the block
            # did (no match); never an ongoing match between people who blocked each other.
            assert match is None or (match.status, match.exit_reason) == ("ended", "blocked")


def test_a_profile_change_racing_erasure_never_leaves_a_profile_behind(server: str) -> None:
    people = _people(server, "erase-profile", ROUNDS)
    answers = []
    for n, (teacher, _) in enumerate(people):
        change = _call(server, "PATCH", "/me/profile", teacher, {"bio": "Nog even dit."})
        erase = _call(server, "DELETE", "/me", teacher)
        changed, erased = staggered([change, erase], _delays(n))
        assert erased.status_code == 204, erased.text
        assert changed.status_code in (200, 401), changed.text  # first, or found me erased
        answers.append(changed.status_code)
    with Session(get_engine()) as session:
        for teacher, _ in people:
            assert session.get(User, teacher["id"]).deleted_at is not None  # type: ignore[union-attr]
            assert session.get(Profile, teacher["id"]) is None  # erased stays erased


LIMIT = 5


def test_undo_does_not_give_back_likes_made_today() -> None:
    """Like and undo the same person over and over: the limit counts likes made today.

    On PostgreSQL these likes are stored by the one-round-trip path (`plain_swipe`).
    """
    with running_server(workers=3, LIKES_PER_DAY=str(LIMIT)) as base:
        with httpx.Client(base_url=base, timeout=30) as http:
            teacher = register_participant(http, "teacher", "like-undo")
            pro = register_participant(http, "professional", "like-undo")
            other = register_participant(http, "teacher", "like-burst")
            pros = [register_participant(http, "professional", f"like-burst-{n}") for n in range(8)]
            body = {"target_id": pro["id"], "decision": "like"}
            for _ in range(LIMIT):
                liked = http.post(f"{API}/swipes", json=body, headers=teacher["headers"])
                assert liked.status_code == 201, liked.text
                undone = http.delete(f"{API}/swipes/{pro['id']}", headers=teacher["headers"])
                assert undone.status_code == 204, undone.text
            refused = http.post(f"{API}/swipes", json=body, headers=teacher["headers"])
            assert refused.status_code == 429, refused.text
            # Nothing stored: the professional is still in the feed, a pass still works.
            feed = http.get(f"{API}/feed", headers=teacher["headers"]).json()
            assert pro["id"] in [item["profile"]["id"] for item in feed["items"]]
            passed = http.post(
                f"{API}/swipes", json=body | {"decision": "pass"}, headers=teacher["headers"]
            )
            assert passed.status_code == 201, passed.text

        # Simultaneous likes of different people, on several processes: exactly LIMIT pass.
        calls = [
            _call(base, "POST", "/swipes", other, {"target_id": p["id"], "decision": "like"})
            for p in pros
        ]
        codes = sorted(r.status_code for r in staggered(calls, [0.0] * len(calls)))
        assert codes == [201] * LIMIT + [429] * (len(pros) - LIMIT)
        with httpx.Client(base_url=base, timeout=30) as http:
            liked_ids = [
                p["id"]
                for p in pros
                if http.post(
                    f"{API}/swipes",
                    json={"target_id": p["id"], "decision": "like"},
                    headers=other["headers"],
                ).status_code
                == 200  # the retry of a stored like
            ]
            assert len(liked_ids) == LIMIT
            for target_id in liked_ids:  # undo them all: still no like left today
                undone = http.delete(f"{API}/swipes/{target_id}", headers=other["headers"])
                assert undone.status_code == 204, undone.text
            again = http.post(
                f"{API}/swipes",
                json={"target_id": liked_ids[0], "decision": "like"},
                headers=other["headers"],
            )
            assert again.status_code == 429, again.text
