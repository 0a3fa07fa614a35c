"""Rate limits that hold across API processes.

Counters live in the database (table `rate_limit_counters`, one row per key and fixed window)
or, when `REDIS_URL` is set, in Redis. Either way every process sees the same counts.

An attempt is *taken* from the allowance in one atomic step that both counts and decides: a
conditional upsert (`… ON CONFLICT DO UPDATE … WHERE hits < max RETURNING hits`) or a Lua
script in Redis. Nothing reads a counter first and adds to it later, so a burst of
simultaneous requests, in any number of processes, can never take more than the allowance:
the request that would go over gets no row back and is refused (429). A counter is written in
its own short transaction, so a counted attempt stays counted even though the request itself
is rejected.

On PostgreSQL that transaction runs on a small pool of its own (`_counter_engine`), one
autocommitted statement: a request that holds a connection of the main pool must never wait
for a second one from the same pool (a burst of such requests, each holding one and waiting
for another, starved the pool into 503s: the message send under 32 concurrent senders).

Two ways to use an allowance:
- `hit`: every attempt counts (logins per address, registrations per address);
- `reserve` … `release`: the attempt holds a place while it runs and gives it back when it
  turns out not to count (a login with the right password gives back its place in the
  account's budget of failures); a wrong password keeps it.
"""

import math
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Engine, delete, update
from sqlalchemy.dialects import postgresql
from sqlmodel import col, create_engine

from app.config import get_settings
from app.db import conflict_insert, get_engine, new_session, ping_when_idle
from app.errors import TOO_MANY_ATTEMPTS, ErrorCode, TooManyRequests
from app.models import RateLimitCounter


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    max_hits: int
    window_seconds: int
    error: ErrorCode = TOO_MANY_ATTEMPTS  # what a caller over the limit is told


@dataclass(frozen=True, slots=True)
class Reservation:
    """A place taken in one window of one counter (see `release`)."""

    key: str
    window_start: int
    window_seconds: int


def _window(limit: Limit, now: float) -> tuple[int, int]:
    start = int(now // limit.window_seconds) * limit.window_seconds
    retry_after = max(1, math.ceil(start + limit.window_seconds - now))
    return start, retry_after


@cache
def _redis() -> Any:
    import redis

    return redis.Redis.from_url(get_settings().redis_url or "", socket_timeout=2)


# KEYS[1] the counter; ARGV: max hits, seconds to keep it. → the new count, or 0 when full.
_TAKE_LUA = """
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits >= tonumber(ARGV[1]) then return 0 end
hits = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[2])
return hits
"""
# KEYS[1] the counter → the count after giving one back (never below 0).
_GIVE_BACK_LUA = """
local hits = tonumber(redis.call('GET', KEYS[1]) or '0')
if hits <= 0 then return 0 end
return redis.call('DECR', KEYS[1])
"""


def _redis_scripts() -> tuple[Any, Any]:
    client = _redis()
    return client.register_script(_TAKE_LUA), client.register_script(_GIVE_BACK_LUA)


def _redis_name(key: str, window_start: int) -> str:
    return f"{get_settings().redis_key_prefix}rl:{key}:{window_start}"


COUNTER_POOL_SIZE = 2  # per process, besides the main pool; overflow as far again


@cache
def _counter_engine(main: Engine) -> Engine | None:
    """The counters' own small autocommit pool on PostgreSQL (see the module's docstring);
    None on SQLite, whose counters take the database write lock in a session of their own
    (callers end their own transaction first)."""
    if main.dialect.name != "postgresql":
        return None
    counters = create_engine(
        main.url,
        pool_size=COUNTER_POOL_SIZE,
        max_overflow=COUNTER_POOL_SIZE,
        pool_timeout=10,
        isolation_level="AUTOCOMMIT",
        connect_args={"connect_timeout": 5},
    )
    ping_when_idle(counters)  # as the main pool: a busy connection is not pinged
    return counters


def _take_db(key: str, window_start: int, max_hits: int) -> bool:
    counters = _counter_engine(get_engine())
    if counters is not None:
        upsert = _take_statement(postgresql.insert(RateLimitCounter), key, window_start, max_hits)
        with counters.connect() as conn:  # autocommit: the statement is its transaction
            return conn.execute(upsert).scalar_one_or_none() is not None
    with new_session(write=True) as session:
        upsert = _take_statement(
            conflict_insert(session, RateLimitCounter), key, window_start, max_hits
        )
        taken = session.execute(upsert).scalar_one_or_none() is not None
        session.commit()
        return taken


def _take_statement(insert: Any, key: str, window_start: int, max_hits: int) -> Any:
    return (
        insert.values(key=key, window_start=window_start, hits=1)
        .on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"hits": col(RateLimitCounter.hits) + 1},
            where=col(RateLimitCounter.hits) < max_hits,
        )
        .returning(col(RateLimitCounter.hits))
    )


def _give_back_db(key: str, window_start: int) -> None:
    give_back = (
        update(RateLimitCounter)
        .where(
            col(RateLimitCounter.key) == key,
            col(RateLimitCounter.window_start) == window_start,
            col(RateLimitCounter.hits) > 0,
        )
        .values(hits=col(RateLimitCounter.hits) - 1)
    )
    counters = _counter_engine(get_engine())
    if counters is not None:
        with counters.connect() as conn:
            conn.execute(give_back)
        return
    with new_session(write=True) as session:
        session.execute(give_back)
        session.commit()


def reserve(limit: Limit, subject: str) -> Reservation:
    """Take one place in this window's allowance, atomically; 429 when none is left."""
    window_start, retry_after = _window(limit, time.time())
    key = f"{limit.name}:{subject.lower()}"[:200]
    if get_settings().redis_url:
        take, _ = _redis_scripts()
        name = _redis_name(key, window_start)
        taken = int(take(keys=[name], args=[limit.max_hits, limit.window_seconds + 5])) > 0
    else:
        taken = _take_db(key, window_start, limit.max_hits)
    if not taken:
        raise TooManyRequests(retry_after, limit.error)
    return Reservation(key, window_start, limit.window_seconds)


def release(reservation: Reservation) -> None:
    """Give a reserved place back: the attempt turned out not to count."""
    if get_settings().redis_url:
        _, give_back = _redis_scripts()
        give_back(keys=[_redis_name(reservation.key, reservation.window_start)])
    else:
        _give_back_db(reservation.key, reservation.window_start)


def hit(limit: Limit, subject: str) -> None:
    """Count one attempt; refuse (429) when the allowance is used up."""
    reserve(limit, subject)


def purge_expired(older_than_seconds: int = 24 * 3600) -> int:
    """Delete database counters of windows long past (run by `jobtinder purge`)."""
    cutoff = int(time.time()) - older_than_seconds
    with new_session(write=True) as session:
        result = session.execute(
            delete(RateLimitCounter).where(col(RateLimitCounter.window_start) < cutoff)
        )
        session.commit()
        return int(result.rowcount or 0)  # type: ignore[attr-defined]


def login_limits() -> tuple[Limit, Limit]:
    settings = get_settings()
    window = settings.login_window_seconds
    return (
        Limit("login-account", settings.login_failures_per_account, window),
        Limit("login-address", settings.login_attempts_per_address, window),
    )


def registration_limit() -> Limit:
    settings = get_settings()
    return Limit("register-address", settings.registrations_per_address, 3600)
