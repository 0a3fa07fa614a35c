"""Rate limits that hold across API processes.

Counters live in the database (table `rate_limit_counters`, one row per key and fixed window,
incremented with an atomic upsert) or, when `REDIS_URL` is set, in Redis (`INCR` + `EXPIRE`).
Either way every process sees the same counts. A counter is written in its own short
transaction, so a failed login is counted even though the request itself is rejected.
"""

import math
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col

from app.config import get_settings
from app.db import new_session
from app.errors import TooManyRequests
from app.models import RateLimitCounter


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    max_hits: int
    window_seconds: int


def _window(limit: Limit, now: float) -> tuple[int, int]:
    start = int(now // limit.window_seconds) * limit.window_seconds
    retry_after = max(1, math.ceil(start + limit.window_seconds - now))
    return start, retry_after


@cache
def _redis() -> Any:
    import redis

    return redis.Redis.from_url(get_settings().redis_url or "", socket_timeout=2)


def _count_redis(key: str, window_start: int, window_seconds: int, add: int) -> int:
    client = _redis()
    name = f"jobtinder:rl:{key}:{window_start}"
    if add == 0:
        return int(client.get(name) or 0)
    pipe = client.pipeline()
    pipe.incrby(name, add)
    pipe.expire(name, window_seconds + 5)
    hits, _ = pipe.execute()
    return int(hits)


def _count_db(key: str, window_start: int, add: int) -> int:
    with new_session(write=add > 0) as session:
        if add == 0:
            row = session.get(RateLimitCounter, (key, window_start))
            return row.hits if row else 0
        dialect = session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        statement = insert(RateLimitCounter).values(key=key, window_start=window_start, hits=add)
        upsert = statement.on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"hits": col(RateLimitCounter.hits) + add},
        ).returning(col(RateLimitCounter.hits))
        hits = int(session.execute(upsert).scalar_one())
        session.commit()
        return hits


def count(limit: Limit, subject: str, *, add: int) -> tuple[int, int]:
    """Add `add` hits for this subject (0 = just read) → (hits in window, seconds to reset)."""
    now = time.time()
    window_start, retry_after = _window(limit, now)
    key = f"{limit.name}:{subject.lower()}"[:200]
    if get_settings().redis_url:
        hits = _count_redis(key, window_start, limit.window_seconds, add)
    else:
        hits = _count_db(key, window_start, add)
    return hits, retry_after


def check(limit: Limit, subject: str) -> None:
    """Refuse (429) when the subject already used up this window's allowance."""
    hits, retry_after = count(limit, subject, add=0)
    if hits >= limit.max_hits:
        raise TooManyRequests(retry_after)


def hit(limit: Limit, subject: str) -> None:
    """Count one attempt; refuse (429) when it goes over the allowance."""
    hits, retry_after = count(limit, subject, add=1)
    if hits > limit.max_hits:
        raise TooManyRequests(retry_after)


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
