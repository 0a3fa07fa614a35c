"""What happens because time passes: reminders and stored completion, without a scheduler.

Statuses that follow from the clock are derived on read (`matches.effective_status`), so
nothing here is needed for correctness of what the API answers. The time-based notifications
(`trial_ending`, `behind_schedule`) are emitted by whoever notices first: `GET /notifications`
for the caller's own matches, and `jobtinder tick` (optional, e.g. hourly from cron) for all.
Each carries a dedupe key and is inserted with ON CONFLICT DO NOTHING, so any number of
processes, requests and ticks at the same moment store it exactly once.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session

from app import clock
from app.config import get_settings
from app.db import begin_write
from app.models import ONGOING, Match, MatchStatus
from app.services import matches as match_service
from app.services.notifications import Due, notify_once, pending
from app.services.trajectory import progress_many


def due_notifications(
    session: Session, matches: Sequence[Match], now: datetime, *, only_user: int | None = None
) -> list[Due]:
    """trial_ending and behind_schedule notifications that are due now for these matches."""
    notice = timedelta(days=get_settings().trial_ending_notice_days)
    progresses = progress_many(session, matches)
    year, week, _ = now.isocalendar()
    due: list[Due] = []
    for match in matches:
        assert match.id is not None
        status = match_service.effective_status(match, now)
        if status not in ONGOING:
            continue
        recipients = [
            uid
            for uid in (match.teacher_id, match.professional_id)
            if only_user is None or uid == only_user
        ]
        trial_ends_at = clock.as_utc(match.trial_ends_at)
        both_confirmed = match.teacher_confirmed_at and match.professional_confirmed_at
        if status == MatchStatus.trial and not both_confirmed and now >= trial_ends_at - notice:
            data = {"match_id": match.id, "trial_ends_at": trial_ends_at.isoformat()}
            due += [
                Due(uid, "trial_ending", data, f"trial_ending:{match.id}:{uid}")
                for uid in recipients
            ]
        current = progresses[match.id]
        if not current.on_track:
            data = {
                "match_id": match.id,
                "hours_logged": current.hours_logged,
                "expected_hours_by_now": current.expected_hours_by_now,
                "hours_target": current.hours_target,
                "behind_by_hours": current.behind_by_hours,
            }
            due += [
                Due(uid, "behind_schedule", data, f"behind:{match.id}:{uid}:{year}-W{week:02d}")
                for uid in recipients
            ]
    return due


def emit_due_notifications(*, session: Session, user_id: int) -> int:
    """Store what is due for my ongoing matches (idempotent; commits only if there is any)."""
    now = clock.now()
    mine = list(
        session.scalars(
            select(Match).where(match_service.involving(user_id), match_service.ongoing_clause(now))
        )
    )
    todo = pending(session, due_notifications(session, mine, now, only_user=user_id))
    if not todo:
        return 0
    # Called from read routes (GET /notifications, GET /me/unread): the write is rare, so
    # they stay read sessions and only this branch takes the write lock (app/db.py).
    begin_write(session)
    stored = notify_once(session, todo)
    session.commit()
    return stored


@dataclass(frozen=True, slots=True)
class TickResult:
    completed: int
    notified: int


def tick(*, session: Session) -> TickResult:
    """Everything time-based, for every match: store completions, emit due notifications.

    Idempotent and safe to run from several processes at once; reads never depend on it.
    """
    now = clock.now()
    completed = match_service.persist_completions(session=session, now=now)
    ongoing = list(session.scalars(select(Match).where(match_service.ongoing_clause(now))))
    notified = 0
    for batch in _chunks(ongoing, 500):
        notified += notify_once(session, pending(session, due_notifications(session, batch, now)))
    session.commit()
    return TickResult(completed=completed, notified=notified)


def _chunks(items: Sequence[Match], size: int) -> Iterable[Sequence[Match]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]
