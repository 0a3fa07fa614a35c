"""The feed's first read on PostgreSQL, shared by the callers that arrive together.

`feed._read_viewers` reads the caller, their exclusions and the version of the side they
browse; for several callers it sends one statement (the same one per id, as a lateral
subquery), through `app/services/batching.py`. Each caller must get exactly the row the
statement of their own gives: the batch changes the round trips, never an answer.
"""

import asyncio
from typing import Any

import pytest

from app.db import get_engine
from app.services import batching, feed
from tests.conftest import API
from tests.utils import block, hot_path_pool, swipe

pytestmark = pytest.mark.skipif(
    get_engine().dialect.name != "postgresql",
    reason="the hot paths' pool exists on PostgreSQL only (SQLite reads the caller through "
    "a session, which the feed's tests cover)",
)

NOBODY = 2_000_000_000  # an id no user has


def fields(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    values = row._asdict()
    values.pop("batch_n", None)
    values["excluded_ids"] = sorted(values["excluded_ids"] or [])
    return values


def test_callers_arriving_together_are_read_in_one_statement_each_as_alone(
    client, make_participant
):
    teacher, other_teacher = make_participant("teacher"), make_participant("teacher")
    passed, blocked = make_participant("professional"), make_participant("professional")
    unfinished = make_participant("teacher", profile=False)
    swipe(client, teacher, passed, "pass")
    block(client, teacher, blocked)
    erased = make_participant("professional")
    assert client.delete(f"{API}/me", headers=erased.headers).status_code == 204
    ids = [teacher.id, other_teacher.id, passed.id, unfinished.id, NOBODY, erased.id, teacher.id]

    async def run() -> tuple[list[Any], list[Any], int, int]:
        async with hot_path_pool() as pool:
            batcher = batching.batcher(pool, "feed_viewers", feed._read_viewers)
            together = await asyncio.gather(*(batcher.submit(i) for i in ids))
            alone = [(await feed._read_viewers(pool, [i]))[0] for i in ids]
            return list(together), alone, batcher.statements, batcher.items

    together, alone, statements, items = asyncio.run(run())
    assert (statements, items) == (1, len(ids))
    assert [fields(row) for row in together] == [fields(row) for row in alone]
    by_id = dict(zip(ids, together, strict=True))
    assert by_id[NOBODY] is None
    assert {passed.id, blocked.id} <= set(by_id[teacher.id].excluded_ids)
    assert teacher.id in by_id[passed.id].excluded_ids  # I passed on them: never in their deck
    assert by_id[unfinished.id].complete is None  # no profile: the feed answers 409
    assert by_id[erased.id].deleted_at is not None  # erased: the feed answers 401
