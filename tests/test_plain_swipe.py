"""The swipe's one-round-trip path on PostgreSQL (`swiping.try_plain_swipe`; migrations
0006, 0007, 0009).

It may store a swipe only when the general path (`swiping.swipe`) would store it as a plain
201 without a match; in every other case it must write nothing and leave the answer to the
general path. Each case below is set up through the API, then the fast path is called on its
own against the real database, and then the same request goes through the API to show what
the general path answers for it.
"""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from sqlalchemy import func, select
from sqlmodel import Session

from app.config import get_settings
from app.db import get_engine, libpq_url
from app.models import DailyLikes, Match, Swipe
from app.services.swiping import try_plain_swipe
from tests.conftest import API, Person

pytestmark = pytest.mark.skipif(
    get_engine().dialect.name != "postgresql",
    reason="the one-round-trip path exists on PostgreSQL only (SQLite always takes the "
    "general path, which the rest of the suite covers)",
)


def plain_swipe(user_id: int, target_id: int, decision: str) -> bool:
    async def run() -> bool:
        conninfo = libpq_url(get_settings().database_url)
        assert conninfo is not None
        pool: AsyncConnectionPool[AsyncConnection] = AsyncConnectionPool(
            conninfo, min_size=1, max_size=1, kwargs={"autocommit": True}, open=False
        )
        await pool.open()
        try:
            return await try_plain_swipe(
                pool, user_id=user_id, target_id=target_id, decision=decision
            )
        finally:
            await pool.close()

    return asyncio.run(run())


def swipes(db: Session) -> set[tuple[int, int, str]]:
    db.rollback()
    rows = db.execute(select(Swipe.swiper_id, Swipe.target_id, Swipe.decision)).all()
    return {(a, b, d) for a, b, d in rows}


def post_swipe(client: TestClient, who: Person, target_id: int, decision: str) -> Any:
    return client.post(
        f"{API}/swipes", json={"target_id": target_id, "decision": decision}, headers=who.headers
    )


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


def test_a_like_on_someone_who_passed_me_is_plain(client, db, make_participant):
    teacher, pro = make_participant("teacher"), make_participant("professional")
    assert post_swipe(client, pro, teacher.id, "pass").status_code == 201

    assert plain_swipe(teacher.id, pro.id, "like") is True
    assert swipes(db) == {(pro.id, teacher.id, "pass"), (teacher.id, pro.id, "like")}


Setup = Callable[[TestClient, Any, Any, Person, Person], tuple[Person, int]]


def _retry(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    assert post_swipe(client, me, other.id, "like").status_code == 201
    return me, other.id


def _reverse_like(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    assert post_swipe(client, other, me.id, "like").status_code == 201
    return me, other.id


def _self(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    return me, me.id


def _same_side(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    return me, make_participant("teacher").id


def _unknown(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    return me, other.id + 1000


def _target_paused(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    response = client.patch(
        f"{API}/me/profile", json={"discoverable": False}, headers=other.headers
    )
    assert response.status_code == 200, response.text
    return me, other.id


def _target_no_profile(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    return me, make_participant("professional", profile=False).id


def _my_profile_missing(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    return make_participant("teacher", profile=False), other.id


def _i_blocked(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    response = client.post(f"{API}/blocks", json={"user_id": other.id}, headers=me.headers)
    assert response.status_code == 201, response.text
    return me, other.id


def _they_blocked(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    response = client.post(f"{API}/blocks", json={"user_id": me.id}, headers=other.headers)
    assert response.status_code == 201, response.text
    return me, other.id


def _target_deleted(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    assert client.delete(f"{API}/me", headers=other.headers).status_code == 204
    return me, other.id


def _coordinator(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    return make_staff("coordinator", regions=["rotterdam"]), other.id


def _coordinator_target(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    return me, make_staff("coordinator", regions=["rotterdam"]).id


def _me_unverified(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    return make_participant("teacher", verified=False), other.id


def _target_unverified(client, make_participant, make_staff, me, other):  # type: ignore[no-untyped-def]
    return me, make_participant("professional", verified=False).id


@pytest.mark.parametrize(
    ("setup", "status"),
    [
        (_retry, 200),
        (_reverse_like, 201),  # the general path makes the match
        (_self, 422),
        (_same_side, 422),
        (_unknown, 404),
        (_target_paused, 404),
        (_target_no_profile, 404),
        (_my_profile_missing, 409),
        (_i_blocked, 404),
        (_they_blocked, 404),
        (_target_deleted, 404),
        (_coordinator, 403),
        (_coordinator_target, 404),
        (_me_unverified, 403),
        (_target_unverified, 404),
    ],
    ids=lambda value: value.__name__.strip("_") if callable(value) else str(value),
)
def test_everything_else_is_left_to_the_general_path(
    client, db, make_participant, make_staff, setup: Setup, status: int
):
    me, other = make_participant("teacher"), make_participant("professional")
    swiper, target_id = setup(client, make_participant, make_staff, me, other)
    before = swipes(db)

    assert plain_swipe(swiper.id, target_id, "like") is False
    assert swipes(db) == before  # wrote nothing

    response = post_swipe(client, swiper, target_id, "like")
    assert response.status_code == status, response.text
    if setup is _reverse_like:
        assert response.json()["match"] is not None


def test_a_deleted_callers_token_writes_nothing(client, db, make_participant):
    me, other = make_participant("teacher"), make_participant("professional")
    assert client.delete(f"{API}/me", headers=me.headers).status_code == 204

    assert plain_swipe(me.id, other.id, "pass") is False
    assert swipes(db) == set()
    assert post_swipe(client, me, other.id, "pass").status_code == 401


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
