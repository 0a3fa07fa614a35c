"""Notifications: written in the same transaction as the event they report."""

from typing import Any

from sqlalchemy import select, update
from sqlmodel import Session, col

from app import clock
from app.errors import NotFound
from app.models import Notification


def notify(
    *,
    session: Session,
    user_id: int,
    type_: str,
    data: dict[str, Any],
    dedupe_key: str | None = None,
) -> None:
    """Queue a notification in the current transaction (the caller commits)."""
    session.add(Notification(user_id=user_id, type=type_, data=data, dedupe_key=dedupe_key))


def list_notifications(
    *, session: Session, user_id: int, after_id: int | None, limit: int, unread: bool | None
) -> list[Notification]:
    """Newest first, keyset-paginated on id; one row more than asked tells if a page follows."""
    query = select(Notification).where(col(Notification.user_id) == user_id)
    if after_id is not None:
        query = query.where(col(Notification.id) < after_id)
    if unread is True:
        query = query.where(col(Notification.read_at).is_(None))
    elif unread is False:
        query = query.where(col(Notification.read_at).is_not(None))
    query = query.order_by(col(Notification.id).desc()).limit(limit + 1)
    return list(session.scalars(query))


def mark_read(*, session: Session, user_id: int, notification_id: int) -> None:
    """Mark one of my notifications read (idempotent)."""
    found = session.scalar(
        select(col(Notification.id)).where(
            col(Notification.id) == notification_id, col(Notification.user_id) == user_id
        )
    )
    if found is None:
        raise NotFound()
    session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.read_at).is_(None))
        .values(read_at=clock.now())
    )
    session.commit()
