"""Retention (AVG storage limitation): `jobtinder purge` removes what is no longer needed.

After RETENTION_DAYS (default 730, two years: long enough for a programme evaluation cycle):
- ended and completed trajectories lose their personal content — exit notes, meeting notes,
  evaluation answers, plans — while the bare facts (dates, status, exit reason code, hours)
  stay for the region's statistics;
- inactive participant accounts (no login for that long, and no ongoing match) are erased as
  by DELETE /me;
- read notifications of that age are deleted.
Always: expired refresh tokens, rate-limit counters older than a day, and stored photo
images no profile refers to any more (older than an hour: an upload in flight is kept).
Every step is idempotent; running it twice changes nothing the second time.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy import and_, delete, func, or_, select, update
from sqlmodel import Session, col

from app import clock, ratelimit
from app.models import Evaluation, Match, Meeting, Notification, Plan, RefreshToken, Role, User
from app.services import matches as match_service
from app.services import photos


@dataclass
class PurgeReport:
    trajectories: int = 0
    accounts: int = 0
    notifications: int = 0
    refresh_tokens: int = 0
    rate_limit_counters: int = 0
    orphan_photos: int = 0  # stored photo images no profile refers to any more
    erased_ids: list[int] = field(default_factory=list)


def purge(*, session: Session, days: int) -> PurgeReport:
    """Apply the retention period (the function commits)."""
    from app.services.accounts import erase_account

    now = clock.now()
    cutoff = now - timedelta(days=days)
    report = PurgeReport()

    finished_before = or_(
        and_(col(Match.status) == "ended", col(Match.ended_at) < cutoff),
        and_(col(Match.status).in_(("active", "completed")), col(Match.ends_at) < cutoff),
    )
    old = list(session.scalars(select(col(Match.id)).where(finished_before)))
    if old:
        session.execute(update(Match).where(col(Match.id).in_(old)).values(exit_note=None))
        session.execute(update(Meeting).where(col(Meeting.match_id).in_(old)).values(note=None))
        session.execute(
            update(Evaluation).where(col(Evaluation.match_id).in_(old)).values(answers={})
        )
        session.execute(delete(Plan).where(col(Plan.match_id).in_(old)))
        report.trajectories = len(old)

    last_seen = func.coalesce(col(User.last_login_at), col(User.created_at))
    inactive = session.scalars(
        select(User).where(
            col(User.role) == Role.participant.value,
            col(User.deleted_at).is_(None),
            last_seen < cutoff,
        )
    ).all()
    session.commit()
    for user in inactive:
        assert user.id is not None
        if match_service.ongoing_count(session, user.id, now) > 0:
            continue
        erase_account(session=session, user=user)  # commits
        report.accounts += 1
        report.erased_ids.append(user.id)

    report.notifications = _count(
        session.execute(
            delete(Notification).where(
                col(Notification.read_at).is_not(None), col(Notification.created_at) < cutoff
            )
        )
    )
    report.refresh_tokens = _count(
        session.execute(
            # Used but unexpired tokens stay: presenting one again must still revoke its login.
            delete(RefreshToken).where(col(RefreshToken.expires_at) < now)
        )
    )
    session.commit()
    report.rate_limit_counters = ratelimit.purge_expired()
    report.orphan_photos = photos.sweep_orphans(session)
    return report


def _count(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)
