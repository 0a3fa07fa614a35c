"""The swipe's fast path as a group commit: the plain swipes that arrive together in a process
are stored in one round trip and one transaction.

A plain swipe (`swiping.try_plain_swipe`: one that needs no decision beyond "allowed") costs
the database little work but a statement, a transaction and a commit of its own, and the API
process a round trip; under load most of a swipe's CPU was that overhead. Here every swipe
joins a queue of its process; a flush sends whatever is queued as one statement: `plain_swipe`
for one, `plain_swipes` (app/services/sql/plain_swipes.sql) for several, which locks those of
the batch's users that no other transaction holds (without waiting for the others) and runs
`plain_swipe` per element whose two users it holds. At most `IN_FLIGHT` flushes run at once per
process, so nothing waits while the database is idle (a lone swipe is sent at once, as
before), and the swipes that arrive while a flush is under way go together in the next.

What a swipe is answered does not change: each element is decided by the same function, in
arrival order, and sees the elements before it. Whatever is not stored (a refusal, a retry, a
like that may start a match, a swipe whose users were busy in another transaction) is left to
the general path, as before. When the batch's statement fails as a whole (a unique violation
the locks should make impossible, a lost connection, a database without the function yet) its
transaction wrote nothing, and every swipe in it goes to the general path, which decides what
to answer (503 if the database really is gone).
"""

import asyncio
import logging
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field

import psycopg
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

from app import clock
from app.config import get_settings

log = logging.getLogger("jobtinder")

IN_FLIGHT = 2  # flushes under way at once, per process
MAX_BATCH = 64  # swipes in one statement

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


@dataclass(slots=True)
class _Waiting:
    swipe: PlainSwipe
    stored: "asyncio.Future[bool]"


@dataclass(slots=True)
class Batcher:
    """The queue and the flushes of one process's pool (see the module's docstring). It
    holds its pool weakly: `_batchers` is keyed by the pool, and an application's pool (one
    per lifespan) and batcher go together."""

    pool_ref: "weakref.ref[AsyncConnectionPool[AsyncConnection]]"
    queue: list[_Waiting] = field(default_factory=list)
    flushing: int = 0
    tasks: set["asyncio.Task[None]"] = field(default_factory=set)
    # What the process did, for the benchmark and the tests: statements sent and swipes in them.
    statements: int = 0
    swipes: int = 0

    async def submit(self, swipe: PlainSwipe) -> bool:
        """True if the swipe was stored; False: nothing was written, the general path decides."""
        loop = asyncio.get_running_loop()
        waiting = _Waiting(swipe, loop.create_future())
        self.queue.append(waiting)
        if self.flushing < IN_FLIGHT:
            task = loop.create_task(self._flush())
            self.flushing += 1
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await waiting.stored

    async def _flush(self) -> None:
        try:
            while self.queue:
                batch, self.queue = self.queue[:MAX_BATCH], self.queue[MAX_BATCH:]
                try:
                    results = await self._store([w.swipe for w in batch])
                    answers = list(zip(batch, results, strict=True))
                except BaseException as exc:  # cancelled, or a bug: no request waits forever
                    for waiting in batch:
                        if not waiting.stored.done():
                            waiting.stored.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                for waiting, stored in answers:
                    if not waiting.stored.done():  # its request may have been cancelled
                        waiting.stored.set_result(stored)
        finally:
            self.flushing -= 1

    async def _store(self, batch: Sequence[PlainSwipe]) -> list[bool]:
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
        pool = self.pool_ref()
        if pool is None:  # the application's pool is gone (shut down): the general path
            return [False] * len(batch)
        statement = _ONE if len(batch) == 1 else _MANY
        try:
            async with pool.connection() as conn:  # autocommit: one statement, one commit
                row = await (await conn.execute(statement, params)).fetchone()
        except psycopg.Error as exc:  # the pool's timeout included: the general path decides
            if not isinstance(exc, psycopg.IntegrityError):  # a race the locks rule out
                log.warning("swipe fast path unavailable: %s", type(exc).__name__)
            return [False] * len(batch)
        self.statements += 1
        self.swipes += len(batch)
        assert row is not None  # a SELECT of one function call: one row
        return [bool(row[0])] if len(batch) == 1 else [bool(stored) for stored in row[0]]


_batchers: "weakref.WeakKeyDictionary[AsyncConnectionPool[AsyncConnection], Batcher]" = (
    weakref.WeakKeyDictionary()
)


def batcher(pool: "AsyncConnectionPool[AsyncConnection]") -> Batcher:
    """The process's batcher for this pool (one per application lifespan)."""
    found = _batchers.get(pool)
    if found is None:
        found = _batchers[pool] = Batcher(weakref.ref(pool))
    return found
