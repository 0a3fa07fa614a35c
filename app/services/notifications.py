"""Notifications: written in the same transaction as the event they report.

Every notification is stored here (`notify`, `notify_once`), and here too, for each one that
was actually inserted, the mail it calls for is queued in the same transaction
(app/services/notification_mail.py): a notification that is stored once is mailed once.

Each stored notification is also a live event for its recipient (`notification`, then the
new `unread` counts), in the same transaction (app/services/events.py).

Time-based ones (trial ending, behind schedule) have no event to ride on: they are emitted
when due, by whichever process notices first, with a `dedupe_key` so the same one is never
stored twice (`notify_once`).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import Session, col

from app import clock
from app.db import conflict_insert
from app.errors import NotFound
from app.i18n import LANGUAGES
from app.models import Notification
from app.schemas.notifications import NOTIFICATION_DATA, notification_text
from app.services import events, push
from app.services.notification_mail import Stored, mail_notifications


def _check(type_: str, data: dict[str, Any]) -> None:
    """Only the documented types, each with its documented data (a programming error else)."""
    NOTIFICATION_DATA[type_].model_validate(data)
    for lang in LANGUAGES:
        notification_text(type_, data, lang)


def notify(
    *,
    session: Session,
    user_id: int,
    type_: str,
    data: dict[str, Any],
    dedupe_key: str | None = None,
) -> None:
    """Queue a notification (its mail, its live event) in the current transaction (the caller
    commits)."""
    _check(type_, data)
    note = Notification(user_id=user_id, type=type_, data=data, dedupe_key=dedupe_key)
    session.add(note)
    session.flush()
    mail_notifications(session, [Stored(user_id, type_, data)])
    _emit_stored(session, [note])


def _emit_stored(session: Session, notes: Sequence[Notification]) -> None:
    """Each stored notification's live event and push, then the new unread counts."""
    for note in notes:
        push.push_notification(session, user_id=note.user_id, type_=note.type, data=note.data)
        events.emit(
            session,
            user_id=note.user_id,
            type="notification",
            data={
                "id": note.id,
                "type": note.type,
                "created_at": clock.as_utc(note.created_at).isoformat(),
                "read": False,
                "data": note.data,
            },
        )
    for user_id in sorted({note.user_id for note in notes}):
        emit_unread(session, user_id=user_id)


def unread_count(session: Session, *, user_id: int) -> int:
    """Unread notifications."""
    notifications = session.scalar(
        select(func.count())
        .select_from(Notification)
        .where(col(Notification.user_id) == user_id, col(Notification.read_at).is_(None))
    )
    return int(notifications or 0)


def unread_counts(session: Session, *, user_id: int) -> dict[str, Any]:
    """What the `unread` event carries: the body of GET /me/unread (unread notifications,
    unread messages in all and per conversation)."""
    from app.services.messages import unread

    return unread(session, user_id=user_id).as_dict()


def emit_unread(session: Session, *, user_id: int) -> None:
    """The recipient's unread counts as a live event (caller commits)."""
    events.emit(
        session, user_id=user_id, type="unread", data=unread_counts(session, user_id=user_id)
    )


@dataclass(frozen=True, slots=True)
class Due:
    """A notification that is due, identified by its dedupe key."""

    user_id: int
    type_: str
    data: dict[str, Any]
    dedupe_key: str


def pending(session: Session, due: Sequence[Due]) -> list[Due]:
    """Those not stored yet (a read: most calls find nothing to do)."""
    if not due:
        return []
    keys = [d.dedupe_key for d in due]
    stored = set(
        session.scalars(
            select(col(Notification.dedupe_key)).where(col(Notification.dedupe_key).in_(keys))
        )
    )
    return [d for d in due if d.dedupe_key not in stored]


def notify_once(session: Session, due: Sequence[Due]) -> int:
    """Insert, skipping any whose key is already stored; how many were new (caller commits).

    INSERT ... ON CONFLICT DO NOTHING: several processes emitting the same notification at
    the same moment neither duplicate it nor fail.
    """
    if not due:
        return 0
    for d in due:
        _check(d.type_, d.data)
    now = clock.now()
    rows = [
        {
            "user_id": d.user_id,
            "type": d.type_,
            "data": d.data,
            "dedupe_key": d.dedupe_key,
            "created_at": now,
        }
        for d in due
    ]
    statement = conflict_insert(session, Notification).values(rows)
    stored = list(
        session.scalars(
            statement.on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Notification)
        )
    )
    inserted = {note.dedupe_key for note in stored}
    # Only those this call inserted: a concurrent process that stored one first mails it.
    mail_notifications(
        session, [Stored(d.user_id, d.type_, d.data) for d in due if d.dedupe_key in inserted]
    )
    _emit_stored(session, stored)
    return len(inserted)


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
    changed = session.execute(
        update(Notification)
        .where(col(Notification.id) == notification_id, col(Notification.read_at).is_(None))
        .values(read_at=clock.now())
    )
    if getattr(changed, "rowcount", 0):
        emit_unread(session, user_id=user_id)


def mark_all_read(*, session: Session, user_id: int, up_to_id: int | None) -> int:
    """Mark all my unread notifications read (those up to `up_to_id` if given); how many."""
    query = update(Notification).where(
        col(Notification.user_id) == user_id, col(Notification.read_at).is_(None)
    )
    if up_to_id is not None:
        query = query.where(col(Notification.id) <= up_to_id)
    result = session.execute(query.values(read_at=clock.now()))
    return max(int(getattr(result, "rowcount", 0) or 0), 0)
