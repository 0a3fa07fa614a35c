"""The claim machinery of the outboxes (mail: app/services/outbox.py, Web Push:
app/services/push.py): rows with `status`, `next_attempt_at` and `claimed_until`.

A row is due when it is `pending` and its time has come, or `sending` with an expired claim
(its worker died). `claim` turns up to `limit` due rows into `sending` with a lease, in one
short transaction: on PostgreSQL the rows are selected `FOR UPDATE SKIP LOCKED`, so
concurrent workers claim disjoint sets; on SQLite the transaction holds the write lock.
"""

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlmodel import col

from app import clock
from app.config import Settings
from app.db import new_session


def due_clause(model: Any, now: datetime) -> Any:
    return or_(
        and_(col(model.status) == "pending", col(model.next_attempt_at) <= now),
        and_(col(model.status) == "sending", col(model.claimed_until) < now),
    )


def has_due(model: Any, now: datetime | None = None) -> bool:
    """A cheap read, so that an idle loop never takes SQLite's write lock."""
    with new_session() as session:
        found = session.scalar(select(col(model.id)).where(due_clause(model, now or clock.now())))
        return found is not None


def claim(model: Any, *, limit: int, lease: timedelta, now: datetime | None = None) -> list[int]:
    """Mark up to `limit` due rows as ours (`sending`, with a lease); their ids."""
    now = now or clock.now()
    with new_session(write=True) as session:
        query = (
            select(col(model.id))
            .where(due_clause(model, now))
            .order_by(col(model.next_attempt_at), col(model.id))
            .limit(limit)
        )
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = [i for i in session.scalars(query) if i is not None]
        if ids:
            session.execute(
                update(model)
                .where(col(model.id).in_(ids))
                .values(status="sending", claimed_until=now + lease)
            )
        session.commit()
        return ids


def backoff(attempts: int, settings: Settings) -> timedelta:
    """30 s, 1 min, 2 min, ... capped at MAIL_RETRY_MAX_SECONDS (mail and push alike)."""
    seconds = settings.mail_retry_base_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.mail_retry_max_seconds))
