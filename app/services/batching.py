"""Requests that arrive together in a process, sent to the database together.

On the hot paths a request's own work in the database is small; most of what it costs, in the
API process and in PostgreSQL, is its round trip: a statement sent, a wake-up on each side, a
result read, a pooled connection taken and given back. A `Batcher` queues what its requests
ask for and sends whatever is queued as one statement (the caller's `run` decides which):

- at most `in_flight` statements run at once per process and batcher, so nothing waits while
  the database is idle: a lone request is sent at once, and the requests that arrive while a
  statement is under way go together in the next one;
- every request gets its own answer, in order, or the exception its statement raised (a batch
  fails or succeeds as a whole, like the single statement it is);
- a request that was cancelled while it waited takes nothing with it.

Used by the plain swipe (`swipe_batches`: a group commit) and the feed's first read (`feed`:
the callers of one batch read in one statement).
"""

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool

T = TypeVar("T")
R = TypeVar("R")

Pool = AsyncConnectionPool[AsyncConnection]
# What a batcher runs: the pool (None once the application's pool is gone) and the batch, in
# arrival order; returns one answer per element, in the same order.
Run = Callable[["Pool | None", Sequence[T]], Awaitable[list[R]]]


@dataclass(slots=True)
class _Waiting(Generic[T, R]):
    item: T
    answer: "asyncio.Future[R]"


@dataclass(slots=True)
class Batcher(Generic[T, R]):
    """The queue and the statements under way of one kind of request and one pool. It holds
    its pool weakly: the registry is keyed by the pool, and an application's pool (one per
    lifespan) and its batchers go together."""

    pool_ref: "weakref.ref[Pool]"
    run: Run[T, R]
    in_flight: int = 2
    max_batch: int = 64
    queue: list[_Waiting[T, R]] = field(default_factory=list)
    flushing: int = 0
    tasks: set["asyncio.Task[None]"] = field(default_factory=set)
    # What the process did, for the benchmark and the tests: statements sent, elements in them.
    statements: int = 0
    items: int = 0

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        waiting: _Waiting[T, R] = _Waiting(item, loop.create_future())
        self.queue.append(waiting)
        if self.flushing < self.in_flight:
            task = loop.create_task(self._flush())
            self.flushing += 1
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return await waiting.answer

    async def _flush(self) -> None:
        try:
            while self.queue:
                batch = self.queue[: self.max_batch]
                self.queue = self.queue[self.max_batch :]
                try:
                    answers = await self.run(self.pool_ref(), [w.item for w in batch])
                    paired = list(zip(batch, answers, strict=True))
                except BaseException as exc:  # cancelled, or a failure: no request waits forever
                    for waiting in batch:
                        if not waiting.answer.done():
                            waiting.answer.set_exception(exc)
                    if not isinstance(exc, Exception):
                        raise
                    continue
                self.statements += 1
                self.items += len(batch)
                for waiting, answer in paired:
                    if not waiting.answer.done():  # its request may have been cancelled
                        waiting.answer.set_result(answer)
        finally:
            self.flushing -= 1


_batchers: "weakref.WeakKeyDictionary[Pool, dict[str, Batcher[Any, Any]]]" = (
    weakref.WeakKeyDictionary()
)


def batcher(pool: Pool, name: str, run: Run[T, R]) -> Batcher[T, R]:
    """The process's batcher of this name for this pool (one per application lifespan)."""
    of_pool = _batchers.get(pool)
    if of_pool is None:
        of_pool = _batchers[pool] = {}
    found = of_pool.get(name)
    if found is None:
        found = of_pool[name] = Batcher(weakref.ref(pool), run)
    return found
