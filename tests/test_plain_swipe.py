"""The swipe's one-round-trip path on PostgreSQL (`swiping.try_plain_swipe`, the database
function in app/services/sql/plain_swipe.sql).

It may store a swipe only when the general path (`swiping.swipe`) would store it as a plain
201 without a match; in every other case it must write nothing and leave the answer to the
general path. Each case below is set up through the API, then the fast path is called on its
own against the real database, and then the same request goes through the API to show what
the general path answers for it.

Both paths check one list of rules (`swiping.SWIPE_RULES`): CASES below has the cases of every
rule, and the function marks every condition with its rule's name. Two tests hold the three
to one another on any database, and the cases' general-path answers are checked on both;
the function itself is tested on PostgreSQL only (on SQLite those tests are skipped, and say
so).
"""

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import func, select, text
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine, libpq_url
from app.models import DailyLikes, Match, Swipe
from app.services import batching, swipe_batches, swiping
from app.services.swiping import SWIPE_RULES, try_plain_swipe
from tests.conftest import API, Person
from tests.utils import block, hot_path_pool, post_swipe

PLAIN_SWIPE_SQL = Path(swiping.__file__).parent / "sql" / "plain_swipe.sql"
ON_POSTGRESQL = get_engine().dialect.name == "postgresql"

# The tests of the function itself need PostgreSQL.
postgresql = pytest.mark.skipif(
    not ON_POSTGRESQL,
    reason="the one-round-trip path exists on PostgreSQL only (SQLite always takes the "
    "general path, which the rest of the suite covers)",
)


def plain_swipe(user_id: int, target_id: int, decision: str) -> bool:
    async def run() -> bool:
        async with hot_path_pool() as pool:
            return await try_plain_swipe(
                pool, user_id=user_id, target_id=target_id, decision=decision
            )

    return asyncio.run(run())


def swipes(db: Session) -> set[tuple[int, int, str]]:
    db.rollback()
    rows = db.execute(select(Swipe.swiper_id, Swipe.target_id, Swipe.decision)).all()
    return {(a, b, d) for a, b, d in rows}


@postgresql
@pytest.mark.parametrize("decision", ["like", "pass"])
def test_a_first_swipe_is_stored_in_one_call(client, db, make_participant, decision):
    teacher, pro = make_participant("teacher"), make_participant("professional")

    assert plain_swipe(teacher.id, pro.id, decision) is True

    assert swipes(db) == {(teacher.id, pro.id, decision)}
    db.rollback()
    assert db.scalar(select(func.count()).select_from(Match)) == 0
    # What the client sees afterwards: the same swipe again is a retry (200), the other
    # decision a conflict, and the person has left the feed.
    assert post_swipe(client, teacher, pro.id, decision).status_code == 200
    other = "pass" if decision == "like" else "like"
    assert post_swipe(client, teacher, pro.id, other).status_code == 409
    feed = client.get(f"{API}/feed", params={"limit": 100}, headers=teacher.headers).json()
    assert pro.id not in [item["profile"]["id"] for item in feed["items"]]


@postgresql
def test_a_like_on_someone_who_passed_me_is_plain(client, db, make_participant):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    assert post_swipe(client, pro, teacher.id, "pass").status_code == 201

    assert plain_swipe(teacher.id, pro.id, "like") is True
    assert swipes(db) == {(pro.id, teacher.id, "pass"), (teacher.id, pro.id, "like")}


@dataclass
class World:
    """What a case's setup may use."""

    client: TestClient
    make_participant: Any
    make_staff: Any
    monkeypatch: pytest.MonkeyPatch


# A case: from a teacher and a professional who could swipe each other, the situation one
# rule is about → (who swipes, whom); and what the general path answers.
Setup = Callable[[World, Person, Person], tuple[Person, int]]


def _retry(w: World, me: Person, other: Person) -> tuple[Person, int]:
    assert post_swipe(w.client, me, other.id, "like").status_code == 201
    return me, other.id


def _reverse_like(w: World, me: Person, other: Person) -> tuple[Person, int]:
    assert post_swipe(w.client, other, me.id, "like").status_code == 201
    return me, other.id


def _self(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return me, me.id


def _same_side(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return me, w.make_participant("teacher").id


def _unknown(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return me, other.id + 1000


def _target_paused(w: World, me: Person, other: Person) -> tuple[Person, int]:
    response = w.client.patch(
        f"{API}/me/profile", json={"discoverable": False}, headers=other.headers
    )
    assert response.status_code == 200, response.text
    return me, other.id


def _target_no_profile(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return me, w.make_participant("professional", profile=False).id


def _target_incomplete(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return me, w.make_participant("professional", hours_per_month=None).id


def _my_profile_missing(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return w.make_participant("teacher", profile=False), other.id


def _my_profile_incomplete(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return w.make_participant("teacher", hours_per_month=None), other.id


def _i_blocked(w: World, me: Person, other: Person) -> tuple[Person, int]:
    block(w.client, me, other)
    return me, other.id


def _they_blocked(w: World, me: Person, other: Person) -> tuple[Person, int]:
    block(w.client, other, me)
    return me, other.id


def _target_deleted(w: World, me: Person, other: Person) -> tuple[Person, int]:
    assert w.client.delete(f"{API}/me", headers=other.headers).status_code == 204
    return me, other.id


def _i_am_deleted(w: World, me: Person, other: Person) -> tuple[Person, int]:
    assert w.client.delete(f"{API}/me", headers=me.headers).status_code == 204
    return me, other.id


def _coordinator(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return w.make_staff("coordinator", regions=["rotterdam"]), other.id


def _coordinator_target(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return me, w.make_staff("coordinator", regions=["rotterdam"]).id


def _me_unverified(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return w.make_participant("teacher", verified=False), other.id


def _target_unverified(w: World, me: Person, other: Person) -> tuple[Person, int]:
    return me, w.make_participant("professional", verified=False).id


def _daily_likes_used(w: World, me: Person, other: Person) -> tuple[Person, int]:
    w.monkeypatch.setenv("LIKES_PER_DAY", "1")
    get_settings.cache_clear()
    assert post_swipe(w.client, me, w.make_participant("professional").id).status_code == 201
    return me, other.id


# Every rule of `SWIPE_RULES` with the cases where it fails (and the general path's answer).
CASES: dict[str, list[tuple[Setup, int]]] = {
    "caller_may_swipe": [(_i_am_deleted, 401), (_coordinator, 403), (_me_unverified, 403)],
    "not_a_retry": [(_retry, 200)],
    "caller_complete": [(_my_profile_missing, 409), (_my_profile_incomplete, 409)],
    "not_self": [(_self, 422)],
    "target_participant": [(_unknown, 404), (_target_deleted, 404), (_coordinator_target, 404)],
    "other_side": [(_same_side, 422)],
    "target_complete": [(_target_no_profile, 404), (_target_incomplete, 404)],
    "target_discoverable": [(_target_paused, 404)],
    "target_verified": [(_target_unverified, 404)],
    "not_blocked": [(_i_blocked, 404), (_they_blocked, 404)],
    "within_daily_likes": [(_daily_likes_used, 429)],
    "no_like_from_target": [(_reverse_like, 201)],  # the general path makes the match
}
RULE_MARKER = re.compile(r"--\s*rule:\s*(\w+)")


def test_every_rule_of_the_general_path_has_a_case_here():
    assert list(CASES) == [rule.name for rule in SWIPE_RULES]


def test_the_database_function_checks_every_rule():
    marked = set(RULE_MARKER.findall(PLAIN_SWIPE_SQL.read_text()))
    assert marked == {rule.name for rule in SWIPE_RULES}


@postgresql
@pytest.mark.parametrize("function", ["plain_swipe", "plain_swipes"])
def test_the_migrated_function_is_the_current_definition(db, function):
    """app/services/sql/<function>.sql changed without a migration (or the other way round):
    a new migration must create the function with the file's text."""
    definition = text(f"SELECT pg_get_functiondef('{function}'::regproc)")
    source = PLAIN_SWIPE_SQL.with_name(f"{function}.sql")
    db.rollback()
    try:
        migrated = db.scalar(definition)
        db.connection().exec_driver_sql(source.read_text())
        current = db.scalar(definition)
    finally:
        db.rollback()  # DDL is transactional in PostgreSQL: the database keeps its function
    assert migrated == current


@pytest.mark.parametrize(
    ("setup", "status"),
    [case for cases in CASES.values() for case in cases],
    ids=lambda value: value.__name__.strip("_") if callable(value) else str(value),
)
def test_everything_else_is_left_to_the_general_path(
    client, db, make_participant, make_staff, monkeypatch, setup: Setup, status: int
):
    """On SQLite only the general path's half: each rule's case gets the answer CASES says."""
    me, other = make_participant("teacher"), make_participant("professional")
    world = World(client, make_participant, make_staff, monkeypatch)
    swiper, target_id = setup(world, me, other)
    before = swipes(db)

    if ON_POSTGRESQL:
        assert plain_swipe(swiper.id, target_id, "like") is False
        assert swipes(db) == before  # wrote nothing

    response = post_swipe(client, swiper, target_id, "like")
    assert response.status_code == status, response.text
    if setup is _reverse_like:
        assert response.json()["match"] is not None


@postgresql
def test_the_daily_like_limit_is_left_to_the_general_path(
    client, db, make_participant, monkeypatch
):
    monkeypatch.setenv("LIKES_PER_DAY", "1")
    get_settings.cache_clear()
    me = make_participant("teacher")
    first, second = make_participant("professional"), make_participant("professional")
    assert plain_swipe(me.id, first.id, "like") is True

    assert plain_swipe(me.id, second.id, "like") is False  # the limit is reached
    assert plain_swipe(me.id, second.id, "pass") is True  # a pass is not a like
    assert swipes(db) == {(me.id, first.id, "like"), (me.id, second.id, "pass")}
    third = make_participant("professional")
    assert post_swipe(client, me, third.id, "like").status_code == 429


@postgresql
def test_undone_likes_still_count_against_the_daily_limit(
    client, db, make_participant, monkeypatch
):
    monkeypatch.setenv("LIKES_PER_DAY", "2")
    get_settings.cache_clear()
    me, other = make_participant("teacher"), make_participant("professional")
    for _ in range(2):
        assert plain_swipe(me.id, other.id, "like") is True
        assert client.delete(f"{API}/swipes/{other.id}", headers=me.headers).status_code == 204

    assert plain_swipe(me.id, other.id, "like") is False  # two likes made today
    assert swipes(db) == set()
    assert post_swipe(client, me, other.id, "like").status_code == 429  # the general path agrees
    assert plain_swipe(me.id, other.id, "pass") is True


@postgresql
def test_both_paths_count_the_likes_they_make_alike(client, db, make_participant):
    """The day's count after likes stored by the function and by the general path."""
    me = make_participant("teacher")
    first, second, third = (make_participant("professional") for _ in range(3))
    assert post_swipe(client, third, me.id, "like").status_code == 201  # a like on me

    assert plain_swipe(me.id, first.id, "like") is True
    assert plain_swipe(me.id, second.id, "pass") is True  # passes are not counted
    assert plain_swipe(me.id, third.id, "like") is False  # may start a match: general path
    assert post_swipe(client, me, third.id, "like").json()["match"] is not None
    assert client.delete(f"{API}/swipes/{first.id}", headers=me.headers).status_code == 204

    db.rollback()
    counts = {(row.user_id, row.likes) for row in db.scalars(select(DailyLikes))}
    assert counts == {(me.id, 2), (third.id, 1)}


@postgresql
def test_swipes_arriving_together_are_stored_in_one_statement_each_as_alone(
    client, db, make_participant
):
    """The group commit (app/services/swipe_batches.py): six swipes submitted at once go to the
    database as one statement, and each is decided as if it came alone, in arrival order."""
    me = make_participant("teacher")
    liked, passed, admirer, blocker = (make_participant("professional") for _ in range(4))
    block(client, blocker, me)
    batch = [
        (me.id, liked.id, "like"),  # stored
        (me.id, liked.id, "like"),  # the same again: a retry, for the general path
        (me.id, passed.id, "pass"),  # stored
        (admirer.id, me.id, "like"),  # stored
        (me.id, admirer.id, "like"),  # answers the like just before it: may start a match
        (me.id, blocker.id, "like"),  # refused
    ]

    async def run() -> tuple[list[bool], int, int]:
        async with hot_path_pool() as pool:
            batcher = swipe_batches.batcher(pool)
            stored = await asyncio.gather(
                *(batcher.submit(swipe_batches.PlainSwipe(*swipe)) for swipe in batch)
            )
            return list(stored), batcher.statements, batcher.items

    stored, statements, sent = asyncio.run(run())
    assert stored == [True, False, True, True, False, False]
    assert (statements, sent) == (1, 6)
    assert swipes(db) == {
        (me.id, liked.id, "like"),
        (me.id, passed.id, "pass"),
        (admirer.id, me.id, "like"),
    }
    # What was left to the general path gets its usual answers.
    assert post_swipe(client, me, liked.id, "like").status_code == 200  # the retry
    assert post_swipe(client, me, admirer.id, "like").json()["match"] is not None
    assert post_swipe(client, me, blocker.id, "like").status_code == 404


@postgresql
def test_a_batch_never_waits_for_a_user_busy_elsewhere(client, db, make_participant):
    """A user's row locked by another transaction (an erasure, a block, a match being made)
    holds up only the swipes involving that user: the batch stores the others at once and
    leaves that one to the general path, which waits for its own pair as usual."""
    me, other = make_participant("teacher"), make_participant("teacher")
    busy, free = make_participant("professional"), make_participant("professional")
    batch = [(me.id, busy.id, "like"), (me.id, free.id, "like"), (other.id, free.id, "pass")]

    async def run() -> list[bool]:
        conninfo = libpq_url(get_settings().database_url)
        assert conninfo is not None
        holder = await AsyncConnection.connect(conninfo)
        try:
            async with hot_path_pool() as pool:
                await holder.execute(
                    "SELECT 1 FROM users WHERE id = %s FOR NO KEY UPDATE", [busy.id]
                )
                batcher = swipe_batches.batcher(pool)
                submitted = [batcher.submit(swipe_batches.PlainSwipe(*swipe)) for swipe in batch]
                return list(await asyncio.wait_for(asyncio.gather(*submitted), timeout=5))
        finally:
            await holder.rollback()
            await holder.close()

    assert asyncio.run(run()) == [False, True, True]
    assert swipes(db) == {(me.id, free.id, "like"), (other.id, free.id, "pass")}
    assert post_swipe(client, me, busy.id, "like").status_code == 201  # the general path


def test_a_batcher_goes_with_its_pool():
    """One batcher per application pool, and none left behind once the pool is gone."""
    import gc

    async def run() -> None:
        pools = [
            AsyncConnectionPool("dbname=unused", min_size=0, max_size=1, open=False)
            for _ in range(3)
        ]
        assert swipe_batches.batcher(pools[0]) is swipe_batches.batcher(pools[0])
        for pool in pools:
            swipe_batches.batcher(pool)

    before = len(batching._batchers)
    asyncio.run(run())
    gc.collect()
    assert len(batching._batchers) == before
