"""Live events: stored per recipient in the caller's transaction, then streamed.

The stored rows are the source of truth; a notification only wakes streams, which then read
what they have not sent yet. Each recipient's events are numbered 1, 2, 3, ... (`seq`): the
next number comes from an upsert on `event_sequences`, whose row lock is held until commit,
so a recipient's events always commit in the order of their numbers and a stream that has
sent number n has never skipped anything below n. `seq` is the event id of the stream and
what `Last-Event-ID` names.

Waking streams (one transport per deployment, `wake_transport()`):
- PostgreSQL: `pg_notify` in the same statement as the insert, delivered on commit (nothing
  if the transaction rolls back) to one LISTEN connection per API process;
- `REDIS_URL` set: published to Redis pub/sub after the commit (also across processes on one
  SQLite file);
- otherwise (the embedded SQLite default): the in-process hub, after the commit.

Event types: `notification` (data = the notification as `GET /notifications` lists it),
`match_updated` (`match_id`, `status`, `confirmed_by_me`, `confirmed_by_partner`), `unread`
(counts) and `message` (emitted by the messages service; its data carries `match_id` and
`sender_id`, which the push for a recipient without an open stream uses).
"""

import hashlib
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, Literal

import orjson
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col

from app import clock
from app.config import get_settings
from app.db import conflict_insert
from app.models import Event, EventSequence, StreamPresence, StreamTicket

log = logging.getLogger("jobtinder.events")

CHANNEL = "jobtinder_events"
REDIS_CHANNEL = "jobtinder:events"
EVENT_TYPES = ("message", "notification", "match_updated", "unread")
_WAKES = "jobtinder_event_wakes"

WakeTransport = Literal["postgres", "redis", "local"]


def wake_transport() -> WakeTransport:
    settings = get_settings()
    if settings.redis_url:
        return "redis"
    return "local" if settings.is_sqlite else "postgres"


# One statement, one round trip on PostgreSQL: the next number, the row, the NOTIFY.
_PG_EMIT = """
WITH next AS (
    INSERT INTO event_sequences (user_id, last_seq) VALUES (:user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET last_seq = event_sequences.last_seq + 1
    RETURNING last_seq
), stored AS (
    INSERT INTO events (user_id, seq, type, data, created_at)
    SELECT :user_id, last_seq, :type, CAST(:data AS json), :created_at FROM next
    RETURNING seq
)
SELECT {select} FROM stored
"""
PG_EMIT_NOTIFY = text(
    _PG_EMIT.format(select=f"pg_notify('{CHANNEL}', CAST(:user_id AS text) || ':' || seq)")
)
PG_EMIT_PLAIN = text(_PG_EMIT.format(select="seq"))


def emit(session: Session, *, user_id: int, type: str, data: dict[str, Any]) -> None:
    """Store one event for this recipient in the caller's transaction (no commit); streams
    are woken after the commit, on every API process."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown event type {type!r}")
    payload = orjson.dumps(data).decode()  # TypeError here, in the caller's tests
    transport = wake_transport()
    now = clock.now()
    if session.get_bind().dialect.name == "postgresql":
        statement = PG_EMIT_NOTIFY if transport == "postgres" else PG_EMIT_PLAIN
        session.execute(
            statement,
            {"user_id": user_id, "type": type, "data": payload, "created_at": now},
        ).all()
        seq = None
    else:
        seq = session.scalar(
            conflict_insert(session, EventSequence)
            .values(user_id=user_id, last_seq=1)
            .on_conflict_do_update(
                index_elements=["user_id"],
                set_={"last_seq": col(EventSequence.last_seq) + 1},
            )
            .returning(col(EventSequence.last_seq))
        )
        session.execute(
            insert(Event).values(user_id=user_id, seq=seq, type=type, data=data, created_at=now)
        )
    if transport != "postgres":
        session.info.setdefault(_WAKES, set()).add(user_id)
    if type == "message":
        from app.services.push import push_message

        push_message(session, user_id=user_id, data=data)


# --- After commit: wake streams (local hub, Redis) -------------------------------------------

# Set by the API process's hub when it starts: called with a user id, from any thread.
_local_wake: Callable[[int], None] | None = None
_local_lock = threading.Lock()


def set_local_wake(callback: Callable[[int], None] | None) -> None:
    global _local_wake
    with _local_lock:
        _local_wake = callback


@cache
def _redis_client() -> Any:
    import redis

    return redis.Redis.from_url(get_settings().redis_url or "", socket_timeout=2)


@sa_event.listens_for(OrmSession, "after_commit")
def _after_commit(session: OrmSession) -> None:
    users: set[int] | None = session.info.pop(_WAKES, None)
    if not users:
        return
    if wake_transport() == "redis":
        try:
            client = _redis_client()
            for user_id in sorted(users):
                client.publish(REDIS_CHANNEL, str(user_id))
        except Exception as exc:  # the rows are stored: streams catch up at their next wake
            log.warning("event wake-up via Redis failed: %s", type(exc).__name__)
        return
    wake = _local_wake
    if wake is not None:
        for user_id in users:
            wake(user_id)


@sa_event.listens_for(OrmSession, "after_rollback")
def _after_rollback(session: OrmSession) -> None:
    session.info.pop(_WAKES, None)


# --- Reading (the stream) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    type: str
    data: dict[str, Any]
    created_at: datetime


READ_SQL = (
    "SELECT seq, type, data, created_at FROM events "
    "WHERE user_id = %s AND seq > %s ORDER BY seq LIMIT %s"
)


def read_events(session: Session, *, user_id: int, after: int, limit: int) -> list[StoredEvent]:
    """The recipient's events after `after`, oldest first."""
    rows = session.execute(
        select(col(Event.seq), col(Event.type), col(Event.data), col(Event.created_at))
        .where(col(Event.user_id) == user_id, col(Event.seq) > after)
        .order_by(col(Event.seq))
        .limit(limit)
    ).all()
    return [StoredEvent(int(r.seq), r.type, r.data, clock.as_utc(r.created_at)) for r in rows]


def latest_seq(session: Session, *, user_id: int) -> int:
    found = session.scalar(
        select(col(EventSequence.last_seq)).where(col(EventSequence.user_id) == user_id)
    )
    return int(found or 0)


def encode_event(event: StoredEvent) -> bytes:
    """One Server-Sent Event (`id`, `event`, one `data` line of JSON)."""
    body = orjson.dumps(
        {"id": event.seq, "type": event.type, "created_at": event.created_at, "data": event.data}
    )
    return b"id: %d\nevent: %s\ndata: %s\n\n" % (event.seq, event.type.encode(), body)


# --- Stream tickets -------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_ticket(session: Session, *, user_id: int) -> tuple[str, int]:
    """A single-use ticket for `GET /events?ticket=` (the caller commits); the ticket and its
    lifetime."""
    lifetime = get_settings().events_ticket_seconds
    token = secrets.token_urlsafe(32)
    session.add(
        StreamTicket(
            token_hash=_hash(token),
            user_id=user_id,
            expires_at=clock.now() + timedelta(seconds=lifetime),
        )
    )
    return token, lifetime


def claim_ticket(session: Session, *, ticket: str) -> int | None:
    """The ticket's user, once: the first claim on any process wins (UPDATE ... RETURNING)."""
    now = clock.now()
    user_id = session.scalar(
        update(StreamTicket)
        .where(
            col(StreamTicket.token_hash) == _hash(ticket),
            col(StreamTicket.used_at).is_(None),
            col(StreamTicket.expires_at) > now,
        )
        .values(used_at=now)
        .returning(col(StreamTicket.user_id))
    )
    session.commit()
    return int(user_id) if user_id is not None else None


# --- Presence: who has an open stream somewhere --------------------------------------------

PRESENCE_TTL = timedelta(seconds=60)  # renewed every PRESENCE_RENEW_SECONDS while open
PRESENCE_RENEW_SECONDS = 20.0


def write_presence(session: Session, *, node: str, present: set[int], gone: set[int]) -> None:
    """This process's streams: renew those open, drop those closed (commits)."""
    now = clock.now()
    if gone:
        session.execute(
            delete(StreamPresence).where(
                col(StreamPresence.node) == node, col(StreamPresence.user_id).in_(sorted(gone))
            )
        )
    if present:
        rows = [
            {"user_id": uid, "node": node, "expires_at": now + PRESENCE_TTL}
            for uid in sorted(present)
        ]
        statement = conflict_insert(session, StreamPresence).values(rows)
        session.execute(
            statement.on_conflict_do_update(
                index_elements=["user_id", "node"],
                set_={"expires_at": statement.excluded.expires_at},
            )
        )
    session.commit()


def has_open_stream(session: Session, *, user_id: int) -> bool:
    found = session.scalar(
        select(col(StreamPresence.user_id)).where(
            col(StreamPresence.user_id) == user_id, col(StreamPresence.expires_at) > clock.now()
        )
    )
    return found is not None


# --- Erasure and retention ------------------------------------------------------------------


def forget_user(session: Session, *, user_id: int, partner_ids: set[int], name: str) -> None:
    """Account erasure (caller commits): my events, tickets and presence go; partners' stored
    notification events that name me name `name` instead."""
    session.execute(delete(Event).where(col(Event.user_id) == user_id))
    session.execute(delete(EventSequence).where(col(EventSequence.user_id) == user_id))
    session.execute(delete(StreamTicket).where(col(StreamTicket.user_id) == user_id))
    session.execute(delete(StreamPresence).where(col(StreamPresence.user_id) == user_id))
    if not partner_ids:
        return
    for stored in session.scalars(
        select(Event).where(
            col(Event.user_id).in_(sorted(partner_ids)), col(Event.type) == "notification"
        )
    ):
        inner = stored.data.get("data")
        if isinstance(inner, dict) and inner.get("partner_id") == user_id:
            if "partner_name" in inner:
                stored.data = stored.data | {"data": inner | {"partner_name": name}}
                session.add(stored)


def purge(session: Session, *, now: datetime) -> int:
    """Events older than EVENTS_KEEP_DAYS, used or expired tickets and stale presence rows
    (caller commits); how many events went."""
    cutoff = now - timedelta(days=get_settings().events_keep_days)
    result = session.execute(delete(Event).where(col(Event.created_at) < cutoff))
    session.execute(
        delete(StreamTicket).where(col(StreamTicket.expires_at) < now - timedelta(hours=1))
    )
    session.execute(delete(StreamPresence).where(col(StreamPresence.expires_at) < now))
    return int(getattr(result, "rowcount", 0) or 0)
