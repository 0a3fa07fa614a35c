"""The swipe's fast path as a group commit: the plain swipes that arrive together in a process
are stored in one round trip and one transaction.

A plain swipe (`swiping.try_plain_swipe`: one that needs no decision beyond "allowed") costs
the database little work but a statement, a transaction and a commit of its own, and the API
process a round trip; under load most of a swipe's CPU was that overhead. Here every swipe
joins a queue of its process; a flush sends whatever is queued as one statement: `plain_swipe`
for one, `plain_swipes` (app/services/sql/plain_swipes.sql) for several, which locks those of
the batch's users that no other transaction holds (without waiting for the others) and runs
`plain_swipe` per element whose two users it holds. At most two flushes run at once per
process, so nothing waits while the database is idle (a lone swipe is sent at once, as
before), and the swipes that arrive while a flush is under way go together in the next
(`app/services/batching.py`).

What a swipe is answered does not change: each element is decided by the same function, in
arrival order, and sees the elements before it. Whatever is not stored (a refusal, a retry, a
like that may start a match, a swipe whose users were busy in another transaction) is left to
the general path, as before. When the batch's statement fails as a whole (a unique violation
the locks should make impossible, a lost connection, a database without the function yet) its
transaction wrote nothing, and every swipe in it goes to the general path, which decides what
to answer (503 if the database really is gone).
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from app import clock
from app.config import get_settings
from app.services import batching

log = logging.getLogger("jobtinder")

_ONE = (
    "SELECT plain_swipe(%(me)s::integer, %(target)s::integer, %(decision)s::text, "
    "%(now)s::timestamptz, %(day_start)s::timestamptz, %(likes_per_day)s::integer)"
)
_MANY = (
    "SELECT plain_swipes(%(me)s::integer[], %(target)s::integer[], %(decision)s::text[], "
    "%(now)s::timestamptz, %(day_start)s::timestamptz, %(likes_per_day)s::integer)"
)


@dataclass(frozen=True, slots=True)
class PlainSwipe:
    user_id: int
    target_id: int
    decision: str


async def _store(
    pool: "AsyncConnectionPool[AsyncConnection] | None", batch: Sequence[PlainSwipe]
) -> list[bool]:
    """One statement for the batch; True for each swipe it stored."""
    if pool is None:  # the application's pool is gone (shut down): the general path
        return [False] * len(batch)
    now = clock.now()
    params: dict[str, object] = {
        "now": now,
        "day_start": now.replace(hour=0, minute=0, second=0, microsecond=0),
        "likes_per_day": get_settings().likes_per_day,
    }
    if len(batch) == 1:
        params |= {
            "me": batch[0].user_id,
            "target": batch[0].target_id,
            "decision": batch[0].decision,
        }
    else:
        params |= {
            "me": [s.user_id for s in batch],
            "target": [s.target_id for s in batch],
            "decision": [s.decision for s in batch],
        }
    statement = _ONE if len(batch) == 1 else _MANY
    try:
        async with pool.connection() as conn:  # autocommit: one statement, one commit
            row = await (await conn.execute(statement, params)).fetchone()
    except psycopg.Error as exc:  # the pool's timeout included: the general path decides
        if not isinstance(exc, psycopg.IntegrityError):  # a race the locks rule out
            log.warning("swipe fast path unavailable: %s", type(exc).__name__)
        return [False] * len(batch)
    assert row is not None  # a SELECT of one function call: one row
    return [bool(row[0])] if len(batch) == 1 else [bool(stored) for stored in row[0]]


def batcher(pool: "AsyncConnectionPool[AsyncConnection]") -> batching.Batcher[PlainSwipe, bool]:
    """The process's swipe batcher for this pool; `submit` answers True if the swipe was
    stored, False if nothing was written and the general path decides."""
    return batching.batcher(pool, "plain_swipes", _store)
