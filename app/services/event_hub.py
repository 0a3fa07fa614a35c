"""The per-process fan-out of live events: which streams are open here, and what wakes them.

One `Hub` per API process (started by the app's lifespan). A stream subscribes with its
user id and gets an `asyncio.Event`; the hub sets it when that user may have new events. The
hub never holds events itself (streams read them from the database), so a burst costs each
stream one flag, not a queue.

What wakes the hub (see `events.wake_transport`):
- PostgreSQL: one LISTEN connection per process (psycopg, async), reconnected with backoff
  when lost; after every (re)connect all local streams re-read, so nothing sent while it was
  down is missed;
- Redis pub/sub (`REDIS_URL`): one subscriber connection per process, the same way;
- the in-process callback `events.set_local_wake` (SQLite without Redis); streams also
  re-read at every heartbeat there, so other processes on the same file are seen too.

Presence (`stream_presence`): the users with an open stream here are written in one
statement, at most every second after a change and every `PRESENCE_RENEW_SECONDS` anyway,
with an expiry, so a crashed process's rows lapse by themselves.
"""

import asyncio
import logging
import signal
import uuid
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from psycopg import AsyncConnection

from app.config import get_settings
from app.db import libpq_url, session_scope
from app.services import events

log = logging.getLogger("jobtinder.events")


@dataclass(eq=False, slots=True)
class Subscriber:
    user_id: int
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class Hub:
    def __init__(self) -> None:
        self.node = uuid.uuid4().hex[:16]
        self.by_user: dict[int, set[Subscriber]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.tasks: list[asyncio.Task[None]] = []
        self.listening = asyncio.Event()  # the cross-process listener is connected
        self._present_changed = asyncio.Event()
        self._gone: set[int] = set()
        self.reconnects = 0
        self.closing = False  # the server shuts down: streams end (clients reconnect elsewhere)

    # --- streams ---------------------------------------------------------------------------

    def subscribe(self, user_id: int) -> Subscriber:
        subscriber = Subscriber(user_id)
        streams = self.by_user.setdefault(user_id, set())
        if not streams:
            self._gone.discard(user_id)
            self._present_changed.set()
        streams.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        streams = self.by_user.get(subscriber.user_id)
        if streams is None:
            return
        streams.discard(subscriber)
        if not streams:
            del self.by_user[subscriber.user_id]
            self._gone.add(subscriber.user_id)
            self._present_changed.set()

    def wake(self, user_id: int) -> None:
        for subscriber in self.by_user.get(user_id, ()):
            subscriber.wake.set()

    def wake_all(self) -> None:
        for streams in self.by_user.values():
            for subscriber in streams:
                subscriber.wake.set()

    def wake_threadsafe(self, user_id: int) -> None:
        loop = self.loop
        if loop is not None and not loop.is_closed():
            loop.call_soon_threadsafe(self.wake, user_id)

    # --- lifecycle -------------------------------------------------------------------------

    def close_all(self) -> None:
        self.closing = True
        self.wake_all()

    def _chain_shutdown_signals(self) -> None:
        """uvicorn waits for open connections before it shuts down: a stream would hold it
        up until its graceful-shutdown timeout. On SIGTERM/SIGINT streams end at once."""
        loop = self.loop
        assert loop is not None
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)

            def handler(sig: int, frame: Any, previous: Any = previous) -> None:
                loop.call_soon_threadsafe(self.close_all)
                if callable(previous):
                    previous(sig, frame)

            try:
                signal.signal(signum, handler)
            except ValueError:  # not the main thread (a test client): nothing to chain
                return

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._chain_shutdown_signals()
        transport = events.wake_transport()
        if transport == "local":
            events.set_local_wake(self.wake_threadsafe)
            self.listening.set()
        elif transport == "postgres":
            self.tasks.append(asyncio.create_task(self._listen_postgres(), name="events-listen"))
        else:
            self.tasks.append(asyncio.create_task(self._listen_redis(), name="events-redis"))
        self.tasks.append(asyncio.create_task(self._presence_loop(), name="events-presence"))

    async def stop(self) -> None:
        self.close_all()
        events.set_local_wake(None)
        for task in self.tasks:
            task.cancel()
        for task in self.tasks:
            try:
                await task
            except (asyncio.CancelledError, Exception):
                pass
        self.tasks.clear()
        try:  # this process's streams are gone: say so now rather than at expiry
            gone = set(self.by_user) | self._gone
            await run_in_threadpool(self._write_presence, set(), gone)
        except Exception as exc:
            log.warning("could not clear stream presence: %s", type(exc).__name__)

    # --- cross-process wake-ups ------------------------------------------------------------

    async def _listen_postgres(self) -> None:
        conninfo = libpq_url(get_settings().database_url)
        assert conninfo is not None
        delay = 0.5
        while True:
            try:
                conn = await AsyncConnection.connect(
                    conninfo,
                    autocommit=True,
                    connect_timeout=5,
                    keepalives=1,
                    keepalives_idle=30,
                    keepalives_interval=10,
                    keepalives_count=3,
                )
                async with conn:
                    await conn.execute(f"LISTEN {events.CHANNEL}")
                    self.listening.set()
                    delay = 0.5
                    self.wake_all()  # anything stored while we were not listening
                    async for note in conn.notifies():
                        user_id, _, _seq = note.payload.partition(":")
                        if user_id.isdigit():
                            self.wake(int(user_id))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.listening.clear()
                self.reconnects += 1
                log.warning("event listener lost (%s); reconnecting", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)

    async def _listen_redis(self) -> None:
        import redis.asyncio as aioredis

        delay = 0.5
        while True:
            client = aioredis.Redis.from_url(get_settings().redis_url or "")
            try:
                pubsub = client.pubsub()
                await pubsub.subscribe(events.REDIS_CHANNEL)
                self.listening.set()
                delay = 0.5
                self.wake_all()
                async for message in pubsub.listen():
                    if message.get("type") != "message":
                        continue
                    raw = message.get("data")
                    text = raw.decode() if isinstance(raw, bytes) else str(raw)
                    if text.isdigit():
                        self.wake(int(text))
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                self.listening.clear()
                self.reconnects += 1
                log.warning("event subscriber lost (%s); reconnecting", type(exc).__name__)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
            finally:
                try:
                    await client.aclose()
                except Exception:
                    pass

    # --- presence --------------------------------------------------------------------------

    def _write_presence(self, present: set[int], gone: set[int]) -> None:
        with session_scope(write=True) as session:
            events.write_presence(session, node=self.node, present=present, gone=gone)

    async def _presence_loop(self) -> None:
        while True:
            try:
                await asyncio.wait_for(
                    self._present_changed.wait(), timeout=events.PRESENCE_RENEW_SECONDS
                )
            except TimeoutError:
                pass
            self._present_changed.clear()
            gone, self._gone = self._gone, set()
            present = set(self.by_user)
            try:
                await run_in_threadpool(self._write_presence, present, gone)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database is down: try again shortly
                self._gone |= gone
                log.warning("stream presence not written: %s", type(exc).__name__)
            await asyncio.sleep(1.0)  # at most one write a second


HUB_STATE_KEY = "event_hub"


async def start_hub(app: FastAPI) -> None:
    hub = Hub()
    await hub.start()
    setattr(app.state, HUB_STATE_KEY, hub)


async def stop_hub(app: FastAPI) -> None:
    hub: Hub | None = getattr(app.state, HUB_STATE_KEY, None)
    if hub is not None:
        setattr(app.state, HUB_STATE_KEY, None)
        await hub.stop()


def get_hub(app: FastAPI) -> "Hub | None":
    return getattr(app.state, HUB_STATE_KEY, None)
